"""Issue 23, "Done when": an incident driven through the public APIs of a served provsim (Graph, Genesys
SCIM, /_provsim over real HTTP): updates, a new hire, a userName collision (a Genesys user made by hand
holds the userName Diego's new UPN maps to: 409), a disable, a six-hour Genesys outage with a change
waiting, the admin's restart after it, an unassignment.  The exported logs (Graph's pages, as a script
that follows @odata.nextLink keeps them) import into a story that replays with every entry
reproduced; a copy with one entry's status changed replays with exit 1 and names that entry."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from simulator import ProvsimClient, create_app
from simulator.cli import cli as provsim
from simulator.core import ProvsimConfig
from simulator.http.server import ServerThread
from simulator.scenario.model import load_scenario

pytestmark = pytest.mark.slow

#: the incident docs/incident.md walks through: these logs, exported from the story below
DOCS_LOGS = Path(__file__).resolve().parents[2] / "docs" / "examples" / "incident" / "logs.json"


def incident(client: ProvsimClient) -> None:
    """What happened in "production" (every call a public API a script or an admin would use)."""
    job = client.configure(notify="identity-team@contoso.com")
    client.start(job)
    client.advance_to("2026-01-05T09:01:00Z")  # the initial cycle at 09:00
    users = {u["userPrincipalName"].split("@")[0]: u["id"] for u in client.graph_pages("/users", params={"$top": "999"})}
    client.update_user(users["alex.wilber"], jobTitle="Account Director")
    client.update_user(users["grady.archie"], department="Support EMEA")
    kai = client.create_user("kai.jansen@contoso.com", display_name="Kai Jansen", jobTitle="Support Agent",
                             department="Support", mail="kai.jansen@contoso.com")
    client.assign(kai["id"], "User")
    client.advance_to("2026-01-05T10:00:00Z")  # 09:40: two updates and a create
    client.genesys("POST", "/Users", {"userName": "diego.s@contoso.com", "displayName": "Diego S", "active": True})
    client.update_user(users["diego.siciliani"], userPrincipalName="diego.s@contoso.com")
    client.advance_to("2026-01-05T12:00:00Z")  # 10:20: Diego's new userName is taken in Genesys: 409
    client.update_user(users["lidia.holloway"], accountEnabled=False)
    client.advance_to("2026-01-05T13:10:00Z")  # 12:20: Lidia disabled
    client.add_fault(path="/api/v2/scim/v2/*", status=503, note="Genesys outage")
    client.update_user(users["megan.bowen"], jobTitle="VP Sales EMEA")
    client.advance_to("2026-01-05T19:10:00Z")  # six hours of 503s
    client.clear_faults()
    hand_made = client.genesys("GET", "/Users", params={"filter": 'userName eq "diego.s@contoso.com"'})["Resources"]
    client.genesys("DELETE", f"/Users/{hand_made[0]['id']}")
    client.restart(job)  # Genesys is back: the admin restarts provisioning
    client.advance_to("2026-01-05T19:30:00Z")
    client.unassign(kai["id"])
    client.advance_to("2026-01-05T21:00:00Z")


def export_pages(client: ProvsimClient) -> list[dict[str, Any]]:
    """``GET /auditLogs/provisioning`` page by page, following @odata.nextLink."""
    pages = [client.graph("GET", "/auditLogs/provisioning", params={"$top": "25"})]
    while pages[-1].get("@odata.nextLink"):
        link = httpx.URL(pages[-1]["@odata.nextLink"]).raw_path.decode("ascii")
        pages.append(client.graph("GET", link[len("/v1.0"):]))
    return pages


def served_incident() -> tuple[list[dict[str, Any]], str]:
    """The incident on a served provsim (demo tenant, seed 0): the exported pages and the server's URL."""
    app = create_app(ProvsimConfig(seed=0, fixture="contoso"))
    server = ServerThread(app, "127.0.0.1", 0)
    server.start()
    try:
        client = ProvsimClient.connect(server.url)
        incident(client)
        pages = export_pages(client)
        client.close()
    finally:
        server.stop()
    return pages, server.url


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Any]:
    pages, url = served_incident()
    folder = tmp_path_factory.mktemp("incident")
    logs = folder / "logs.json"
    # The served app's URL is in each failure's additionalDetails; the docs' copy says provsim.local.
    logs.write_text(json.dumps(pages, indent=1), encoding="utf-8")
    cli = CliRunner()
    imported = cli.invoke(provsim, ["incident", "import", str(logs), "--fixture", "contoso", "--out", str(folder / "story.yaml")])
    return {"folder": folder, "logs": logs, "pages": pages, "imported": imported, "server": url}


def _entries(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for page in pages for entry in page["value"]]


