"""The dashboard's own endpoints: the page, its state, its logs, and every button (server side).

What a trainer would see is asserted on the JSON the page draws (the browser tests in
tests/browser click the same story through headless Chromium).  Every ``POST
/dashboard/api/<action>`` is exercised here; ``test_every_action_is_tested_and_every_call_exists``
keeps it that way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulator.core import ProvsimConfig
from simulator.scenario.model import load_scenario
from simulator.web import actions as web_actions
from simulator.web import model

WEB = Path(__file__).resolve().parents[2] / "simulator" / "web"
SCIM = "http://provsim.local/api/v2/scim/v2"


class Dashboard:
    """The page as a browser holds it: the form cookie from ``GET /``, JSON posts from the same origin."""

    def __init__(self, client) -> None:
        self.client = client
        page = client.get("/")
        assert page.status_code == 200
        self.cookie = page.headers["Set-Cookie"]

    def state(self, since: str | None = None) -> dict:
        resp = self.client.get("/dashboard/api/state", query_string={"since": since} if since else None)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_json()

    def post(self, action: str, ok: int | None = 200, **body):
        resp = self.client.post(f"/dashboard/api/{action}", json=body)
        data = resp.get_json()
        if ok is not None:
            assert resp.status_code == ok, (action, resp.status_code, data)
        return data if ok is not None else (resp.status_code, data)

    def get(self, path: str, ok: int = 200, **params) -> dict:
        resp = self.client.get(f"/dashboard/api/{path}", query_string=params)
        assert resp.status_code == ok, (path, resp.status_code, resp.get_data(as_text=True))
        return resp.get_json()

    def user(self, upn: str, state: dict | None = None) -> dict:
        state = state or self.state()
        return next(u for u in state["directory"]["users"] if u["userPrincipalName"] == upn)

    def group(self, name: str, state: dict | None = None) -> dict:
        state = state or self.state()
        return next(g for g in state["directory"]["groups"] if g["displayName"] == name)

    def configured(self, *, start: bool = True, notify: str = "identity-team@contoso.com") -> str:
        """Setup as a trainer clicks it: create the job, get a token, test, save, start."""
        job = self.post("job/create")["jobId"]
        token = self.post("genesys/token")["token"]
        self.post("job/test-connection", tenantUrl=SCIM, secretToken=token)
        self.post("job/credentials", tenantUrl=SCIM, secretToken=token, notify=notify)
        if start:
            self.post("job/start")
        return job


@pytest.fixture
def dash(client) -> Dashboard:
    return Dashboard(client)


# ------------------------------------------------------------------------------ the page
def test_the_page_is_the_provisioning_blade_with_local_assets_and_labelled_controls(client):
    resp = client.get("/")
    page = resp.get_data(as_text=True)
    cookie = resp.headers["Set-Cookie"]
    assert "provsim_form=" in cookie and "SameSite=Strict" in cookie and "HttpOnly" in cookie
    assert "2026-01-05T09:00:00Z" in page  # the virtual clock, rendered by the server
    for page_name in ("Overview", "Setup", "Directory", "Provisioning logs", "Failures", "Scenarios"):
        assert f'data-page="{page_name.lower().split()[-1] if page_name != "Provisioning logs" else "logs"}"' in page
        assert f">{page_name}</a>" in page
    # every input, select and textarea has a label (for=id) or an aria-label
    ids = set(re.findall(r'<label[^>]*for="([^"]+)"', page))
    for tag in re.findall(r"<(?:input|select)\b[^>]*>", page):
        if 'type="hidden"' in tag:
            continue
        ident = re.search(r'id="([^"]+)"', tag)
        assert (ident and ident.group(1) in ids) or "aria-label" in tag, tag
    # nothing from another host: no CDN, no web font
    assert not re.search(r'(src|href)="(https?:)?//', page)
    for asset in ("dashboard.css", "dashboard.js"):
        body = client.get(f"/static/provsim/{asset}")
        assert body.status_code == 200
        text = body.get_data(as_text=True)
        assert not re.search(r"https?://", text) and "@import" not in text and "@font-face" not in text
    assert "cdn" not in page.lower()


def test_state_of_a_fresh_contoso_tenant(dash):
    state = dash.state()
    assert state["now"] == "2026-01-05T09:00:00Z"
    assert state["app"]["displayName"] == "PureCloud by Genesys"
    assert state["job"] is None and state["overview"] is None
    assert [r["displayName"] for r in state["roles"]] == ["Default Access", "User", "msiam_access", "Supervisor"]
    megan, lee, allan = (dash.user(f"{n}@contoso.com", state) for n in ("megan.bowen", "lee.gu", "allan.deyoung"))
    assert megan["scope"] == {"inScope": True, "state": "group", "text": "Assigned through Sales"}
    assert megan["genesys"]["state"] == "exists"  # created by hand in Genesys; no job has matched it yet
    assert lee["scope"]["text"] == "Disabled in Entra (accountEnabled false)" and lee["genesys"]["state"] == "missing"
    assert allan["scope"] == {"inScope": False, "state": "unassigned", "text": "Not assigned to the app"}
    assert dash.user("nestor.wilke@contoso.com", state)["scope"]["text"] == "Assigned (Supervisor)"
    assert dash.group("Marketing", state)["genesys"]["state"] == "missing"
    assert dash.group("Sales", state)["genesys"]["text"] == "Exists in Genesys (0 members)"
    assert dash.group("Finance", state)["scope"]["inScope"] is False
    assert [u["userName"] for u in state["directory"]["genesysOnly"]] == ["genesys.admin@contoso.com"]
    assert state["failures"]["faults"] == [] and state["failures"]["outbox"] == []
    assert [p["label"] for p in state["failures"]["presets"]] == ["Genesys outage", "Expired token", "Throttling",
                                                                  "Dropped connections"]
    assert state["story"] is None


def test_polling_is_cheap_and_reading_leaves_no_trace(dash, runtime):
    first = dash.state()
    assert dash.state(since=first["revision"]) == {"revision": first["revision"], "unchanged": True}
    # a Graph fault rule that fires once: the page's reads neither trip it nor use it up
    runtime.faults.add({"method": "GET", "path": "/v1.0/*", "status": 503, "times": 1})
    traffic_before = len(runtime.traffic)
    dash.state()
    dash.get("logs")
    assert len(runtime.traffic) == traffic_before
    assert runtime.faults.rules()[0].fired == 0
    changed = dash.post("clock/advance", duration="PT5M")
    assert changed["message"] == "Advanced PT5M to 2026-01-05T09:05:00Z: 0 provisioning cycles ran."
    assert dash.state(since=first["revision"])["now"] == "2026-01-05T09:05:00Z"


# ------------------------------------------------------------------------- the class story
def test_the_class_story_from_an_empty_job(dash):
    allan_id = dash.user("allan.deyoung@contoso.com")["id"]
    job = dash.configured(start=False)
    state = dash.state()
    assert state["job"]["id"] == job and state["setup"]["tokenSaved"] is True
    assert state["setup"]["tenantUrl"] == SCIM and state["setup"]["notify"] == "identity-team@contoso.com"
    assert state["overview"]["code"] == "NotRun" and state["overview"]["provisioningStatus"] == "Off"
    assert dash.post("job/start")["message"].startswith("Provisioning status: On")
    assert dash.post("directory/assign", principalId=allan_id)["message"] == \
        "Allan Deyoung assigned to PureCloud by Genesys."
    moved = dash.post("clock/advance", duration="PT40M")["message"]
    assert moved == "Advanced PT40M to 2026-01-05T09:40:00Z: 2 provisioning cycles ran (51 changes sent to Genesys)."
    state = dash.state()
    allan = dash.user("allan.deyoung@contoso.com", state)
    assert allan["scope"]["text"] == "Assigned (User)"
    assert allan["genesys"]["state"] == "created" and allan["genesys"]["title"] == "Finance Manager"
    assert dash.user("megan.bowen@contoso.com", state)["genesys"]["state"] == "matched"
    o = state["overview"]
    assert o["code"] == "Active" and o["statusText"] == "Incremental cycle completed."
    assert o["counts"] == {"users": 23, "groups": 3} and o["nextRun"] == "2026-01-05T10:20:00Z"
    assert o["steadyState"] == {"first": "2026-01-05T09:40:00Z", "last": "2026-01-05T09:40:00Z"}
    initial = o["lastCycleWithChanges"]
    assert initial["kind"] == "initial" and {"action": "create", "success": 22, "failure": 0, "skipped": 0,
                                             "warning": 0, "total": 22} in initial["actions"]

    # break it: the token expires, HR changes Allan, the next cycle quarantines the job
    assert dash.post("tokens/expire")["message"] == \
        "1 Genesys token expired now: the saved secret token no longer works."
    assert "jobTitle" in dash.post("directory/user/update", id=allan_id, jobTitle="Head of Finance")["message"]
    assert dash.post("clock/advance", duration="PT40M")["message"].endswith(
        "1 provisioning cycle ran; the job went into quarantine (Unauthorized).")
    q = dash.state()["overview"]["quarantine"]
    assert q["reason"] == "EncounteredQuarantineException" and q["errorCode"] == "Unauthorized"
    assert q["nextAttempt"] == "2026-01-06T10:20:00Z" and q["notifications"] == 1
    assert "enter a new secret token" in q["advice"]
    mail = dash.state()["failures"]["outbox"][0]
    assert mail["to"] == "identity-team@contoso.com" and "quarantine" in mail["subject"]
    letter = dash.get(f"outbox/{mail['id']}")
    assert letter["from"] == "Microsoft Azure <azure-noreply@microsoft.com>"
    assert "Genesys answered 401: Invalid login credentials." in letter["body"]

    # fix the secret, restart, recover
    token = dash.post("genesys/token")["token"]
    status, refused = dash.post("job/test-connection", ok=None, tenantUrl=SCIM, secretToken="not-a-token")
    assert status == 400 and "Response Status Code: Unauthorized" in refused["error"]["message"]
    dash.post("job/test-connection", tenantUrl=SCIM, secretToken=token)
    assert dash.post("job/credentials", tenantUrl=SCIM, secretToken=token,
                     notify="identity-team@contoso.com")["message"] == "Admin credentials and settings saved."
    dash.post("job/restart", resetScope=[])
    dash.post("clock/next-cycle")
    state = dash.state()
    assert state["overview"]["code"] == "Active" and state["overview"]["quarantine"] is None
    assert state["overview"]["lastCycle"]["kind"] == "initial"
    assert dash.user("allan.deyoung@contoso.com", state)["genesys"]["title"] == "Head of Finance"


def test_the_page_never_holds_a_secret(dash, client):
    dash.configured()
    token = dash.post("genesys/token")["token"]  # shown once, to the trainer who asked for it
    dash.post("job/credentials", tenantUrl=SCIM, secretToken=token)
    dash.post("clock/advance", duration="PT40M")
    dash.post("directory/user/create", displayName="Kai Jansen", userPrincipalName="kai.jansen@contoso.com")
    for body in (client.get("/").get_data(as_text=True), client.get("/dashboard/api/state").get_data(as_text=True),
                 client.get("/dashboard/api/logs?top=200").get_data(as_text=True)):
        assert token not in body and "provsim-purecloud-secret" not in body and "Pr0vsim!demo" not in body


# ---------------------------------------------------------------------------------- setup
def test_setup_buttons_refuse_what_the_portal_refuses(dash):
    status, body = dash.post("job/start", ok=None)
    assert status == 409 and body["error"]["message"].startswith("the PureCloud app has no provisioning job yet")
    dash.post("job/create")
    assert dash.post("job/create", ok=409)["error"]["code"] == "jobExists"
    assert dash.post("job/credentials", ok=400, tenantUrl=SCIM)["error"]["message"] == "the secret token is required"
    assert "tenant URL" in dash.post("job/credentials", ok=400, secretToken="x")["error"]["message"]
    assert "scope" in dash.post("job/credentials", ok=400, tenantUrl=SCIM, secretToken="x", scope="some")["error"]["message"]
    assert "e-mail" in dash.post("job/credentials", ok=400, tenantUrl=SCIM, secretToken="x", notify="nobody")["error"]["message"]
    assert dash.post("job/credentials", ok=400, tenantUrl="not a url", secretToken="x")["error"]["code"] == "Request_BadRequest"
    assert "resetScope" in dash.post("job/restart", ok=400, resetScope=["Everything"])["error"]["message"]
    token = dash.post("genesys/token")["token"]
    dash.post("job/credentials", tenantUrl=SCIM, secretToken=token, scope="all", preventDeletes=True, deleteThreshold=3,
              skipOutOfScopeDeletions=True)
    setup = dash.state()["setup"]
    assert setup["scope"] == "all" and setup["skipOutOfScopeDeletions"] is True
    assert setup["deleteThresholdEnabled"] is True and setup["deleteThreshold"] == 3
    # re-entering the settings without a token keeps the saved one
    assert dash.post("job/credentials", tenantUrl=SCIM, scope="assigned")["message"].endswith(
        "(the saved secret token is kept).")
    assert dash.post("job/test-connection", tenantUrl=SCIM)["message"].startswith("The supplied credentials are authorized")
    assert dash.user("ben.walters@contoso.com")["scope"]["inScope"] is False  # assigned scope again
    dash.post("job/start")
    assert dash.post("job/pause")["message"].startswith("Provisioning status: Off")
    assert dash.state()["overview"]["provisioningStatus"] == "Off"
    assert dash.post("clock/next-cycle", ok=409)["error"]["code"] == "NoCycleScheduled"
    assert "ForceDeletes" in dash.post("job/restart", resetScope=["Full", "ForceDeletes"])["message"]
    deleted = dash.post("job/delete")["message"]
    assert deleted.startswith("Provisioning job purecloud.") and dash.state()["job"] is None


def test_the_blank_tenant_adds_the_gallery_app_first(client):
    from simulator.app import create_app

    dash = Dashboard(create_app(ProvsimConfig(seed=0, fixture="blank")).test_client())
    state = dash.state()
    assert state["app"] is None and state["directory"]["groups"][0]["scope"]["inScope"] is False
    assert dash.post("job/create", ok=409)["error"]["code"] == "noApp"
    assert "added from the gallery" in dash.post("app/add")["message"]
    assert dash.state()["app"]["displayName"] == "PureCloud by Genesys"
    assert dash.post("app/add", ok=409)["error"]["code"] == "appExists"
    dash.post("job/create")
    assert dash.state()["overview"]["code"] == "NotConfigured"


def test_provision_on_demand_shows_steps_and_properties(dash):
    dash.configured(start=False)
    allan = dash.user("allan.deyoung@contoso.com")["id"]
    dash.post("directory/assign", principalId=allan, role="Supervisor")
    result = dash.post("job/provision-on-demand", objectId=allan, type="User")
    assert result["result"] == "Success" and result["action"] == "Create"
    assert [s["type"] for s in result["steps"]][:2] == ["import", "scoping"]
    assert {"name": "title", "old": None, "new": "Finance Manager"} in [
        {**p, "name": p["name"].split(":")[-1]} for p in result["modifiedProperties"]]
    assert dash.user("allan.deyoung@contoso.com")["genesys"]["state"] == "created"
    assert dash.post("job/provision-on-demand", ok=400, objectId="allan")["error"]["message"].startswith("the user or group")


# ------------------------------------------------------------------------------ directory
def test_directory_buttons_change_entra_through_graph(dash, runtime):
    directory = runtime.services["directory"]
    alex, nestor = dash.user("alex.wilber@contoso.com"), dash.user("nestor.wilke@contoso.com")
    msg = dash.post("directory/user/update", id=alex["id"], jobTitle="Senior Account Executive", department="Sales",
                    managerId=nestor["id"], accountEnabled=False)["message"]
    assert msg == ("Alex Wilber updated in Entra (jobTitle, accountEnabled, manager); "
                   "the next cycle sends it to Genesys.")
    row = dash.user("alex.wilber@contoso.com")
    assert row["jobTitle"] == "Senior Account Executive" and row["manager"]["displayName"] == "Nestor Wilke"
    assert row["accountEnabled"] is False and row["scope"]["state"] == "disabled"
    assert dash.post("directory/user/update", id=alex["id"], jobTitle="Senior Account Executive")["message"] == \
        "Alex Wilber: nothing changed."
    dash.post("directory/user/update", id=alex["id"], managerId="", accountEnabled=True, jobTitle="")
    row = dash.user("alex.wilber@contoso.com")
    assert row["manager"] is None and row["jobTitle"] is None and row["scope"]["inScope"] is True
    assert "manager" in dash.post("directory/user/update", ok=400, id=alex["id"], managerId=alex["id"])["error"]["message"]

    created = dash.post("directory/user/create", displayName="Kai Jansen", userPrincipalName="kai.jansen@contoso.com",
                        jobTitle="Support Agent", department="Support")
    assert created["message"].startswith("Kai Jansen created in Entra")
    assert directory.get_user("kai.jansen@contoso.com")["jobTitle"] == "Support Agent"
    assert "principal name" in dash.post("directory/user/create", ok=400, displayName="X", userPrincipalName="x")["error"]["message"]

    support = dash.group("Support")
    assert dash.post("directory/group/add-member", groupId=support["id"], userId=created["id"])["message"] == \
        "Kai Jansen added to Support."
    assert dash.user("kai.jansen@contoso.com")["scope"]["text"] == "Assigned through Support"
    dash.post("directory/group/remove-member", groupId=support["id"], userId=created["id"])
    assert "Kai Jansen" not in [m["displayName"] for m in dash.group("Support")["members"]]

    patti = dash.user("patti.fernandez@contoso.com")["id"]
    assert "soft delete" in dash.post("directory/user/delete", id=patti)["message"]
    row = dash.user("patti.fernandez@contoso.com")  # the deleted row keeps its real UPN
    assert row["deleted"] is True and row["scope"]["state"] == "deleted"
    assert dash.post("directory/user/restore", id=patti)["message"].startswith("Patti Fernandez restored")
    assert dash.user("patti.fernandez@contoso.com")["scope"]["text"] == "Assigned through Engineering"
    dash.post("directory/user/delete", id=patti)
    assert "permanently deleted" in dash.post("directory/user/purge", id=patti)["message"]
    assert not any(u["userPrincipalName"] == "patti.fernandez@contoso.com" for u in dash.state()["directory"]["users"])

    sales = dash.group("Sales")
    assert dash.post("directory/unassign", principalId=sales["id"])["message"] == \
        "Sales removed from PureCloud by Genesys."
    assert dash.user("joni.sherman@contoso.com")["scope"]["inScope"] is False
    assert dash.post("directory/unassign", ok=409, principalId=sales["id"])["error"]["code"] == "notAssigned"
    dash.post("directory/assign", principalId=sales["id"])
    assert dash.group("Sales")["scope"]["text"] == "Assigned (User): direct members are in scope"
    assert dash.post("directory/assign", ok=400, principalId=sales["id"])["error"]["code"] == "Request_BadRequest"
    ben = dash.user("ben.walters@contoso.com")["id"]
    assert dash.post("directory/assign", ok=400, principalId=ben, role="Owner")["error"]["message"].startswith(
        "the app has no role 'Owner'")


def test_the_directory_says_when_scoping_filters_apply(dash, app):
    from simulator.client import ProvsimClient

    job = dash.configured()
    assert dash.state()["directory"]["scopingFilters"] is False
    script = ProvsimClient.in_process(app)
    schema = script.schema(job)
    users = next(om for om in schema["synchronizationRules"][0]["objectMappings"] if om["sourceObjectName"] == "User")
    users["scope"] = {"groups": [{"name": "sales only", "clauses": [
        {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}]}]}
    script.put_schema(job, schema)
    assert dash.state()["directory"]["scopingFilters"] is True


# ---------------------------------------------------------------------------------- logs
def test_logs_filter_page_and_open_an_entry(dash):
    dash.configured()
    dash.post("clock/advance", duration="PT40M")
    creates = dash.get("logs", action="create", status="success", top=10)
    assert creates["filter"] == "provisioningAction eq 'create' and provisioningStatusInfo/status eq 'success'"
    assert len(creates["rows"]) == 10 and {r["action"] for r in creates["rows"]} == {"create"}
    second = dash.get("logs", action="create", status="success", top=10, skiptoken=creates["next"])
    third = dash.get("logs", action="create", status="success", top=10, skiptoken=second["next"])
    assert second["skip"] == 10 and third["next"] is None and len(third["rows"]) == 1  # 21 creates in all
    assert not {r["id"] for r in creates["rows"]} & {r["id"] for r in second["rows"]}
    alex = dash.get("logs", identity="Alex Wilber")
    assert {r["identity"] for r in alex["rows"]} == {"Alex Wilber"} and {r["action"] for r in alex["rows"]} == {"create", "update"}
    by_id = dash.get("logs", identity=alex["rows"][0]["sourceId"])
    assert [r["id"] for r in by_id["rows"]] == [r["id"] for r in alex["rows"]]
    window = dash.get("logs", since="2026-01-05T09:00:10", until="2026-01-05T09:00:11", top=100)
    assert window["rows"] and all("2026-01-05T09:00:10" <= r["at"] <= "2026-01-05T09:00:11.999Z" for r in window["rows"])
    missing = dash.get("logs", status="skipped", identity="Marketing")["rows"]
    assert [(r["action"], r["errorCode"]) for r in missing] == [("other", "GroupMissingInTarget")]
    initial = dash.state()["overview"]["lastCycleWithChanges"]
    cycle = initial["cycleId"]  # the Overview's counts are the cycle's log entries
    assert len(dash.get("logs", cycle=cycle, top=200)["rows"]) == sum(a["total"] for a in initial["actions"]) == 51

    create = next(r for r in alex["rows"] if r["action"] == "create")
    detail = dash.get(f"logs/{create['id']}")
    assert [s["type"] for s in detail["steps"]] == ["import", "scoping", "matching", "export"]
    assert {"name": "title", "old": None, "new": "Account Executive"} in [
        {**p, "name": p["name"].split(":")[-1]} for p in detail["modifiedProperties"]]
    assert detail["targetSystem"] == "PureCloud by Genesys" and detail["cycleId"] == cycle
    assert dash.get("logs/00000000-0000-0000-0000-000000000001", ok=404)["error"]["code"] == "notFound"
    assert dash.get("logs", ok=400, action="explode")["error"]["message"].startswith("unknown action")
    assert "date" in dash.get("logs", ok=400, since="yesterday")["error"]["message"]
    assert dash.get("logs", ok=400, top=0)["error"]["message"] == "a page holds 1 to 200 entries"


# ------------------------------------------------------------------------------ failures
def test_failure_presets_faults_and_tokens(dash, runtime):
    dash.configured()
    dash.post("clock/advance", duration="PT40M")
    on = dash.post("faults/preset", preset="outage", on=True)["message"]
    assert on.startswith("Genesys outage is on:")
    assert dash.post("faults/preset", preset="outage")["message"] == "Genesys outage is already on."
    state = dash.state()
    assert [p["active"] for p in state["failures"]["presets"]] == [True, False, False, False]
    assert state["failures"]["faults"][0]["status"] == 503
    dash.post("directory/user/update", id=dash.user("alex.wilber@contoso.com")["id"], jobTitle="Lead")
    dash.post("clock/advance", duration="PT40M")
    failed = {row["identity"]: row for row in dash.get("logs", status="failure")["rows"]}
    assert failed["Alex Wilber"]["errorCode"]  # (the missing group's lookup, Marketing, fails beside it)
    traffic = dash.state()["failures"]["traffic"]
    assert any(t["status"] == 503 and t["fault"] for t in traffic)
    assert dash.post("faults/preset", preset="outage", on=False)["message"] == "Genesys outage is off (1 fault rule removed)."
    for key in ("expired-token", "throttling", "drops"):
        dash.post("faults/preset", preset=key)
    rules = dash.state()["failures"]["faults"]
    assert [r.get("status") for r in rules] == [401, 429, None] and rules[1]["headers"] == {"Retry-After": "60"}
    assert rules[2]["drop"] is True
    assert dash.post("faults/preset", ok=400, preset="meteor")["error"]["message"].startswith("no preset")
    added = dash.post("faults/add", method="PATCH", path="/api/v2/scim/v2/Users/*", effect="status", status=500, times=2)
    assert added["message"] == "Fault rule added: PATCH /api/v2/scim/v2/Users/* -> answer 500."
    assert dash.post("faults/add", ok=400, status=200)["error"]["message"].startswith("the status is an HTTP error")
    assert dash.post("faults/add", ok=400, effect="explode")["error"]["message"] == "effect is status or drop"
    dash.post("faults/remove", id=added["id"])
    assert len(dash.state()["failures"]["faults"]) == 3
    assert dash.post("faults/remove", ok=404, id="nope")["error"]["code"] == "notFound"
    assert dash.post("faults/clear")["message"].startswith("Every fault rule cleared")
    assert dash.state()["failures"]["faults"] == []
    assert dash.post("tokens/revoke")["message"] == "1 token of the OAuth client 'provsim-purecloud-client' revoked."
    assert dash.post("tokens/expire")["message"].endswith("expired now: the saved secret token no longer works.")


def test_reset_returns_to_the_fixture(dash):
    dash.configured()
    dash.post("clock/advance", duration="PT40M")
    assert dash.post("reset")["message"] == \
        "Simulator reset to the tenant fixture's first state (virtual time 2026-01-05T09:00:00Z)."
    state = dash.state()
    assert state["job"] is None and state["now"] == "2026-01-05T09:00:00Z"
    assert dash.user("alex.wilber@contoso.com", state)["genesys"]["state"] == "missing"


# ------------------------------------------------------------------------------- stories
def test_a_library_story_one_step_per_click(dash):
    library = {s["name"]: s for s in dash.get("stories")["value"]}
    assert {"demo", "first-cycle", "genesys-outage", "mass-deletion", "large-tenant-10k"} <= set(library)
    assert library["demo"]["steps"] == 17 and library["genesys-outage"]["description"].startswith(
        load_scenario("genesys-outage").description[:40])
    dash.configured()  # loading a story resets what the trainer did before
    loaded = dash.post("story/load", name="demo")["message"]
    assert loaded == "Story 'demo' loaded: the simulator was reset to its tenant. 17 steps to go."
    story = dash.state()["story"]
    assert story["position"] == 0 and story["steps"][0]["text"].startswith("Tutorial step 2")
    assert dash.state()["job"] is None
    first = dash.post("story/step")
    assert first["message"].startswith("Step 1 of 17: Tutorial step 2") and first["outcome"]["state"] == "ok"
    for _ in range(3):
        dash.post("story/step")
    story = dash.state()["story"]
    assert story["position"] == 4 and story["steps"][3]["outcome"]["cycles"] == 2
    assert {"what": "create success", "count": 21} in story["steps"][3]["outcome"]["entries"]
    assert dash.state()["overview"]["code"] == "Active"  # the story's job is the page's job
    expect = dash.post("story/step")["outcome"]
    assert expect["state"] == "ok" and "expect genesys_users: ok" in expect["lines"]
    for _ in range(12):
        dash.post("story/step")
    story = dash.state()["story"]
    assert story["finished"] and all(s["outcome"]["state"] == "ok" for s in story["steps"])
    assert dash.post("story/step", ok=409)["error"]["code"] == "storyOver"
    assert dash.post("story/close")["message"].startswith("Story closed")
    assert dash.state()["story"] is None
    assert dash.post("story/step", ok=409)["error"]["code"] == "noStory"
    assert dash.post("story/load", ok=404, name="nope")["error"]["code"] == "notFound"


def test_a_failure_story_from_the_library_steps_through_to_its_quarantine_and_recovery(dash):
    steps = dash.post("story/load", name="genesys-outage")["message"]
    assert steps.startswith("Story 'genesys-outage' loaded")
    seen_quarantine = False
    while not dash.state()["story"]["finished"]:
        dash.post("story/step")
        seen_quarantine = seen_quarantine or bool(dash.state()["overview"].get("quarantine"))
    story = dash.state()["story"]
    assert all(s["outcome"]["state"] == "ok" for s in story["steps"]), [s["outcome"] for s in story["steps"]]
    assert seen_quarantine and dash.state()["overview"]["code"] == "Active"


def test_the_generated_10k_story_is_refused_with_the_command_that_runs_it(dash):
    assert [s["name"] for s in dash.get("stories")["value"] if s["generated"]] == ["large-tenant-10k"]
    refused = dash.post("story/load", ok=409, name="large-tenant-10k")["error"]["message"]
    assert "runs on a generated tenant" in refused and "provsim scenario run large-tenant-10k" in refused


def test_a_story_for_another_tenant_is_refused():
    from simulator.app import create_app

    dash = Dashboard(create_app(ProvsimConfig(seed=0, fixture="blank")).test_client())
    refused = dash.post("story/load", ok=409, name="demo")["error"]["message"]
    assert "runs on the 'contoso' tenant" in refused and "provsim serve --fixture contoso" in refused


# ---------------------------------------------------------------------------- protection
def test_cross_site_posts_are_refused_and_the_pages_own_post_is_accepted(app):
    strange = app.test_client()  # never loaded the page: no form cookie
    for action, body in (("clock/advance", {"duration": "PT1H"}), ("reset", {}), ("tokens/expire", {}),
                         ("job/create", {})):
        resp = strange.post(f"/dashboard/api/{action}", json=body)
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden", action
    page = app.test_client()
    page.get("/")
    # another origin, or a browser's cross-site fetch, is refused before the view (the middleware)
    assert page.post("/dashboard/api/clock/advance", json={"duration": "PT1H"},
                     headers={"Origin": "https://attacker.example"}).status_code == 403
    assert page.post("/dashboard/api/clock/advance", json={"duration": "PT1H"},
                     headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    # an HTML form (what a cross-site page can send without preflight) is not JSON
    form = page.post("/dashboard/api/clock/advance", data={"duration": "PT1H"})
    assert form.status_code == 415 and form.get_json()["error"]["code"] == "unsupportedMediaType"
    assert page.get("/dashboard/api/state").get_json()["now"] == "2026-01-05T09:00:00Z"  # nothing moved
    own = page.post("/dashboard/api/clock/advance", json={"duration": "PT1H"},
                    headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200 and page.get("/dashboard/api/state").get_json()["now"] == "2026-01-05T10:00:00Z"


def test_a_rebound_host_cannot_read_the_state(served):
    import httpx

    with httpx.Client(base_url=served.url) as c:
        assert c.get("/dashboard/api/state", headers={"Host": "attacker.example"}).status_code == 403
        assert c.get("/dashboard/api/state").json()["now"] == "2026-01-05T09:00:00Z"


def test_errors_are_json_and_the_clock_form_works_without_javascript(dash, client):
    status, body = dash.post("no/such/action", ok=None)
    assert status == 404 and body["error"]["message"] == "the dashboard has no action 'no/such/action'"
    resp = client.get("/dashboard/api/nothing-here")  # only actions live there, and they are posted
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "methodNotAllowed"
    assert dash.get("outbox/nope", ok=404)["error"]["code"] == "notFound"
    assert client.post("/dashboard/api/clock/advance", data="[1]", content_type="application/json").status_code == 400
    assert dash.post("clock/advance", ok=400, duration="forty minutes")["error"]["message"].startswith("not an ISO-8601")
    moved = client.post("/dashboard/advance", data={"duration": "PT40M"})
    assert moved.status_code == 302
    assert "Advanced PT40M to 2026-01-05T09:40:00Z" in client.get(moved.headers["Location"]).get_data(as_text=True)


# ------------------------------------------------------------------------ contract checks
def test_every_action_is_tested_and_every_call_exists():
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [name for name in web_actions.ACTIONS if f'"{name}"' not in source]
    assert untested == []
    page = (WEB / "templates" / "dashboard.html").read_text(encoding="utf-8")
    script = (WEB / "static" / "dashboard.js").read_text(encoding="utf-8")
    called = set(re.findall(r'data-action="([a-z/-]+)"', page)) | set(re.findall(r'act\("([a-z/-]+)"', script)) | set(
        re.findall(r'btn\([^,]+, "([a-z/-]+)"', script))
    assert called and called <= set(web_actions.ACTIONS), called - set(web_actions.ACTIONS)


# ------------------------------------------------------------------------- pure helpers
def test_log_filter_builds_graph_filters():
    assert model.log_filter() == ""
    assert model.log_filter(identity="O'Neil") == (
        "(contains(sourceIdentity/displayName,'O''Neil') or contains(targetIdentity/displayName,'O''Neil'))")
    assert model.log_filter(since="2026-01-05", until="2026-01-05T10:00") == (
        "activityDateTime ge 2026-01-05T00:00:00Z and activityDateTime le 2026-01-05T10:00:00Z")
    with pytest.raises(ValueError, match="unknown status"):
        model.log_filter(status="fine")


def test_quarantine_advice_and_cycle_counts():
    assert "ForceDeletes" in model.quarantine_advice({"reason": "TooManyDeletes"})
    assert "failures in the provisioning logs" in model.quarantine_advice({"reason": "EncounteredEscrowProportionThreshold"})
    entries = [{"provisioningAction": a, "provisioningStatusInfo": {"status": s}}
               for a, s in (("update", "success"), ("create", "failure"), ("create", "success"), ("other", "skipped"))]
    assert [(r["action"], r["success"], r["failure"], r["total"]) for r in model.cycle_counts(entries)] == [
        ("create", 1, 1, 2), ("update", 1, 0, 1), ("other", 0, 0, 1)]
    assert model.deleted_upn("12db36c2a0c84d1b8af6c267cd7b5da4patti.fernandez@contoso.com") == "patti.fernandez@contoso.com"
