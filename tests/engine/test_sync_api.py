"""The synchronization API: job from the gallery template, secrets, test connection, schema get/put."""

from __future__ import annotations

import re

from engine_helpers import (
    DEPARTMENT,
    EMPLOYEE_NUMBER,
    MANAGER,
    MOBILE,
    TENANT_URL,
    WORK_EMAIL,
    WORK_PHONE,
    Provisioning,
    direct,
    expression,
    user_mapping_for,
)

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def graph_error(resp) -> dict:
    body = resp.json()
    assert set(body) == {"error"}, body
    assert {"code", "message", "innerError"} <= set(body["error"]), body
    return body["error"]


# ------------------------------------------------------------------------------------ jobs
def test_job_is_created_from_the_purecloud_template(prov: Provisioning):
    templates = prov.graph("GET", prov.sync("/templates"), expect=200).json()["value"]
    assert [t["id"] for t in templates] == ["purecloud"]

    job = prov.create_job("purecloud")

    assert job["templateId"] == "purecloud"
    assert job["id"].startswith("purecloud.")  # gallery job ids carry the app name
    assert job["schedule"] == {"expiration": None, "interval": "P10675199DT2H48M5.4775807S", "state": "Disabled"}
    assert job["status"]["code"] == "NotConfigured"
    assert job["status"]["steadyStateFirstAchievedTime"] == "0001-01-01T00:00:00Z"
    assert {"name": "QuarantineTooManyDeletesThreshold", "value": "500"} in job["synchronizationJobSettings"]
    listed = prov.graph("GET", prov.sync("/jobs"), expect=200).json()["value"]
    assert [j["id"] for j in listed] == [job["id"]]
    assert prov.graph("GET", prov.job_path(), expect=200).json()["id"] == job["id"]
    # Nothing was sent to Genesys.
    assert prov.scim() == []


def test_unknown_template_is_refused_and_no_job_is_created(prov: Provisioning):
    resp = prov.graph("POST", prov.sync("/jobs"), {"templateId": "salesforce"}, expect=400)
    error = graph_error(resp)
    assert "salesforce" in error["message"] and "purecloud" in error["message"]
    assert prov.graph("GET", prov.sync("/jobs"), expect=200).json()["value"] == []


def test_job_delete_removes_it(prov: Provisioning):
    prov.create_job()
    prov.graph("DELETE", prov.job_path(), expect=204)
    assert prov.graph("GET", prov.sync("/jobs"), expect=200).json()["value"] == []
    graph_error(prov.graph("GET", prov.job_path(), expect=404))


# ---------------------------------------------------------------------------------- secrets
def test_secrets_are_saved_listed_without_the_token_and_configure_the_job(prov: Provisioning):
    prov.create_job()
    prov.put_secrets({"BaseAddress": TENANT_URL, "SecretToken": "tok", "SyncAll": "False",
                      "SkipOutOfScopeDeletions": "True",
                      "SyncNotificationSettings": '{"Enabled":true,"Recipients":"ops@contoso.com","DeleteThresholdEnabled":true,"DeleteThresholdValue":5}'})

    listed = {s["key"]: s["value"] for s in prov.graph("GET", prov.sync("/secrets"), expect=200).json()["value"]}
    assert listed["BaseAddress"] == TENANT_URL
    assert listed["SecretToken"] is None  # Graph never returns the secret token
    assert listed["SyncAll"] == "False" and listed["SkipOutOfScopeDeletions"] == "True"
    assert "DeleteThresholdValue" in listed["SyncNotificationSettings"]
    assert prov.status()["code"] == "NotRun"  # configured, never run


def test_bad_base_address_and_unknown_secret_key_are_refused_and_previous_secrets_kept(prov: Provisioning):
    prov.create_job()
    prov.put_secrets({"BaseAddress": TENANT_URL, "SecretToken": "tok"})

    error = graph_error(prov.put_secrets({"BaseAddress": "api.mypurecloud.com/api/v2/scim/v2"}, expect=400))
    assert "http(s) URL" in error["message"]
    graph_error(prov.put_secrets({"BaseAddress": "ftp://api.mypurecloud.com/scim"}, expect=400))
    graph_error(prov.put_secrets({"NotASecret": "x"}, expect=400))

    listed = {s["key"]: s["value"] for s in prov.graph("GET", prov.sync("/secrets"), expect=200).json()["value"]}
    assert listed == {"BaseAddress": TENANT_URL, "SecretToken": None}


