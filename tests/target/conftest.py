"""The engine against a SCIM server no one here wrote: scim2-server (PyPI), served in-process.

``scim2_app`` is a fresh scim2-server WSGI app (in-memory storage, the default schemas).
``scim2_http`` calls such an app directly, as any SCIM client would: the tests in
test_findings.py send it the engine's requests by hand to show that each finding of the
report is the server's behaviour, not ours.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

STORIES = Path(__file__).parent / "stories"
LIFECYCLE = STORIES / "lifecycle.yaml"


def _storage(predictable: bool):
    from scim2_server.memory import InMemoryStorage

    if not predictable:
        return InMemoryStorage()

    class CountingStorage(InMemoryStorage):
        """Ids 1, 2, 3 ... instead of uuid4: scim2-server's documented hook for predictable ids."""

        issued = 0

        def generate_id(self, resource_type, resource) -> str:
            self.issued += 1
            return f"{self.issued:032x}"

    return CountingStorage()


def make_scim2_app(*, token: str | None = None, predictable: bool = False):
    """scim2-server's WSGI app (its test server's bearer-token variant); ``predictable``: a deterministic
    server (counting ids; its listing order follows the ids, so uuid4 ids reorder a page)."""
    from scim2_server.testserver.application import BearerTokenApplication
    from scim2_server.utils import load_default_provider

    return BearerTokenApplication(_storage(predictable), load_default_provider(), bearer_tokens=[token] if token else [])


def make_scim2_asgi_app(*, predictable: bool = False):
    from scim2_server.applications.asgi import ASGIApplication
    from scim2_server.memory import AsyncInMemoryStorage
    from scim2_server.utils import load_default_provider

    return ASGIApplication(AsyncInMemoryStorage(_storage(predictable)), load_default_provider())


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
