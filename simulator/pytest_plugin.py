"""pytest fixtures for provsim users (registered through the ``pytest11`` entry point).

    def test_my_sync(provsim_app, provsim_http): ...

Fixtures: ``provsim_config`` (override it to pick seed/fixture), ``provsim_app``,
``provsim_runtime``, ``provsim_http`` (httpx over the app in-process),
``provsim_server`` (the app on a loopback socket; ``.url``).
"""

from __future__ import annotations

import pytest


@pytest.fixture
def provsim_config():
    from simulator.core import ProvsimConfig

    return ProvsimConfig(seed=0, fixture="contoso")


@pytest.fixture
def provsim_app(provsim_config):
    from simulator.app import create_app

    return create_app(provsim_config)


@pytest.fixture
def provsim_runtime(provsim_app):
    return provsim_app.extensions["provsim"]


@pytest.fixture
def provsim_http(provsim_app):
    import httpx

    from simulator.http import InProcessTransport

    with httpx.Client(transport=InProcessTransport(app=provsim_app), base_url="http://provsim.test") as client:
        yield client


@pytest.fixture
def provsim_server(provsim_app):
    from simulator.serve import ServerThread

    server = ServerThread(provsim_app, "127.0.0.1", 0)
    server.start()
    try:
        yield server
    finally:
        server.stop()
