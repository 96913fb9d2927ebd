"""The dashboard's answers for what issue 24 added, asserted on the JSON the page draws.

The tutorial's Genesys side (OAuth clients, groups, people through the Platform API), the Mappings
page (Save is one PUT of the schema, every refusal named where it belongs; Test expression), the
wire behind each provisioning log entry, the side-by-side view of a user, the plain-words
accounts, Assign with a role, the notification tick box, the quarantine advice followed as
written, stale edits refused, and ``/dashboard``.  The browser tests (tests/browser) click the
same things.
"""

from __future__ import annotations

import json

import pytest
from test_dashboard import SCIM, Dashboard

from simulator.client import ProvsimClient
from simulator.core import ProvsimConfig
from simulator.web import plain

USERS = "Provision Azure Active Directory Users"


@pytest.fixture
def dash(client) -> Dashboard:
    return Dashboard(client)


@pytest.fixture
def blank():
    from simulator.app import create_app

    app = create_app(ProvsimConfig(seed=0, fixture="blank"))
    return Dashboard(app.test_client()), app


def _role(dash: Dashboard, name: str) -> str:
    return next(r["id"] for r in dash.get("genesys")["roles"] if r["name"] == name)


# ---------------------------------------------------------------------- Genesys admin pages
def test_the_genesys_side_of_the_tutorial_through_the_platform_api(blank):
    dash, app = blank
    page = dash.get("genesys")
    assert [c["id"] for c in page["clients"]] == ["provsim-purecloud-client"]
    assert [r["name"] for r in page["roles"]] == ["admin", "employee", "SCIM Provisioning", "Directory Viewer",
                                                  "Supervisor"]
    assert page["groups"] == [] and page["users"] == [] and page["divisions"][0]["home"] is True

    # 2.1 an OAuth client with the SCIM role; the secret is in the answer that creates it, and only there
    created = dash.post("genesys/client/create", name="Entra ID provisioning", roles=[_role(dash, "SCIM Provisioning")])
    assert created["message"].startswith("OAuth client 'Entra ID provisioning' created. Copy the client secret now")
    client_id, secret = created["client"]["id"], created["client"]["secret"]
    listed = next(c for c in dash.get("genesys")["clients"] if c["id"] == client_id)
    assert listed["roles"] == [{"role": "SCIM Provisioning", "division": "Home"}]
    assert secret not in json.dumps(dash.get("genesys")) and secret not in json.dumps(dash.state())
    bare = dash.post("genesys/client/create", name="No roles")
    assert "It has no roles: its token will get 403 on every SCIM call" in bare["message"]
    assert dash.post("genesys/client/create", ok=400, name="")["error"]["message"] == "the app name is required"
    assert dash.post("genesys/client/create", ok=400, name="x", roles="admin")["error"]["message"] == \
        "roles is a list of role ids"

    # 2.2 a token with it (Setup's "Use another OAuth client"), and the refusals a trainer can meet
    token = dash.post("genesys/token", clientId=client_id, clientSecret=secret)["token"]
    assert dash.post("genesys/token", ok=400, clientId=client_id)["error"]["message"].startswith(
        "the client secret is required")
    wrong = dash.post("genesys/token", ok=400, clientId=client_id, clientSecret="nope")["error"]["message"]
    assert wrong.startswith(f"Genesys refused the OAuth client '{client_id}'")

    # 2.3 groups named like the Entra groups; the fake's rules stand
    for name in ("Sales", "Support", "Engineering"):
        assert dash.post("genesys/group/create", name=name)["message"].startswith(f"Genesys group '{name}' created")
    twice = dash.post("genesys/group/create", ok=409, name="engineering")["error"]
    assert twice == {"code": "general.conflict", "message": "A group with the name 'engineering' already exists."}
    assert dash.post("genesys/group/create", ok=400, name="X", type="team")["error"]["message"] == \
        "the group type is official or social"
    groups = {g["name"]: g for g in dash.get("genesys")["groups"]}
    assert {n: g["entra"] for n, g in groups.items()} == {"Engineering": "Engineering", "Sales": "Sales",
                                                          "Support": "Support"}

    # the rest of the tutorial, then what Genesys holds: people with their roles and groups
    dash.post("app/add")
    for name in ("Sales", "Support", "Engineering"):
        dash.post("directory/assign", principalId=dash.group(name)["id"])
    dash.post("job/create")
    dash.post("job/test-connection", tenantUrl=SCIM, secretToken=token)
    dash.post("job/credentials", tenantUrl=SCIM, secretToken=token)
    dash.post("job/start")
    dash.post("clock/advance", duration="PT40M")
    page = dash.get("genesys")
    assert {g["name"]: g["members"] for g in page["groups"]} == {"Engineering": 5, "Sales": 6, "Support": 7}
    megan = next(u for u in page["users"] if u["email"] == "megan.bowen@contoso.com")
    assert megan["groups"] == ["Sales"] and megan["roles"] == ["employee"] and megan["state"] == "active"
    assert page["usersTotal"] == 18 and megan["division"] == "Home"

    # a rename starts from the group's version; a cycle that changed its members makes an old page stale
    sales = groups["Sales"]
    stale = dash.post("genesys/group/rename", ok=409, id=sales["id"], version=sales["version"], name="Sales EMEA")
    assert stale["error"]["code"] == "staleEdit" and stale["error"]["message"].startswith(
        "Not saved: the group changed since you opened it")
    fresh = next(g for g in page["groups"] if g["name"] == "Sales")
    assert "renamed to 'Sales EMEA'" in dash.post("genesys/group/rename", id=sales["id"], version=fresh["version"],
                                                  name="Sales EMEA")["message"]
    assert dash.group("Sales")["genesys"]["text"] == "Linked to the Genesys group 'Sales EMEA' (6 members)"
    assert dash.post("genesys/group/rename", ok=400, id=sales["id"], name="X")["error"]["message"].startswith(
        "version is the group's version")
    assert dash.group("Sales")["genesys"]["state"] == "exists"  # linked by id since the first cycle
    assert dash.post("genesys/group/delete", id=sales["id"])["message"].startswith("Genesys group deleted")
    assert dash.group("Sales")["genesys"]["state"] == "missing"

    # deleting the client Entra's token came from: Genesys revokes its tokens
    assert dash.post("genesys/client/delete", ok=409, id="provsim-purecloud-client")["error"]["code"] == \
        "bootstrapClient"
    assert "Genesys revoked its tokens" in dash.post("genesys/client/delete", id=client_id)["message"]
    refused = dash.post("job/test-connection", ok=400, tenantUrl=SCIM, secretToken=token)["error"]["message"]
    assert "401" in refused


