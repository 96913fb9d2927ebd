"""scim2-server (PyPI) apps for the target tests, and the name of the lifecycle story: imported by the
tests and by conftest.py (a module of its own: ``from conftest import`` finds whichever conftest
another test folder loaded first)."""

from __future__ import annotations

#: the library's lifecycle story (fixtures/scenarios/scim-lifecycle.yaml): what --target runs by default
LIFECYCLE = "scim-lifecycle"


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
