"""The seed tutorial (docs/tutorial.md), every step clicked on the dashboard alone, on the blank tenant.

Nothing is prepared by a script: the Genesys OAuth client with its role (2.1), its token (2.2), the
Genesys groups named like the Entra groups (2.3), the gallery app (3), the assignments with their
roles, Default Access included (4), the provisioning job, Test Connection, the notification tick
box, the Mappings and Test expression, the scope and provisioning status (5), then the cycles and
what to watch (6): the provisioning logs, the Overview, and Genesys' own People and Groups pages,
where the assigned users and groups arrive.  Then "Breaking it on purpose": the OAuth client is
deleted, the job goes into quarantine, the banner's advice is followed as written, and Marketing,
which has no Genesys group, says so in plain words.
"""

from __future__ import annotations

import re

import pytest

from simulator.core import ProvsimConfig

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: Who arrives in Genesys (docs/tutorial.md): the members of the three assigned groups, Nestor (Supervisor)
#: and Allan (Default Access, provisioned like any role since July 2020).  Lee Gu (Support) is disabled in Entra.
GROUP_MEMBERS = {"Sales": 6, "Support": 7, "Engineering": 5}


@pytest.fixture
def config():
    return ProvsimConfig(seed=0, fixture="blank")


def test_the_seed_tutorial_from_the_page_alone_on_the_blank_tenant(desktop, expect):
    s, page = desktop, desktop.page
    s.open()
    expect(page.locator("#overview-body")).to_contain_text("no PureCloud by Genesys enterprise app yet")
    status, error = s.status(), page.locator("#error")
    s.refused(400, 409)  # the duplicate group and the client without roles, on purpose

    # ---- 2.1 an OAuth client with the role the SCIM API needs (and one without: it comes back to bite)
    s.nav("OAuth")
    expect(page.locator("#clients-body tr")).to_have_count(1)  # the bootstrap admin: you
    form = page.locator("#client-form")
    form.get_by_label("App Name").fill("No roles")
    form.get_by_role("button", name="Save").click()
    created = page.locator("#client-created")
    expect(created).to_contain_text("Client 'No roles' created")
    expect(status).to_contain_text("It has no roles: its token will get 403 on every SCIM call")
    no_roles = (created.locator("#created-client-id").inner_text(), created.locator("#created-client-secret").inner_text())
    page.get_by_role("button", name="Done (forget the secret)").click()
    expect(created).to_be_hidden()
    form.get_by_label("App Name").fill("Entra ID provisioning")
    form.get_by_label("SCIM Provisioning").check()
    form.get_by_role("button", name="Save").click()
    expect(created).to_contain_text("Client 'Entra ID provisioning' created")
    expect(created).to_be_focused()  # focus on the result of the action
    secret = created.locator("#created-client-secret").inner_text()
    assert len(secret) > 20
    row = page.locator("#clients-body tr[data-client='Entra ID provisioning']")
    expect(row).to_contain_text("SCIM Provisioning (Home)")
    expect(row).not_to_contain_text(secret)  # Genesys shows the secret once
    s.shot("tutorial-01-oauth-client")

    # ---- 2.2 a token with the client: Setup's Secret Token
    page.get_by_role("button", name="Generate a token with this client").click()
    expect(page.locator("#h-setup")).to_be_visible()
    expect(status).to_contain_text("Genesys issued a token to the OAuth client")
    expect(page.get_by_label("Secret Token")).not_to_have_value("")

    # ---- 2.3 Genesys groups named exactly like the Entra groups
    s.nav("Groups")
    expect(page.locator("#ggroups-body")).to_contain_text("No group yet")
    gform = page.locator("#group-form")
    for name in ("Sales", "Support", "Engineering"):
        gform.get_by_label("Group Name").fill(name)
        gform.get_by_role("button", name="Save").click()
        expect(status).to_contain_text(f"Genesys group '{name}' created")
    gform.get_by_label("Group Name").fill("engineering")
    gform.get_by_role("button", name="Save").click()
    expect(error).to_contain_text("A group with the name 'engineering' already exists.")
    expect(status).to_be_hidden()  # the old success message does not stay beside the new error
    expect(page.locator("#ggroups-body tr")).to_have_count(3)
    expect(page.locator("tr[data-ggroup='Sales']")).to_contain_text("Sales")  # the Entra group of the same name

    # ---- 3 the gallery app
    s.nav("Setup")
    s.button("Add PureCloud by Genesys from the gallery").click()
    expect(status).to_contain_text("PureCloud by Genesys added from the gallery")

    # ---- 4 who is in scope: three groups (User), Nestor (Supervisor), Allan (Default Access)
    s.nav("Directory")
    dialog = page.get_by_role("dialog")
    for name in ("Sales", "Support", "Engineering"):
        s.button(f"Assign {name}").click()
        expect(dialog.get_by_label("User", exact=True)).to_be_checked()
        dialog.get_by_role("button", name="Assign").click()
        expect(status).to_have_text(f"{name} assigned to PureCloud by Genesys with the role User.")
        expect(status).to_be_focused()
    s.button("Assign Nestor Wilke").click()
    dialog.get_by_label("Supervisor").check()
    dialog.get_by_role("button", name="Assign").click()
    expect(page.locator("tr[data-user='nestor.wilke@contoso.com']")).to_contain_text("Assigned (Supervisor)")
    s.button("Assign Allan Deyoung").click()
    dialog.get_by_label(re.compile("^Default Access")).check()
    dialog.get_by_role("button", name="Assign").click()
    expect(status).to_contain_text("since July 2020 the service provisions them like any other role")
    expect(page.locator("tr[data-group='Marketing']")).to_contain_text("No Genesys group with this name")
    expect(page.locator("tr[data-group='Sales']")).to_contain_text("Exists in Genesys (0 members)")

    # ---- 5 provisioning: the job, admin credentials, Test Connection, notifications, Save
    s.nav("Setup")
    s.button("Create the provisioning job (Provisioning Mode: Automatic)").click()
    expect(status).to_contain_text("Provisioning job created from the PureCloud by Genesys template")
    expect(page.get_by_label("Secret Token")).not_to_have_value("")  # the token of 2.2 is still there
    s.button("Test Connection").click()
    expect(page.locator("#test-result")).to_have_text(re.compile("The supplied credentials are authorized"))
    page.get_by_label("Notification Email").fill("identity-team@contoso.com")
    page.get_by_label("Send an email notification when a failure occurs").check()
    page.locator("#credentials-form").get_by_role("button", name="Save").click()
    expect(status).to_have_text("Admin credentials and settings saved.")
    # the client without roles: its token fails Test Connection with Genesys' 403 (the tutorial's warning)
    page.locator("summary", has_text="Use another OAuth client").click()
    page.get_by_label("Client ID").fill(no_roles[0])
    page.get_by_label("Client Secret").fill(no_roles[1])
    s.button("Get a token from Genesys").click()
    expect(status).to_contain_text(f"OAuth client '{no_roles[0]}'")
    s.button("Test Connection").click()
    expect(page.locator("#test-result")).to_contain_text("403")
    page.get_by_label("Secret Token").fill("")  # keep the saved token of the right client

    s.nav("Mappings")
    page.get_by_role("button", name="Provision Azure Active Directory Users").click()
    mapping = page.locator("#mapping-form")
    username = mapping.locator("details.amap", has=page.locator("summary", has_text="userName"))
    expect(username.locator("summary")).to_contain_text("userPrincipalName → userName matching 1")
    username.locator("summary").click()
    expect(username.get_by_label("Match objects using this attribute")).to_be_checked()
    expect(username.get_by_label("Source attribute")).to_have_value("userPrincipalName")
    builder = page.get_by_role("region", name="Expression builder")
    builder.get_by_label("Expression").fill('Join(", ", [displayName], [jobTitle])')
    page.get_by_label("Test user").select_option(label="Nestor Wilke (nestor.wilke@contoso.com)")
    s.button("Test expression").click()
    expect(page.locator("#xb-result")).to_have_text("For Nestor Wilke: Nestor Wilke, Chief Executive Officer")
    s.shot("tutorial-02-mappings")
    s.button("Close").click()
    page.get_by_role("button", name="Provision Azure Active Directory Groups").click()
    expect(mapping).to_contain_text("Provision Azure Active Directory Groups")
    expect(mapping.locator("details.amap summary").first).to_contain_text("displayName → displayName matching 1")

    s.nav("Overview")
    s.button("Start provisioning").click()
    expect(status).to_contain_text("Provisioning status: On")

    # ---- 6 the cycles, and what to watch
    s.button("Advance the clock PT40M").click()
    expect(status).to_contain_text("2 provisioning cycles ran")
    expect(page.locator("#status-text")).to_have_text("Incremental cycle completed.")
    expect(page.locator("#count-groups")).to_have_text("3")  # observation 2: it stayed 0 on the blank tenant
    changes = page.get_by_role("article", name="Last cycle with changes")
    expect(changes).to_contain_text("were created in Genesys")
    expect(changes).to_contain_text("Sales gained 6 members")
    s.nav("Provisioning logs")
    page.get_by_label("Identity (name or object id)").fill("Megan Bowen")
    page.get_by_label("Action", exact=True).select_option("create")
    page.get_by_role("button", name="Apply").click()
    page.locator("#logs-body tr").first.get_by_role("button").click()
    expect(dialog.locator("#d-wire")).to_be_visible()
    wire = dialog.locator(".wire-list li")
    expect(wire.first).to_contain_text("GET /Users?filter=userName eq")
    expect(wire.nth(1)).to_contain_text("POST /Users")
    expect(wire.nth(1)).to_contain_text("201")
    s.shot("tutorial-03-log-wire", full_page=False)
    dialog.get_by_role("button", name="Close").click()

    s.nav("People")
    expect(page.locator("#people-summary")).to_contain_text("20 users in Genesys (20 active)")
    expect(page.locator("tr[data-person='megan.bowen@contoso.com']")).to_contain_text("Sales")
    expect(page.locator("tr[data-person='nestor.wilke@contoso.com']")).to_contain_text("employee")
    expect(page.locator("tr[data-person='allan.deyoung@contoso.com']")).to_contain_text("employee")  # Default Access
    s.nav("Groups")
    for name, members in GROUP_MEMBERS.items():
        expect(page.locator(f"tr[data-ggroup='{name}'] td[data-label='Members']")).to_have_text(str(members))
    s.shot("tutorial-04-genesys-groups")

    # ---- breaking it on purpose: the OAuth client is deleted, the next cycle quarantines the job
    s.nav("OAuth")
    page.get_by_role("button", name="Delete the OAuth client Entra ID provisioning").click()
    expect(status).to_contain_text("Genesys revoked its tokens")
    s.nav("Directory")
    s.button("Assign Marketing").click()
    dialog.get_by_role("button", name="Assign").click()
    s.button("Advance the clock PT40M").click()
    banner = page.locator("#quarantine-banner")
    expect(banner).to_contain_text("The provisioning job is in quarantine")
    expect(banner).to_contain_text("Do not wait for the next attempt")
    # the advice, followed as written: a new client and token, Test Connection, Save, Restart
    s.nav("OAuth")
    form.get_by_label("App Name").fill("Entra ID provisioning 2")
    form.get_by_label("SCIM Provisioning").check()
    form.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Generate a token with this client").click()
    s.button("Test Connection").click()
    expect(page.locator("#test-result")).to_have_text(re.compile("authorized"))
    page.locator("#credentials-form").get_by_role("button", name="Save").click()
    expect(status).to_have_text("Admin credentials and settings saved.")
    page.locator("#restart-form").get_by_role("button", name="Restart provisioning").click()
    s.button("Run next cycle").click()
    expect(banner).to_be_hidden()
    s.nav("Overview")
    expect(page.get_by_role("article", name="Last cycle", exact=True)).to_contain_text(
        "Marketing is still missing in Genesys, so its members were skipped")
    s.nav("Failures")
    expect(page.locator("#outbox-body tr").first).to_contain_text("identity-team@contoso.com")
