"""Cycles: scope, matching, create/update in Entra's wire shape, the reference pass, initial vs incremental."""

from __future__ import annotations

from engine_helpers import (
    DEPARTMENT,
    ENTERPRISE,
    MANAGER,
    MOBILE,
    PATCH_OP,
    TENANT_URL,
    WORK_EMAIL,
    WORK_PHONE,
    Provisioning,
    direct,
    scope_filter,
)

ASSIGNED_UPNS = {  # direct members of Sales, Support, Engineering, Marketing + nestor and lynne, minus lee (disabled)
    "nestor.wilke", "megan.bowen", "alex.wilber", "lidia.holloway", "diego.siciliani", "joni.sherman",
    "lynne.robbins", "pradeep.gupta", "isaiah.langer", "grady.archie", "henrietta.mueller", "johanna.lorenz",
    "miriam.graham", "patti.fernandez", "adele.vance", "irvin.sayers", "debra.berger", "enrico.cattaneo",
    "christie.cline", "nina.diaz", "sam.oneil", "zoe.ostergaard",
}


def entra_names(calls) -> set[str]:
    return {c.body["userName"].split("@")[0] for c in calls if c.method == "POST" and c.path == "/Users"}


# ------------------------------------------------------------------------- initial cycle
def test_initial_cycle_creates_assigned_users_and_matches_on_user_name(prov: Provisioning):
    mark = prov.mark()
    prov.provision()
    calls = prov.scim(mark)

    # Test connection first, then one lookup on userName per in-scope user.
    assert calls[0].method == "GET" and calls[0].filter.startswith('userName eq "')
    lookups = [c.filter for c in calls[1:] if c.method == "GET" and c.path == "/Users"]
    assert lookups[0] == 'userName eq "nestor.wilke@contoso.com"'
    assert {f.split('"')[1].split("@")[0] for f in lookups} == ASSIGNED_UPNS
    # Everyone is created except Megan, who already existed in Genesys and is matched.
    assert entra_names(calls) == ASSIGNED_UPNS - {"megan.bowen"}
    assert all(c.status == 201 for c in calls if c.method == "POST")
    # Never a group POST and never a DELETE.
    assert not [c for c in calls if c.path.startswith("/Groups") and c.method == "POST"]
    assert not [c for c in calls if c.method == "DELETE"]

    genesys = {u["userName"]: u for u in prov.users()}
    assert len([u for u in genesys if u.endswith("@contoso.com")]) == 23  # 22 + genesys.admin
    assert "lee.gu@contoso.com" not in genesys  # disabled in Entra: never created
    assert "allan.deyoung@contoso.com" not in genesys  # not assigned

    creates = prov.logs("provisioningAction eq 'create' and provisioningStatusInfo/status eq 'success'")
    assert len(creates) == 21
    entry = next(e for e in creates if e["targetIdentity"]["displayName"] == "alex.wilber@contoso.com")
    assert [s["provisioningStepType"] for s in entry["provisioningSteps"]] == ["import", "scoping", "matching", "export"]
    assert entry["sourceIdentity"]["id"] == prov.id("alex")
    assert entry["targetIdentity"]["id"] == genesys["alex.wilber@contoso.com"]["id"]
    assert entry["initiatedBy"]["displayName"] == "Azure AD Provisioning Service"


def test_create_body_is_in_entras_shape(prov: Provisioning):
    mark = prov.mark()
    prov.provision()
    post = next(c for c in prov.writes(mark) if c.method == "POST" and c.body["userName"] == "nestor.wilke@contoso.com")
    assert post.body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "nestor.wilke@contoso.com",
        "active": True,
        "displayName": "Nestor Wilke",
        "title": "Chief Executive Officer",
        "emails": [{"primary": True, "type": "work", "value": "nestor.wilke@contoso.com"}],
        "phoneNumbers": [{"type": "mobile", "value": "+14255550101"}, {"type": "work", "value": "+14255550100"}],
        ENTERPRISE: {"department": "Executive"},
        "meta": {"resourceType": "User"},
        "roles": [],
    }
    assert list(post.body)[0] == "schemas" and list(post.body)[-1] == "roles"


