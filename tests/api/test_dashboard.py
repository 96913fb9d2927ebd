"""The dashboard a trainer shows: state, provisioning logs, and buttons that move time and break things."""

import re


def test_dashboard_shows_the_demo_tenant_and_no_job_yet(client):
    page = client.get("/").get_data(as_text=True)
    assert "2026-01-05T09:00:00Z" in page
    assert "No provisioning job yet" in page
    assert "megan.bowen@contoso.com" in page  # the Genesys org's hand-made user
    assert "Sales" in page and "Contact Center Admins" in page


def test_buttons_move_time_and_add_faults(client):
    client.get("/")  # the page sets the dashboard's form cookie, as a browser would keep it
    resp = client.post("/dashboard/advance", data={"duration": "PT40M"})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "2026-01-05T09:40:00Z" in page and "advanced PT40M" in page
    resp = client.post("/dashboard/advance", data={"duration": "40 minutes"})
    assert "not an ISO-8601 duration" in client.get(resp.headers["Location"]).get_data(as_text=True)
    client.post("/dashboard/faults", data={"method": "POST", "path": "/api/v2/scim/v2/users", "effect": "status", "status": "503"})
    page = client.get("/").get_data(as_text=True)
    assert re.search(r"POST /api/v2/scim/v2/users</code> &rarr; 503", page)
    client.post("/dashboard/faults/clear")
    assert "/api/v2/scim/v2/users</code>" not in client.get("/").get_data(as_text=True)


def test_dashboard_lists_provisioning_activity_after_a_cycle():
    from simulator.scenario.model import load_scenario
    from simulator.scenario.runner import ScenarioRunner

    scenario = load_scenario("demo")
    scenario.steps = scenario.steps[:4]  # token, configure, start, first cycles
    runner = ScenarioRunner(scenario)
    runner.run()
    page = runner.app.test_client().get("/").get_data(as_text=True)
    assert "Active" in page and runner.job_id in page
    assert "alex.wilber@contoso.com" in page and "GroupMissingInTarget" in page
    assert "provsim-purecloud-secret" not in page
