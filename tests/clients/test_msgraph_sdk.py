"""The real msgraph-sdk (GraphServiceClient) and msal against the served fake.

Token: msal ConfidentialClientApplication through the fake's Entra login (discovery + token
endpoint); Graph: kiota's bearer provider, base URL http://127.0.0.1:PORT/v1.0.  The helpers
are the recipe of docs/graph-sdk-recipe.md (simulator.graph.sdk).
"""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("msgraph")
pytest.importorskip("msal")

from kiota_abstractions.base_request_configuration import RequestConfiguration  # noqa: E402
from msgraph.generated.models.app_role_assignment import AppRoleAssignment  # noqa: E402
from msgraph.generated.models.group import Group  # noqa: E402
from msgraph.generated.models.o_data_errors.o_data_error import ODataError  # noqa: E402
from msgraph.generated.models.password_profile import PasswordProfile  # noqa: E402
from msgraph.generated.models.reference_create import ReferenceCreate  # noqa: E402
from msgraph.generated.models.reference_update import ReferenceUpdate  # noqa: E402
from msgraph.generated.models.user import User  # noqa: E402
from msgraph.generated.users.users_request_builder import UsersRequestBuilder  # noqa: E402

from simulator.graph.sdk import confidential_client, graph_service_client  # noqa: E402

pytestmark = [pytest.mark.clients, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

SP = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
USER_ROLE = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b"


@pytest.fixture
def graph(served):
    return graph_service_client(served.url)


def run(coro):
    return asyncio.run(coro)


def test_msal_gets_a_token_through_discovery(served):
    app = confidential_client(served.url)
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert result["token_type"] == "Bearer" and result["access_token"].count(".") == 2
    bad = confidential_client(served.url, client_secret="wrong").acquire_token_for_client(
        scopes=["https://graph.microsoft.com/.default"])
    assert bad["error"] == "invalid_client" and bad["error_codes"] == [7000215]


def test_list_users_with_paging(graph):
    async def scenario():
        config = RequestConfiguration(query_parameters=UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            top=10, select=["id", "displayName", "department"]))
        page = await graph.users.get(request_configuration=config)
        names = [u.display_name for u in page.value]
        while page.odata_next_link:
            page = await graph.users.with_url(page.odata_next_link).get()
            names += [u.display_name for u in page.value]
        return names
    names = run(scenario())
    assert len(names) == 25 and names[0] == "Nestor Wilke"


def test_create_user_set_manager_group_members_and_assignment(graph):
    async def scenario():
        user = await graph.users.post(User(
            account_enabled=True, display_name="Kim Akers", mail_nickname="kima", user_principal_name="kim.akers@contoso.com",
            department="Support", job_title="Agent",
            password_profile=PasswordProfile(force_change_password_next_sign_in=True, password="xWwvJ]6NMw+bWH-d")))
        assert user.id and user.user_principal_name == "kim.akers@contoso.com"
        lynne = await graph.users.by_user_id("lynne.robbins@contoso.com").get()
        await graph.users.by_user_id(user.id).manager.ref.put(
            ReferenceUpdate(odata_id=f"https://graph.microsoft.com/v1.0/users/{lynne.id}"))
        manager = await graph.users.by_user_id(user.id).manager.get()
        assert isinstance(manager, User) and manager.id == lynne.id

        group = await graph.groups.post(Group(display_name="Night Shift", mail_enabled=False, mail_nickname="nightshift",
                                              security_enabled=True))
        members = graph.groups.by_group_id(group.id).members
        await members.ref.post(ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{user.id}"))
        listed = await members.get()
        assert [(type(m).__name__, m.id) for m in listed.value] == [("User", user.id)]
        with pytest.raises(ODataError) as dup:
            await members.ref.post(ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{user.id}"))
        assert dup.value.response_status_code == 400 and dup.value.error.code == "Request_BadRequest"
        await members.by_directory_object_id(user.id).ref.delete()
        assert (await members.get()).value == []

        assignment = await graph.service_principals.by_service_principal_id(SP).app_role_assigned_to.post(
            AppRoleAssignment(principal_id=user.id, resource_id=SP, app_role_id=USER_ROLE))
        assert str(assignment.app_role_id) == USER_ROLE and assignment.principal_type == "User"
        assigned = await graph.service_principals.by_service_principal_id(SP).app_role_assigned_to.get()
        assert user.id in [str(a.principal_id) for a in assigned.value]

        with pytest.raises(ODataError) as missing:
            await graph.users.by_user_id("nobody@contoso.com").get()
        assert missing.value.response_status_code == 404 and missing.value.error.code == "Request_ResourceNotFound"
    run(scenario())


def test_delta_round_trip_sees_a_change_and_a_removal(graph):
    async def scenario():
        page = await graph.users.delta.get()
        seen = list(page.value)
        while page.odata_next_link:
            page = await graph.users.delta.with_url(page.odata_next_link).get()
            seen += page.value
        assert len(seen) == 25 and page.odata_delta_link.startswith("http://127.0.0.1:")
        delta_link = page.odata_delta_link

        alex = await graph.users.by_user_id("alex.wilber@contoso.com").get()
        ben = await graph.users.by_user_id("ben.walters@contoso.com").get()
        await graph.users.by_user_id(alex.id).patch(User(job_title="Senior Account Executive"))
        await graph.users.by_user_id(ben.id).delete()

        page = await graph.users.delta.with_url(delta_link).get()
        by_id = {u.id: u for u in page.value}
        assert set(by_id) == {alex.id, ben.id}
        assert by_id[alex.id].job_title == "Senior Account Executive"
        assert by_id[ben.id].additional_data["@removed"] == {"reason": "changed"}
        assert page.odata_delta_link

        deleted = await graph.directory.deleted_items.graph_user.get()
        assert [u.id for u in deleted.value] == [ben.id]
    run(scenario())
