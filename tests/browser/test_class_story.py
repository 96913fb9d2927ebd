"""The whole class story, clicked through the dashboard in headless Chromium, as a trainer would.

From an empty job on the contoso tenant: create the job, get a secret token, test the connection,
save, start, assign a user, advance the clock and see the user created in Genesys; expire the
token, change the user, advance and see the quarantine banner and the notification e-mail; enter a
new secret, restart and recover.  Every assertion is about what is on the page.
"""

from __future__ import annotations

import re

import pytest

from simulator.client import ProvsimClient

pytestmark = pytest.mark.browser

PAGES = ("Overview", "Setup", "Mappings", "Directory", "Provisioning logs", "OAuth", "Groups", "People", "Failures",
         "Scenarios")


def test_the_class_story_from_an_empty_job(desktop, expect):
    s, page = desktop, desktop.page
    s.open()
    expect(page.locator("#overview-body")).to_contain_text("No provisioning job yet")
    expect(page.locator("#clock")).to_have_text("2026-01-05T09:00:00Z")
    s.shot("desktop-01-overview-empty-job")

    # Setup: the job from the gallery template, the secret token, test connection, save
    s.button("Create the provisioning job").first.click()
    expect(s.status()).to_contain_text("Provisioning job created from the PureCloud by Genesys template")
    s.nav("Setup")
    expect(page.locator("#setup-job")).to_contain_text("purecloud.")
    token = page.get_by_label("Secret Token")
    s.button("Get a token from Genesys").click()
    expect(token).not_to_have_value("")
    s.button("Test Connection").click()
    expect(page.locator("#test-result")).to_have_text(re.compile("The supplied credentials are authorized"))
    page.get_by_label("Notification Email").fill("identity-team@contoso.com")
    page.get_by_label("Send an email notification when a failure occurs").check()
    page.locator("#credentials-form").get_by_role("button", name="Save").click()
    expect(s.status()).to_have_text("Admin credentials and settings saved.")
    expect(page.locator("#token-hint")).to_contain_text("A secret token is saved")
    expect(token).to_have_value("")  # the page never shows a saved token again
    assert s.fits()
    s.shot("desktop-02-setup")

    # Start, assign Allan (Finance: not assigned yet), advance one cycle interval
    s.nav("Overview")
    s.button("Start provisioning").click()
    expect(s.status()).to_contain_text("Provisioning status: On")
    s.nav("Directory")
    allan = page.locator("tr[data-user='allan.deyoung@contoso.com']")
    expect(allan).to_contain_text("Not assigned to the app")
    s.button("Assign Allan Deyoung").click()
    page.get_by_role("dialog").get_by_role("button", name="Assign").click()  # the app's User role, preselected
    expect(allan).to_contain_text("Assigned (User)")
    expect(allan.locator(".genesys-state")).to_contain_text("Missing")
    s.button("Advance the clock PT40M").click()
    expect(page.locator("#clock")).to_have_text("2026-01-05T09:40:00Z")
    expect(s.status()).to_contain_text("2 provisioning cycles ran")
    expect(allan.locator(".genesys-state")).to_contain_text("Created by provisioning")
    expect(allan.locator(".genesys-state")).to_contain_text("Finance Manager")
    expect(page.locator("tr[data-user='megan.bowen@contoso.com'] .genesys-state")).to_contain_text("Matched on userName")
    expect(page.locator("tr[data-group='Marketing']")).to_contain_text("No Genesys group with this name")
    s.shot("desktop-03-directory-created")

    s.nav("Overview")
    expect(page.locator("#status-text")).to_have_text("Incremental cycle completed.")
    expect(page.locator("#count-users")).to_have_text("23")
    expect(page.locator("#next-run")).to_have_text("2026-01-05 10:20:00Z")
    expect(page.get_by_role("article", name="Last cycle with changes")).to_contain_text("create")
    assert s.fits()
    s.shot("desktop-04-overview-active")

    # Provisioning logs: filter on Allan's creation and open it
    s.nav("Provisioning logs")
    page.get_by_label("Identity (name or object id)").fill("Allan Deyoung")
    page.get_by_label("Action", exact=True).select_option("create")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#log-query")).to_contain_text("provisioningAction eq 'create'")
    rows = page.locator("#logs-body tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Allan Deyoung")
    expect(rows.first).to_contain_text("Success")
    rows.first.get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("User 'allan.deyoung@contoso.com' was created in PureCloud by Genesys")
    expect(dialog.get_by_role("row", name=re.compile(r"title\b"))).to_contain_text("Finance Manager")
    s.shot("desktop-05-log-detail", full_page=False)
    dialog.get_by_role("button", name="Close").click()

    # Break it: the token expires, HR changes Allan, the next cycle quarantines the job
    s.nav("Failures")
    s.button("Expire every Genesys token").click()
    expect(s.status()).to_contain_text("the saved secret token no longer works")
    s.nav("Directory")
    s.button("Edit Allan Deyoung").click()
    dialog.get_by_label("Job title").fill("Head of Finance")
    dialog.get_by_role("button", name="Save").click()
    expect(allan).to_contain_text("Head of Finance")
    s.button("Advance the clock PT40M").click()
    banner = page.locator("#quarantine-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("The provisioning job is in quarantine")
    expect(banner).to_contain_text("EncounteredQuarantineException")
    expect(banner).to_contain_text("Unauthorized: Genesys answered 401: Invalid login credentials.")
    expect(banner).to_contain_text("next attempt 2026-01-06 10:20:00Z")
    expect(banner).to_contain_text("A notification e-mail was sent")
    s.nav("Overview")
    expect(page.locator("#status-text")).to_have_text("The provisioning job is in quarantine.")
    s.shot("desktop-06-quarantine")

    s.nav("Failures")
    mail = page.locator("#outbox-body tr").first
    expect(mail).to_contain_text("identity-team@contoso.com")
    expect(mail).to_contain_text("is in quarantine (EncounteredQuarantineException)")
    mail.get_by_role("button").click()
    expect(dialog).to_contain_text("Microsoft Azure <azure-noreply@microsoft.com>")
    expect(dialog).to_contain_text("Error code:    Unauthorized")
    s.shot("desktop-07-failures-email", full_page=False)
    dialog.get_by_role("button", name="Close").click()

    # Fix the secret, restart, recover
    s.nav("Setup")
    s.button("Get a token from Genesys").click()
    expect(token).not_to_have_value("")
    s.button("Test Connection").click()
    expect(page.locator("#test-result")).to_have_text(re.compile("authorized"))
    page.locator("#credentials-form").get_by_role("button", name="Save").click()
    expect(s.status()).to_have_text("Admin credentials and settings saved.")
    page.locator("#restart-form").get_by_role("button", name="Restart provisioning").click()
    expect(s.status()).to_contain_text("Provisioning restarted")
    s.button("Run next cycle").click()
    expect(banner).to_be_hidden()
    s.nav("Overview")
    expect(page.locator("#status-text")).to_have_text("Initial cycle completed.")
    expect(page.get_by_role("article", name="Last cycle")).to_contain_text("update")
    s.nav("Directory")
    expect(allan.locator(".genesys-state")).to_contain_text("Head of Finance")
    s.shot("desktop-08-recovered-directory")


def test_a_library_story_told_one_step_per_click(desktop, expect):
    s, page = desktop, desktop.page
    s.open("#scenarios")
    big = page.get_by_role("article", name="Story large-tenant-10k")
    expect(big).to_contain_text("provsim scenario run large-tenant-10k")  # no Load button for a generated tenant
    assert big.get_by_role("button").count() == 0
    s.button("Load demo").click()
    expect(page.locator("#story-position")).to_have_text("Step 0 of 17")
    for n in range(1, 5):
        s.button("Next step").click()
        expect(page.locator("#story-position")).to_have_text(f"Step {n} of 17")
    story = page.locator("#story")
    expect(story).to_contain_text("2 provisioning cycle(s) ran")
    expect(story).to_contain_text("provisioning log: create success × 21")
    s.button("Next step").click()
    expect(story).to_contain_text("expect genesys_users: ok")
    assert s.fits()
    s.shot("desktop-09-scenarios")
    s.nav("Overview")  # the story's job is the page's job
    expect(page.locator("#count-users")).to_have_text("22")
    for name in PAGES:
        s.nav(name)
        assert s.fits(), f"{name} is wider than 1280 pixels"


def test_live_updates_keep_what_the_trainer_is_typing(desktop, served, expect):
    s, page = desktop, desktop.page
    s.open("#setup")
    page.evaluate("window.__sameDocument = true")
    with ProvsimClient.connect(served.url) as script:  # someone else, with a script, creates the job
        script.configure(start=True, notify="from-the-script@contoso.com")
    expect(page.locator("#setup-job")).to_contain_text("purecloud.")  # the page noticed by itself
    expect(page.get_by_label("Notification Email")).to_have_value("from-the-script@contoso.com")
    page.get_by_label("Notification Email").fill("typed-but-not-saved@contoso.com")
    with ProvsimClient.connect(served.url) as script:  # and moves the clock while the trainer types
        script.advance("PT40M")
    expect(page.locator("#clock")).to_have_text("2026-01-05T09:40:00Z")
    expect(page.locator("#setup-status")).to_contain_text("Active")
    assert page.get_by_label("Notification Email").input_value() == "typed-but-not-saved@contoso.com"
    assert page.evaluate("window.__sameDocument") is True  # updated in place, never reloaded
    s.nav("Provisioning logs")
    page.get_by_label("Identity (name or object id)").fill("Alex")
    with ProvsimClient.connect(served.url) as script:
        script.advance("PT5M")
    expect(page.locator("#clock")).to_have_text("2026-01-05T09:45:00Z")
    assert page.get_by_label("Identity (name or object id)").input_value() == "Alex"
