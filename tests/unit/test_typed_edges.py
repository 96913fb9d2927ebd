"""Control and config input is parsed into typed values at the edge (fault rules -> FaultRule, a clock
request -> timedelta, scenario steps -> schema-checked Step): a value of the wrong type is a clear 4xx in the
surface's own format (or a file:line:column problem), never a 500, and nothing is half-added."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from simulator import create_app
from simulator.control.views import ControlError, clock_delta, fault_rules
from simulator.core import ConfigError, FaultRule, ProvsimConfig, parse_datetime
from simulator.scenario import ScenarioInvalid, load_scenario


@pytest.fixture(scope="module")
def control():
    return create_app(ProvsimConfig()).test_client()


@pytest.fixture(autouse=True)
def _no_rules(control):
    control.delete("/_provsim/faults")
    yield
    control.delete("/_provsim/faults")


def _error(resp, status: int = 400) -> str:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == "badRequest", body
    return str(body["error"]["message"])


@pytest.mark.parametrize("rules", [5, None, "ab", {"status": 503}])
def test_rules_that_are_not_a_list_are_a_400_not_a_500(control, caplog, rules):
    with caplog.at_level(logging.ERROR):
        message = _error(control.post("/_provsim/faults", json={"rules": rules}))
    assert "'rules' is a list of fault rule objects" in message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback logged: refused at the edge
    assert control.get("/_provsim/faults").get_json()["value"] == []


def test_one_bad_rule_in_a_list_adds_none_of_them_and_is_named(control):
    message = _error(control.post("/_provsim/faults", json={"rules": [{"status": 503}, {"status": "500"}]}))
    assert message == "rules[1]: fault status must be an integer, got '500'"
    assert control.get("/_provsim/faults").get_json()["value"] == []  # the good first rule was not kept either


def test_rules_beside_other_fields_is_refused_rather_than_half_read(control):
    message = _error(control.post("/_provsim/faults", json={"rules": [{"status": 503}], "status": 500}))
    assert '{"rules": [rule, ...]}' in message
    assert control.get("/_provsim/faults").get_json()["value"] == []


def test_a_good_list_is_added_in_order_as_fault_rules(control):
    resp = control.post("/_provsim/faults", json={"rules": [{"status": 503, "note": "a"}, {"delay": 2, "note": "b"}]})
    assert resp.status_code == 201
    assert [r["note"] for r in resp.get_json()["value"]] == ["a", "b"]
    assert [r["note"] for r in control.get("/_provsim/faults").get_json()["value"]] == ["a", "b"]


def test_fault_rules_parse_into_typed_values():
    [one] = fault_rules({"method": "post", "path": "/v1.0/users", "status": 429, "headers": {"Retry-After": "3"}})
    assert isinstance(one, FaultRule) and one.method == "POST" and one.status == 429
    with pytest.raises(ConfigError, match="fault nth must be an integer"):
        fault_rules({"status": 500, "nth": True})
    with pytest.raises(ControlError) as caught:
        fault_rules({"rules": [{"status": 503}, {"drop": "sometimes"}]})
    assert caught.value.status == 400 and caught.value.message.startswith("rules[1]: fault drop is true")


@pytest.mark.parametrize("body,message", [
    ({"duration": 40}, "'duration' is an ISO-8601 duration string such as PT40M"),
    ({"duration": ["PT1H"]}, "'duration' is an ISO-8601 duration string such as PT40M"),
    ({"to": 1767600000}, "'to' is an ISO-8601 date-time string"),
    ({"to": {"date": "2026-01-06"}}, "'to' is an ISO-8601 date-time string"),
])
def test_a_clock_request_of_the_wrong_type_is_a_400(control, body, message):
    before = control.get("/_provsim/clock").get_json()["now"]
    assert message in _error(control.post("/_provsim/clock/advance", json=body))
    assert control.get("/_provsim/clock").get_json()["now"] == before


def test_a_clock_request_parses_into_a_timedelta():
    now = parse_datetime("2026-01-05T09:00:00Z")
    assert clock_delta({"duration": "PT40M"}, now) == timedelta(minutes=40)
    assert clock_delta({"to": "2026-01-06T09:00:00Z"}, now) == timedelta(days=1)


def test_scenario_steps_of_the_wrong_type_are_located_problems(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ntenant: contoso\nsteps:\n"
                    "  - advance: 40\n"
                    "  - fault: {path: \"/api/v2/scim/*\", status: \"503\"}\n"
                    "  - fault: {path: \"/api/v2/scim/*\", status: 503, nth: true}\n"
                    "  - configure: {scope: 7}\n")
    with pytest.raises(ScenarioInvalid) as caught:
        load_scenario(path)
    lines = str(caught.value).splitlines()
    assert lines == [
        f"{path}:4:14: step 1 (advance): expected an ISO-8601 duration such as PT40M, PT6H, P1D or P30D "
        "(no years or months), got a number (40)",
        f"{path}:5:45: step 2 (fault) status: expected whole number 100..599, got text ('503')",
        f"{path}:6:55: step 3 (fault) nth: expected whole number >= 1, got true/false (true)",
        f"{path}:7:24: step 4 (configure) scope: 7 is not one of: assigned, all",
    ]
