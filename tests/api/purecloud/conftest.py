"""Fixtures for the Genesys Cloud contract tests (helpers: purecloud_helpers.py)."""

from __future__ import annotations

import pytest

from purecloud_helpers import ScimActions


@pytest.fixture
def org(runtime):
    return runtime.services["purecloud"]


@pytest.fixture
def scim(http, org) -> ScimActions:
    return ScimActions(http, org)
