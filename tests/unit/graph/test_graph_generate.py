"""provsim fixtures generate: deterministic, realistic, loadable."""

from __future__ import annotations

import json

from simulator import create_app
from simulator.core import ProvsimConfig
from simulator.graph.generate import generate_tenant


def test_same_seed_same_tenant():
    assert generate_tenant(200, 12, seed=4) == generate_tenant(200, 12, seed=4)
    assert generate_tenant(200, 12, seed=4) != generate_tenant(200, 12, seed=5)


def test_shape():
    data = generate_tenant(500, 14, seed=1)
    users = data["directory"]["users"]
    assert len(users) == 500 and len({u["userPrincipalName"] for u in users}) == 500
    keys = {u["key"] for u in users}
    assert all(u["manager"] in keys for u in users[1:]) and "manager" not in users[0]
    assert {u["department"] for u in users} >= {"Sales", "Support", "Engineering"}
    groups = data["directory"]["groups"]
    assert len(groups) == 14 and groups[0]["displayName"] == "Sales"
    app = data["directory"]["applications"][0]
    assert {a["role"] for a in app["assignments"]} >= {"User", "Supervisor"}
    assigned_groups = [a["principal"] for a in app["assignments"] if a["principal"].startswith("g")]
    names = {g["key"]: g["displayName"] for g in groups}
    genesys = [g["name"] for g in data["purecloud"]["groups"]]
    assert genesys == [names[k] for k in assigned_groups][:-1]  # the last assigned group has no Genesys counterpart


def test_cli_writes_a_loadable_fixture(cli, tmp_path):
    from simulator.cli import cli as root

    out = tmp_path / "t.json"
    result = cli.invoke(root, ["--json", "fixtures", "generate", "--users", "300", "--groups", "8", "--seed", "2",
                               "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["users"] == 300
    app = create_app(ProvsimConfig(seed=2, fixture=str(out)))
    directory = app.extensions["provsim"].services["directory"]
    assert len(directory.users) == 300 and len(directory.groups) == 8
    yaml_out = tmp_path / "t.yaml"
    assert cli.invoke(root, ["fixtures", "generate", "--users", "20", "--out", str(yaml_out)]).exit_code == 0
    assert len(create_app(ProvsimConfig(fixture=str(yaml_out))).extensions["provsim"].services["directory"].users) == 20


def test_token_graph_command(cli):
    from simulator.cli import cli as root

    ok = cli.invoke(root, ["--json", "token", "graph"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["token_type"] == "Bearer"
    bad = cli.invoke(root, ["token", "graph", "--client-secret", "nope"])
    assert bad.exit_code != 0 and "AADSTS7000215" in bad.output
