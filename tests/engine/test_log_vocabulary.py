"""Provisioning-log vocabulary (issue 10, observation 7): Microsoft's documented codes where one exists,
provsim's own codes only where none does, each of those listed in docs/fidelity.md."""

from pathlib import Path

import pytest

from simulator.client import ProvsimClient
from simulator.engine import codes
from simulator.engine.target import _STATUS_CODES, INCOMPATIBLE

FIDELITY = Path(__file__).resolve().parents[2] / "docs" / "fidelity.md"


def test_every_provsim_code_is_listed_in_the_fidelity_notes_with_its_closest_documented_behaviour():
    text = FIDELITY.read_text(encoding="utf-8")
    section = text[text.index("### Provisioning-log codes"):]
    section = section[:section.index("\n## ")]
    for code in codes.PROVSIM:
        assert f"`{code}`" in section, f"{code} is provsim's own code but docs/fidelity.md does not list it"
    for code in codes.MICROSOFT:
        assert code not in codes.PROVSIM


def test_every_http_answer_maps_to_a_known_code():
    assert all(codes.is_known(code) for code in [*_STATUS_CODES.values(), INCOMPATIBLE])


@pytest.mark.parametrize("status,code", [(403, "InsufficientRights"), (503, "InternalServerError"), (504, "Timeout")])
def test_documented_codes_replace_provsims_old_ones(status, code):
    assert _STATUS_CODES[status] == code


def test_a_cycle_logs_only_known_codes_and_not_effectively_entitled_for_objects_out_of_scope(app):
    sim = ProvsimClient.in_process(app)
    job = sim.configure(scope="all")
    schema = sim.schema(job)
    users = schema["synchronizationRules"][0]["objectMappings"][0]
    users["scope"] = {"groups": [{"name": "Sales only", "clauses": [
        {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}]}]}
    sim.put_schema(job, schema)
    sim.start(job)
    sim.advance("PT1M")
    entries = sim.logs(all_pages=True, top=1000)
    unknown = {(e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode") for e in entries} - set(
        codes.MICROSOFT) - set(codes.PROVSIM) - {None}
    assert unknown == set()
    by_name = {e["sourceIdentity"]["displayName"]: e["provisioningStatusInfo"] for e in entries}
    assert by_name["Grady Archie"]["status"] == "skipped"  # Support: outside the scoping filter
    assert by_name["Grady Archie"]["errorInformation"]["errorCode"] == "NotEffectivelyEntitled"
    assert "ScopingFilter" in by_name["Grady Archie"]["errorInformation"]["reason"]
    assert by_name["Finance"]["errorInformation"]["errorCode"] == "GroupMissingInTarget"