def test_reading_the_genesys_pages_mints_no_token(dash):
    for _ in range(3):
        assert len(dash.get("genesys")["users"]) == 2  # the contoso org's own two
    assert dash.post("tokens/revoke")["message"] == "0 tokens of the OAuth client 'provsim-purecloud-client' revoked."


def test_the_genesys_pages_read_on_after_every_token_expired(dash):
    """The page reads Genesys as the admin client; expiring every token (Failures) must not lock it out."""
    assert dash.get("genesys")["clients"]
    dash.post("tokens/expire")
    assert "Engineering" in [g["name"] for g in dash.get("genesys")["groups"]]
    dash.post("tokens/revoke")
    assert dash.post("genesys/group/create", name="Marketing")["message"].startswith("Genesys group 'Marketing'")


# ------------------------------------------------------------------------------ Mappings
def test_mappings_in_the_portals_words_and_saved_as_one_schema_put(dash, app):
    assert dash.get("mappings") == {"missing": "the PureCloud app has no provisioning job yet: create it in Setup; "
                                               "the Mappings come with it, from the app's template",
                                    "objectMappings": []}
    job = dash.configured()
    page = dash.get("mappings")
    users, groups = page["objectMappings"]
    assert (users["name"], users["matchingAttributes"], users["actions"]) == (
        USERS, ["userName"], {"create": True, "update": True, "delete": True})
    assert groups["matchingAttributes"] == ["displayName"] and groups["scope"] == []
    rows = {r["target"]: r for r in users["attributes"]}
    assert (rows["userName"]["type"], rows["userName"]["source"], rows["userName"]["precedence"]) == (
        "Direct", "userPrincipalName", 1)
    assert (rows["active"]["type"], rows["active"]["expression"]) == ("Expression", "Not([IsSoftDeleted])")
    assert "EQUALS" in page["operators"] and page["applyWhen"][1] == {"value": "ObjectAddOnly",
                                                                     "text": "Only during object creation"}
    settings = {s["name"]: s for s in page["settings"]}
    assert (settings["QuarantineTooManyDeletesThreshold"]["value"], settings["QuarantineTooManyDeletesThreshold"]["default"]) \
        == ("500", "500")

    # Save: title from an expression, a constant, a scoping filter, no deletes; one PUT of the whole schema
    attrs = [dict(r) for r in users["attributes"]]
    title = next(r for r in attrs if r["target"] == "title")
    title.update(type="Expression", expression='Join(" - ", [department], [jobTitle])')
    attrs.append({"target": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division", "type": "Constant",
                  "constant": "Home", "applyWhen": "ObjectAddOnly"})
    saved = dash.post("mappings/save", objectMapping=USERS, attributes=attrs,
                      actions={"create": True, "update": True, "delete": False},
                      scope=[{"clauses": [{"attribute": "department", "operator": "EQUALS", "value": "Sales"}]}])
    assert saved["message"].startswith(f"Mappings saved: '{USERS}' (10 attribute mappings)")
    schema = ProvsimClient.in_process(app).schema(job)
    mapping = next(om for om in schema["synchronizationRules"][0]["objectMappings"] if om["name"] == USERS)
    graph_title = next(a for a in mapping["attributeMappings"] if a["targetAttributeName"] == "title")
    assert graph_title["source"]["type"] == "Function" and graph_title["source"]["name"] == "Join"
    assert graph_title["source"]["expression"] == 'Join(" - ", [department], [jobTitle])'
    assert mapping["flowTypes"] == "Add, Update" and mapping["scope"]["groups"][0]["clauses"] == [
        {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}]
    division = next(a for a in mapping["attributeMappings"] if a["targetAttributeName"].endswith(":division"))
    assert division["source"] == {"expression": '"Home"', "name": "Home", "parameters": [], "type": "Constant"}
    assert division["flowType"] == "ObjectAddOnly"
    assert dash.state()["directory"]["scopingFilters"] is True
    dash.post("clock/advance", duration="PT40M")
    alex = dash.user("alex.wilber@contoso.com")["genesys"]
    assert alex["state"] == "created" and alex["title"] == "Sales - Account Executive"  # the new mapping flowed
    assert dash.user("lynne.robbins@contoso.com")["genesys"]["state"] == "missing"  # out of the filter's scope

    # refusals, each named where it belongs (the details' target is the element's label)
    broken = [dict(r) for r in dash.get("mappings")["objectMappings"][0]["attributes"]]
    next(r for r in broken if r["target"] == "title")["expression"] = 'Join(" ", [department]'
    next(r for r in broken if r["target"] == "displayName")["source"] = ""
    error = dash.post("mappings/save", ok=400, objectMapping=USERS, attributes=broken)["error"]
    assert error["code"] == "InvalidSchema" and error["message"].startswith("Not saved: ")
    assert {d["target"] for d in error["details"]} == {
        f"Attribute mapping to 'title' in object mapping '{USERS}'",
        f"Attribute mapping to 'displayName' in object mapping '{USERS}'"}
    twice = [dict(r) for r in dash.get("mappings")["objectMappings"][0]["attributes"]]
    twice.append({**next(r for r in twice if r["target"] == "title"), "type": "Direct", "source": "department"})
    refused = dash.post("mappings/save", ok=400, objectMapping=USERS, attributes=twice)["error"]  # Graph's own check
    assert any(d["target"] == f"Attribute mapping to 'title' in object mapping '{USERS}'" and "already mapped"
               in d["message"] for d in refused["details"])
    assert dash.post("mappings/save", ok=404, objectMapping="Nope", attributes=[])["error"]["code"] == "notFound"
    # nothing refused was stored: the schema is the one saved before
    assert ProvsimClient.in_process(app).schema(job) == schema


