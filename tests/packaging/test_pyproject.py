"""pyproject.toml keeps its promises without building anything (the wheel itself: test_wheel.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_and_fixture_folder_is_named():
    listed = set(PROJECT["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "simulator").rglob("*.py")
               if "__pycache__" not in p.parts}
    on_disk |= {".".join(p.relative_to(REPO).parts) for p in (REPO / "simulator").rglob("*")
                if p.is_dir() and "__pycache__" not in p.parts}
    on_disk |= {"simulator." + ".".join(p.relative_to(REPO).parts) for p in [REPO / "fixtures", *(REPO / "fixtures").rglob("*")]
                if p.is_dir()}
    missing = sorted(on_disk - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
    assert PROJECT["tool"]["setuptools"]["package-dir"] == {"simulator.fixtures": "fixtures"}


def expanded(extra: str) -> list[str]:
    """An extra's requirements with its ``provsim[...]`` self-references followed (pip does the same)."""
    out: list[str] = []
    for requirement in PROJECT["project"]["optional-dependencies"][extra]:
        if requirement.startswith("provsim["):
            for inner in requirement[len("provsim["):].rstrip("]").split(","):
                out += expanded(inner.strip())
        else:
            out.append(requirement)
    return out


def test_extras_are_named_by_use_and_the_runtime_is_lean():
    """`make run` installs the runtime alone (issue 25: a tenth of what the test extras weigh)."""
    extras = PROJECT["project"]["optional-dependencies"]
    assert {"pytest", "sdk", "test", "lint"} <= set(extras)
    runtime = " ".join(PROJECT["project"]["dependencies"]).lower()
    for heavy in ("playwright", "schemathesis", "mypy", "msgraph", "purecloud", "scim2-server", "pytest"):
        assert heavy not in runtime, heavy
    assert [d for d in expanded("test") if d.startswith("msgraph-sdk==")] and [d for d in expanded("sdk") if d.startswith("msal==")]


def test_pytest_is_an_extra_not_a_runtime_dependency():
    runtime = PROJECT["project"]["dependencies"]
    extras = PROJECT["project"]["optional-dependencies"]
    assert not [d for d in runtime if d.lower().startswith("pytest")]
    assert [d for d in extras["pytest"] if d.startswith("pytest")]
    assert [d for d in expanded("test") if d.startswith("pytest")]
    assert PROJECT["project"]["entry-points"]["pytest11"] == {"provsim": "simulator.pytest_plugin"}


def test_scim2_client_is_pinned_with_its_network_engine():
    assert "scim2-client[httpx2]==0.13.2" in PROJECT["project"]["optional-dependencies"]["test"]


def test_license_is_an_spdx_expression():  # the TOML-table form is deprecated (setuptools >= 77 warns)
    assert PROJECT["project"]["license"] == "MIT"
    assert any(r.startswith("setuptools>=77") for r in PROJECT["build-system"]["requires"])


def test_the_tutorials_install_line_installs_what_it_promises():
    """docs/tutorial.md: `python -m pip install '.[test]'` in a checkout brings provsim and the SDKs the
    tutorial uses (test_wheel.py installs the same wheel with pip into fresh venvs)."""
    text = (REPO / "docs" / "tutorial.md").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("python -m pip install"))
    assert line.split("#")[0].split() == ["python", "-m", "pip", "install", "'.[test]'"]
    test_extra = expanded("test")
    for sdk in ("PureCloudPlatformClientV2", "msgraph-sdk", "msal"):
        assert sdk in line and any(d.startswith(sdk + "==") for d in test_extra)
