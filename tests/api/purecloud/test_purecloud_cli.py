"""``provsim token purecloud`` and ``provsim tour`` (the in-process SCIM tour)."""

from __future__ import annotations

import json

from simulator.cli import cli as provsim


def test_token_in_process(cli):
    result = cli.invoke(provsim, ["token", "purecloud"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()  # stderr says the token works only in this process
    assert len(token) > 20 and " " not in token
    as_json = json.loads(cli.invoke(provsim, ["--json", "token", "purecloud"]).stdout)
    assert as_json == {"access_token": token, "token_type": "bearer", "expires_in": 86400}


def test_token_bad_secret_exits_non_zero(cli):
    result = cli.invoke(provsim, ["token", "purecloud", "--client-secret", "wrong"])
    assert result.exit_code == 1 and "invalid_client" in result.output


def test_token_against_a_served_app(cli, served):
    result = cli.invoke(provsim, ["--json", "token", "purecloud", "--url", served.url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["token_type"] == "bearer"


def test_tour_is_deterministic_and_covers_the_tour(cli):
    first = cli.invoke(provsim, ["tour"])
    assert first.exit_code == 0, first.output
    assert first.output == cli.invoke(provsim, ["tour"]).output
    for text in ("POST /oauth/token", "PATCH /api/v2/scim/v2/Groups/", "<- 409", "<- 401", "<- 405"):
        assert text in first.output
    steps = json.loads(cli.invoke(provsim, ["--json", "tour"]).output)["steps"]
    assert [s["response"]["status"] for s in steps] == [200, 200, 201, 200, 200, 200, 200, 200, 409, 400, 400, 405,
                                                         401, 404, 204, 404]