def test_test_expression_and_job_settings(dash):
    dash.configured(start=False)
    allan = dash.user("allan.deyoung@contoso.com")["id"]
    answer = dash.post("mappings/test-expression", expression='Join(", ", [surname], [givenName])', userId=allan)
    assert answer["message"] == "For Allan Deyoung: Deyoung, Allan" and answer["result"] == ["Deyoung, Allan"]
    assert dash.post("mappings/test-expression", expression="[jobTitle]")["message"] == \
        "The expression parses. Pick a user to evaluate it."
    bad = dash.post("mappings/test-expression", expression='Join(" ", [surname]', userId=allan)
    assert bad["parsed"] is False and bad["message"].startswith("The expression does not parse: ")
    assert "position" in bad["error"]
    assert dash.post("mappings/test-expression", ok=400, expression="")["error"]["message"] == \
        "the expression is required"
    saved = dash.post("mappings/settings", settings=[{"name": "QuarantineTooManyDeletesThreshold", "value": "7"}])
    assert saved["message"] == "Job settings saved (QuarantineTooManyDeletesThreshold)."
    assert _setting(dash, "QuarantineTooManyDeletesThreshold")["value"] == "7"
    refused = dash.post("mappings/settings", ok=400, settings=[{"name": "QuarantineTooManyDeletesThreshold",
                                                                "value": "none"}])
    assert "QuarantineTooManyDeletesThreshold" in refused["error"]["message"]
    assert _setting(dash, "QuarantineTooManyDeletesThreshold")["value"] == "7"  # nothing refused was stored


