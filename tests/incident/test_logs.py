"""Reading LOGS.json as identity engineers hold it: one Graph page, a list of pages, the portal's plain
array, PowerShell's PascalCase (`Get-MgAuditLogProvisioning | ConvertTo-Json`), and clear errors that
name the file and the element."""

from __future__ import annotations

import json

import pytest

from simulator.incident import LogsInvalid, parse_logs


def entry(n: int, *, at: str = "2026-01-05T09:40:0{n}Z", status: str = "success", code: str | None = None) -> dict:
    return {
        "id": f"log-{n}", "activityDateTime": at.format(n=n), "cycleId": "cycle-1", "jobId": "job",
        "provisioningAction": "update", "durationInMilliseconds": 250,
        "provisioningStatusInfo": {"status": status, "errorInformation": {"errorCode": code, "reason": "r"} if code else None},
        "provisioningSteps": [{"name": "EntryExportUpdate", "provisioningStepType": "export", "status": status,
                               "description": "d", "details": {"StatusCode": "500"} if code else {}}],
        "modifiedProperties": [{"displayName": "title", "oldValue": "A", "newValue": "B"}],
        "initiatedBy": {"id": "", "displayName": "Azure AD Provisioning Service", "initiatorType": "system"},
        "sourceIdentity": {"id": f"0000000{n}-0000-4000-8000-000000000000", "displayName": f"User {n}",
                           "identityType": "User", "details": {}},
        "targetIdentity": {"id": f"t{n}", "displayName": f"user{n}@contoso.com", "identityType": "User", "details": {}},
        "targetSystem": {"displayName": "PureCloud by Genesys", "details": {}},
    }


def pascal(value):
    """What ConvertTo-Json makes of the SDK's objects: PascalCase property names (details keep theirs)."""
    if isinstance(value, list):
        return [pascal(v) for v in value]
    if isinstance(value, dict):
        return {(k[:1].upper() + k[1:] if k not in ("StatusCode",) else k): pascal(v) for k, v in value.items()}
    return value


def test_one_page_newest_first_is_read_oldest_first() -> None:
    logs = parse_logs(json.dumps({"value": [entry(3), entry(2), entry(1)]}))
    assert [r.id for r in logs.records] == ["log-1", "log-2", "log-3"]
    assert logs.records[0].modified == [("title", "A", "B")]
    assert logs.records[0].begin.isoformat() == "2026-01-05T09:40:00.750000+00:00"


def test_a_list_of_pages_overlapping_entries_read_once() -> None:
    pages = [{"value": [entry(3), entry(2)], "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/provisioning?$skiptoken=x"},
             {"value": [entry(2), entry(1)]}]
    logs = parse_logs(json.dumps(pages))
    assert [r.id for r in logs.records] == ["log-1", "log-2", "log-3"]
    assert any("already read" in note for note in logs.notes)


def test_a_single_page_with_a_next_link_says_the_logs_go_on() -> None:
    logs = parse_logs(json.dumps({"value": [entry(1)], "@odata.nextLink": "https://graph.microsoft.com/v1.0/x"}))
    assert any("@odata.nextLink" in note for note in logs.notes)


def test_powershell_pascal_case_dates_and_utf16() -> None:
    """Windows PowerShell's Out-File writes UTF-16 with a BOM; ConvertTo-Json writes /Date(ms)/ for a
    DateTime (PowerShell 7: seven fraction digits)."""
    first = pascal(entry(1, status="failure", code="InternalServerError"))
    first["ActivityDateTime"] = "/Date(1767606001000)/"
    second = pascal(entry(2))
    second["ActivityDateTime"] = "2026-01-05T09:40:02.1234567Z"
    raw = json.dumps([first, second]).encode("utf-16")
    logs = parse_logs(raw)
    one, two = logs.records
    assert (one.action, one.status, one.error_code, one.source.kind) == ("update", "failure", "InternalServerError", "User")
    assert one.at.isoformat() == "2026-01-05T09:40:01+00:00"
    assert two.at.microsecond == 123456
    assert one.step_details() == {"StatusCode": "500"}
    assert any("UTF-16" in note for note in logs.notes)


def test_powershell_cut_off_objects_are_an_error_naming_the_element() -> None:
    cut = pascal(entry(1))
    cut["ProvisioningStatusInfo"] = "Microsoft.Graph.PowerShell.Models.MicrosoftGraphProvisioningStatusInfo"
    with pytest.raises(LogsInvalid) as caught:
        parse_logs(json.dumps([cut]), "LOGS.json")
    assert caught.value.file == "LOGS.json" and caught.value.element == "[0].provisioningStatusInfo"
    assert "-Depth 10" in str(caught.value)


@pytest.mark.parametrize(("document", "element", "says"), [
    ('{"value": [{"id": "a", "activityDateTime": "yesterday"}]}', "value[0].activityDateTime", "ISO-8601"),
    ('{"value": [{"activityDateTime": "2026-01-05T09:00:00Z"}]}', "value[0].id", "has an id"),
    ('{"value": [42]}', "value[0]", "a number"),
    ('[{"id": "a", "activityDateTime": "2026-01-05T09:00:00Z", "modifiedProperties": {}}]', "[0].modifiedProperties",
     "expected an array"),
    ('{"values": []}', "", "Graph page"),
    ('{"value": [', "line 1 column 12", "not JSON"),
])
def test_invalid_input_names_file_and_element(document: str, element: str, says: str) -> None:
    with pytest.raises(LogsInvalid) as caught:
        parse_logs(document, "LOGS.json")
    assert caught.value.element == element
    assert says in str(caught.value) and str(caught.value).startswith("LOGS.json: ")


def test_a_trailing_comma_is_read_and_noted() -> None:
    logs = parse_logs('[{"id": "a", "activityDateTime": "2026-01-05T09:00:00Z", "modifiedProperties": [],}]')
    assert [r.id for r in logs.records] == ["a"]
    assert logs.notes == ["a trailing comma (not JSON) was ignored at line 1"]
