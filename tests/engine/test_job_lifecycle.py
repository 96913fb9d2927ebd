"""Job status, pause/start, restart with every resetScope, provisionOnDemand, and the provisioning logs API."""

from __future__ import annotations

import json

import pytest

from engine_helpers import Provisioning

ZERO = "0001-01-01T00:00:00Z"
EXECUTION_FIELDS = {"activityIdentifier", "countEntitled", "countEscrowed", "countExported", "countImported",
                    "countImportedDeltas", "error", "state", "timeBegan", "timeEnded"}


# ------------------------------------------------------------------------------ job status
def test_job_status_after_the_initial_and_incremental_cycles(prov: Provisioning):
    prov.configure()
    assert prov.status()["code"] == "NotRun"
    prov.start()
    job = prov.job()
    assert job["schedule"] == {"expiration": None, "interval": "PT40M", "state": "Active"}

    prov.advance("PT1M")
    status = prov.status()
    assert status["code"] == "Active"
    last = status["lastExecution"]
    assert EXECUTION_FIELDS <= set(last)
    assert last["state"] == "Succeeded" and last["error"] is None
    assert last["countImported"] == 27  # 23 users (lee and the 22 in scope) + 4 groups
    assert last["countExported"] == 49  # 21 creates + 1 matched update + 3 group externalIds + 21 managers + 3 memberships
    assert last["timeBegan"] == "2026-01-05T09:00:00Z" and last["timeEnded"] > last["timeBegan"]
    assert status["lastSuccessfulExecution"]["activityIdentifier"] == last["activityIdentifier"]
    assert status["lastSuccessfulExecutionWithExports"]["activityIdentifier"] == last["activityIdentifier"]
    assert status["progress"] == [{"completedUnits": 27, "totalUnits": 27, "units": "Objects",
                                   "progressObservationDateTime": last["timeEnded"]}]
    assert status["steadyStateFirstAchievedTime"] == ZERO  # the initial cycle exported things
    counts = {c["key"]: c["value"] for c in status["synchronizedEntryCountByType"]}
    assert counts == {"User to urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": 22, "Group to Group": 3}
    assert status["quarantine"] is None and status["countSuccessiveCompleteFailures"] == 0

    # A quiet incremental cycle reaches the steady state.
    prov.cycle()
    status = prov.status()
    assert status["lastExecution"]["countImported"] == 0
    assert status["lastExecution"]["timeBegan"] == "2026-01-05T09:40:00Z"
    assert status["steadyStateFirstAchievedTime"] == status["lastExecution"]["timeEnded"]
    assert status["steadyStateLastAchievedTime"] == status["lastExecution"]["timeEnded"]
    first = status["steadyStateFirstAchievedTime"]
    # Exports keep lastSuccessfulExecutionWithExports; the next quiet cycle moves only steadyStateLast.
    prov.patch_user("alex", jobTitle="Senior Account Executive")
    prov.cycle()
    status = prov.status()
    assert status["lastExecution"]["countImportedDeltas"] == 1 and status["lastExecution"]["countExported"] == 1
    assert status["lastSuccessfulExecutionWithExports"]["activityIdentifier"] == status["lastExecution"]["activityIdentifier"]
    prov.cycle()
    status = prov.status()
    assert status["steadyStateFirstAchievedTime"] == first
    assert status["steadyStateLastAchievedTime"] == status["lastExecution"]["timeEnded"] > first
    # synchronizedEntryCountByType never drops on a delete (connector data store counts).


def test_failed_cycle_with_a_bad_token_quarantines_with_the_reason(prov: Provisioning):
    prov.configure(token="not-a-genesys-token")
    prov.start()
    prov.advance("PT1M")
    status = prov.status()
    assert status["code"] == "Quarantine"
    assert status["lastExecution"]["state"] == "Failed"
    assert status["lastSuccessfulExecution"] is None
    assert status["quarantine"]["reason"] == "EncounteredQuarantineException"
    assert status["quarantine"]["error"]["code"] == "Unauthorized"
    assert prov.users() and not [c for c in prov.writes()]