def test_job_settings_are_the_engines_typed_table(dash):
    """The Mappings page edits every setting the engine reads (engine.job_settings), with what each takes;
    a bad value is refused beside the setting it is about and nothing of the save is stored."""
    from simulator.engine.job_settings import JOB_SETTINGS

    dash.configured(start=False)
    rows = dash.get("mappings")["settings"]
    known = [r for r in rows if r["known"]]
    assert [r["name"] for r in known] == [s.name for s in JOB_SETTINGS]
    profile = _setting(dash, "TargetProfile")
    assert (profile["value"], profile["default"], profile["expected"]) == (None, "genesys", "one of genesys, scim")
    refused = dash.post("mappings/settings", ok=400, settings=[
        {"name": "QuarantineSuccessiveCompleteFailures", "value": "3"},
        {"name": "QuarantineMaximumDuration", "value": "four weeks"},
        {"name": "TargetProfile", "value": "okta"}])
    assert [d["target"] for d in refused["error"]["details"]] == [
        "Job setting 'QuarantineMaximumDuration'", "Job setting 'TargetProfile'"]
    assert refused["error"]["message"].startswith("Not saved: QuarantineMaximumDuration: 'four weeks' is not an ISO")
    assert _setting(dash, "QuarantineSuccessiveCompleteFailures")["value"] is None  # the good one was not saved either
    # a blank field keeps the default; a setting provsim does not read is kept as it came
    saved = dash.post("mappings/settings", settings=[{"name": "QuarantineSuccessiveCompleteFailures", "value": "3"},
                                                     {"name": "TargetProfile", "value": ""},
                                                     {"name": "AzureIngestionAttributeOptimization", "value": "False"}])
    assert saved["message"] == "Job settings saved (QuarantineSuccessiveCompleteFailures, AzureIngestionAttributeOptimization)."
    assert _setting(dash, "QuarantineSuccessiveCompleteFailures")["value"] == "3"
    assert _setting(dash, "TargetProfile")["value"] is None
    assert _setting(dash, "AzureIngestionAttributeOptimization") == {
        "name": "AzureIngestionAttributeOptimization", "value": "False", "known": False}


