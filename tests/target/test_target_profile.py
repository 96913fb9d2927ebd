"""The engine's target profile: a job setting, genesys by default, validated; the scim profile's
group lifecycle; expect steps under a target; the scenario runner's wiring."""

from __future__ import annotations

import httpx
import pytest
from scim2_apps import LIFECYCLE, make_scim2_app

from simulator.app import scenario_runner
from simulator.client import ProvsimClient, ProvsimError
from simulator.conformance import Target
from simulator.engine.target_profile import TargetProfile, parse_profile, rules_for
from simulator.scenario.model import load_scenario
from simulator.scenario.runner import ScenarioRunner


def test_profiles_and_their_rules():
    assert parse_profile(None) is TargetProfile.GENESYS and parse_profile("SCIM") is TargetProfile.SCIM
    assert not rules_for("genesys").creates_groups and not rules_for("genesys").deletes_groups
    assert rules_for("scim").creates_groups and rules_for("scim").deletes_groups
    with pytest.raises(ValueError, match="valid: genesys, scim"):
        parse_profile("okta")


def test_the_profile_is_a_validated_job_setting(app):
    client = ProvsimClient.in_process(app)
    job_id = client.configure()
    view = client.graph("GET", client.job_path(job_id))
    assert "TargetProfile" not in {s["name"] for s in view["synchronizationJobSettings"]}  # default: the template's
    service = app.extensions["provsim"].services["provisioning"]
    assert service.jobs.target_rules(service.jobs.get(job_id)).profile is TargetProfile.GENESYS
    client.set_settings(job_id, TargetProfile="Scim")
    assert {"name": "TargetProfile", "value": "scim"} in client.graph("GET", client.job_path(job_id))["synchronizationJobSettings"]
    with pytest.raises(ProvsimError, match="TargetProfile: 'okta' is not a target profile"):
        client.set_settings(job_id, TargetProfile="okta")


def _groups(server) -> dict[str, dict]:
    """The server's groups, read over SCIM."""
    with httpx.Client(transport=httpx.WSGITransport(app=server), base_url="http://scim.test") as http:
        return {g["displayName"]: g for g in http.get("/Groups").json().get("Resources", [])}


def _runner(app, *, profile="scim") -> ScenarioRunner:
    routes, _free = Target.of(app, profile=profile).route()
    return scenario_runner(load_scenario(str(LIFECYCLE)), target=Target.of(app, profile=profile),
                           extra={"target_routes": routes})


@pytest.mark.slow  # the lifecycle story against scim2-server
def test_scim_profile_creates_deletes_and_renames_groups():
    server = make_scim2_app()
    result = _runner(server).run()
    groups = _groups(server)
    # Sales and Marketing created (Marketing has no Genesys counterpart: the scim profile creates it),
    # Support renamed, Engineering deleted in Entra and so in the app.
    assert set(groups) == {"Sales", "Customer Support", "Marketing"}
    # Six members: Joni's removal is refused (Entra's default Remove shape, test_target_findings.py).
    assert groups["Sales"]["externalId"] and len(groups["Sales"]["members"]) == 6
    actions = {(e["provisioningAction"], e["sourceIdentity"]["identityType"]) for e in result.logs}
    assert ("create", "Group") in actions and ("delete", "Group") in actions


@pytest.mark.slow  # the lifecycle story against scim2-server
def test_genesys_profile_never_creates_groups():
    server = make_scim2_app()
    result = _runner(server, profile="genesys").run()
    assert _groups(server) == {}
    missing = [e for e in result.logs if (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode")
               == "GroupMissingInTarget"]
    # Sales, Support, Engineering, Marketing: each logged (again in the new initial cycle after the manager is
    # mapped again), and linked once they exist
    assert {e["sourceIdentity"]["displayName"] for e in missing} == {"Sales", "Support", "Customer Support", "Engineering",
                                                                  "Marketing"}


@pytest.mark.slow  # the lifecycle story against scim2-server
def test_expect_steps_are_not_applicable_with_a_target():
    """The story's expect steps describe the Genesys fake; with a target they are reported as not applicable
    and the story succeeds."""
    result = _runner(make_scim2_app()).run()
    expect = result.outcomes[-1]
    assert expect.step.verb == "expect" and expect.ok
    assert expect.lines == ["expect genesys_user: not applicable with --target"]
    assert result.ok
