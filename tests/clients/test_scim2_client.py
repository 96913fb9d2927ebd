"""scim2-client (python-scim) against the Genesys fake on a real socket, through its own httpx2
network engine (``scim2-client[httpx2]``, unchanged): discovery, user CRUD, filter search and group
member PATCH, with scim2-client's own response validation (payload, content type, status codes) on."""

from __future__ import annotations

import pytest

#: scim2-client and its models are imported by the tests (the scim2_client fixture skips without them), not at
#: collection: a pytest process that does not run these does not pay for them (tests/clients/sdks.py says why it matters)
pytestmark = pytest.mark.clients


@pytest.fixture
def scim(scim2_client):
    return scim2_client


def test_it_is_scim2_clients_own_engine(scim):
    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient

    assert type(scim) is SyncSCIMClient and isinstance(scim.client, httpx2.Client)


def test_discovery(scim):
    assert [rt.name for rt in scim.provider.resource_types] == ["User", "Group"]
    assert scim.provider.config.patch.supported is True and scim.provider.config.bulk.supported is False
    user_model = scim.get_resource_model("User")
    assert {"EnterpriseUser", "GenesysUser"} <= set(user_model.model_fields)


def test_user_lifecycle(scim):
    from scim2_models import Error, PatchOp, PatchOperation, SearchRequest

    User = scim.get_resource_model("User")
    created = scim.create(User(user_name="scim2.client@contoso.com", display_name="scim2 client", title="Agent"))
    assert created.id and created.meta.version == '"1"'
    found = scim.query(User, query_parameters=SearchRequest(filter='userName eq "scim2.client@contoso.com"'))
    assert found.total_results == 1 and found.resources[0].id == created.id
    page = scim.query(User, query_parameters=SearchRequest(count=1, start_index=2))
    assert page.items_per_page == 1 and page.start_index == 2
    got = scim.query(User, created.id)
    got.display_name = "scim2 client (replaced)"
    replaced = scim.replace(got)
    assert replaced.display_name == "scim2 client (replaced)" and replaced.meta.version == '"2"'
    patch = PatchOp[User](operations=[PatchOperation[User](op="replace", path="title", value="Lead")])
    modified = scim.modify(User, created.id, patch)
    assert modified.title == "Lead"
    scim.delete(User, created.id)
    missing = scim.query(User, created.id, raise_scim_errors=False)
    assert isinstance(missing, Error) and missing.status == 404


def test_group_member_patch(scim):
    from scim2_models import PatchOp, PatchOperation, SearchRequest

    User = scim.get_resource_model("User")
    Group = scim.get_resource_model("Group")
    user = scim.create(User(user_name="member.scim2@contoso.com", display_name="Member"))
    (sales,) = scim.query(Group, query_parameters=SearchRequest(filter='displayName eq "Sales"')).resources
    patch = PatchOp[Group](operations=[PatchOperation[Group](op="add", path="members", value=[{"value": user.id}])])
    updated = scim.modify(Group, sales.id, patch)
    assert [m.value for m in updated.members] == [user.id]


def test_scim_errors_are_returned_as_error_objects(scim):
    from scim2_models import Error

    User = scim.get_resource_model("User")
    dup = scim.create(User(user_name="megan.bowen@contoso.com", display_name="Dup"), raise_scim_errors=False)
    assert isinstance(dup, Error) and dup.status == 409 and dup.scim_type == "uniqueness"
