"""Fixtures for the provisioning-engine tests; the helpers are in engine_helpers.py."""

from __future__ import annotations

import pytest

from simulator import create_app
from simulator.core import ProvsimConfig

from engine_helpers import Provisioning


@pytest.fixture
def prov() -> Provisioning:
    """A fresh simulator (contoso, seed 0) and a helper; no job yet."""
    p = Provisioning(create_app(ProvsimConfig(seed=0, fixture="contoso")))
    yield p
    p.http.close()


@pytest.fixture
def provisioned(prov: Provisioning) -> Provisioning:
    """The demo tenant after its initial cycle (assigned scope)."""
    return prov.provision()

