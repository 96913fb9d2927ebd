"""The declared layering holds (design.md): core and engine never load Flask.

Checked in a fresh interpreter, because this test process has Flask loaded already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import importlib, json, pkgutil, sys
import {package} as pkg
for info in pkgutil.walk_packages(pkg.__path__, "{package}."):
    importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "werkzeug"))))
"""


@pytest.mark.parametrize("package", ["simulator.core", "simulator.engine"])
def test_package_imports_no_flask(package):
    out = subprocess.run([sys.executable, "-c", PROBE.format(package=package)], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [], f"importing {package} loads Flask/werkzeug"


def test_client_and_transport_import_no_flask():
    code = ("import json, sys, simulator.client, simulator.client.transport; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip()) == []


def test_engine_package_holds_no_command_line():
    import pkgutil

    import simulator.engine as engine

    assert "cli" not in {m.name for m in pkgutil.iter_modules(engine.__path__)}
