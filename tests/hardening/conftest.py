"""Helpers of the hardening tests (issue 11): tokens and headers for each surface."""

from __future__ import annotations

import pytest

from simulator import login

TENANT = "contoso.onmicrosoft.com"


@pytest.fixture
def scim_headers(http):
    return {"Authorization": f"Bearer {login.genesys_token(http)['access_token']}"}


@pytest.fixture
def graph_headers(http):
    return {"Authorization": f"Bearer {login.graph_token(http, TENANT)['access_token']}"}
