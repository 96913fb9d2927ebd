"""Fixtures of tests/tls: one ``provsim serve --tls`` per module (tls_helpers.py starts it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tls_helpers import start_serve, stop


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tls") / "ca-folder"


@pytest.fixture(scope="module")
def tls_server(tls_dir, tmp_path_factory):
    served = start_serve("--tls-dir", str(tls_dir), cwd=tmp_path_factory.mktemp("serve"))
    try:
        yield served
    finally:
        stop(served)
