"""The 10,000-user story: its first cycle's virtual duration, and its goldens in summary form.

A whole cassette of its 28,872 exchanges would be 52 MB, so its golden is a summary (counts by
request pattern, SHA-256 of every interaction, whole and per block of 1,000, the report's digest
and ends) plus the first 60 interactions as a cassette; see simulator/scenario/golden.py.  Marked
slow (about 40 s here); `make test` and `.ci/run` run it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.app import fresh_app
from simulator.scenario import golden

GOLDENS = Path(__file__).resolve().parents[2] / "cassettes" / "scenarios"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run():
    return golden.record("large-tenant-10k", build=fresh_app)


def test_the_first_cycle_of_10k_users_holds_every_expectation(run):
    assert run.ok, "\n".join(run.result.failures)
    status = run.result.job["status"]
    assert (status["lastSuccessfulExecution"]["timeBegan"], status["lastSuccessfulExecution"]["timeEnded"]) == (
        "2026-01-05T11:40:17Z", "2026-01-05T11:40:17Z")
    initial = run.result.outcomes[2].cycles[0]["status"]["lastExecution"]
    assert (initial["timeBegan"], initial["timeEnded"]) == ("2026-01-05T09:00:00Z", "2026-01-05T11:00:17Z")
    exports = [e for e in run.result.logs if e["provisioningStatusInfo"]["status"] == "success"]
    assert initial["countExported"] == len(exports) == 9703 + 9448  # creates, then managers, group links and members
    assert len(run.result.genesys_users) == 9703


def test_its_traffic_and_report_match_the_summary_golden(run):
    assert sorted(run.files) == ["large-tenant-10k.head.yaml", "large-tenant-10k.summary.yaml"]
    problems = golden.compare(run, GOLDENS)
    if problems:
        pytest.fail("\n\n".join(problems) + "\n(if the change is intended: make goldens)", pytrace=False)
    summary = yaml.safe_load((GOLDENS / "large-tenant-10k.summary.yaml").read_text())
    # 0.25 virtual seconds per request: 28,872 requests take 7,218 s, the cycle's two hours and 17 seconds
    assert summary["interactions"] == 28872 and 28872 * 0.25 == 7218
    assert summary["requests"] == {"GET /api/v2/scim/v2/Groups -> 200": 10, "GET /api/v2/scim/v2/Users -> 200": 9705,
                                   "PATCH /api/v2/scim/v2/Groups/{id} -> 200": 20, "PATCH /api/v2/scim/v2/Users/{id} -> 200": 9434,
                                   "POST /api/v2/scim/v2/Users -> 201": 9703}
    assert len(summary["blocks"]) == 29 and summary["report"]["summary"][-1] == "  Expectations: 2 steps, all held"


def test_a_changed_request_is_located_by_the_summary_diff(run, tmp_path):
    """A digest alone would only say 'different': the block digests and the counts say where and what."""
    data = yaml.safe_load(run.files["large-tenant-10k.summary.yaml"])
    data["blocks"][12] = data["blocks"][12].split()[0] + " " + "0" * 64
    data["requests"]["PATCH /api/v2/scim/v2/Users/{id} -> 200"] += 1
    (tmp_path / "large-tenant-10k.summary.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (tmp_path / "large-tenant-10k.head.yaml").write_text(run.files["large-tenant-10k.head.yaml"], encoding="utf-8")
    (problem,) = golden.compare(run, tmp_path)
    assert problem.splitlines()[1:] == ["  PATCH /api/v2/scim/v2/Users/{id} -> 200: 9435 -> 9434",
                                        "  first differing block: interactions 12001-13000"]