def test_the_incident_has_what_the_issue_asks_for(exported) -> None:
    entries = _entries(exported["pages"])
    assert len(exported["pages"]) > 1  # more than one page: the importer reads a list of pages
    seen = {(e["provisioningAction"], e["provisioningStatusInfo"]["status"],
             (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode")) for e in entries}
    assert ("update", "failure", "Conflict") in seen  # the userName collision
    assert ("update", "failure", "InternalServerError") in seen  # the outage
    assert ("update", "success", None) in seen
    assert ("create", "success", None) in seen
    disabled = {e["sourceIdentity"]["displayName"] for e in entries if e["provisioningAction"] == "disable"}
    assert disabled == {"Lidia Holloway", "Kai Jansen"}  # a disable and an unassignment
    # judged as the real service judges an outage (issue 19): the 5xx is retried by each next cycle, and
    # the job is quarantined only after six complete failures in a row: the outage lasts until 19:10, but
    # no cycle retries Megan after 17:00
    outage = sorted({e["activityDateTime"][11:16] for e in entries
                     if (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode") == "InternalServerError"})
    assert outage == ["13:40", "14:20", "15:00", "15:40", "16:20", "17:00"]
    skipped = [e for e in entries if (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode")
               == "EntrySynchronizationSkipped"]
    assert skipped and all(e["activityDateTime"].startswith("2026-01-05T19:10") for e in skipped)  # the restart


def test_the_exported_logs_import_into_a_valid_story(exported) -> None:
    result = exported["imported"]
    assert result.exit_code == 0, result.output
    story = exported["folder"] / "story.yaml"
    assert load_scenario(story).tenant_path == exported["folder"] / "story.tenant.yaml"
    assert "created from the logs' source identities (the fixture lacks them): user kai.jansen@contoso.com" \
        in result.output  # Kai is not in contoso
    text = story.read_text(encoding="utf-8")
    assert "${genesys_user:diego.siciliani@contoso.com}" in text and "status: 409" in text
    assert "path: /api/v2/scim/v2/*, status: 503" in text  # every request: Megan's read failed too
    assert "restart: {}" in text and "restart: Full" not in text  # the restart kept the links
    assert "quarantine" not in {step.verb for step in load_scenario(story).steps}  # the engine judges the outage
    assert "unassign: {principal: '${user:kai-jansen}'}" in text
    assert "accountEnabled: false" in text
    assert "not modelled" not in result.output


def test_every_entry_is_reproduced(exported) -> None:
    replayed = CliRunner().invoke(provsim, ["incident", "replay", str(exported["folder"] / "story.yaml"),
                                            "--logs", str(exported["logs"]), "--json"])
    assert replayed.exit_code == 0, replayed.output
    report = json.loads(replayed.stdout)
    total = len(_entries(exported["pages"]))
    assert report == {"reproduced": total, "total": total, "divergences": [], "notModelled": []}


def test_one_status_changed_exits_1_and_names_the_entry(exported, tmp_path: Path) -> None:
    pages = copy.deepcopy(exported["pages"])
    conflict = next(e for e in _entries(pages)
                    if (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode") == "Conflict")
    conflict["provisioningStatusInfo"]["status"] = "success"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(pages), encoding="utf-8")
    story = str(exported["folder"] / "story.yaml")
    text = CliRunner().invoke(provsim, ["incident", "replay", story, "--logs", str(changed)])
    assert text.exit_code == 1
    total = len(_entries(pages))
    assert f"reproduced {total - 1} of {total} log entries" in text.output
    assert f"log {conflict['id']}" in text.output and "provisioningStatusInfo.status: real 'success', simulated 'failure'" \
        in text.output
    as_json = CliRunner().invoke(provsim, ["incident", "replay", story, "--logs", str(changed), "--json"])
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["divergences"] == [{"logId": conflict["id"], "field": "provisioningStatusInfo.status",
                                      "real": "success", "simulated": "failure"}]


def test_the_docs_example_logs_are_these(exported) -> None:
    """docs/incident.md works on a copy of these logs: the same entries (the served URL aside)."""
    served = json.dumps(exported["pages"]).replace(exported["server"], "http://provsim.local")
    assert json.loads(DOCS_LOGS.read_text(encoding="utf-8")) == json.loads(served), (
        "docs/examples/incident/logs.json is out of date: the engine's behaviour changed; regenerate it with "
        "`python tests/incident/test_round_trip_served.py docs/examples/incident/logs.json` and update docs/incident.md")


if __name__ == "__main__":  # regenerate the docs' copy of the logs
    import sys

    _pages, _url = served_incident()
    Path(sys.argv[1]).write_text(json.dumps(_pages, indent=1).replace(_url, "http://provsim.local") + "\n",
                                 encoding="utf-8")
