"""Helpers for scenario tests."""

from __future__ import annotations

import re

import pytest

from simulator.core import FIXTURES_DIR


@pytest.fixture
def tenant_beside(tmp_path):
    """A tenant fixture in tmp_path/tenants/mine.yaml: blank.yaml with Alex's fixture key renamed to 'alexw'."""
    (tmp_path / "tenants").mkdir()
    text = (FIXTURES_DIR / "tenants" / "blank.yaml").read_text(encoding="utf-8")
    path = tmp_path / "tenants" / "mine.yaml"
    path.write_text(re.sub(r"\balex\b(?![.@])", "alexw", text), encoding="utf-8")
    return path
