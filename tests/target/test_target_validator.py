"""Issue 25: the validator's checks under --target, each with its RFC section and MUST or SHOULD.

scim2-server passes them but one (test_target_findings.py); small WSGI wrappers around it break one
rule each, as a server under construction would, and the report must name that rule and no other.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
from scim2_apps import LIFECYCLE, make_scim2_app

from simulator.conformance import render_json, render_text, run_target

pytestmark = pytest.mark.slow  # every test runs a story against a SCIM server (seconds each)

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class Breaks:
    """A WSGI wrapper: ``answer(method, path, query, body)`` may answer instead of the server;
    ``statuses`` rewrites the server's statuses (``{409: 400}``)."""

    def __init__(self, app, answer=None, statuses=None) -> None:
        self.app, self.answer, self.statuses = app, answer, statuses or {}

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        import io

        environ["wsgi.input"] = io.BytesIO(raw)
        body = json.loads(raw) if raw else None
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        own = self.answer(environ["REQUEST_METHOD"], environ["PATH_INFO"], query, body) if self.answer else None
        if own is not None:
            status, payload = own
            data = json.dumps(payload).encode() if payload is not None else b""
            start_response(f"{status} X", [("Content-Type", "application/scim+json"), ("Content-Length", str(len(data)))])
            return [data]

        def start(status, headers, exc_info=None):
            code = int(status.split()[0])
            return start_response(f"{self.statuses.get(code, code)} X", headers, exc_info)

        return self.app(environ, start)


def verdicts(report) -> dict[str, str]:
    return {v.pattern.id: v.verdict for v in report.verdicts}


def findings(report, pattern: str) -> list[str]:
    return [c.detail for _n, c in report.verdict(pattern).findings]


def test_scim_validator_probes_your_server_not_the_genesys_fake():
    """Issue 25: `scenario run scim-validator --target` printed 12 step errors (its probes went to the fake)."""
    report = run_target("scim-validator", make_scim2_app())
    assert all(not p.step_errors for p in report.passes), [p.step_errors for p in report.passes]
    story = [ex for ex in report.exchanges if ex.source == "story"]
    assert [ex.target for ex in story[:3]] == ['GET /Users?filter=userName eq "nobody@contoso.com"',
                                               'GET /Groups?excludedAttributes=members&filter=displayName eq "Nobody"',
                                               "GET /Users?startIndex=1&count=5"]
    assert all(ex.status in (200, 201, 204) for ex in story)
    assert {p for ex in story for p in ex.patterns} >= {"match-user", "filter-zero", "paging", "update-user", "create-group"}
    # the story's PATCH (an empty title) is read back too
    assert any(ex.ref == story[-3].n for ex in report.exchanges if ex.patterns == ["read-back-user"])
    assert "Genesys" not in render_text(report)


def test_every_validator_check_cites_its_rfc_section_and_word(lifecycle_report):
    data = json.loads(render_json(lifecycle_report))
    validator = {v["pattern"]: (v["rfc"], v["level"]) for v in data["verdicts"] if "level" in v}
    assert validator == {
        "duplicate-user": ("RFC 7644 §3.3, RFC 7643 §4.1.1", "MUST"),
        "duplicate-group": ("RFC 7644 §3.3, RFC 7643 §4.2", "SHOULD"),
        "filter-case": ("RFC 7643 §7, RFC 7644 §3.4.2.2", "MUST"),
        "discovery": ("RFC 7644 §4, RFC 7643 §5-7", "SHOULD"),
        "read-back-user": ("RFC 7644 §3.5.2", "MUST"),
        "read-back-group": ("RFC 7644 §3.5.2", "MUST"),
        "random-values": ("RFC 7644 §3.3, §3.4.1", "SHOULD"),
    }
    text = render_text(lifecycle_report)
    assert "  PASS      MUST   Create a user that exists" in text
    assert "    rests on: RFC 7644 §3.3, RFC 7643 §4.2 (SHOULD)" in text