def _setting(dash, name: str) -> dict:
    return next(r for r in dash.get("mappings")["settings"] if r["name"] == name)


def test_blank_job_settings_save_nothing(dash):
    dash.configured(start=False)
    assert dash.post("mappings/settings", ok=400, settings=[{"name": "TargetProfile", "value": ""}])["error"][
        "message"] == "no setting has a value to save"
    assert dash.post("mappings/settings", ok=400, settings=[])["error"]["message"] == "settings is a list of {name, value}"


# --------------------------------------------------------------------------- the wire, side by side
def test_each_log_entry_shows_the_requests_to_genesys(dash):
    dash.configured()
    dash.post("clock/advance", duration="PT40M")
    create = dash.get("logs", identity="Alex Wilber", action="create")["rows"][0]
    wire = dash.get(f"logs/{create['id']}")["wire"]
    assert wire["state"] == "complete"
    lookup, post = wire["exchanges"]
    assert (lookup["method"], lookup["path"], lookup["status"]) == ("GET", "/Users", 200)
    assert "alex.wilber" in lookup["query"] and json.loads(lookup["response"])["totalResults"] == 0
    assert (post["method"], post["path"], post["status"]) == ("POST", "/Users", 201)
    assert json.loads(post["request"])["userName"] == "alex.wilber@contoso.com"
    assert json.loads(post["response"])["id"] == create["targetId"]
    lee = dash.get("logs", identity="Lee Gu")["rows"][0]  # disabled in Entra: decided without Genesys
    assert dash.get(f"logs/{lee['id']}")["wire"] == {
        "state": "none", "exchanges": [], "note": "No request to Genesys: the service decided this without calling "
                                                  "Genesys."}
    # one transient error: a 503 once, the retry in a later cycle succeeds, each entry shows its own exchange
    dash.post("faults/add", method="PATCH", path="/api/v2/scim/v2/Users/*", status=503, times=1)
    dash.post("directory/user/update", id=dash.user("alex.wilber@contoso.com")["id"], jobTitle="Lead")
    dash.post("clock/advance", duration="PT40M")
    failed = dash.get("logs", identity="Alex Wilber", status="failure")["rows"][0]
    exchanges = dash.get(f"logs/{failed['id']}")["wire"]["exchanges"]
    assert [(x["method"], x["status"], bool(x["fault"])) for x in exchanges][-1] == ("PATCH", 503, True)
    dash.post("reset")
    assert dash.get("logs/" + create["id"], ok=404)  # the entry is gone with the reset; no stale wire either


def test_noting_the_wire_never_stops_a_cycle(dash, app, monkeypatch, caplog):
    from simulator.web.wire import WireWatch

    def broken(self, event, data):
        raise RuntimeError("the page's bookkeeping broke")

    monkeypatch.setattr(WireWatch, "_note", broken)
    dash.configured()
    assert "2 provisioning cycles ran (49 changes sent to Genesys)" in dash.post("clock/advance", duration="PT40M")["message"]
    assert "could not note the requests" in caplog.text
    create = dash.get("logs", identity="Alex Wilber", action="create")["rows"][0]
    assert dash.get(f"logs/{create['id']}")["wire"]["state"] == "unknown"