def test_a_secret_value_that_is_not_a_string_is_refused_and_previous_secrets_kept(prov: Provisioning):
    """synchronizationSecretKeyStringValuePair.value is a String: a number or a flag is a 400, not a 500 (or a
    crash in a later cycle, which reads SyncAll and BaseAddress as text)."""
    prov.create_job()
    prov.put_secrets({"BaseAddress": TENANT_URL, "SecretToken": "tok"})

    for pairs in ({"BaseAddress": 8080}, {"SyncAll": True}, {"SecretToken": ["tok"]}):
        error = graph_error(prov.put_secrets(pairs, expect=400))
        assert error["code"] == "Request_BadRequest"
        assert f"'{next(iter(pairs))}' must be a string" in error["message"]

    listed = {s["key"]: s["value"] for s in prov.graph("GET", prov.sync("/secrets"), expect=200).json()["value"]}
    assert listed == {"BaseAddress": TENANT_URL, "SecretToken": None}
    prov.put_secrets({"SyncAll": None})  # null clears a value, as before


def test_start_without_credentials_is_refused(prov: Provisioning):
    prov.create_job()
    error = graph_error(prov.graph("POST", prov.job_path("/start"), expect=400))
    assert "BaseAddress" in error["message"]
    assert prov.job()["schedule"]["state"] == "Disabled"


# -------------------------------------------------------------------------- test connection
def test_test_connection_passes_with_a_good_token(prov: Provisioning):
    prov.create_job()
    mark = prov.mark()
    prov.graph("POST", prov.job_path("/validateCredentials"), {"useSavedCredentials": False, "credentials": [
        {"key": "BaseAddress", "value": TENANT_URL}, {"key": "SecretToken", "value": prov.genesys_token()}]}, expect=204)

    calls = prov.scim(mark)
    assert len(calls) == 1
    call = calls[0]
    assert (call.method, call.path, call.status) == ("GET", "/Users", 200)
    probe = re.fullmatch(r'userName eq "(.+)"', call.filter)
    assert probe and GUID.match(probe.group(1)), call.filter  # a random GUID that cannot exist


def test_test_connection_with_saved_credentials(prov: Provisioning):
    prov.configure()
    mark = prov.mark()
    prov.graph("POST", prov.job_path("/validateCredentials"), {"useSavedCredentials": True, "credentials": []}, expect=204)
    assert [c.path for c in prov.scim(mark)] == ["/Users"]


def test_test_connection_fails_with_a_bad_token_and_says_why(prov: Provisioning):
    prov.create_job()
    mark = prov.mark()
    resp = prov.graph("POST", prov.job_path("/validateCredentials"), {"useSavedCredentials": False, "credentials": [
        {"key": "BaseAddress", "value": TENANT_URL}, {"key": "SecretToken", "value": "not-a-genesys-token"}]}, expect=400)

    error = graph_error(resp)
    assert error["code"] == "SystemForCrossDomainIdentityManagementCredentialValidationFailure"
    assert "Response Status Code: Unauthorized" in error["message"]
    assert "Genesys answered 401" in error["message"]  # the reason: Genesys refused the token
    calls = prov.scim(mark)
    assert [(c.method, c.path, c.status) for c in calls] == [("GET", "/Users", 401)]
    assert re.fullmatch(r'userName eq "[0-9a-f-]{36}"', calls[0].filter)
    assert prov.status()["code"] == "NotConfigured"  # validateCredentials does not save anything


def test_test_connection_fails_when_the_target_is_not_scim(prov: Provisioning):
    prov.create_job()
    resp = prov.graph("POST", prov.job_path("/validateCredentials"), {"credentials": [
        {"key": "BaseAddress", "value": "http://provsim.local/api/v2/nothing-here"},
        {"key": "SecretToken", "value": prov.genesys_token()}]}, expect=400)
    assert "Test connection" in graph_error(resp)["message"]


# ----------------------------------------------------------------------------------- schema
def test_schema_has_the_gallery_default_mappings(prov: Provisioning):
    prov.create_job()
    schema = prov.schema()
    rule = schema["synchronizationRules"][0]
    users, groups = rule["objectMappings"]
    user_map = {am["targetAttributeName"]: am["source"]["expression"] for am in users["attributeMappings"]}
    # The seed tutorial's attribute table, with Entra's default sources.
    assert user_map == {
        "userName": "[userPrincipalName]",
        "active": "Not([IsSoftDeleted])",
        "displayName": "[displayName]",
        WORK_EMAIL: "[mail]",
        "title": "[jobTitle]",
        MOBILE: "[mobile]",
        WORK_PHONE: "[telephoneNumber]",
        DEPARTMENT: "[department]",
        MANAGER: "[manager]",
    }
    matching = [am["targetAttributeName"] for am in users["attributeMappings"] if am["matchingPriority"]]
    assert matching == ["userName"]
    group_map = {am["targetAttributeName"]: am["source"]["expression"] for am in groups["attributeMappings"]}
    assert group_map == {"displayName": "[displayName]", "externalId": "[objectId]", "members": "[members]"}
    assert [am["targetAttributeName"] for am in groups["attributeMappings"] if am["matchingPriority"]] == ["displayName"]