def test_pre_existing_genesys_user_is_matched_not_duplicated(prov: Provisioning):
    before = prov.user("megan.bowen@contoso.com")
    mark = prov.mark()
    prov.provision()

    megans = [u for u in prov.users() if u["userName"] == "megan.bowen@contoso.com"]
    assert len(megans) == 1 and megans[0]["id"] == before["id"]
    calls = [c for c in prov.scim(mark) if "megan.bowen" in (c.filter or "") or c.path.endswith(before["id"])]
    assert [(c.method, c.path) for c in calls][:2] == [("GET", "/Users"), ("PATCH", f"/Users/{before['id']}")]
    # The match is brought in line: only the attributes that differ (title was edited by hand in Genesys).
    assert calls[1].body == {"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": WORK_EMAIL, "value": "megan.bowen@contoso.com"},
        {"op": "Replace", "path": "title", "value": "VP Sales"},
        {"op": "Add", "path": MOBILE, "value": "+14255550102"},
        {"op": "Add", "path": WORK_PHONE, "value": "+14255550110"},
        {"op": "Add", "path": DEPARTMENT, "value": "Sales"},
    ]}
    entry = prov.logs_for("megan", provisioningAction="update")[-1]  # oldest update = the match
    assert entry["targetIdentity"]["id"] == before["id"]
    matching = next(s for s in entry["provisioningSteps"] if s["provisioningStepType"] == "matching")
    assert "found one" in matching["description"]
    # genesys.admin was never in scope: never touched.
    admin = prov.user("genesys.admin@contoso.com")
    assert not [c for c in prov.scim(mark) if admin["id"] in c.path]


def test_sync_all_scope_includes_unassigned_users_and_skips_nobody_enabled(prov: Provisioning):
    mark = prov.mark()
    prov.provision(scope="all")
    created = entra_names(prov.writes(mark))
    assert {"allan.deyoung", "ben.walters"} <= created  # not assigned, but in the tenant
    assert "lee.gu" not in created  # still disabled
    skipped = prov.logs_for("lee", provisioningAction="other")
    assert skipped and skipped[0]["provisioningStatusInfo"]["status"] == "skipped"
    assert skipped[0]["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "UserDisabled"
    # Finance exists in Entra but not in Genesys: skipped with the explanation, never POSTed.
    assert prov.group("Finance") is None
    assert not [c for c in prov.scim(mark) if c.method == "POST" and c.path == "/Groups"]


def test_assigned_scope_leaves_unassigned_users_alone_without_log_entries(prov: Provisioning):
    prov.provision()
    assert prov.logs_for("allan") == []
    assert prov.user("allan.deyoung@contoso.com") is None


def test_disabled_user_is_never_created_and_logged_as_skipped(prov: Provisioning):
    mark = prov.mark()
    prov.provision()
    assert not [c for c in prov.writes(mark) if "lee.gu" in str(c.body)]
    assert not [c for c in prov.scim(mark) if "lee.gu" in (c.filter or "")]
    entry = prov.logs_for("lee")[0]
    assert entry["provisioningAction"] == "other"
    assert entry["provisioningStatusInfo"]["status"] == "skipped"
    assert "accountEnabled is false" in entry["provisioningStatusInfo"]["errorInformation"]["reason"]


# ----------------------------------------------------------------------- scoping filters
def test_scoping_filter_equals_department(prov: Provisioning):
    prov.create_job()
    prov.edit_schema(lambda users, groups: users.update(scope=scope_filter([("department", "EQUALS", ["Support"])])))
    mark = prov.mark()
    prov.provision()
    assert entra_names(prov.writes(mark)) == {"lynne.robbins", "pradeep.gupta", "isaiah.langer", "grady.archie",
                                               "henrietta.mueller", "nina.diaz", "sam.oneil"}
    alex_log = prov.logs_for("alex")[0]
    assert alex_log["provisioningStatusInfo"]["status"] == "skipped"
    assert "ScopingFilter" in alex_log["provisioningStatusInfo"]["errorInformation"]["reason"]


def test_scoping_filter_groups_are_ored_and_clauses_anded(prov: Provisioning):
    prov.create_job()
    flt = scope_filter(
        [("department", "EQUALS", ["Engineering"]), ("officeLocation" if False else "usageLocation", "EQUALS", ["DE"])],
        [("jobTitle", "EQUALS", ["VP Sales"])],
    )
    prov.edit_schema(lambda users, groups: users.update(scope=flt))
    mark = prov.mark()
    prov.provision()
    # (Engineering AND DE) OR VP Sales: Johanna and Miriam, plus Megan (matched, so no POST).
    assert entra_names(prov.writes(mark)) == {"johanna.lorenz", "miriam.graham"}
    assert prov.user("megan.bowen@contoso.com")["title"] == "VP Sales"
    assert prov.user("patti.fernandez@contoso.com") is None  # Engineering but US


def test_null_attribute_makes_a_clause_false(prov: Provisioning):
    prov.create_job()
    # Only Nina has employeeType; NOT EQUALS on a null value is false too.
    flt = scope_filter([("employeeType", "NOT EQUALS", ["Employee"])])
    prov.edit_schema(lambda users, groups: users.update(scope=flt))
    mark = prov.mark()
    prov.provision()
    assert entra_names(prov.writes(mark)) == {"nina.diaz"}


def test_scoping_filter_on_an_unsupported_attribute_is_refused(prov: Provisioning):
    prov.create_job()
    schema = prov.schema()
    schema["synchronizationRules"][0]["objectMappings"][0]["scope"] = scope_filter([("manager", "IS NOT NULL", [])])
    resp = prov.put_schema(schema, expect=400)
    assert "manager" in resp.json()["error"]["message"]


# ------------------------------------------------------------------ incremental cycles
def test_incremental_cycle_reads_only_the_delta(provisioned: Provisioning):
    p = provisioned
    initial_requests = len(p.scim())
    p.patch_user("alex", jobTitle="Senior Account Executive")
    mark = p.mark()

    ran = p.cycle()

    assert ran["initial"] is False and ran["imported"] == 1
    calls = p.scim(mark)
    alex_id = p.user("alex.wilber@contoso.com")["id"]
    # ... and the lookup of the group still missing in Genesys (Marketing), which every cycle repeats
    assert [(c.method, c.path) for c in calls] == [("GET", f"/Users/{alex_id}"), ("PATCH", f"/Users/{alex_id}"),
                                                   ("GET", "/Groups")]
    assert calls[2].filter == 'displayName eq "Marketing"'
    assert calls[1].body == {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "title", "value": "Senior Account Executive"}]}
    assert initial_requests > 20 * len(calls)
    status = p.status()
    assert status["lastExecution"]["countImportedDeltas"] == 1
    assert status["lastExecution"]["countExported"] == 1


