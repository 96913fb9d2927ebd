"""Fixtures for the Graph contract tests."""

from __future__ import annotations

import pytest

from graph_helpers import GraphActions, get_token


@pytest.fixture
def graph(client) -> GraphActions:
    return GraphActions(client, get_token(client))


@pytest.fixture
def directory(runtime):
    return runtime.services["directory"]
