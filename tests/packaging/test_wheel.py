"""provsim as users get it: a wheel built with pip, installed into a fresh venv outside the checkout,
run from an empty folder (issue 12, observation 1).

Slow (about a minute: one wheel build, two small venvs whose packages come from pip's cache) but
part of every `make test`, so `.ci/run` runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SAMPLE_PROJECT = REPO / "tests" / "plugin" / "sample_project"
#: What the wheel is built from; everything else in the checkout stays out of it.
SOURCES = ("pyproject.toml", "README.md", "simulator", "fixtures")


def run(*args, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def clean_env() -> dict:
    """The environment of a user's shell: nothing of this checkout or this venv on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PYTEST"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if str(REPO) not in p)
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The wheel, built by pip from a copy of the sources, and the build's output."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(REPO / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    done = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--verbose", "-w", dist, src)
    (wheel,) = dist.glob("provsim-*.whl")
    return wheel, done.stdout + done.stderr


def make_venv(where: Path, requirement: str, *, timeout: float = 300) -> Path:
    """A fresh venv (no pip of its own: this venv's pip installs into it, from pip's cache)."""
    run(sys.executable, "-m", "venv", "--without-pip", where)
    python = where / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", requirement, timeout=timeout)
    return python


@pytest.fixture(scope="module")
def bare(built, tmp_path_factory) -> Path:
    """``pip install provsim`` (the wheel alone: no pytest, no SDKs)."""
    return make_venv(tmp_path_factory.mktemp("venv") / "bare", str(built[0]))


@pytest.fixture(scope="module")
def with_pytest(built, tmp_path_factory) -> Path:
    """``pip install 'provsim[pytest]'``: what a user's test dependencies add."""
    return make_venv(tmp_path_factory.mktemp("venv") / "with-pytest", f"provsim[pytest] @ {built[0].as_uri()}")


@pytest.fixture(scope="module")
def with_sdk(built, tmp_path_factory) -> Path:
    """``pip install 'provsim[sdk]'``: Microsoft's and Genesys' SDKs beside provsim (docs/intercept.md)."""
    # about 60 packages (msgraph-sdk and kiota, azure-identity, aiohttp, the Genesys SDK): slower than the others
    return make_venv(tmp_path_factory.mktemp("venv") / "with-sdk", f"provsim[sdk] @ {built[0].as_uri()}", timeout=1200)


def test_the_wheel_builds_without_warnings_and_carries_every_fixture(built):
    wheel, output = built
    warnings = [line for line in output.splitlines() if "Warning" in line or "deprecated" in line.lower()]
    assert not warnings, "\n".join(warnings)
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(p.relative_to(REPO / "fixtures").as_posix() for folder in ("tenants", "scenarios")
                     for p in (REPO / "fixtures" / folder).rglob("*") if p.is_file())
    assert shipped and all(f"simulator/fixtures/{name}" in names for name in shipped), shipped
    data = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "simulator").rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts)
    missing = [name for name in data if name not in names]  # schemas, templates, static assets
    assert data and not missing, missing
    assert "simulator/py.typed" in names  # PEP 561: type checkers use provsim's annotations
    metadata = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-py3')[0]}.dist-info/METADATA").decode()
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert not [r for r in requires if r.startswith("Requires-Dist: pytest") and "extra ==" not in r]
    assert 'Requires-Dist: scim2-client[httpx2]==0.13.2; extra == "test"' in requires


def test_demo_from_an_empty_folder_prints_the_same_bytes_as_make_run(bare, tmp_path):
    installed = run(bare.parent / "provsim", "demo", cwd=tmp_path, env=clean_env())
    checkout = run(sys.executable, "-m", "simulator.cli", "demo", cwd=REPO)
    assert installed.stdout and installed.stdout == checkout.stdout
    as_json = json.loads(run(bare.parent / "provsim", "demo", "--json", cwd=tmp_path, env=clean_env()).stdout)
    assert as_json["scenario"] == "demo" and as_json["ok"] is True
    listed = json.loads(run(bare.parent / "provsim", "--json", "scenario", "list", cwd=tmp_path, env=clean_env()).stdout)
    assert "demo" in [s["name"] for s in listed]


def test_without_pytest_the_plugin_neither_loads_nor_breaks_provsim(bare, tmp_path):
    code = ("import importlib.util, importlib.metadata as md\n"
            "assert importlib.util.find_spec('pytest') is None\n"
            "assert [e.value for e in md.entry_points(group='pytest11') if e.name == 'provsim'] == ['simulator.pytest_plugin']\n"
            "import simulator.pytest_plugin as plugin\n"
            "assert not hasattr(plugin, 'provsim_job')\n")
    run(bare, "-c", code, cwd=tmp_path, env=clean_env())


def test_serve_answers_the_genesys_sdk(bare, tmp_path):
    sdk = pytest.importorskip("PureCloudPlatformClientV2")
    server = subprocess.Popen([str(bare.parent / "provsim"), "--json", "serve", "--port", "0"], cwd=tmp_path,
                              env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        text, info, deadline = "", None, time.monotonic() + 60
        while info is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            assert line, f"provsim serve exited early: {server.stderr.read()}"
            text += line
            try:
                info = json.loads(text)
            except ValueError:
                continue
        assert info is not None, text
        api = sdk.api_client.ApiClient(host=info["base_url"]).get_client_credentials_token(
            info["genesys"]["client_id"], info["genesys"]["client_secret"])
        found = sdk.SCIMApi(api).get_scim_v2_users(filter='userName eq "megan.bowen@contoso.com"')
        assert found.total_results == 1 and found.resources[0].display_name == "Megan Bowen"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise


def test_a_user_project_using_the_plugin_passes(with_pytest, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(SAMPLE_PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", "cassettes"))
    first = run(with_pytest, "-m", "pytest", "-p", "no:cacheprovider", "--provsim-record", cwd=project, env=clean_env())
    assert "7 passed" in first.stdout, first.stdout
    again = run(with_pytest, "-m", "pytest", "-p", "no:cacheprovider", cwd=project, env=clean_env())
    assert "7 passed" in again.stdout, again.stdout


def test_production_code_runs_unchanged_inside_intercept(with_sdk, tmp_path):
    """azure-identity + msgraph-sdk, msal and the Genesys SDK, no host or authority changed (issue 22)."""
    shutil.copy(REPO / "tests" / "packaging" / "intercept_program.py", tmp_path / "program.py")
    done = run(with_sdk, "program.py", cwd=tmp_path, env=clean_env())
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["graph_users"] > 20 and out["msal"] == "Bearer" and out["genesys"] == ["Megan Bowen"]
    assert {"Engineering", "Marketing", "Sales", "Support"} <= set(out["groups"])   # through aiohttp
    assert out["other_host"].startswith("simulator.intercept(): GET https://example.com/ was not sent: example.com")
    assert out["traffic"] >= 5
