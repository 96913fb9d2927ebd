"""The seed tutorial, steps 2–6, from the blank tenant, with the real SDKs only (docs/tutorial.md).

PureCloudPlatformClientV2 (AuthorizationApi, OAuthApi, GroupsApi, SCIMApi, UsersApi) for the
Genesys side, msgraph-sdk for the gallery, the assignments, the synchronization API and the
provisioning logs; the one non-SDK call is provsim's own ``POST /_provsim/clock/advance``
(the 40-minute cycle).  If this test fails, a user following the tutorial breaks the same way.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

pytest.importorskip("msgraph")

from kiota_abstractions.base_request_configuration import RequestConfiguration  # noqa: E402
from msgraph.generated.application_templates.application_templates_request_builder import (  # noqa: E402
    ApplicationTemplatesRequestBuilder,
)
from msgraph.generated.application_templates.item.instantiate.instantiate_post_request_body import (  # noqa: E402
    InstantiatePostRequestBody,
)
from msgraph.generated.audit_logs.provisioning.provisioning_request_builder import ProvisioningRequestBuilder  # noqa: E402
from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder  # noqa: E402
from msgraph.generated.models.app_role_assignment import AppRoleAssignment  # noqa: E402
from msgraph.generated.models.o_data_errors.o_data_error import ODataError  # noqa: E402
from msgraph.generated.models.synchronization_job import SynchronizationJob  # noqa: E402
from msgraph.generated.models.synchronization_secret import SynchronizationSecret  # noqa: E402
from msgraph.generated.models.synchronization_secret_key_string_value_pair import (  # noqa: E402
    SynchronizationSecretKeyStringValuePair,
)
from msgraph.generated.service_principals.item.synchronization.jobs.item.validate_credentials.validate_credentials_post_request_body import (  # noqa: E402,E501
    ValidateCredentialsPostRequestBody,
)
from msgraph.generated.service_principals.item.synchronization.secrets.secrets_put_request_body import (  # noqa: E402
    SecretsPutRequestBody,
)
from sdks import lazy  # noqa: E402

from simulator.core import ProvsimConfig  # noqa: E402
from simulator.graph.sdk import graph_service_client  # noqa: E402

PureCloudPlatformClientV2 = lazy("PureCloudPlatformClientV2")  # imported by the test when it runs (sdks.py)

#: slow: Genesys' SDK (~6,600 modules) takes seconds to import, and the tutorial is a whole story over a socket
pytestmark = [pytest.mark.clients, pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

BOOTSTRAP = ("provsim-purecloud-client", "provsim-purecloud-secret")
GENESYS_GROUPS = ("Sales", "Support", "Engineering")
#: Who is in scope: the members of the three assigned groups, and Nestor directly (Supervisor).
#: Lee Gu (Support) is disabled in Entra, so the service never creates him.
EXPECTED = {
    "Sales": {"megan.bowen", "alex.wilber", "lidia.holloway", "diego.siciliani", "joni.sherman", "zoe.ostergaard"},
    "Support": {"lynne.robbins", "pradeep.gupta", "isaiah.langer", "grady.archie", "henrietta.mueller", "nina.diaz",
                "sam.oneil"},
    "Engineering": {"johanna.lorenz", "miriam.graham", "patti.fernandez", "adele.vance", "irvin.sayers"},
}


@pytest.fixture
def config() -> ProvsimConfig:
    return ProvsimConfig(seed=0, fixture="blank")


def genesys(url: str, client_id: str, secret: str):
    """Step 2.2: an ApiClient holding a client-credentials token (login on the same host)."""
    return PureCloudPlatformClientV2.api_client.ApiClient(host=url).get_client_credentials_token(client_id, secret)


def new_client(oauth_api, name: str, grants: list[tuple[str, str]]):
    body = PureCloudPlatformClientV2.OAuthClientRequest()
    body.name = name
    body.authorized_grant_type = "CLIENT-CREDENTIALS"
    body.role_divisions = []
    for role_id, division_id in grants:
        grant = PureCloudPlatformClientV2.RoleDivision()
        grant.role_id, grant.division_id = role_id, division_id
        body.role_divisions.append(grant)
    return oauth_api.post_oauth_clients(body)


def test_tutorial_steps_2_to_6_from_a_blank_tenant(served):
    models = PureCloudPlatformClientV2
    url = served.url
    tenant_url = f"{url}/api/v2/scim/v2"

    # ---- step 2.1: an OAuth client (client credentials) with the SCIM role, made by an admin
    admin = genesys(url, *BOOTSTRAP)
    authorization = models.AuthorizationApi(admin)
    roles = authorization.get_authorization_roles(name="SCIM Provisioning")
    assert roles.total == 1
    scim_role = roles.entities[0]
    assert "directory:user:add" in scim_role.permissions
    home = authorization.get_authorization_divisions_home()
    oauth = models.OAuthApi(admin)
    client = new_client(oauth, "Entra ID provisioning", [(scim_role.id, home.id)])
    assert client.secret and client.authorized_grant_type == "CLIENT-CREDENTIALS"
    assert oauth.get_oauth_client(client.id).secret is None  # shown once

    # ---- step 2.2: its token (the Secret Token Entra will use)
    provisioning = genesys(url, client.id, client.secret)
    secret_token = provisioning.access_token
    assert models.SCIMApi(provisioning).get_scim_v2_users(filter='userName eq "x@contoso.com"').total_results == 0

    # a client without the SCIM role: its token is refused by SCIM (used in step 5's test connection)
    no_roles = new_client(oauth, "Forgot the role", [])
    weak_token = genesys(url, no_roles.id, no_roles.secret).access_token
    with pytest.raises(PureCloudPlatformClientV2.rest.ApiException) as refused:
        models.SCIMApi(genesys(url, no_roles.id, no_roles.secret)).get_scim_v2_users()
    assert refused.value.status == 403

    # ---- step 2.3: Genesys groups named exactly like the Entra groups
    groups_api = models.GroupsApi(admin)
    genesys_groups = {}
    for name in GENESYS_GROUPS:
        body = models.GroupCreate()
        body.name, body.type, body.visibility, body.rules_visible = name, "official", "public", True
        genesys_groups[name] = groups_api.post_groups(body)
    duplicate = models.GroupCreate()
    duplicate.name, duplicate.type, duplicate.visibility, duplicate.rules_visible = "Sales", "official", "public", True
    with pytest.raises(PureCloudPlatformClientV2.rest.ApiException) as conflict:
        groups_api.post_groups(duplicate)
    assert conflict.value.status == 409
    assert sorted(g.name for g in groups_api.get_groups().entities) == sorted(GENESYS_GROUPS)

    graph = graph_service_client(url)

    async def entra_side():
        # ---- step 3: PureCloud by Genesys from the gallery
        query = ApplicationTemplatesRequestBuilder.ApplicationTemplatesRequestBuilderGetQueryParameters(
            filter="displayName eq 'PureCloud by Genesys'")
        templates = await graph.application_templates.get(RequestConfiguration(query_parameters=query))
        (template,) = templates.value
        created = await graph.application_templates.by_application_template_id(template.id).instantiate.post(
            InstantiatePostRequestBody(display_name="PureCloud by Genesys"))
        sp = created.service_principal
        assert sp.application_template_id == template.id and created.application.app_id == sp.app_id
        roles_by_name = {r.display_name: r.id for r in sp.app_roles}
        assert set(roles_by_name) == {"Default Access", "User", "msiam_access", "Supervisor"}

        # ---- step 4: assign the three groups (role User) and Nestor (role Supervisor)
        sp_api = graph.service_principals.by_service_principal_id(sp.id)
        for name in GENESYS_GROUPS:
            found = await graph.groups.get(RequestConfiguration(
                query_parameters=GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(
                    filter=f"displayName eq '{name}'")))
            await sp_api.app_role_assigned_to.post(AppRoleAssignment(
                principal_id=found.value[0].id, resource_id=sp.id, app_role_id=roles_by_name["User"]))
        nestor = await graph.users.by_user_id("nestor.wilke@contoso.com").get()
        await sp_api.app_role_assigned_to.post(AppRoleAssignment(
            principal_id=nestor.id, resource_id=sp.id, app_role_id=roles_by_name["Supervisor"]))
        assert len((await sp_api.app_role_assigned_to.get()).value) == 4

        # ---- step 5: provisioning mode Automatic: a job from the purecloud template
        sync = sp_api.synchronization
        job = await sync.jobs.post(SynchronizationJob(template_id="purecloud"))
        job_api = sync.jobs.by_synchronization_job_id(job.id)

        def credentials(token: str) -> list[SynchronizationSecretKeyStringValuePair]:
            return [SynchronizationSecretKeyStringValuePair(key=SynchronizationSecret.BaseAddress, value=tenant_url),
                    SynchronizationSecretKeyStringValuePair(key=SynchronizationSecret.SecretToken, value=token)]

        # Test Connection with the role-less client's token fails, with Genesys' reason
        with pytest.raises(ODataError) as failed:
            await job_api.validate_credentials.post(ValidateCredentialsPostRequestBody(
                use_saved_credentials=False, credentials=credentials(weak_token)))
        assert failed.value.response_status_code == 400 and "403" in failed.value.error.message

        # Admin Credentials: tenant URL + secret token, Test Connection, Save
        await sync.secrets.put(SecretsPutRequestBody(value=credentials(secret_token)))
        await job_api.validate_credentials.post(ValidateCredentialsPostRequestBody(use_saved_credentials=True))

        # Mappings: review the attribute mappings (userName matched on userPrincipalName, displayName for groups)
        schema = await job_api.schema.get()
        mappings = {m.source_object_name: m for m in schema.synchronization_rules[0].object_mappings}
        user_targets = {a.target_attribute_name for a in mappings["User"].attribute_mappings}
        assert {"userName", "displayName", "active", "title"} <= user_targets
        assert {a.target_attribute_name for a in mappings["Group"].attribute_mappings} >= {"displayName", "members"}

        # Provisioning Status On (scope: assigned users and groups), Save
        await job_api.start.post()
        return sp.id, job.id

    sp_id, job_id = asyncio.run(entra_side())

    # the first cycle runs at once, the next every 40 virtual minutes
    advanced = httpx.post(f"{url}/_provsim/clock/advance", json={"duration": "PT40M"}, timeout=60)
    assert advanced.status_code == 200, advanced.text
    assert any(r.get("jobId") == job_id and r.get("initial") for r in advanced.json()["ran"])

    async def monitor():
        # ---- step 6: provisioning logs, progress and quarantine state
        logs = []
        page = await graph.audit_logs.provisioning.get(RequestConfiguration(
            query_parameters=ProvisioningRequestBuilder.ProvisioningRequestBuilderGetQueryParameters(top=200)))
        logs += page.value
        while page.odata_next_link:
            page = await graph.audit_logs.provisioning.with_url(page.odata_next_link).get()
            logs += page.value
        job = await graph.service_principals.by_service_principal_id(sp_id).synchronization.jobs \
            .by_synchronization_job_id(job_id).get()
        return logs, job

    logs, job = asyncio.run(monitor())
    assert job.status.code.value == "Active" and job.status.quarantine is None
    assert job.status.last_execution.state.value == "Succeeded"
    created = {e.source_identity.display_name for e in logs
               if e.provisioning_action.value == "create" and e.provisioning_status_info.status.value == "success"
               and e.source_identity.identity_type == "User"}
    expected_users = set().union(*EXPECTED.values()) | {"nestor.wilke"}
    assert len(created) == len(expected_users)
    assert {e.job_id for e in logs} == {job_id}

    # ---- what the Genesys admin now sees
    users_api = models.UsersApi(admin)
    listed = users_api.get_users(page_size=100)
    assert {u.username.split("@")[0] for u in listed.entities} == expected_users
    assert all(u.state == "active" for u in listed.entities)
    scim = models.SCIMApi(provisioning)
    for name, members in EXPECTED.items():
        group = groups_api.get_group(genesys_groups[name].id)
        assert group.member_count == len(members), name
        scim_group = scim.get_scim_v2_group(genesys_groups[name].id)
        member_names = {users_api.get_user(m.value).username.split("@")[0] for m in scim_group.members}
        assert member_names == members, name
    megan = next(u for u in listed.entities if u.username == "megan.bowen@contoso.com")
    assert users_api.get_user(megan.manager.id).username == "nestor.wilke@contoso.com"
