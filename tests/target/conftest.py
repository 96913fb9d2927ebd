"""The engine against a SCIM server no one here wrote: scim2-server (PyPI), served in-process.

``scim2_app`` is a fresh scim2-server WSGI app (in-memory storage, the default schemas).
``scim2_http`` calls such an app directly, as any SCIM client would: the tests in
test_findings.py send it the engine's requests by hand to show that each finding of the
report is the server's behaviour, not ours.
"""

from __future__ import annotations

import httpx
import pytest
from scim2_apps import LIFECYCLE, make_scim2_app


@pytest.fixture
def scim2_app():
    return make_scim2_app()


@pytest.fixture
def scim2_http(scim2_app):
    with httpx.Client(transport=httpx.WSGITransport(app=scim2_app), base_url="http://scim.test/v2",
                      headers={"Content-Type": "application/scim+json"}) as client:
        yield client


@pytest.fixture(scope="module")
def demo_report():
    """The demo story against scim2-server (both passes), built once per module."""
    from simulator.conformance import run_target

    return run_target("demo", make_scim2_app())


@pytest.fixture(scope="module")
def lifecycle_report():
    """Every pattern once (tests/target/stories/lifecycle.yaml) against scim2-server."""
    from simulator.conformance import run_target

    return run_target(str(LIFECYCLE), make_scim2_app())
