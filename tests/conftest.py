"""Shared fixtures: every test starts from a fresh simulator (seed 0, demo tenant).

They are the provsim pytest plugin's fixtures (simulator/pytest_plugin.py) under short names, so
the suite also exercises what users get; override ``config`` to pick another seed or tenant.
"""

from __future__ import annotations

import gc

import pytest
from click.testing import CliRunner

from simulator.core import ProvsimConfig

pytest_plugins = ["pytester"]  # tests/plugin runs user suites through the provsim plugin


def pytest_collection_finish(session):
    """Garbage collection tuned for a suite that builds ~2,000 simulators: each test's app is ~12,000
    GC-tracked objects in reference cycles, freed only by the cyclic collector.  What exists once the
    tests are collected (modules, test items, the SDKs' classes) lives until the end, so it is frozen
    out of every later full collection, and the youngest generation is collected in bigger batches
    (a finished test's simulator is then freed before it is promoted).  With the defaults the collector
    took about a third of the fast loop's CPU time."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, *gc.get_threshold()[1:])


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
