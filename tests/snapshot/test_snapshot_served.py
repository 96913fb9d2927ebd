"""``provsim snapshot`` against ``provsim serve`` (all four URLs the server's): a generated tenant of 300
users with a custom expression mapping, a scoping filter and Genesys users made by hand.

Done when: the snapshot holds none of the original personal values and no secret, is byte-identical
when taken twice, and a first cycle on it gives the same counts per action and status, the same
Genesys user count and the same member count per group as on the original."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator import ProvsimClient, create_app
from simulator.cli import cli as provsim
from simulator.core import ProvsimConfig
from simulator.graph.generate import generate_tenant, write_fixture
from simulator.http.server import ServerThread
from simulator.snapshot.pseudonym import STRUCTURAL_TOKENS, tokens

pytestmark = pytest.mark.slow

READER = ("snapshot-reader", "rdr-2f6c1a9e7b3d4e58a0c9-graph-secret")
GENESYS_READER = ("snapshot-genesys", "gns-8d1e5b7c2a9f4e36b0d1-genesys-secret")
EMPLOYEE_NUMBER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
CUSTOM = [("title", 'Join(" - ", [jobTitle], ToUpper([department]))'),
          (EMPLOYEE_NUMBER, "Mid([employeeId], 2, 6)")]
SCOPE = {"groups": [{"clauses": [{"sourceOperandName": "department", "operatorName": "NOT EQUALS",
                                  "targetOperand": {"values": ["Legal"]}}]}]}
#: what the configuration names (kept verbatim on purpose): the scoping filter's value, the constant " - "
CONFIGURATION_TOKENS = {"legal"}
PERSONAL_USER_PROPS = ("userPrincipalName", "displayName", "givenName", "surname", "mail", "mailNickname", "jobTitle",
                       "department", "employeeId", "mobilePhone", "businessPhones", "officeLocation", "companyName")


def _tenant(tmp: Path) -> tuple[Path, dict[str, Any]]:
    data = generate_tenant(300, 12, seed=20)
    data["tenant"]["clients"].append({"clientId": READER[0], "clientSecret": READER[1], "displayName": "snapshot",
                                      "appId": "5c4b3a29-1807-4f6e-9d5c-4b3a29180765",
                                      "roles": ["User.Read.All", "GroupMember.Read.All", "Application.Read.All",
                                                "Synchronization.Read.All"]})
    data["purecloud"]["roles"].append({"name": "Snapshot reader", "description": "provsim snapshot",
                                       "permissions": ["directory:user:view", "directory:group:edit"]})
    data["purecloud"]["clients"].append({"clientId": GENESYS_READER[0], "clientSecret": GENESYS_READER[1],
                                         "name": "snapshot", "roles": ["Snapshot reader"]})
    path = tmp / "original.json"
    write_fixture(data, path)
    return path, data


def _configure(client: ProvsimClient, url: str, data: dict[str, Any]) -> str:
    """The original tenant's provisioning: a custom expression mapping, a scoping filter, hand-made Genesys users."""
    job = client.configure(tenant_url=f"{url}/api/v2/scim/v2", notify="ops.lead@tenant20.example.com")
    schema = client.schema(job)
    users = next(om for om in schema["synchronizationRules"][0]["objectMappings"] if om["sourceObjectName"] == "User")
    for target, expression in CUSTOM:
        existing = next((m for m in users["attributeMappings"] if m["targetAttributeName"] == target), None)
        if existing is not None:
            existing["source"] = {"expression": expression}
        else:
            users["attributeMappings"].append({"source": {"expression": expression}, "targetAttributeName": target,
                                               "flowType": "Always", "matchingPriority": 0})
    users["scope"] = SCOPE
    client.put_schema(job, schema)
    client.set_settings(job, QuarantineTooManyDeletesThreshold=25)
    people = data["directory"]["users"]
    group = data["purecloud"]["groups"][0]["name"]
    for person in people[5:8]:  # Genesys users made by hand before provisioning: matched, then updated
        client.genesys("POST", "/Users", {"userName": person["userPrincipalName"], "displayName": person["displayName"],
                                         "title": "Hand-made " + person["givenName"], "active": True})
    client.genesys("POST", "/Users", {"userName": "reception.desk@tenant20.example.com", "displayName": "Reception Desk",
                                     "active": True, "phoneNumbers": [{"type": "work", "value": "+31205550199"}]})
    gid = client.genesys("GET", "/Groups", params={"filter": f'displayName eq "{group}"'})["Resources"][0]["id"]
    uid = client.genesys("GET", "/Users", params={"filter": f'userName eq "{people[6]["userPrincipalName"]}"'}
                         )["Resources"][0]["id"]
    client.genesys("PATCH", f"/Groups/{gid}", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                                "Operations": [{"op": "add", "path": "members", "value": [{"value": uid}]}]})
    return job


