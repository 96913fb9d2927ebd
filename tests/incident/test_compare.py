"""The comparison, entry by entry: which simulated run is which real run, which fields count, and
the quiet cases (an entry the story could not model, a simulated entry the logs lack, target ids
Genesys hands out differently on each side)."""

from __future__ import annotations

import copy
import json

from simulator.incident import compare, parse_logs

SOURCE = "0885c520-d4f8-406d-99b0-88cb1878cfaf"
MANAGER = "e7f80c19-5cc9-4360-9312-21995fcf9fd6"


def entry(entry_id: str, at: str, *, source: str = SOURCE, target: str = "t-alex", action: str = "update",
          status: str = "success", modified: list | None = None, cycle: str = "c1") -> dict:
    return {"id": entry_id, "activityDateTime": at, "cycleId": cycle, "provisioningAction": action,
            "durationInMilliseconds": 250, "provisioningStatusInfo": {"status": status, "errorInformation": None},
            "modifiedProperties": modified or [],
            "initiatedBy": {"initiatorType": "system"},
            "sourceIdentity": {"id": source, "displayName": "Alex", "identityType": "User"},
            "targetIdentity": {"id": target, "displayName": "alex@contoso.com", "identityType": "User"}}


def records(*entries: dict):
    return parse_logs(json.dumps(list(entries))).records


def test_target_ids_are_compared_as_the_objects_they_name() -> None:
    """Alex's manager is Megan on both sides, though each Genesys gave Megan its own id."""
    manager = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
    real = records(entry("m", "2026-01-05T09:00:01Z", source=MANAGER, target="real-megan", action="create"),
                   entry("a", "2026-01-05T09:00:02Z", modified=[{"displayName": manager, "oldValue": None,
                                                                "newValue": "real-megan"}]))
    simulated = records(entry("m2", "2026-01-05T09:00:01Z", source=MANAGER, target="sim-megan", action="create"),
                        entry("a2", "2026-01-05T09:00:02Z", modified=[{"displayName": manager, "oldValue": None,
                                                                      "newValue": "sim-megan"}]))
    assert compare(real, simulated).ok
    other = copy.deepcopy(simulated)
    other[1].modified = [(manager, None, "someone-else")]
    found = compare(real, other).divergences
    assert [(d.log_id, d.field) for d in found] == [("a", f"modifiedProperties[{manager}].newValue")]


def test_runs_pair_by_their_time() -> None:
    real = records(entry("a", "2026-01-05T09:40:01Z"))
    late = records(entry("b", "2026-01-05T10:20:01Z", cycle="c9"))
    result = compare(real, late)
    assert result.reproduced == 0
    assert [(d.log_id, d.field, d.simulated) for d in result.divergences][0] == ("a", "entry", None)
    assert result.divergences[1].log_id is None  # the simulated entry the logs lack
    assert "the real logs have no such entry" in result.divergences[1].line()


def test_a_warm_up_before_the_logs_is_not_compared() -> None:
    real = records(entry("a", "2026-01-05T09:40:01Z"))
    simulated = records(entry("w", "2026-01-04T09:40:01Z", cycle="warm"), entry("b", "2026-01-05T09:40:01Z"))
    assert compare(real, simulated).ok


def test_each_field_that_counts() -> None:
    real = records(entry("a", "2026-01-05T09:40:01Z", modified=[{"displayName": "title", "oldValue": "A", "newValue": "B"}]))
    sim = records(entry("b", "2026-01-05T09:40:01Z", action="disable", status="failure", target="",
                        modified=[{"displayName": "title", "oldValue": "A", "newValue": "C"}]))
    fields = {d.field for d in compare(real, sim).divergences}
    assert fields == {"provisioningAction", "provisioningStatusInfo.status", "modifiedProperties[title].newValue",
                      "targetIdentity.id"}


def test_not_modelled_entries_count_in_the_total_and_say_why() -> None:
    real = records(entry("a", "2026-01-05T09:40:01Z"), entry("x", "2026-01-05T09:40:02Z", source="other"))
    result = compare(real, records(entry("b", "2026-01-05T09:40:01Z")), not_modelled=["x"])
    assert (result.reproduced, result.total, result.not_modelled) == (1, 2, ["x"])
    assert "not modelled" in result.divergences[0].line()
