"""``provsim job schema get|put``: the portal's "Review your schema here" editor against a served simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.cli import cli as provsim


@pytest.fixture
def job(cli, served):
    def run(*args: str, root: tuple[str, ...] = (), expect: int = 0, stdin: str | None = None):
        result = cli.invoke(provsim, [*root, "job", *args, "--url", served.url], input=stdin)
        assert result.exit_code == expect, result.output
        return result

    run("create")
    return run


def _users(schema: dict) -> dict:
    return next(om for om in schema["synchronizationRules"][0]["objectMappings"] if om["sourceObjectName"] == "User")


def test_get_prints_and_writes_the_schema(job, tmp_path: Path) -> None:
    printed = json.loads(job("schema", "get").output)
    assert printed["synchronizationRules"][0]["id"] == "AAD2PureCloudByGenesys" and "@odata.context" not in printed
    out = tmp_path / "exports" / "schema.json"
    summary = json.loads(job("schema", "get", "--out", str(out), "--json").output)
    assert summary["objectMappings"] == 2 and summary["attributeMappings"] == 12
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    assert "schema written to" in job("schema", "get", "--out", str(out)).output


def test_put_round_trip_with_a_custom_expression_and_scoping_filter(job, tmp_path: Path) -> None:
    schema = json.loads(job("schema", "get").output)
    users = _users(schema)
    users["attributeMappings"].append({
        "source": {"expression": 'FormatDateTime([employeeHireDate], , "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-dd")'},
        "targetAttributeName": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:dateHire",
        "flowType": "Always", "matchingPriority": 0})
    users["scope"] = {"groups": [{"clauses": [{"sourceOperandName": "department", "operatorName": "EQUALS",
                                               "targetOperand": {"values": ["Sales"]}}]}]}
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    out = job("schema", "put", str(path)).output
    assert "schema saved (2 object mappings, 13 attribute mappings)" in out
    again = _users(json.loads(job("schema", "get").output))
    assert again["scope"]["groups"][0]["clauses"][0]["targetOperand"]["values"] == ["Sales"]
    assert again["attributeMappings"][-1]["source"]["expression"].startswith("FormatDateTime(")
    assert "schema saved" in job("schema", "put", "-", stdin=json.dumps(schema)).output  # from stdin


def test_put_refused_lists_every_problem_naming_its_element(job, tmp_path: Path) -> None:
    schema = json.loads(job("schema", "get").output)
    users = _users(schema)
    users["attributeMappings"][2]["source"] = {"expression": 'Join(" ", [givenName]'}
    users["attributeMappings"].append({"source": {"expression": "[noSuchAttribute]"}, "targetAttributeName": "title2"})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    out = job("schema", "put", str(path), expect=1).output
    assert "the schema was refused (2 problems)" in out
    assert ("Attribute mapping to 'displayName' in object mapping 'Provision Azure Active Directory Users': "
            "invalid expression: Expected ',' or ')'") in out and "at position 21" in out
    assert "target attribute 'title2' is not an attribute of 'User'" in out
    data = json.loads(job("schema", "put", str(path), "--json", expect=1).output)
    details = data["error"]["details"]
    assert [d["target"] for d in details] == [
        "Attribute mapping to 'displayName' in object mapping 'Provision Azure Active Directory Users'",
        "Attribute mapping to 'title2' in object mapping 'Provision Azure Active Directory Users'"]
    # nothing was saved
    assert _users(json.loads(job("schema", "get").output))["attributeMappings"][2]["source"]["expression"] == "[displayName]"


@pytest.mark.parametrize(("content", "fragment"), [("{not json", "is not JSON"), ("[]", "must hold a JSON object")])
def test_put_bad_files_are_usage_errors(job, tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    assert fragment in job("schema", "put", str(path), expect=2).output
    assert "cannot read" in job("schema", "put", str(tmp_path / "missing.json"), expect=2).output