def test_a_disable_the_server_acknowledges_but_does_not_store_is_read_back():
    """"A GET and a filter on a disabled user return active": a server that answers 204 to the disable
    and keeps the user active fails read-back-user (MUST), by id and by filter."""
    def forget_disable(method, path, query, body):
        ops = (body or {}).get("Operations") or []
        if method == "PATCH" and path.startswith("/Users/") and any(str(op.get("path")).lower() == "active" for op in ops):
            return 204, None
        return None

    report = run_target(LIFECYCLE, Breaks(make_scim2_app(), forget_disable))
    assert verdicts(report)["read-back-user"] == "fail"
    assert verdicts(report)["disable-user"] == "pass"  # the engine itself saw nothing wrong
    details = findings(report, "read-back-user")
    assert "active: sent 'False', a GET by id shows True" in details
    assert "active: sent 'False', the filter shows True" in details
    assert "active: sent False, a GET by id shows True" in details  # the aadOptscim062020 pass: a JSON boolean
    assert not report.ok


def test_a_case_sensitive_user_filter_fails_filter_case():
    def case_sensitive(method, path, query, body):
        value = query.get("filter", "")
        if method == "GET" and path == "/Users" and value.startswith("userName eq") and value != value.lower():
            return 200, {"schemas": [LIST], "totalResults": 0, "Resources": [], "startIndex": 1, "itemsPerPage": 0}
        return None

    report = run_target(LIFECYCLE, Breaks(make_scim2_app(), case_sensitive))
    assert verdicts(report)["filter-case"] == "fail" and verdicts(report)["match-user"] == "pass"
    (detail,) = set(findings(report, "filter-case"))
    assert "found 0 user(s), expected the one created as" in detail and "userName is caseExact false" in detail


def test_a_server_that_answers_a_duplicate_with_400_fails_duplicate_user():
    report = run_target(LIFECYCLE, Breaks(make_scim2_app(), statuses={409: 400}))
    assert verdicts(report)["duplicate-user"] == "fail"
    assert "answered 400 to a second create of the same userName, expected 409" in findings(report, "duplicate-user")


def test_a_missing_discovery_endpoint_is_a_warning_not_a_failure():
    """SHOULD checks never fail a run: a server without /Schemas gets WARN, and the run's verdict is its own."""
    def no_schemas(method, path, query, body):
        return (404, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404"}) \
            if path == "/Schemas" else None

    report = run_target(LIFECYCLE, Breaks(make_scim2_app(), no_schemas))
    assert verdicts(report)["discovery"] == "warn"
    assert "GET /Schemas answered 404, expected 200" in findings(report, "discovery")
    assert {k for k, v in verdicts(report).items() if v == "fail"} == {"manager", "remove-members"}  # as without


@pytest.mark.parametrize("fixture", ["lifecycle_report"])
def test_probes_clean_up_what_they_created(fixture, request):
    """The duplicate group scim2-server let in, and the random-values user, are deleted again."""
    report = request.getfixturevalue(fixture)
    cleanups = [ex for ex in report.exchanges if ex.patterns == ["cleanup"]]
    assert [ex.method for ex in cleanups] == ["DELETE"] * len(cleanups) and len(cleanups) == 3  # group x2, random user
    assert all(ex.status == 204 for ex in cleanups)
    random_user = next(ex for ex in report.exchanges if ex.patterns == ["random-values"] and ex.method == "POST")
    assert random_user.body["userName"].startswith("provsim-validator-") and random_user.status == 201


def test_one_transient_error_names_no_cause():
    """The quiet case of the first line: one 503 on one create is that pattern's finding, not "unreachable"
    or "not a SCIM root" (Test Connection passed)."""
    posts = []

    def one_503(method, path, query, body):
        if method == "POST" and path == "/Users":
            posts.append(path)
            if len(posts) == 3:
                return 503, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "503"}
        return None

    report = run_target(LIFECYCLE, Breaks(make_scim2_app(), one_503))
    assert report.diagnosis is None
    assert report.headline.startswith("FAILED: your SCIM server failed ") and "Create a user" in report.headline
    assert report.verdict("test-connection").verdict == "pass"