def test_mapping_to_an_attribute_genesys_does_not_have_is_refused_and_the_schema_kept(provisioned: Provisioning):
    p = provisioned
    before = p.schema()
    bad = p.schema()
    bad["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"].append(direct("givenName", "name.givenName"))

    error = graph_error(p.put_schema(bad, expect=400))

    assert "name.givenName" in error["message"] and "not an attribute" in error["message"]
    assert p.schema() == before
    # The refused edit did not restart the job: the next cycle is an ordinary incremental one.
    assert p.cycle()["initial"] is False


def test_malformed_expression_is_refused_with_its_position_and_the_schema_kept(provisioned: Provisioning):
    p = provisioned
    before = p.schema()
    bad = p.schema()
    users = bad["synchronizationRules"][0]["objectMappings"][0]
    users["attributeMappings"] = [am for am in users["attributeMappings"] if am["targetAttributeName"] != "displayName"]
    users["attributeMappings"].append(expression('Join(" ", [givenName], [surname]', "displayName"))

    error = graph_error(p.put_schema(bad, expect=400))

    assert error["code"] == "Request_BadRequest"
    assert "displayName" in error["message"]
    assert "position 32" in error["message"]  # where the closing parenthesis is missing
    assert p.schema() == before
    assert p.cycle()["initial"] is False


def test_new_mapping_employee_id_to_employee_number_flows_on_the_next_cycle(provisioned: Provisioning):
    p = provisioned
    p.edit_schema(lambda users, groups: users["attributeMappings"].append(direct("employeeId", EMPLOYEE_NUMBER)))
    mark = p.mark()

    ran = p.advance("PT1M")  # saving mappings starts a new initial cycle at once

    assert len(ran) == 1 and ran[0]["initial"] is True
    alex = p.user("alex.wilber@contoso.com")
    assert alex["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"] == "E1003"
    patch = next(c for c in p.writes(mark) if c.path == f"/Users/{alex['id']}")
    assert patch.method == "PATCH"
    assert patch.body == {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                          "Operations": [{"op": "Add", "path": EMPLOYEE_NUMBER, "value": "E1003"}]}
    entry = p.logs_for("alex", provisioningAction="update")[0]
    assert {"displayName": EMPLOYEE_NUMBER, "oldValue": None, "newValue": "E1003"} in entry["modifiedProperties"]
    # Nothing else changed for anyone: every write of that cycle is an employeeNumber add.
    assert all(c.ops == [{"op": "Add", "path": EMPLOYEE_NUMBER, "value": c.ops[0]["value"]}]
               for c in p.writes(mark)), p.writes(mark)


def test_only_during_creation_mapping_is_not_updated_later(prov: Provisioning):
    prov.create_job()
    prov.edit_schema(lambda users, groups: users["attributeMappings"].append(
        direct("employeeId", EMPLOYEE_NUMBER, flowType="ObjectAddOnly")))
    p = prov.provision()
    alex = p.user("alex.wilber@contoso.com")
    assert alex["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"] == "E1003"

    p.patch_user("alex", employeeId="E9999", jobTitle="Senior Account Executive")
    mark = p.mark()
    p.cycle()

    writes = [c for c in p.writes(mark) if c.path == f"/Users/{alex['id']}"]
    assert [c.ops for c in writes] == [[{"op": "Replace", "path": "title", "value": "Senior Account Executive"}]]
    alex = p.user("alex.wilber@contoso.com")
    assert alex["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"] == "E1003"
    assert alex["title"] == "Senior Account Executive"


def test_default_value_applies_on_create_only(prov: Provisioning):
    prov.create_job()

    def edit(users, groups):
        # Christie and Diego have no mobile / work phone; give the Genesys title a default instead.
        title = user_mapping_for(users, "title")
        title["source"] = {"expression": "[employeeType]", "name": "employeeType", "type": "Attribute", "parameters": []}
        title["defaultValue"] = "Agent"

    prov.edit_schema(edit)
    mark = prov.mark()
    p = prov.provision()

    posts = {c.body["userName"]: c.body for c in p.writes(mark) if c.method == "POST"}
    assert posts["alex.wilber@contoso.com"]["title"] == "Agent"  # employeeType is null: the default
    assert posts["nina.diaz@contoso.com"]["title"] == "Contractor"  # employeeType is set
    # Megan was matched (not created): the default does not apply to an update, so her title stays.
    assert p.user("megan.bowen@contoso.com")["title"] == "Sales lead"
    # Later cycles never send the default.
    p.patch_user("alex", department="Sales Ops")
    mark = p.mark()
    p.cycle()
    alex_id = p.user("alex.wilber@contoso.com")["id"]
    assert [c.ops for c in p.writes(mark) if c.path == f"/Users/{alex_id}"] == [
        [{"op": "Replace", "path": DEPARTMENT, "value": "Sales Ops"}]]
