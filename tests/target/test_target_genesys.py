"""The report against provsim's own Genesys fake with the genesys profile: everything that is not a
documented Genesys deviation passes; groups are never created or deleted."""

from __future__ import annotations

import pytest

from simulator.app import create_app
from simulator.client import ProvsimClient
from simulator.conformance import render_text, run_target

pytestmark = pytest.mark.slow  # every test runs a story against a SCIM server (seconds each)

DEVIATIONS = {"update-group", "add-members", "remove-members", "paging-groups"}
#: aadOptscim062020 applies to non-gallery apps only (issue 19): the genesys profile's second pass sends the
#: default shapes again, so the RFC patterns are not exercised.
RFC_PATTERNS = {"update-user-rfc", "disable-user-rfc", "remove-members-rfc"}


@pytest.fixture(scope="module")
def genesys_report():
    # A second provsim is the target: its Genesys fake, reached in-process. Its clock never moves, so
    # Genesys' 300 requests/minute would throttle both passes: the limit is off for it.
    target = create_app(seed=1, rate_limits=False)
    token = ProvsimClient.in_process(target).genesys_token()
    return run_target("demo", target, token=token, profile="genesys",
                      base_url="http://genesys.target.invalid/api/v2/scim/v2")


def test_only_documented_genesys_deviations(genesys_report):
    verdicts = {v.pattern.id: v.verdict for v in genesys_report.verdicts}
    assert {k for k, v in verdicts.items() if v == "deviation"} == DEVIATIONS
    assert {k for k, v in verdicts.items() if v == "not exercised"} == {"create-group", "delete-group",
                                                                      "duplicate-group"} | RFC_PATTERNS
    assert set(verdicts.values()) == {"pass", "deviation", "not exercised"}
    assert genesys_report.ok
    # the quiet case of the first line: nothing failed, no cause to name, and the profile's name for the server
    assert genesys_report.diagnosis is None
    assert genesys_report.headline == "PASSED: Genesys answered every pattern the story sent"
    for verdict in genesys_report.verdicts:
        for _n, check in verdict.findings:
            assert check.result == "deviation" and "docs/fidelity.md" in check.deviation


def test_groups_are_never_posted_or_deleted(genesys_report):
    assert not [ex for ex in genesys_report.exchanges
                if ex.path.lower().startswith("/groups") and ex.method in ("POST", "DELETE")]
    text = render_text(genesys_report)
    assert "the genesys profile never creates groups: Genesys can't create or delete groups" in text


def test_the_first_pass_is_the_demo(genesys_report):
    """Pass one sends what `make run` sends to the fake: the same provisioning-log counts."""
    assert genesys_report.passes[0].log_counts == {"create/success": 22, "delete/success": 1, "disable/success": 3,
                                                    "other/skipped": 2, "update/success": 33}
    assert genesys_report.passes[1].job["code"] == "Active"