def test_side_by_side_entra_mapped_genesys(dash):
    allan = dash.user("allan.deyoung@contoso.com")["id"]
    assert dash.get(f"compare/{allan}", ok=409)["error"]["code"] == "noJob"
    dash.configured()
    before = dash.get(f"compare/{allan}")
    assert before["inGenesys"] is False and {r["state"] for r in before["rows"]} == {"missing"}
    dash.post("directory/assign", principalId=allan)
    dash.post("clock/advance", duration="PT40M")
    same = dash.get(f"compare/{allan}")
    assert same["differences"] == 0 and {r["state"] for r in same["rows"]} == {"same"}
    manager = next(r for r in same["rows"] if r["target"].endswith(":manager"))
    assert manager["mapped"] == manager["genesys"] == "Nestor Wilke"  # references by name, on both sides
    dash.post("directory/user/update", id=allan, jobTitle="Head of Finance")
    changed = dash.get(f"compare/{allan}")
    title = next(r for r in changed["rows"] if r["target"] == "title")
    assert (title["entra"], title["mapped"], title["genesys"], title["state"]) == (
        "jobTitle = Head of Finance", "Head of Finance", "Finance Manager", "differs")
    assert changed["differences"] == 1
    assert dash.get("compare/nobody", ok=404)["error"]["code"] == "notFound"


# ------------------------------------------------------------------------------ plain words
def test_plain_words_are_built_from_the_logs(dash):
    dash.configured()
    dash.post("clock/advance", duration="PT40M")
    words = dash.state()["overview"]["lastCycleWithChanges"]["account"]
    assert words.startswith("Nestor Wilke, Alex Wilber, Lidia Holloway, Diego Siciliani and 17 others were created "
                            "in Genesys; Megan Bowen already existed in Genesys")
    assert "Sales gained 6 members" in words
    assert "Marketing is still missing in Genesys, so its members were skipped" in words
    assert "Lee Gu was skipped: disabled in Entra" in words
    assert dash.state()["overview"]["lastCycle"]["account"] == \
        "Nothing needed to change, so nothing was sent to Genesys."
    dash.post("tokens/expire")
    dash.post("directory/user/update", id=dash.user("alex.wilber@contoso.com")["id"], jobTitle="Lead")
    dash.post("clock/advance", duration="PT40M")
    words = dash.state()["overview"]["lastCycle"]["account"]
    assert words.startswith("The cycle failed (Unauthorized). Alex Wilber could not be provisioned: Genesys answered "
                            "401") and "retries" not in words  # a 401 stops the job: nothing is retried


def test_story_steps_are_told_in_plain_words(dash):
    dash.post("story/load", name="attribute-sync")
    story = dash.state()["story"]
    assert not any("${" in s["text"] for s in story["steps"])  # references are names, not shorthand
    texts = [s["text"] for s in story["steps"]]
    assert "In Entra, make Nestor Wilke the manager of Alex Wilber" in texts  # an untitled Graph step, in words
    assert "In Genesys, an admin's own request: change a user by hand (PATCH /Users/{genesys alex})" in texts
    outcomes = [dash.post("story/step")["outcome"] for _ in range(story["total"])]
    initial, changed = [o["account"] for o in outcomes if o["cycles"]][:2]
    assert initial.startswith("1 provisioning cycle ran (an initial cycle); the job is active. ")
    assert "were created in Genesys" in initial
    assert changed.startswith("1 provisioning cycle ran; the job is active. Alex Jansen: user name, name, work e-mail")
    checks = [o["account"] for o in outcomes if o["account"].endswith("Every check held.")]
    assert checks


