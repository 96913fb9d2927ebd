"""``provsim snapshot`` on the command line against the served demo tenant: a throttled read waited out,
refusals as readable messages (exit 1), usage errors (exit 2), --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator import ProvsimClient
from simulator.cli import cli as provsim


def run(cli, url: str, out: Path, *extra: str, expect: int = 0, env: dict | None = None):
    args = ["snapshot", "--tenant", "contoso.onmicrosoft.com", "--client-id", "provsim-graph-client",
            "--client-secret", "provsim-graph-secret", "--graph-url", url, "--login-url", url, "--genesys-url", url,
            "--genesys-login-url", url, "--out", str(out), *extra]
    result = cli.invoke(provsim, args, env=env or {})
    assert result.exit_code == expect, result.output
    return result


@pytest.mark.slow  # waits out two Retry-After: 1 in real seconds
def test_a_429_is_waited_out_for_its_retry_after(cli, served, tmp_path: Path) -> None:
    client = ProvsimClient.connect(served.url)
    client.configure(tenant_url=f"{served.url}/api/v2/scim/v2")
    client.add_fault(method="GET", path="/v1.0/users", nth=1, status=429, headers={"Retry-After": "1"},
                     body={"error": {"code": "TooManyRequests", "message": "Too many requests"}})
    client.add_fault(method="GET", path="/api/v2/scim/v2/Users", nth=1, status=429, headers={"Retry-After": "1"})
    out = tmp_path / "snap.json"
    data = json.loads(run(cli, served.url, out, "--genesys-client-id", "provsim-purecloud-client",
                          "--genesys-client-secret", "provsim-purecloud-secret", "--json").output)
    assert data["throttled"] == 2 and data["users"] == 25 and data["genesysUsers"] == 2 and data["pseudonymised"]
    fixture = json.loads(out.read_text(encoding="utf-8"))
    assert fixture["directory"]["applications"][0]["provisioning"]["templateId"] == "purecloud"
    assert "provsim-graph-secret" in out.read_text(encoding="utf-8")  # the demo credentials, on purpose
    assert client.genesys_token() not in out.read_text(encoding="utf-8")


def test_without_genesys_credentials_the_org_is_empty_and_it_says_so(cli, served, tmp_path: Path) -> None:
    out = tmp_path / "snap.yaml"
    text = run(cli, served.url, out).output
    assert "0 Genesys users" in text and "has no provisioning job" in text


def test_refusals_are_readable(cli, served, tmp_path: Path) -> None:
    wrong = cli.invoke(provsim, ["snapshot", "--tenant", "contoso.onmicrosoft.com", "--client-id",
                                 "provsim-graph-client", "--graph-url", served.url, "--login-url", served.url,
                                 "--out", str(tmp_path / "x.yaml")], env={"PROVSIM_GRAPH_CLIENT_SECRET": "not-the-secret-7f3a"})
    assert wrong.exit_code == 1 and "Entra login for tenant contoso.onmicrosoft.com failed (401)" in wrong.output
    assert "AADSTS7000215" in wrong.output and "not-the-secret-7f3a" not in wrong.output
    reader = cli.invoke(provsim, ["snapshot", "--tenant", "contoso.onmicrosoft.com", "--client-id",
                                  "provsim-graph-reader", "--client-secret", "provsim-graph-reader-secret",
                                  "--graph-url", served.url, "--login-url", served.url, "--out", str(tmp_path / "y.yaml")])
    assert reader.exit_code == 1 and "Application.Read.All" in reader.output
    missing = run(cli, served.url, tmp_path / "z.yaml", "--app", "No Such App", expect=1)
    assert "no enterprise application named 'No Such App'" in missing.output
    assert not (tmp_path / "x.yaml").exists() and not (tmp_path / "z.yaml").exists()


def test_unreachable(cli, tmp_path: Path) -> None:
    result = run(cli, "http://127.0.0.1:9", tmp_path / "x.yaml", expect=1)
    assert "cannot reach the Entra login at http://127.0.0.1:9" in result.output


@pytest.mark.parametrize(("extra", "fragment"), [
    (("--region", "mars_north_1"), "is not a Genesys Cloud region"),
    (("--genesys-client-id", "x"), "--genesys-client-id needs --genesys-client-secret"),
    (("--start", "yesterday"), "is not an ISO-8601 time"),
])
def test_usage_errors(cli, tmp_path: Path, extra: tuple[str, ...], fragment: str) -> None:
    result = run(cli, "http://127.0.0.1:9", tmp_path / "x.yaml", *extra, expect=2)
    assert fragment in result.output


def test_start_is_written(cli, served, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    run(cli, served.url, out, "--start", "2026-03-01T08:00:00Z")
    assert json.loads(out.read_text(encoding="utf-8"))["tenant"]["start"] == "2026-03-01T08:00:00Z"