# --------------------------------------------------------------------------- pause / start
def test_pause_stops_cycles_and_start_resumes_where_it_stopped(provisioned: Provisioning):
    p = provisioned
    p.pause()
    job = p.job()
    assert job["schedule"]["state"] == "Paused" and job["status"]["code"] == "Paused"
    p.patch_user("alex", jobTitle="Senior Account Executive")
    mark = p.mark()
    assert p.advance("PT2H") == []
    assert p.scim(mark) == []
    assert p.user("alex.wilber@contoso.com")["title"] == "Account Executive"

    p.start()
    ran = p.advance("PT1M")
    assert len(ran) == 1 and ran[0]["initial"] is False  # resumes from the watermark
    assert p.user("alex.wilber@contoso.com")["title"] == "Senior Account Executive"
    assert [c.method for c in p.writes(mark)] == ["PATCH"]
    assert p.status()["code"] == "Active"


# ---------------------------------------------------------------------------------- restart
@pytest.mark.parametrize("criteria, initial, relinked", [
    (None, True, False),  # no body: the portal's restart (Watermark, Escrows, QuarantineState)
    ({}, True, False),
    ({"resetScope": "Watermark"}, True, False),
    ({"resetScope": "Watermark, Escrows, QuarantineState"}, True, False),
    ({"resetScope": ["Watermark", "Escrows"]}, True, False),
    ({"resetScope": "Escrows"}, False, False),
    ({"resetScope": "QuarantineState"}, False, False),
    ({"resetScope": "ForceDeletes"}, False, False),
    ({"resetScope": "None"}, False, False),
    ({"resetScope": "Full"}, True, True),
    ({"resetScope": "ConnectorDataStore"}, False, False),  # links gone, but the watermark kept: nothing re-read
    ({"resetScope": "ConnectorDataStore, Watermark"}, True, True),
])
def test_restart_with_each_reset_scope(provisioned: Provisioning, criteria, initial, relinked):
    p = provisioned
    p.advance("PT30M")  # mid-interval
    mark = p.mark()
    p.restart(None if criteria is None else {"criteria": criteria})
    ran = p.advance("PT1M")  # a restart runs a cycle at once
    assert len(ran) == 1
    assert ran[0]["initial"] is initial
    calls = p.scim(mark)
    # Links kept: nothing is created again, ever; without the data store, users are matched again by userName.
    assert not [c for c in calls if c.method == "POST"]
    lookups = [c for c in calls if c.method == "GET" and c.path == "/Users" and "contoso.com" in (c.filter or "")]
    if relinked:
        assert len(lookups) == 22
    else:
        assert lookups == []
    assert len([u for u in p.users() if u["userName"].endswith("@contoso.com")]) == 23
    assert p.status()["code"] == "Active"


def test_after_a_connector_data_store_reset_changed_users_are_matched_again(provisioned: Provisioning):
    p = provisioned
    p.restart({"criteria": {"resetScope": "ConnectorDataStore"}})
    p.advance("PT1M")
    assert p.status()["synchronizedEntryCountByType"] == []
    p.patch_user("alex", jobTitle="Senior Account Executive")
    mark = p.mark()
    p.cycle()
    calls = p.scim(mark)
    assert [(c.method, c.filter) for c in calls][0] == ("GET", 'userName eq "alex.wilber@contoso.com"')
    assert [c.method for c in p.writes(mark)] == ["PATCH"]  # matched, not created again
    assert len([u for u in p.users() if u["userName"] == "alex.wilber@contoso.com"]) == 1


def test_restart_with_an_unknown_reset_scope_is_refused(provisioned: Provisioning):
    p = provisioned
    for bad in ("Everything", ["Watermark", "Bogus"], "Watermark,Nope"):
        resp = p.restart({"criteria": {"resetScope": bad}}, expect=400)
        assert resp.json()["error"]["code"] == "Request_BadRequest"
        assert "resetScope" in resp.json()["error"]["message"]
    # Nothing was reset: the next cycle is the scheduled incremental one.
    assert p.advance("PT1M") == []
    assert p.cycle()["initial"] is False


# ------------------------------------------------------------------------ provision on demand
def rule_id(p: Provisioning) -> str:
    return p.schema()["synchronizationRules"][0]["id"]