def test_plain_words_helpers():
    assert plain.names(["A"]) == "A" and plain.names(["A", "B"]) == "A and B"
    assert plain.names(list("ABCDEF")) == "A, B, C, D and 2 others"
    assert plain.attribute_words("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department") == \
        "department"
    assert plain.duration_words("PT40M") == "40 minutes" and plain.duration_words("P1DT6H") == "1 day 6 hours"
    entry = {"provisioningAction": "update", "activityDateTime": "2026-01-05T09:00:00Z",
             "sourceIdentity": {"displayName": "Alex", "identityType": "User"},
             "provisioningStatusInfo": {"status": "failure", "errorInformation": {
                 "errorCode": "ServiceUnavailable", "reason": "Genesys answered 503. More words.",
                 "recommendedAction": "The change is retried automatically by the next cycle."}}}
    assert plain.account([entry]) == "Alex could not be provisioned: Genesys answered 503; the service retries later."
    assert plain.account([]) == "Nothing needed to change, so nothing was sent to Genesys."
    assert plain.step_words("advance", {"duration": "PT6H"}, str) == "Move the clock 6 hours"


# -------------------------------------------------------------------------- observations 4, 5, 9, 10
def test_assign_with_a_role_and_the_notification_tick_box(dash, app):
    dash.configured(start=False)
    ben = dash.user("ben.walters@contoso.com")["id"]
    assert dash.post("directory/assign", principalId=ben, role="Supervisor")["message"] == \
        "Ben Walters assigned to PureCloud by Genesys with the role Supervisor."
    assert dash.user("ben.walters@contoso.com")["scope"]["text"] == "Assigned (Supervisor)"
    dash.post("directory/unassign", principalId=ben)
    default = dash.post("directory/assign", principalId=ben, role="Default Access")["message"]
    assert "since July 2020 the service provisions them like any other role" in default
    token = dash.post("genesys/token")["token"]
    # an address without the tick box: stored, but no e-mail is sent (as the portal's SyncNotificationSettings)
    dash.post("job/credentials", tenantUrl=SCIM, secretToken=token, notify="ops@contoso.com", notifyEnabled=False)
    stored = json.loads(next(s["value"] for s in ProvsimClient.in_process(app).secrets()
                             if s["key"] == "SyncNotificationSettings"))
    assert stored["Enabled"] is False and stored["Recipients"] == "ops@contoso.com"
    assert dash.state()["setup"]["notifyEnabled"] is False
    refused = dash.post("job/credentials", ok=400, tenantUrl=SCIM, notifyEnabled=True)["error"]
    assert refused["details"] == [{"target": "notify", "message": "required when e-mail notifications are on"}]
    dash.post("job/start")
    dash.post("tokens/expire")
    dash.post("clock/advance", duration="PT40M")
    assert dash.state()["overview"]["quarantine"]["notifications"] == 0  # the box was not ticked


def test_the_setup_page_reads_the_notification_settings_as_the_engine_does(dash, app):
    """The tick boxes show what the engine will do with SyncNotificationSettings (engine.job_settings):
    a script's address without "Enabled" sends e-mail, "Enabled": "False" (a string) does not, and the
    accidental-deletion guard is opt-in (issue 19): a Setup save that leaves its box alone keeps it off."""
    from simulator.engine.job_settings import NotificationSettings

    dash.configured(start=False)
    script = ProvsimClient.in_process(app)

    def notifications(value: dict) -> dict:
        kept = [s for s in script.secrets() if s["key"] != "SyncNotificationSettings"]
        script.put_secrets(kept + [{"key": "SyncNotificationSettings", "value": json.dumps(value)}])
        return dash.state()["setup"]

    assert notifications({"Recipients": "ops@contoso.com"})["notifyEnabled"] is True
    assert NotificationSettings.parse(json.dumps({"Recipients": "ops@contoso.com"})).sends
    off = notifications({"Enabled": "False", "Recipients": "ops@contoso.com", "DeleteThresholdEnabled": "false"})
    assert (off["notifyEnabled"], off["deleteThresholdEnabled"]) == (False, False)
    on = notifications({"Enabled": "true", "Recipients": "ops@contoso.com", "DeleteThresholdEnabled": "True",
                        "DeleteThresholdValue": "20"})
    assert (on["notifyEnabled"], on["deleteThresholdEnabled"], on["deleteThreshold"]) == (True, True, 20)
    # Save on the Setup page without the "Prevent accidental deletion" box: the guard stays off
    dash.post("job/credentials", tenantUrl=SCIM, notify="ops@contoso.com", notifyEnabled=True)
    stored = json.loads(next(s["value"] for s in script.secrets() if s["key"] == "SyncNotificationSettings"))
    assert stored == {"Enabled": True, "Recipients": "ops@contoso.com", "DeleteThresholdEnabled": False}
    assert dash.state()["setup"]["deleteThresholdEnabled"] is False


