"""Services on the runtime are found by typed keys (simulator/core/services.py), not by strings.

``runtime.service(DIRECTORY)`` is a ``Directory`` to mypy at every use site; ``runtime.services["directory"]``
was ``Any``.  The read-only ``runtime.services`` view stays for code written before the keys.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.core import ProvsimConfig, Runtime
from simulator.core.services import (
    DIRECTORY,
    GRAPH,
    HOUSEKEEPING,
    PROVISIONING,
    PURECLOUD,
    PURECLOUD_PLATFORM,
    ServiceKey,
)

SIMULATOR = Path(__file__).resolve().parents[3] / "simulator"

#: A string-keyed look-up on a runtime's services: ``.services["x"]``, ``.services.get("x")``, ``"x" in ….services``.
STRING_LOOKUP = re.compile(r"""\.services\s*(\[|\.get\()|["'][\w-]+["']\s+(not\s+)?in\s+[\w.()\[\]"']*\.services\b""")


def _runtime() -> Runtime:
    return Runtime(ProvsimConfig(), fixture={"tenant": {}})


def test_no_string_keyed_service_lookups_in_the_package():
    found = [f"{path.relative_to(SIMULATOR.parent)}:{number}: {line.strip()}"
             for path in sorted(SIMULATOR.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if STRING_LOOKUP.search(line)]
    assert not found, "look services up with their typed key (runtime.service(KEY) / runtime.find(KEY)):\n" + "\n".join(found)


def test_the_pattern_catches_what_it_is_meant_to():
    # the guard above must be able to fail
    for line in ('org = runtime.services["purecloud"]', 'rt.services.get("provisioning")',
                 'if "purecloud" not in runtime.services:', 'x = app.extensions["provsim"].services["directory"]'):
        assert STRING_LOOKUP.search(line), line
    for line in ("for service in runtime.services.values():", "org = runtime.find(PURECLOUD)"):
        assert not STRING_LOOKUP.search(line), line


def test_a_registered_service_comes_back_as_the_same_object():
    rt = _runtime()
    thing = object()
    key: ServiceKey[object] = ServiceKey("thing")
    assert rt.find(key) is None
    assert rt.register(key, thing) is thing
    assert rt.service(key) is thing and rt.find(key) is thing
    assert rt.register(key, thing) is thing  # the same object again: nothing changes
    assert rt.services["thing"] is thing  # the old view, by name


def test_a_second_object_under_a_taken_key_is_refused():
    rt = _runtime()
    first, second = object(), object()
    rt.register(PURECLOUD, first)  # type: ignore[arg-type]  # a stand-in: the registry only holds it
    with pytest.raises(ValueError, match="'purecloud'"):
        rt.register(PURECLOUD, second)  # type: ignore[arg-type]  # same reason
    assert rt.service(PURECLOUD) is first
    rt.register(PURECLOUD, second, replace=True)  # type: ignore[arg-type]  # same reason
    assert rt.service(PURECLOUD) is second


def test_a_missing_service_is_named():
    with pytest.raises(LookupError, match="'provisioning'"):
        _runtime().service(PROVISIONING)


def test_the_old_view_is_read_only():
    rt = _runtime()
    with pytest.raises(TypeError):
        rt.services["directory"] = object()  # type: ignore[index]  # that is the point: writes go through register


def test_an_app_registers_every_surface_under_its_typed_key():
    from simulator.app import create_app
    from simulator.engine.service import ProvisioningService
    from simulator.graph.directory import Directory
    from simulator.graph.service import GraphService
    from simulator.purecloud.org import PureCloudOrg
    from simulator.purecloud.platform_service import PlatformService

    rt = create_app(ProvsimConfig(seed=0)).extensions["provsim"]
    for key, kind in ((DIRECTORY, Directory), (GRAPH, GraphService), (PURECLOUD, PureCloudOrg),
                      (PURECLOUD_PLATFORM, PlatformService), (PROVISIONING, ProvisioningService)):
        assert isinstance(rt.service(key), kind), key
        assert rt.services[key.name] is rt.service(key)
    assert rt.find(HOUSEKEEPING) is None  # only a long-lived server has housekeeping


def test_config_settings_are_typed_fields_and_the_old_extra_still_fills_them():
    from pathlib import Path as P

    old = ProvsimConfig(extra={"graph.remove_non_member_status": 400, "fsync": True, "allowed_hosts": ["a.test"],
                               "outbox_dir": "mail", "signing_key": b"k"})
    assert (old.graph_remove_non_member_status, old.fsync, old.allowed_hosts, old.outbox_dir, old.signing_key) == (
        400, True, ("a.test",), P("mail"), b"k")
    assert ProvsimConfig().graph_remove_non_member_status == 404
    new = ProvsimConfig(graph_remove_non_member_status=400, extra={"graph.remove_non_member_status": 404})
    assert new.graph_remove_non_member_status == 400  # a field given by name wins over the old spelling
    assert new.with_(seed=1).graph_remove_non_member_status == 400
    assert ProvsimConfig(fsync=True) == ProvsimConfig()  # as extra was, these settings stay out of equality