def on_demand(p: Provisioning, object_id: str, kind: str = "User", *, expect=200):
    body = {"parameters": [{"ruleId": rule_id(p), "subjects": [{"objectId": object_id, "objectTypeName": kind}]}]}
    return p.graph("POST", p.job_path("/provisionOnDemand"), body, expect=expect)


def test_provision_on_demand_creates_one_user_with_the_real_result_shape(prov: Provisioning):
    prov.configure()
    mark = prov.mark()
    resp = on_demand(prov, prov.id("alex"))
    body = resp.json()
    key, value = json.loads(body["key"]), json.loads(body["value"])
    assert key["result"] == "Success"
    assert set(key["details"]) >= {"errorCode", "errorMessage"}
    assert value["action"] == "Create"
    assert {"changeId", "provisioningSteps", "modifiedProperties", "sourceIdentity", "targetIdentity",
            "sourceSystem", "targetSystem", "statusInfo"} <= set(value)
    assert value["sourceIdentity"]["id"] == prov.id("alex")
    assert [s["provisioningStepType"] for s in value["provisioningSteps"]] == ["import", "scoping", "matching", "export"]
    calls = prov.writes(mark)
    assert [(c.method, c.path) for c in calls] == [("POST", "/Users")]
    assert calls[0].body["userName"] == "alex.wilber@contoso.com"
    assert prov.user("alex.wilber@contoso.com")["active"] is True
    entry = prov.logs("provisioningAction eq 'create'")[0]
    assert entry["initiatedBy"]["displayName"] == "Provision on demand"

    # Again: nothing to do, Skipped with RedundantExport.
    key = json.loads(on_demand(prov, prov.id("alex")).json()["key"])
    assert key["result"] == "Skipped" and key["details"]["errorCode"] == "RedundantExport"


def test_provision_on_demand_of_an_out_of_scope_user_is_skipped(prov: Provisioning):
    prov.configure()
    mark = prov.mark()
    key = json.loads(on_demand(prov, prov.id("allan")).json()["key"])
    assert key["result"] == "Skipped"
    assert prov.writes(mark) == []


def test_provision_on_demand_of_a_group_with_more_than_five_members_is_refused(prov: Provisioning):
    prov.configure()
    resp = on_demand(prov, prov.id("sales"), "Group", expect=400)  # six members
    assert "5 members" in resp.json()["error"]["message"]
    resp = on_demand(prov, prov.id("engineering"), "Group")  # five members
    assert json.loads(resp.json()["key"])["result"] in ("Success", "Skipped")
    assert {m["value"] for m in prov.group("Engineering")["members"]} == {
        prov.target_id(k) for k in ("johanna", "miriam", "patti", "adele", "irvin")}


def test_provision_on_demand_is_rate_limited_to_five_calls_in_ten_seconds(prov: Provisioning):
    prov.configure()
    for key in ("alex", "lidia", "diego", "joni", "zoe"):
        on_demand(prov, prov.id(key))
    resp = on_demand(prov, prov.id("nestor"), expect=429)
    assert resp.json()["error"]["code"] == "TooManyRequests"
    retry = int(resp.headers["Retry-After"])
    assert 1 <= retry <= 10
    assert prov.user("nestor.wilke@contoso.com") is None
    prov.advance(f"PT{retry}S")
    on_demand(prov, prov.id("nestor"))
    assert prov.user("nestor.wilke@contoso.com") is not None


def test_provision_on_demand_rejects_bad_parameters(prov: Provisioning):
    prov.configure()
    bad_rule = {"parameters": [{"ruleId": "nope", "subjects": [{"objectId": prov.id("alex"), "objectTypeName": "User"}]}]}
    prov.graph("POST", prov.job_path("/provisionOnDemand"), bad_rule, expect=400)
    on_demand(prov, "11111111-2222-3333-4444-555555555555", expect=404)


