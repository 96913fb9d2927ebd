"""Helpers of the hardening tests (issue 11): tokens and headers for each surface."""

from __future__ import annotations

import io
import logging
from types import SimpleNamespace

import pytest

from simulator.app import create_app
from simulator.client import login
from simulator.core import ProvsimConfig
from simulator.http.server import AccessLog, ServerThread

TENANT = "contoso.onmicrosoft.com"


@pytest.fixture
def scim_headers(http):
    return {"Authorization": f"Bearer {login.genesys_token(http)['access_token']}"}


@pytest.fixture
def graph_headers(http):
    return {"Authorization": f"Bearer {login.graph_token(http, TENANT)['access_token']}"}


@pytest.fixture
def logged_server(tmp_path):
    """``serve --state STATE --access-log`` in this process: ``.server`` (a ServerThread), ``.state`` (the state
    file) and ``.access`` (what the access log wrote), for the secret scans that grep everything provsim writes."""
    state = tmp_path / "state.json"
    app = create_app(ProvsimConfig(seed=0, state_path=state))
    app.wsgi_app = AccessLog(app.wsgi_app)  # serve --access-log
    access = io.StringIO()
    handler = logging.StreamHandler(access)
    access_logger = logging.getLogger("provsim.access")
    access_logger.addHandler(handler)
    access_logger.setLevel(logging.INFO)
    server = ServerThread(app)
    server.start()
    try:
        yield SimpleNamespace(server=server, state=state, access=access)
    finally:
        server.stop()
        access_logger.removeHandler(handler)
