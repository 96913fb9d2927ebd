"""The proxy package's front door: ``__all__`` is complete and importing has no side effects."""

from __future__ import annotations

import importlib
import subprocess
import sys

import simulator.proxy as proxy_pkg
from simulator.core.errors import ProvsimError


def test_every_exported_name_exists() -> None:
    assert sorted(proxy_pkg.__all__) == sorted(set(proxy_pkg.__all__))
    for name in proxy_pkg.__all__:
        assert hasattr(proxy_pkg, name), name


def test_errors_derive_from_provsim_error() -> None:
    for name in ("ProxyError", "ReplayMiss", "ForbiddenTarget", "UpstreamTimeout", "UpstreamUnavailable", "CassetteFormatError"):
        assert issubclass(getattr(proxy_pkg, name), ProvsimError)


def test_import_is_side_effect_free() -> None:
    """No thread, no server, no file: importing the package and its CLI changes nothing."""
    code = (
        "import os, threading; before = (threading.active_count(), sorted(os.listdir('.')));"
        "import simulator.proxy, simulator.proxy.cli;"
        "assert (threading.active_count(), sorted(os.listdir('.'))) == before"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    importlib.reload(proxy_pkg)