def test_a_cycle_with_no_changes_sends_only_the_missing_groups_lookup(provisioned: Provisioning):
    p = provisioned
    mark = p.mark()
    ran = p.cycle()
    assert ran["imported"] == 0 and ran["exported"] == 0
    assert [(c.method, c.path, c.filter) for c in p.scim(mark)] == [("GET", "/Groups", 'displayName eq "Marketing"')]
    assert [e for e in p.logs() if e["cycleId"] == ran["cycleId"]] == []  # the repeated lookup is not logged again


def test_patch_sends_only_changed_attributes_in_entras_wire_shape(provisioned: Provisioning):
    p = provisioned
    p.patch_user("alex", jobTitle="Senior Account Executive", mobilePhone="+14255550999", department="Sales Ops")
    p.patch_user("pradeep", accountEnabled=False)
    mark = p.mark()
    p.cycle()
    writes = {c.path: c for c in p.writes(mark)}
    alex = writes[f"/Users/{p.target_id('alex')}"]
    assert alex.body == {"schemas": [PATCH_OP], "Operations": [
        {"op": "Replace", "path": "title", "value": "Senior Account Executive"},
        {"op": "Replace", "path": MOBILE, "value": "+14255550999"},
        {"op": "Replace", "path": DEPARTMENT, "value": "Sales Ops"},
    ]}
    pradeep = writes[f"/Users/{p.target_id('pradeep')}"]
    assert pradeep.body == {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    assert p.user("pradeep.gupta@contoso.com")["active"] is False


def test_rfc_shapes_with_the_aadoptscim062020_flag_on_a_non_gallery_scim_job(prov: Provisioning):
    # The flag applies to non-gallery apps only (issue 19, observation 6): a job with the scim target profile.
    prov.create_job()
    prov.sim.set_settings(prov.job_id, TargetProfile="scim")
    p = prov.provision(tenant_url=TENANT_URL + "?aadOptscim062020")
    p.patch_user("alex", jobTitle="Senior Account Executive", displayName="Alex W.", mobilePhone="+14255550999")
    p.patch_user("pradeep", accountEnabled=False)
    p.remove_member("sales", p.id("joni"))
    mark = p.mark()
    p.cycle()
    writes = {c.path: c for c in p.writes(mark)}
    alex = writes[f"/Users/{p.target_id('alex')}"]
    # Lower-case ops; plain replaces merged into one path-less op; filtered paths separate.
    assert alex.body["Operations"] == [
        {"op": "replace", "path": MOBILE, "value": "+14255550999"},
        {"op": "replace", "value": {"displayName": "Alex W.", "title": "Senior Account Executive"}},
    ] or sorted(map(str, alex.body["Operations"])) == sorted(map(str, [
        {"op": "replace", "path": MOBILE, "value": "+14255550999"},
        {"op": "replace", "value": {"displayName": "Alex W.", "title": "Senior Account Executive"}}]))
    pradeep = writes[f"/Users/{p.target_id('pradeep')}"]
    assert pradeep.body["Operations"] == [{"op": "replace", "path": "active", "value": False}]
    sales = p.group("Sales")
    group_patch = writes[f"/Groups/{sales['id']}"]
    joni_id = p.target_id("joni")
    assert group_patch.body["Operations"] == [{"op": "remove", "path": f'members[value eq "{joni_id}"]'}]
    assert p.user("alex.wilber@contoso.com")["displayName"] == "Alex W."


# ------------------------------------------------------------------------- reference pass
def test_reference_pass_sets_managers_after_everyone_exists(prov: Provisioning):
    mark = prov.mark()
    prov.provision()
    calls = prov.writes(mark)
    last_post = max(i for i, c in enumerate(calls) if c.method == "POST")
    megan_id, nestor_id = prov.target_id("megan"), prov.target_id("nestor")
    manager_patches = [(i, c) for i, c in enumerate(calls) if c.op_for(MANAGER)]
    assert manager_patches and all(i > last_post for i, _ in manager_patches)
    alex_patch = next(c for _, c in manager_patches if c.path == f"/Users/{prov.target_id('alex')}")
    assert alex_patch.body == {"schemas": [PATCH_OP], "Operations": [
        {"op": "Add", "path": MANAGER, "value": [{"$ref": None, "value": megan_id}]}]}
    assert prov.user("alex.wilber@contoso.com")[ENTERPRISE]["manager"]["value"] == megan_id
    assert prov.user("megan.bowen@contoso.com")[ENTERPRISE]["manager"]["value"] == nestor_id
    # Nestor has no manager: no manager PATCH for him.
    assert not [c for _, c in manager_patches if c.path == f"/Users/{nestor_id}"]
    entry = prov.logs_for("alex", provisioningAction="update")[0]
    assert entry["provisioningSteps"][0]["provisioningStepType"] == "referenceResolution"
    assert entry["modifiedProperties"] == [{"displayName": MANAGER, "oldValue": None, "newValue": megan_id}]


def test_manager_out_of_scope_is_left_unset_with_a_warning(prov: Provisioning):
    p = prov.provision()
    p.set_manager("alex", "allan")  # Allan (Finance) is not assigned
    mark = p.mark()
    p.cycle()
    alex_id = p.target_id("alex")
    patch = next(c for c in p.writes(mark) if c.path == f"/Users/{alex_id}")
    assert patch.body["Operations"] == [{"op": "Remove", "path": MANAGER}]
    assert "manager" not in p.user("alex.wilber@contoso.com")[ENTERPRISE]
    warning = p.logs("provisioningStatusInfo/status eq 'warning'")
    assert warning and warning[0]["sourceIdentity"]["id"] == p.id("alex")


def test_group_memberships_are_patched_into_existing_groups(prov: Provisioning):
    mark = prov.mark()
    prov.provision()
    sales = prov.group("Sales")
    calls = [c for c in prov.scim(mark) if c.path.startswith("/Groups")]
    lookup = next(c for c in calls if c.method == "GET" and c.filter == 'displayName eq "Sales"')
    assert lookup.query["excludedAttributes"] == "members"
    patches = [c for c in calls if c.method == "PATCH" and c.path == f"/Groups/{sales['id']}"]
    # First the externalId (an attribute update), then the members in the reference pass.
    assert patches[0].body["Operations"] == [{"op": "Add", "path": "externalId", "value": prov.id("sales")}]
    members_op = patches[1].body["Operations"]
    assert len(members_op) == 1 and members_op[0]["op"] == "Add" and members_op[0]["path"] == "members"
    expected = {prov.target_id(k) for k in ("megan", "alex", "lidia", "diego", "joni", "zoe")}
    assert {m["value"] for m in members_op[0]["value"]} == expected
    assert all(m["$ref"] is None for m in members_op[0]["value"])
    assert {m["value"] for m in sales["members"]} == expected
    assert patches[1].status == 204 or patches[1].status == 200


def test_missing_genesys_group_is_an_explained_skip_and_never_posted(prov: Provisioning):
    mark = prov.mark()
    prov.provision()
    prov.cycle()
    assert not [c for c in prov.scim(mark) if c.method == "POST" and c.path.startswith("/Groups")]
    assert prov.group("Marketing") is None
    entry = prov.logs_for("marketing")[-1]
    assert entry["provisioningStatusInfo"]["status"] == "skipped"
    info = entry["provisioningStatusInfo"]["errorInformation"]
    assert info["errorCode"] == "GroupMissingInTarget"
    assert "Marketing" in info["reason"] and "create" in info["reason"].lower()
    # Its members are users like any other: created.
    assert prov.user("debra.berger@contoso.com")["active"] is True


def test_missing_group_is_linked_by_the_next_cycle_once_created_in_genesys(prov: Provisioning):
    p = prov.provision()
    assert len(p.logs_for("marketing", provisioningStatusInfo__errorInformation__errorCode="GroupMissingInTarget")) == 1
    p.cycle()  # still missing: looked up again, not logged again
    assert len(p.logs_for("marketing")) == 1
    # The Genesys admin creates the group (Admin > Directory > Groups: the Platform API, not SCIM).
    token = p.genesys_token()
    resp = p.http.post("/api/v2/groups", json={"name": "Marketing", "type": "official", "visibility": "public", "rulesVisible": True},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code in (200, 201), resp.text
    marketing_id = resp.json()["id"]
    # The next cycle links it, as the log text promised; nothing changed in Entra.
    mark = p.mark()
    ran = p.cycle()
    calls = [c for c in p.scim(mark) if c.path.startswith("/Groups")]
    assert not [c for c in calls if c.method == "POST"]
    patches = [c for c in calls if c.method == "PATCH" and c.path == f"/Groups/{marketing_id}"]
    assert patches, calls
    members = {p.target_id(k) for k in ("debra", "enrico", "christie")}
    assert {m["value"] for m in p.group("Marketing")["members"]} == members
    assert p.group("Marketing")["externalId"] == p.id("marketing")
    linked = [e for e in p.logs_for("marketing") if e["cycleId"] == ran["cycleId"]]
    assert {e["provisioningStatusInfo"]["status"] for e in linked} == {"success"} and linked


def test_matching_precedence_tries_attributes_in_order(prov: Provisioning):
    prov.create_job()

    def edit(users, groups):
        users["attributeMappings"].append(direct("objectId", "externalId", matchingPriority=1))
        next(am for am in users["attributeMappings"] if am["targetAttributeName"] == "userName")["matchingPriority"] = 2

    prov.edit_schema(edit)
    mark = prov.mark()
    prov.provision()
    megan_calls = [c for c in prov.scim(mark) if c.method == "GET" and c.path == "/Users"
                   and (prov.id("megan") in (c.filter or "") or "megan.bowen" in (c.filter or ""))]
    # externalId first (no Genesys user has it), then userName, which finds the hand-made Megan.
    assert [c.filter for c in megan_calls] == [f'externalId eq "{prov.id("megan")}"', 'userName eq "megan.bowen@contoso.com"']
    assert len([u for u in prov.users() if u["userName"] == "megan.bowen@contoso.com"]) == 1
    assert prov.user("alex.wilber@contoso.com")["externalId"] == prov.id("alex")


def test_two_matching_attributes_with_the_same_precedence_are_refused(prov: Provisioning):
    prov.create_job()
    schema = prov.schema()
    schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"].append(
        direct("objectId", "externalId", matchingPriority=1))
    resp = prov.put_schema(schema, expect=400)
    assert "matching precedence" in resp.json()["error"]["message"]