def _quarantined_by_an_expired_token(dash: Dashboard) -> dict:
    dash.configured()
    dash.post("clock/advance", duration="PT40M")
    dash.post("tokens/expire")
    # a change to send: an idle cycle calls nothing in Genesys, so it never meets the expired token (issue 19)
    dash.post("directory/user/update", id=dash.user("alex.wilber@contoso.com")["id"], jobTitle="Senior Account Executive")
    dash.post("clock/advance", duration="PT40M")
    return dash.state()["overview"]["quarantine"]


def test_the_quarantine_advice_works_when_followed_as_written(dash):
    """Observation 5: "wait for the next attempt" was a day away, with a token that lives a day."""
    advice = _quarantined_by_an_expired_token(dash)["advice"]
    assert "Restart provisioning" in advice and "Do not wait for the next attempt" in advice
    # as written: a new token, Test Connection, Save, Restart provisioning; the next cycle
    token = dash.post("genesys/token")["token"]
    dash.post("job/test-connection", tenantUrl=SCIM, secretToken=token)
    dash.post("job/credentials", tenantUrl=SCIM, secretToken=token)
    dash.post("job/restart", resetScope=[])
    dash.post("clock/next-cycle")
    assert dash.state()["overview"]["code"] == "Active" and dash.state()["overview"]["quarantine"] is None


def test_waiting_for_the_next_attempt_instead_quarantines_again(dash):
    """Why the advice no longer says "wait": the new token expires when the next attempt comes."""
    attempt = _quarantined_by_an_expired_token(dash)["nextAttempt"]
    token = dash.post("genesys/token")["token"]
    dash.post("job/credentials", tenantUrl=SCIM, secretToken=token)
    dash.post("clock/next-cycle")  # the next attempt, a day later
    q = dash.state()["overview"]["quarantine"]
    assert q is not None and q["errorCode"] == "Unauthorized" and q["nextAttempt"] > attempt


def test_a_stale_edit_is_refused_and_a_script_without_a_version_still_works(dash):
    alex = dash.user("alex.wilber@contoso.com")
    dash.post("directory/user/update", id=alex["id"], jobTitle="Head of Sales", version=alex["version"])
    stale = dash.post("directory/user/update", ok=409, id=alex["id"], department="Marketing", version=alex["version"])
    assert stale["error"]["code"] == "staleEdit"
    assert stale["error"]["message"].startswith("Not saved: Alex Wilber was changed by someone else since you opened "
                                                "the edit (now: job title Head of Sales, department Sales")
    assert dash.user("alex.wilber@contoso.com")["department"] == "Sales"  # nothing half-written
    fresh = dash.user("alex.wilber@contoso.com")["version"]
    assert fresh != alex["version"]
    dash.post("directory/user/update", id=alex["id"], department="Marketing", version=fresh)
    dash.post("directory/user/update", id=alex["id"], department="Sales")  # a script: no version, last write wins
    assert dash.user("alex.wilber@contoso.com")["department"] == "Sales"


def test_dashboard_path_redirects_to_the_page(client):
    for path in ("/dashboard", "/dashboard/"):
        resp = client.get(path)
        assert resp.status_code == 301 and resp.headers["Location"].endswith("/")
    assert client.get("/dashboard/api/story/report").status_code == 409
