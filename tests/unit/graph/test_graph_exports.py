"""simulator.graph's public surface: everything in __all__ exists and importing builds nothing."""

from __future__ import annotations

import simulator.graph as graph


def test_all_names_exist():
    for name in graph.__all__:
        assert hasattr(graph, name), name


def test_init_app_keeps_state_on_the_runtime():
    from simulator import create_app

    a, b = create_app(), create_app()
    assert a.extensions["provsim"].services["directory"] is not b.extensions["provsim"].services["directory"]
    assert {s.name for s in a.extensions["provsim"].surfaces} >= {"graph", "entra-login"}