def _snapshot(cli, url: str, out: Path, *extra: str) -> str:
    env = {"PROVSIM_GRAPH_CLIENT_SECRET": READER[1], "PROVSIM_GENESYS_CLIENT_SECRET": GENESYS_READER[1]}
    result = cli.invoke(provsim, ["snapshot", "--tenant", "tenant20.onmicrosoft.com", "--client-id", READER[0],
                                  "--graph-url", url, "--login-url", url, "--genesys-url", url, "--genesys-login-url", url,
                                  "--genesys-client-id", GENESYS_READER[0], "--out", str(out), *extra], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def _first_cycle(client: ProvsimClient, app, job: str) -> tuple[Counter, int, list[int]]:
    client.start(job)
    client.advance("PT1M")
    logs = client.logs(all_pages=True)
    counts = Counter((e["provisioningAction"], e["provisioningStatusInfo"]["status"]) for e in logs)
    org = app.extensions["provsim"].services["purecloud"]
    return (counts, len(org.export_state("Users")),
            [len(g.get("members") or []) for g in org.export_state("Groups")])


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


@pytest.fixture(scope="module")
def story(tmp_path_factory, cli_runner):
    tmp = tmp_path_factory.mktemp("snapshot")
    path, data = _tenant(tmp)
    app = create_app(ProvsimConfig(seed=0, fixture=str(path)))
    server = ServerThread(app, "127.0.0.1", 0)
    server.start()
    try:
        client = ProvsimClient.connect(server.url, tenant="tenant20.onmicrosoft.com")
        job = _configure(client, server.url, data)
        token = next(s["value"] for s in app.extensions["provsim"].services["provisioning"].secrets(
            client.service_principal_id()) if s["key"] == "SecretToken")
        first, second = tmp / "snap.yaml", tmp / "again.yaml"
        output = _snapshot(cli_runner, server.url, first)
        _snapshot(cli_runner, server.url, second)
        original = _first_cycle(client, app, job)
        client.close()
    finally:
        server.stop()
    return {"path": path, "data": data, "first": first, "second": second, "output": output, "token": token, "original": original}


@pytest.fixture(scope="module")
def cli_runner():
    from click.testing import CliRunner

    return CliRunner()


def test_taken_twice_it_is_byte_identical(story) -> None:
    assert story["first"].read_bytes() == story["second"].read_bytes()
    assert "wrote" in story["output"] and "300 users" in story["output"] and "pseudonymised" in story["output"]


def test_no_secret_is_written(story) -> None:
    text = story["first"].read_text(encoding="utf-8")
    for secret in (READER[1], GENESYS_READER[1], story["token"]):
        assert secret not in text
    fixture = yaml.safe_load(text)
    app = fixture["directory"]["applications"][0]
    assert {s["key"] for s in app["provisioning"]["secrets"]} == {"BaseAddress", "SyncAll", "SyncNotificationSettings"}
    assert app["provisioning"]["secrets"][0]["value"] == "http://provsim.local/api/v2/scim/v2"


def test_no_original_personal_value_is_in_the_snapshot(story) -> None:
    data = story["data"]
    fixture = yaml.safe_load(story["first"].read_text(encoding="utf-8"))
    originals: set[str] = set()
    for user in data["directory"]["users"]:
        for prop in PERSONAL_USER_PROPS:
            originals.update(_strings(user.get(prop)))
    for group in data["directory"]["groups"]:
        originals.update(_strings([group["displayName"], group["description"], group["mailNickname"]]))
    originals |= {"reception.desk@tenant20.example.com", "Reception Desk", "+31205550199",
                  "ops.lead@tenant20.example.com"}
    personal_tokens = {t for value in originals for t in tokens(value)} - CONFIGURATION_TOKENS - STRUCTURAL_TOKENS
    app = fixture["directory"]["applications"][0]
    data_part = [fixture["directory"]["users"], fixture["directory"]["groups"], fixture["purecloud"],
                 app.get("notificationEmailAddresses"), app["provisioning"]["secrets"]]
    written = _strings(data_part)
    configured = {v for v in originals if set(tokens(v)) <= CONFIGURATION_TOKENS | STRUCTURAL_TOKENS}  # "Legal"
    assert not ({v.lower() for v in written} & {v.lower() for v in originals - configured})
    leaked = {t for value in written for t in tokens(value)} & personal_tokens
    assert not leaked, sorted(leaked)[:20]
    # ... while the structure stays: counts, which attributes are set, shapes, manager chains
    assert len(fixture["directory"]["users"]) == 300 and len(fixture["directory"]["groups"]) == 12
    for before, after in zip(data["directory"]["users"], fixture["directory"]["users"], strict=True):
        # what the mappings read is there when it was there (and nothing they do not read is taken)
        read = {"userPrincipalName", "displayName", "mail", "jobTitle", "department", "employeeId", "mobilePhone",
                "businessPhones", "accountEnabled"}
        assert {p for p in before if p in read} == {p for p in after if p in read}
        assert "officeLocation" not in after
        assert ("manager" in before) == ("manager" in after)
        assert re.fullmatch(r"[\w.]+@[\w.]+", after["mail"]) and len(after["mail"]) == len(before["mail"])
        for phone_before, phone_after in zip(before["businessPhones"], after["businessPhones"], strict=True):
            assert re.fullmatch(r"\+[1-9]\d+", phone_after) and len(phone_after) == len(phone_before)
    assert [len(g["members"]) for g in fixture["directory"]["groups"]] == [
        len(g["members"]) for g in data["directory"]["groups"]]


def test_the_job_configuration_is_kept_verbatim(story) -> None:
    fixture = yaml.safe_load(story["first"].read_text(encoding="utf-8"))
    provisioning = fixture["directory"]["applications"][0]["provisioning"]
    users = next(om for om in provisioning["schema"]["synchronizationRules"][0]["objectMappings"]
                 if om["sourceObjectName"] == "User")
    assert users["scope"]["groups"][0]["clauses"][0]["targetOperand"]["values"] == ["Legal"]
    expressions = {m["targetAttributeName"]: m["source"]["expression"] for m in users["attributeMappings"]
                   if m.get("source")}
    assert all(expressions[target] == expression for target, expression in CUSTOM)
    assert {"name": "QuarantineTooManyDeletesThreshold", "value": "25"} in provisioning["settings"]


def test_a_first_cycle_on_the_snapshot_matches_the_original(story) -> None:
    app = create_app(ProvsimConfig(seed=0, fixture=str(story["first"])))
    client = ProvsimClient.in_process(app)
    job = client.job_id()  # the snapshot brought the app's job
    assert client.job(job)["status"]["code"] == "NotRun"
    client.put_secrets([{"key": "SecretToken", "value": client.genesys_token()}])  # the one thing to enter again
    counts, genesys_users, members = _first_cycle(client, app, job)
    original_counts, original_users, original_members = story["original"]
    assert counts == original_counts and sum(counts.values()) > 300
    assert ("create", "success") in counts and ("update", "success") in counts and ("other", "skipped") in counts
    assert genesys_users == original_users
    assert members == original_members


def test_a_served_snapshot_and_a_scenario_load_it(story, tmp_path: Path, cli_runner) -> None:
    app = create_app(ProvsimConfig(seed=0, fixture=str(story["first"])))
    server = ServerThread(app, "127.0.0.1", 0)
    server.start()
    try:
        result = cli_runner.invoke(provsim, ["job", "status", "--url", server.url, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["status"]["code"] == "NotRun"
    finally:
        server.stop()
    scenario = tmp_path / "story.yaml"
    scenario.write_text(f"name: on-a-snapshot\ntenant: {story['first']}\nsteps:\n"
                        "- expect: {genesys_users: {total: 4}}\n", encoding="utf-8")
    ran = cli_runner.invoke(provsim, ["scenario", "run", str(scenario)])
    assert ran.exit_code == 0, ran.output


def test_keep_names_keeps_real_values_and_still_no_secret(story, tmp_path: Path) -> None:
    data, fixture_path = story["data"], tmp_path / "real.json"
    app = create_app(ProvsimConfig(seed=0, fixture=str(story["path"])))
    server = ServerThread(app, "127.0.0.1", 0)
    server.start()
    try:
        from click.testing import CliRunner

        _snapshot(CliRunner(), server.url, fixture_path, "--keep-names")
    finally:
        server.stop()
    kept = json.loads(fixture_path.read_text(encoding="utf-8"))
    assert kept["snapshot"]["pseudonymised"] is False
    assert [u["userPrincipalName"] for u in kept["directory"]["users"]] == [
        u["userPrincipalName"] for u in data["directory"]["users"]]
    assert READER[1] not in fixture_path.read_text(encoding="utf-8") and len(data["directory"]["users"]) == 300


def test_the_pytest_marker_loads_it(story, pytester) -> None:
    """A user's suite (run as a user runs it: a subprocess with the plugin) names the snapshot in its marker."""
    pytester.makepyfile(test_user=f'''
import pytest

@pytest.mark.provsim(tenant={str(story["first"])!r})
def test_my_configuration(provsim):
    jobs = provsim.jobs()
    assert len(jobs) == 1 and jobs[0]["status"]["code"] == "NotRun"
    assert len(provsim.graph_pages("/users")) == 300
''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
