"""Shared fixtures: every test starts from a fresh simulator (seed 0, demo tenant).

They are the provsim pytest plugin's fixtures (simulator/pytest_plugin.py) under short names, so
the suite also exercises what users get; override ``config`` to pick another seed or tenant.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from simulator.core import ProvsimConfig

pytest_plugins = ["pytester"]  # tests/plugin runs user suites through the provsim plugin


@pytest.fixture
def config() -> ProvsimConfig:
    return ProvsimConfig(seed=0, fixture="contoso")


@pytest.fixture
def provsim_config(config):
    return config


@pytest.fixture
def app(provsim_app):
    return provsim_app


@pytest.fixture
def runtime(provsim_runtime):
    return provsim_runtime


@pytest.fixture
def clock(runtime):
    return runtime.clock


@pytest.fixture
def client(app):
    """Flask's test client."""
    return app.test_client()


@pytest.fixture
def http(provsim_http):
    """An httpx client over the app in-process (no socket)."""
    return provsim_http


@pytest.fixture
def served(provsim_server):
    """The app on a real loopback socket; yields the ServerThread (``.url``)."""
    return provsim_server


@pytest.fixture
def cli():
    return CliRunner()
