"""Shared fixtures: every test starts from a fresh simulator (seed 0, demo tenant)."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from simulator import create_app
from simulator.core import ProvsimConfig
from simulator.http import InProcessTransport
from simulator.serve import ServerThread


@pytest.fixture
def config() -> ProvsimConfig:
    return ProvsimConfig(seed=0, fixture="contoso")


@pytest.fixture
def app(config):
    return create_app(config)


@pytest.fixture
def runtime(app):
    return app.extensions["provsim"]


@pytest.fixture
def clock(runtime):
    return runtime.clock


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def http(app):
    """An httpx client over the app in-process (no socket)."""
    with httpx.Client(transport=InProcessTransport(app=app), base_url="http://provsim.test") as c:
        yield c


@pytest.fixture
def served(app):
    """The app on a real loopback socket; yields the ServerThread (``.url``)."""
    server = ServerThread(app, "127.0.0.1", 0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cli():
    return CliRunner()
