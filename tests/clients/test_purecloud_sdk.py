"""The official Genesys Python SDK (PureCloudPlatformClientV2) against the fake on a real socket.

If this file fails, a user who points the SDK at ``provsim serve`` breaks the same way.
Note: the SDK's urllib3 ``Retry`` honours ``Retry-After`` on 413/429/503 and retries
POST/PATCH too, so nothing here provokes a 429.
"""

from __future__ import annotations

import json

import pytest
from sdks import lazy

PureCloudPlatformClientV2 = lazy("PureCloudPlatformClientV2")  # imported by the first test that uses it (sdks.py)

#: slow: importing the SDK (~6,600 modules) takes seconds; `make test` runs these, `make test-fast` does not
pytestmark = [pytest.mark.clients, pytest.mark.slow]

CLIENT_ID = "provsim-purecloud-client"
CLIENT_SECRET = "provsim-purecloud-secret"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def api(served):
    client = PureCloudPlatformClientV2.api_client.ApiClient(host=served.url)
    client = client.get_client_credentials_token(CLIENT_ID, CLIENT_SECRET)
    return PureCloudPlatformClientV2.SCIMApi(client)


def test_login_posts_to_the_same_host(served):
    client = PureCloudPlatformClientV2.api_client.ApiClient(host=served.url)
    client.get_client_credentials_token(CLIENT_ID, CLIENT_SECRET)
    assert client.access_token


def test_bad_credentials_raise(served):
    client = PureCloudPlatformClientV2.api_client.ApiClient(host=served.url)
    with pytest.raises(Exception) as info:
        client.get_client_credentials_token(CLIENT_ID, "wrong")
    assert "401" in str(info.value) or "invalid_client" in str(info.value)


def test_users_crud(api):
    models = PureCloudPlatformClientV2
    body = models.ScimV2CreateUser()
    body.user_name = "sdk.user@contoso.com"
    body.display_name = "SDK User"
    body.title = "Agent"
    phone = models.ScimPhoneNumber()
    phone.value, phone.type = "+14255550123", "mobile"
    body.phone_numbers = [phone]
    created = api.post_scim_v2_users(body)
    assert created.id and created.user_name == "sdk.user@contoso.com"
    assert created.meta.version == '"1"' and created.meta.resource_type == "User"
    assert created.phone_numbers[0].type == "mobile"
    assert created.urnietfparamsscimschemasextensionenterprise2_0_user.division == "Home"

    found = api.get_scim_v2_users(filter='userName eq "sdk.user@contoso.com"')
    assert found.total_results == 1 and found.resources[0].id == created.id

    got = api.get_scim_v2_user(created.id)
    assert got.display_name == "SDK User"

    op = models.ScimV2PatchOperation()
    op.op, op.path, op.value = "replace", "title", "Supervisor"
    req = models.ScimV2PatchRequest()
    req.schemas = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]
    req.operations = [op]
    patched = api.patch_scim_v2_user(created.id, req, if_match='"1"')
    assert patched.title == "Supervisor" and patched.meta.version == '"2"'

    put = models.ScimV2User()
    put.user_name, put.display_name, put.active = "sdk.user@contoso.com", "SDK User (put)", False
    replaced = api.put_scim_v2_user(created.id, put)
    assert replaced.display_name == "SDK User (put)" and replaced.active is False

    api.delete_scim_v2_user(created.id)
    with pytest.raises(PureCloudPlatformClientV2.rest.ApiException) as info:
        api.get_scim_v2_user(created.id)
    assert info.value.status == 404
    assert json.loads(info.value.body)["status"] == "404"


def test_the_non_v2_family(api):
    listed = api.get_scim_users(filter="userName eq megan.bowen@contoso.com")
    assert listed.resources[0].display_name == "Megan Bowen"


def test_group_member_patch(api):
    models = PureCloudPlatformClientV2
    user = api.post_scim_v2_users(_new_user("member@contoso.com", "Member"))
    groups = api.get_scim_v2_groups('displayName eq "Sales"')
    sales = groups.resources[0]
    op = models.ScimV2PatchOperation()
    op.op, op.path, op.value = "add", "members", [{"value": user.id}]
    req = models.ScimV2PatchRequest()
    req.schemas = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]
    req.operations = [op]
    updated = api.patch_scim_v2_group(sales.id, req)
    assert [m.value for m in updated.members] == [user.id]
    assert updated.members[0].type == "User"
    got = api.get_scim_v2_user(user.id)
    assert [g.value for g in got.groups] == [sales.id]


@pytest.mark.parametrize("call, status", [
    (lambda api: api.post_scim_v2_users(_new_user("megan.bowen@contoso.com", "Dup")), 409),
    (lambda api: api.get_scim_v2_users(filter='userName co "x"'), 400),
    (lambda api: api.get_scim_v2_user("00000000-0000-4000-8000-000000000000"), 404),
    (lambda api: api.get_scim_v2_user(api.get_scim_v2_users(filter="userName eq megan.bowen@contoso.com").resources[0].id,
                                      if_none_match='"1"'), 304),
])
def test_errors_surface_as_api_exception(api, call, status):
    with pytest.raises(PureCloudPlatformClientV2.rest.ApiException) as info:
        call(api)
    assert info.value.status == status


def _new_user(user_name: str, display_name: str):
    body = PureCloudPlatformClientV2.ScimV2CreateUser()
    body.user_name, body.display_name = user_name, display_name
    return body


def test_unauthenticated_is_401_in_genesys_shape(served):
    client = PureCloudPlatformClientV2.api_client.ApiClient(host=served.url)
    api = PureCloudPlatformClientV2.SCIMApi(client)
    with pytest.raises(PureCloudPlatformClientV2.rest.ApiException) as info:
        api.get_scim_v2_users()
    assert info.value.status == 401
    assert json.loads(info.value.body)["code"] == "bad.credentials"


def test_missing_permission_is_403(served):
    client = PureCloudPlatformClientV2.api_client.ApiClient(host=served.url)
    client = client.get_client_credentials_token("provsim-purecloud-viewer", "provsim-purecloud-viewer-secret")
    api = PureCloudPlatformClientV2.SCIMApi(client)
    with pytest.raises(PureCloudPlatformClientV2.rest.ApiException) as info:
        api.post_scim_v2_users(_new_user("x@contoso.com", "X"))
    assert info.value.status == 403
