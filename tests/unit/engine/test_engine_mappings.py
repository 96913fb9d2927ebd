"""The PureCloud gallery schema, its validation, compute, diff and Entra-shaped SCIM bodies."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from simulator.engine.errors import SchemaError
from simulator.engine.mappings import (
    ENTERPRISE_USER_SCHEMA,
    GENESYS_USER_SCHEMA,
    GROUP_MAPPING_NAME,
    PATCH_OP_SCHEMA,
    SOURCE_DIRECTORY,
    TARGET_DIRECTORY,
    USER_MAPPING_NAME,
    AttributeChange,
    PatchOp,
    build_create,
    build_members_patch,
    build_patch,
    compile_mappings,
    default_schema,
    diff,
    scim_get,
    scim_set,
    target_values,
    validate_schema,
)

DEPT = f"{ENTERPRISE_USER_SCHEMA}:department"
MANAGER = f"{ENTERPRISE_USER_SCHEMA}:manager"
WORK_EMAIL = 'emails[type eq "work"].value'
MOBILE = 'phoneNumbers[type eq "mobile"].value'
WORK_PHONE = 'phoneNumbers[type eq "work"].value'

#: A Graph-shaped user with every mapped attribute.
ALEX: dict[str, Any] = {
    "id": "a1b2c3d4-0000-4000-8000-000000000001",
    "userPrincipalName": "alex.wilber@contoso.com",
    "displayName": "Alex Wilber",
    "mail": "Alex.Wilber@contoso.com",
    "jobTitle": "Support Agent",
    "department": "Support",
    "mobilePhone": "+1 425 555 0109",
    "businessPhones": ["+1 425 555 0100"],
    "employeeId": "1042",
    "accountEnabled": True,
    "IsSoftDeleted": False,
    "manager": {"id": "m0000000-0000-4000-8000-000000000009", "displayName": "Megan Bowen"},
}


def user_mapping(schema: dict[str, Any]) -> dict[str, Any]:
    return schema["synchronizationRules"][0]["objectMappings"][0]


def add_mapping(schema: dict[str, Any], expression: str, target: str, **extra: Any) -> None:
    user_mapping(schema)["attributeMappings"].append(
        {"source": {"expression": expression}, "targetAttributeName": target, "matchingPriority": 0,
         "flowBehavior": "FlowWhenChanged", "flowType": "Always", "defaultValue": None, **extra}
    )


# ------------------------------------------------------------------ default schema


def test_default_schema_is_a_fresh_copy_with_the_job_id() -> None:
    first = default_schema("PureCloudByGenesys.abc")
    first["synchronizationRules"].clear()
    second = default_schema("PureCloudByGenesys.def")
    assert second["id"] == "PureCloudByGenesys.def"
    assert len(second["synchronizationRules"]) == 1
    rule = second["synchronizationRules"][0]
    assert (rule["sourceDirectoryName"], rule["targetDirectoryName"]) == (SOURCE_DIRECTORY, TARGET_DIRECTORY)
    assert [m["name"] for m in rule["objectMappings"]] == [USER_MAPPING_NAME, GROUP_MAPPING_NAME]
    assert validate_schema(second) == []


def test_default_user_mappings_are_the_tutorial_table() -> None:
    mappings = user_mapping(default_schema("j"))["attributeMappings"]
    table = [(m["source"]["expression"], m["targetAttributeName"], m["matchingPriority"]) for m in mappings]
    assert table == [
        ("[userPrincipalName]", "userName", 1),
        ("Not([IsSoftDeleted])", "active", 0),
        ("[displayName]", "displayName", 0),
        ("[mail]", WORK_EMAIL, 0),
        ("[jobTitle]", "title", 0),
        ("[mobile]", MOBILE, 0),
        ("[telephoneNumber]", WORK_PHONE, 0),
        ("[department]", DEPT, 0),
        ("[manager]", MANAGER, 0),
    ]
    assert all(m["flowType"] == "Always" and m["flowBehavior"] == "FlowWhenChanged" for m in mappings)


def test_default_group_mappings() -> None:
    groups = default_schema("j")["synchronizationRules"][0]["objectMappings"][1]["attributeMappings"]
    assert [(m["source"]["expression"], m["targetAttributeName"], m["matchingPriority"]) for m in groups] == [
        ("[displayName]", "displayName", 1),
        ("[objectId]", "externalId", 0),
        ("[members]", "members", 0),
    ]


@pytest.mark.parametrize(
    "attribute",
    [
        "userName", "active", "displayName", "externalId", "title", WORK_EMAIL, "roles",
        *[f'phoneNumbers[type eq "{t}"].value' for t in ("work", "work2", "work3", "work4", "home", "mobile",
                                                           "microsoftteams")],
        DEPT, MANAGER, f"{ENTERPRISE_USER_SCHEMA}:employeeNumber", f"{ENTERPRISE_USER_SCHEMA}:division",
        *[f"{GENESYS_USER_SCHEMA}:externalIds[authority eq '{a}'].value" for a in ("microsoftteams", "ringcentral",
                                                                                  "zoomphone")],
    ],
)
def test_target_directory_lists_every_genesys_attribute(attribute: str) -> None:
    schema = default_schema("j")
    target = next(d for d in schema["directories"] if d["name"] == TARGET_DIRECTORY)
    user = next(o for o in target["objects"] if o["name"] == "User")
    assert attribute in {a["name"] for a in user["attributes"]}


# ------------------------------------------------------------------ compute


def test_default_mapping_computes_the_full_table_for_a_user_with_every_attribute() -> None:
    user = compile_mappings(default_schema("j")).user
    assert user is not None
    desired = user.compute(ALEX, creating=True)
    assert dict(desired) == {
        "userName": "alex.wilber@contoso.com",
        "active": True,
        "displayName": "Alex Wilber",
        WORK_EMAIL: "Alex.Wilber@contoso.com",
        "title": "Support Agent",
        MOBILE: "+1 425 555 0109",
        WORK_PHONE: "+1 425 555 0100",
        DEPT: "Support",
    }
    assert desired.references == {MANAGER: "m0000000-0000-4000-8000-000000000009"}
    assert user.matching_values(ALEX) == [("userName", "alex.wilber@contoso.com")]


def test_soft_deleted_user_computes_active_false_and_nulls_are_skipped() -> None:
    user = compile_mappings(default_schema("j")).user
    assert user is not None
    desired = user.compute({"userPrincipalName": "b@contoso.com", "IsSoftDeleted": True}, creating=False)
    assert dict(desired) == {"userName": "b@contoso.com", "active": False}
    assert desired.references == {}


def test_group_mapping_returns_members_as_source_ids() -> None:
    group = compile_mappings(default_schema("j")).group
    assert group is not None
    desired = group.compute({"id": "g-1", "displayName": "Sales", "members": [{"id": "u-1"}, "u-2"]}, creating=True)
    assert dict(desired) == {"displayName": "Sales", "externalId": "g-1"}
    assert desired.references == {"members": ["u-1", "u-2"]}


def test_object_add_only_and_default_value_apply_only_on_create() -> None:
    schema = default_schema("j")
    add_mapping(schema, "[employeeId]", f"{ENTERPRISE_USER_SCHEMA}:employeeNumber", flowType="ObjectAddOnly")
    add_mapping(schema, "[companyName]", f"{ENTERPRISE_USER_SCHEMA}:division", defaultValue="Contoso")
    user = compile_mappings(schema).user
    assert user is not None
    created = user.compute(ALEX, creating=True)
    updated = user.compute(ALEX, creating=False)
    assert created[f"{ENTERPRISE_USER_SCHEMA}:employeeNumber"] == "1042"
    assert created[f"{ENTERPRISE_USER_SCHEMA}:division"] == "Contoso"
    assert f"{ENTERPRISE_USER_SCHEMA}:employeeNumber" not in updated
    assert f"{ENTERPRISE_USER_SCHEMA}:division" not in updated


def test_ignore_flow_drops_the_attribute_and_flow_null_values_clears_it() -> None:
    schema = default_schema("j")
    user_mapping(schema)["attributeMappings"][4]["source"] = {"expression": "IgnoreFlowIfNullOrEmpty([jobTitle])"}
    target = next(d for d in schema["directories"] if d["name"] == TARGET_DIRECTORY)
    for attribute in next(o for o in target["objects"] if o["name"] == "User")["attributes"]:
        if attribute["name"] == DEPT:
            attribute["flowNullValues"] = True
    user = compile_mappings(schema).user
    assert user is not None
    desired = user.compute({"userPrincipalName": "c@contoso.com"}, creating=False)
    assert "title" not in desired
    assert desired[DEPT] is None
    assert DEPT not in user.compute({"userPrincipalName": "c@contoso.com"}, creating=True)


def test_single_app_role_assignment_to_roles() -> None:
    schema = default_schema("j")
    add_mapping(schema, "SingleAppRoleAssignment([appRoleAssignments])", "roles")
    user = compile_mappings(schema).user
    assert user is not None
    source = dict(ALEX, appRoleAssignments=[{"appRoleId": "r1", "displayName": "Supervisor", "value": "supervisor"}])
    desired = user.compute(source, creating=True)
    assert desired["roles"] == ["supervisor"]
    assert build_create(desired)["roles"] == [{"value": "supervisor"}]


# ------------------------------------------------------------------ validation


def broken(mutate: Any) -> dict[str, Any]:
    schema = default_schema("j")
    mutate(schema)
    return schema


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda s: add_mapping(s, "[mail]", "nickName"),
         "target attribute 'nickName' is not an attribute of 'User' in directory 'PureCloud by Genesys'"),
        (lambda s: add_mapping(s, "[jobTitel]", f"{ENTERPRISE_USER_SCHEMA}:division"),
         "source attribute 'jobTitel' is not an attribute of 'User'"),
        (lambda s: add_mapping(s, 'Join(" ", [givenName]', f"{ENTERPRISE_USER_SCHEMA}:division"),
         "at position 21"),
        (lambda s: add_mapping(s, "[jobTitle]", "title"), "target attribute 'title' is already mapped"),
        (lambda s: user_mapping(s)["attributeMappings"][0].update(matchingPriority=0),
         "no attribute is used for matching"),
        (lambda s: add_mapping(s, "[objectId]", "id"), "never map the target id"),
        (lambda s: add_mapping(s, "[displayName]", f"{ENTERPRISE_USER_SCHEMA}:division", flowType="Sometimes"),
         "flowType 'Sometimes'"),
        (lambda s: add_mapping(s, "[manager]", f"{ENTERPRISE_USER_SCHEMA}:division"),
         "reference source attribute 'manager'"),
        (lambda s: user_mapping(s).update(scope={"groups": [{"clauses": [
            {"operatorName": "EQUALS", "sourceOperandName": "manager", "targetOperand": {"values": ["x"]}}]}]}),
         "invalid scoping filter"),
        (lambda s: user_mapping(s).update(scope={"groups": [{"clauses": [
            {"operatorName": "EQUALS", "sourceOperandName": "shoeSize", "targetOperand": {"values": ["x"]}}]}]}),
         "scoping filter attribute 'shoeSize'"),
        (lambda s: s["synchronizationRules"][0].update(targetDirectoryName="Salesforce"),
         "target directory 'Salesforce' is not defined"),
    ],
)
def test_schema_validation_errors(mutate: Any, fragment: str) -> None:
    with pytest.raises(SchemaError) as caught:
        validate_schema(broken(mutate))
    assert any(fragment in problem for problem in caught.value.problems), caught.value.problems
    assert fragment in str(caught.value) or len(caught.value.problems) > 1


def test_schema_error_lists_every_problem() -> None:
    def mutate(schema: dict[str, Any]) -> None:
        add_mapping(schema, "[nope]", "title")
        add_mapping(schema, "Foo()", "nickName")

    with pytest.raises(SchemaError) as caught:
        compile_mappings(broken(mutate))
    assert len(caught.value.problems) >= 2
    assert "more problem" in str(caught.value)


def test_switch_is_saved_with_a_warning() -> None:
    schema = default_schema("j")
    add_mapping(schema, 'Switch([department], "Other", "Sales", "S")', f"{ENTERPRISE_USER_SCHEMA}:division")
    warnings = validate_schema(schema)
    assert any("Switch" in w for w in warnings)


def test_matching_attributes_in_precedence_order() -> None:
    schema = default_schema("j")
    add_mapping(schema, "[mail]", "externalId", matchingPriority=2)
    user = compile_mappings(schema).user
    assert user is not None
    assert [m.target for m in user.matching] == ["userName", "externalId"]
    assert user.matching_values({"mail": "x@contoso.com"}) == [("externalId", "x@contoso.com")]


# ------------------------------------------------------------------ diff


def test_diff_finds_changed_added_and_cleared_attributes() -> None:
    before = {"userName": "alex.wilber@contoso.com", "active": True, "displayName": "Alex",
              "title": "Support Agent", WORK_EMAIL: "alex.wilber@contoso.com"}
    desired = {"userName": "alex.wilber@contoso.com", "active": "True", "displayName": "Alex Wilber",
               "title": None, WORK_EMAIL: "alex.wilber@contoso.com", DEPT: "Support"}
    assert diff(before, desired) == [
        AttributeChange("displayName", "Alex", "Alex Wilber", PatchOp.REPLACE),
        AttributeChange("title", "Support Agent", None, PatchOp.REMOVE),
        AttributeChange(DEPT, None, "Support", PatchOp.ADD),
    ]


def test_diff_uses_case_exact_from_the_target_directory() -> None:
    user = compile_mappings(default_schema("j")).user
    assert user is not None
    before = {"displayName": "alex wilber", "externalId": "abc"}
    desired = {"displayName": "Alex Wilber", "externalId": "ABC"}
    assert [c.attribute for c in user.diff(before, desired)] == ["externalId"]  # only externalId is caseExact
    assert [c.attribute for c in diff(before, desired)] == ["displayName", "externalId"]


# ------------------------------------------------------------------ PATCH bodies

CHANGES = [
    AttributeChange("active", True, False, PatchOp.REPLACE),
    AttributeChange("displayName", "Alex", "Alex Wilber", PatchOp.REPLACE),
    AttributeChange(WORK_EMAIL, "a@contoso.com", "alex@contoso.com", PatchOp.REPLACE),
    AttributeChange(DEPT, "Sales", "Support", PatchOp.REPLACE),
    AttributeChange("title", "Agent", None, PatchOp.REMOVE),
    AttributeChange(MOBILE, None, "+1 425 555 0109", PatchOp.ADD),
]


def test_patch_with_entra_quirks() -> None:
    assert build_patch(CHANGES) == {
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Replace", "path": "displayName", "value": "Alex Wilber"},
            {"op": "Replace", "path": WORK_EMAIL, "value": "alex@contoso.com"},
            {"op": "Replace", "path": DEPT, "value": "Support"},
            {"op": "Remove", "path": "title"},
            {"op": "Add", "path": MOBILE, "value": "+1 425 555 0109"},
        ],
    }


def test_patch_with_aad_opt_scim_062020_merges_plain_replaces() -> None:
    assert build_patch(CHANGES, entra_quirks=False) == {
        "schemas": [PATCH_OP_SCHEMA],
        "Operations": [
            {"op": "replace", "path": WORK_EMAIL, "value": "alex@contoso.com"},
            {"op": "remove", "path": "title"},
            {"op": "add", "path": MOBILE, "value": "+1 425 555 0109"},
            {"op": "replace", "value": {"active": False, "displayName": "Alex Wilber", DEPT: "Support"}},
        ],
    }


@pytest.mark.parametrize(
    ("entra_quirks", "expected"),
    [
        (True, {"op": "Replace", "path": "active", "value": "False"}),
        (False, {"op": "replace", "path": "active", "value": False}),
    ],
)
def test_disable_patch_in_both_wire_profiles(entra_quirks: bool, expected: dict[str, Any]) -> None:
    body = build_patch([AttributeChange("active", True, False, PatchOp.REPLACE)], entra_quirks=entra_quirks)
    assert body["Operations"] == [expected]


def test_diff_then_patch_for_a_cleared_and_changed_user() -> None:
    user = compile_mappings(default_schema("j")).user
    assert user is not None
    resource = build_create(user.compute(ALEX, creating=True))
    before = target_values(resource, [m.target for m in user.mappings])
    changed = dict(ALEX, jobTitle=None, department="Sales", IsSoftDeleted=True)
    desired = user.compute(changed, creating=False)
    # jobTitle was cleared in Entra; with flowNullValues the engine would pass title=None.
    changes = user.diff(before, dict(desired, title=None))
    assert build_patch(changes)["Operations"] == [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": DEPT, "value": "Sales"},
        {"op": "Remove", "path": "title"},
    ]
    assert build_patch(changes, entra_quirks=False)["Operations"] == [
        {"op": "remove", "path": "title"},
        {"op": "replace", "value": {"active": False, DEPT: "Sales"}},
    ]


def test_manager_reference_patch() -> None:
    body = build_patch([AttributeChange(MANAGER, None, "t-mgr", PatchOp.ADD)])
    assert body["Operations"] == [{"op": "Add", "path": MANAGER, "value": [{"$ref": None, "value": "t-mgr"}]}]


@pytest.mark.parametrize(
    ("entra_quirks", "expected"),
    [
        (True, [
            {"op": "Add", "path": "members", "value": [{"$ref": None, "value": "u3"}]},
            {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": "u1"}]},
        ]),
        (False, [
            {"op": "add", "path": "members", "value": [{"value": "u3"}]},
            {"op": "remove", "path": 'members[value eq "u1"]'},
        ]),
    ],
)
def test_group_member_patches(entra_quirks: bool, expected: list[dict[str, Any]]) -> None:
    change = AttributeChange("members", ["u1", "u2"], ["u2", "u3"], PatchOp.REPLACE)
    assert build_patch([change], entra_quirks=entra_quirks)["Operations"] == expected
    assert build_members_patch(add=["u3"], remove=["u1"], entra_quirks=entra_quirks)["Operations"] == expected


# ------------------------------------------------------------------ POST bodies


def test_create_body_as_entra_sends_it() -> None:
    user = compile_mappings(default_schema("j")).user
    assert user is not None
    body = build_create(user.compute(ALEX, creating=True))
    assert body == {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_SCHEMA],
        "userName": "alex.wilber@contoso.com",
        "active": True,
        "displayName": "Alex Wilber",
        "title": "Support Agent",
        "emails": [{"primary": True, "type": "work", "value": "Alex.Wilber@contoso.com"}],
        "phoneNumbers": [{"type": "mobile", "value": "+1 425 555 0109"},
                         {"type": "work", "value": "+1 425 555 0100"}],
        ENTERPRISE_USER_SCHEMA: {"department": "Support"},
        "meta": {"resourceType": "User"},
        "roles": [],
    }
    assert list(body)[:2] == ["schemas", "userName"]


def test_create_body_with_genesys_extension() -> None:
    body = build_create({"userName": "a@b.c", f"{GENESYS_USER_SCHEMA}:externalIds[authority eq 'microsoftteams'].value": "t1"})
    assert body["schemas"][-1] == GENESYS_USER_SCHEMA
    assert body[GENESYS_USER_SCHEMA] == {"externalIds": [{"authority": "microsoftteams", "value": "t1"}]}


def test_group_create_body_has_no_members() -> None:
    body = build_create({"displayName": "Sales", "externalId": "g-1"}, object_type="Group")
    assert body == {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "externalId": "g-1",
                    "displayName": "Sales", "meta": {"resourceType": "Group"}}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("userName", "a@contoso.com"),
        (WORK_EMAIL, "a@contoso.com"),
        (MOBILE, "+1"),
        (DEPT, "Sales"),
        ('roles[primary eq "True"].value', "Admin"),
        ("name.givenName", "Alex"),
        (f"{GENESYS_USER_SCHEMA}:externalIds[authority eq 'zoomphone'].value", "z1"),
    ],
)
def test_scim_path_round_trip(path: str, value: Any) -> None:
    resource: dict[str, Any] = {}
    scim_set(resource, path, value)
    assert scim_get(resource, path) == value
    other = copy.deepcopy(resource)
    scim_set(other, path, "changed")
    assert scim_get(other, path) == "changed"
    assert scim_get({}, path) is None


def test_scim_get_reads_references_as_ids_and_filters_case_insensitively() -> None:
    resource = {
        ENTERPRISE_USER_SCHEMA: {"manager": {"value": "t-mgr", "$ref": "../Users/t-mgr"}},
        "members": [{"value": "u1"}, {"value": "u2"}],
        "emails": [{"type": "Work", "value": "x@y.z"}],
    }
    assert scim_get(resource, MANAGER) == "t-mgr"
    assert scim_get(resource, "members") == ["u1", "u2"]
    assert scim_get(resource, WORK_EMAIL) == "x@y.z"