# --------------------------------------------------------------------------- provisioning logs
def test_provisioning_logs_filter_on_action_status_identity_and_date(provisioned: Provisioning):
    p = provisioned
    p.patch_user("alex", jobTitle="Senior Account Executive")
    p.patch_user("isaiah", accountEnabled=False)
    p.cycle()
    everything = p.logs()
    assert all(e["jobId"] == p.job_id for e in everything)
    times = [e["activityDateTime"] for e in everything]
    assert times == sorted(times, reverse=True)  # newest first

    creates = p.logs("provisioningAction eq 'create'")
    assert len(creates) == 21 and {e["provisioningAction"] for e in creates} == {"create"}
    disables = p.logs("provisioningAction eq 'disable'")
    assert [e["sourceIdentity"]["id"] for e in disables] == [p.id("isaiah")]
    skipped = p.logs("provisioningStatusInfo/status eq 'skipped'")
    assert {e["sourceIdentity"]["displayName"] for e in skipped} == {"Lee Gu", "Marketing"}
    by_source = p.logs(f"sourceIdentity/id eq '{p.id('alex')}'")
    assert {e["provisioningAction"] for e in by_source} == {"create", "update"}
    by_target = p.logs("targetIdentity/displayName eq 'alex.wilber@contoso.com' and provisioningAction eq 'update'")
    assert len(by_target) == 2  # the manager reference, then the title
    named = p.logs("contains(sourceIdentity/displayName, 'Wilber')")
    assert {e["sourceIdentity"]["displayName"] for e in named} == {"Alex Wilber"}
    # Dates: only the incremental cycle's entries are after 09:40.
    later = p.logs("activityDateTime ge 2026-01-05T09:40:00Z")
    assert {e["provisioningAction"] for e in later} == {"update", "disable"}
    assert len(later) == 2
    earlier = p.logs("activityDateTime lt 2026-01-05T09:40:00Z")
    assert len(earlier) + len(later) == len(everything)
    combined = p.logs("provisioningAction eq 'update' or provisioningAction eq 'disable'")
    assert {e["provisioningAction"] for e in combined} == {"update", "disable"}


def test_provisioning_log_entry_shape(provisioned: Provisioning):
    entry = provisioned.logs("provisioningAction eq 'create'")[-1]
    assert {"id", "activityDateTime", "tenantId", "jobId", "cycleId", "changeId", "durationInMilliseconds",
            "initiatedBy", "modifiedProperties", "provisioningAction", "provisioningStatusInfo", "provisioningSteps",
            "servicePrincipal", "sourceIdentity", "sourceSystem", "targetIdentity", "targetSystem"} <= set(entry)
    assert entry["provisioningStatusInfo"] == {"status": "success", "errorInformation": None}
    assert entry["sourceSystem"]["displayName"] == "Azure Active Directory"
    assert entry["targetSystem"]["displayName"] == "PureCloud by Genesys"
    assert entry["targetSystem"]["details"]["ServicePrincipalId"] == provisioned.sp
    step = entry["provisioningSteps"][0]
    assert set(step) == {"name", "provisioningStepType", "status", "description", "details"}
    modified = {m["displayName"]: m for m in entry["modifiedProperties"]}
    assert modified["userName"] == {"displayName": "userName", "oldValue": None, "newValue": "nestor.wilke@contoso.com"}
    assert modified["active"]["newValue"] == "True"


def test_provisioning_logs_top_and_paging(provisioned: Provisioning):
    p = provisioned
    everything = p.logs()
    page = p.graph("GET", "/auditLogs/provisioning", params={"$top": "10"}, expect=200).json()
    assert len(page["value"]) == 10
    assert page["value"] == everything[:10]
    link = page["@odata.nextLink"]
    assert link.startswith("http://provsim.local/v1.0/auditLogs/provisioning?")
    following = p.graph("GET", link, expect=200).json()
    assert following["value"] == everything[10:20]
    # Following every page gives everything once, in order.
    assert p.logs(top=7) == everything
    # A filter is kept on the next pages.
    creates = p.logs("provisioningAction eq 'create'", top=5)
    assert len(creates) == 21 and all(e["provisioningAction"] == "create" for e in creates)
    for bad in ("0", "abc", "1001"):
        p.graph("GET", "/auditLogs/provisioning", params={"$top": bad}, expect=400)
    p.graph("GET", "/auditLogs/provisioning", params={"$filter": "provisioningAction startswith 'c'"}, expect=400)
