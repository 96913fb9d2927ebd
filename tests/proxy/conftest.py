"""Fixtures for the proxy tests (helpers live in ``proxy_helpers.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from proxy_helpers import NoNetwork, make_upstream, serve


@pytest.fixture
def no_network() -> NoNetwork:
    """A guard: inside ``with no_network:`` any real connection (httpx's default transport,
    or a socket connect) fails the test.  Recording happens outside the block."""
    return NoNetwork()


@pytest.fixture
def upstream_url() -> Iterator[str]:
    with serve(make_upstream()) as url:
        yield url


