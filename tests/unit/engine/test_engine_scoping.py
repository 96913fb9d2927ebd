"""Scoping filters: every operator, the null rule, AND within a group, OR across groups."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.engine.errors import ScopingFilterError
from simulator.engine.scoping import ScopingOperator, parse_scoping_filter


def clause(op: str, attribute: str, *values: str) -> dict[str, Any]:
    return {"operatorName": op, "sourceOperandName": attribute, "targetOperand": {"values": list(values)}}


def one(op: str, attribute: str, *values: str) -> dict[str, Any]:
    return {"groups": [{"clauses": [clause(op, attribute, *values)]}]}


def in_scope(filter_obj: dict[str, Any], source: dict[str, Any]) -> bool:
    return parse_scoping_filter(filter_obj).evaluate(source)[0]


@pytest.mark.parametrize(
    ("op", "values", "value", "expected"),
    [
        ("EQUALS", ["Sales"], "Sales", True),
        ("EQUALS", ["Sales"], "sales", False),  # case-sensitive
        ("NOT EQUALS", ["Sales"], "Support", True),
        ("NOT_EQUALS", ["Sales"], "Sales", False),
        ("NOT EQUALS", ["Sales"], "sales", True),
        ("Includes", ["ale"], "Sales", True),
        ("INCLUDES", ["ALE"], "Sales", False),  # case-sensitive
        ("ENDS_WITH", ["@contoso.com"], "a@contoso.com", True),
        ("ENDS_WITH", ["@contoso.com"], "a@fabrikam.com", False),
        ("&", ["Sales,Support"], "Support", True),
        ("&", ["Sales", "Support"], "Support", True),
        ("&", ["Sales, Support"], "Engineering", False),
        ("!&", ["Sales,Support"], "Engineering", True),
        ("!&", ["Sales,Support"], "Sales", False),
        ("REGEX MATCH", [r".*\@contoso.com"], "a@contoso.com", True),
        ("REGEX MATCH", ["([1-9][0-9])"], "42", True),
        ("REGEX MATCH", ["([1-9][0-9])"], "420", False),  # whole value must match
        ("NOT REGEX MATCH", [r".*\@contoso.com"], "a@fabrikam.com", True),
        ("NOT_REGEX_MATCH", [r".*\@contoso.com"], "a@contoso.com", False),
        ("Greater_Than", ["1000"], "1001", True),
        ("Greater_Than", ["1000"], "1000", False),
        ("Greater_Than", ["1000"], "abc", False),  # integers only
        ("Greater_Than", ["1000"], "1000.5", False),
        ("Greater_Than_OR_EQUALS", ["1000"], "1000", True),
        ("GREATER_THAN_OR_EQUALS", ["1000"], "999", False),
        ("Less_Than", ["10"], "9", True),
        ("Less_Than", ["10"], "10", False),
        ("IS TRUE", [], True, True),
        ("IS_TRUE", [], "True", True),
        ("IS TRUE", [], False, False),
        ("IS FALSE", [], False, True),
        ("is false", [], "false", True),
        ("IS FALSE", [], True, False),
        ("IS NOT NULL", [], "x", True),
        ("IS NULL", [], "x", False),
    ],
)
def test_operators(op: str, values: list[str], value: Any, expected: bool) -> None:
    assert in_scope(one(op, "attr", *values), {"attr": value}) is expected


@pytest.mark.parametrize(
    ("op", "values"),
    [
        ("EQUALS", ["Sales"]),
        ("NOT EQUALS", ["Sales"]),
        ("Includes", ["a"]),
        ("ENDS_WITH", ["a"]),
        ("&", ["a,b"]),
        ("!&", ["a,b"]),
        ("REGEX MATCH", [".*"]),
        ("NOT REGEX MATCH", ["x"]),  # documented: false on null
        ("Greater_Than", ["1"]),
        ("Greater_Than_OR_EQUALS", ["1"]),
        ("IS TRUE", []),
        ("IS FALSE", []),
        ("IS NOT NULL", []),
    ],
)
@pytest.mark.parametrize("value", [None, ""])
def test_null_or_empty_makes_every_clause_false(op: str, values: list[str], value: Any) -> None:
    assert in_scope(one(op, "attr", *values), {"attr": value}) is False
    assert in_scope(one(op, "attr", *values), {}) is False


@pytest.mark.parametrize("value", [None, ""])
def test_is_null_is_the_exception(value: Any) -> None:
    assert in_scope(one("IS NULL", "attr"), {"attr": value}) is True
    assert in_scope(one("IS_NULL", "attr"), {}) is True


SALES_AND_ENABLED_OR_SENIOR = {
    "groups": [
        {"clauses": [clause("EQUALS", "department", "Sales"), clause("IS TRUE", "accountEnabled")]},
        {"clauses": [clause("Greater_Than_OR_EQUALS", "employeeId", "9000")]},
    ]
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"department": "Sales", "accountEnabled": True, "employeeId": "1"}, True),
        ({"department": "Sales", "accountEnabled": False, "employeeId": "1"}, False),  # AND
        ({"department": "Support", "accountEnabled": True, "employeeId": "1"}, False),
        ({"department": "Support", "accountEnabled": False, "employeeId": "9001"}, True),  # OR
    ],
)
def test_groups_are_ored_and_clauses_anded(source: dict[str, Any], expected: bool) -> None:
    assert in_scope(SALES_AND_ENABLED_OR_SENIOR, source) is expected


def test_no_groups_means_everything_in_scope() -> None:
    assert parse_scoping_filter({"groups": []}).evaluate({}) == (True, [])
    assert parse_scoping_filter(None).evaluate({"department": "x"}) == (True, [])


def test_details_explain_each_clause_for_the_provisioning_log() -> None:
    in_scope_, details = parse_scoping_filter(SALES_AND_ENABLED_OR_SENIOR).evaluate(
        {"department": "Support", "accountEnabled": True}
    )
    assert in_scope_ is False
    assert [d.message for d in details] == [
        "Clause department EQUALS 'Sales' was not met: value was 'Support'",
        "Clause accountEnabled IS TRUE was met",
        "Clause employeeId Greater_Than_OR_EQUALS '9000' was not met: value was null",
    ]
    assert [(d.group, d.clause, d.met) for d in details] == [(0, 0, False), (0, 1, True), (1, 0, False)]
    assert details[0].operator is ScopingOperator.EQUALS


def test_attribute_names_are_case_insensitive_and_graph_names_work() -> None:
    assert in_scope(one("EQUALS", "Department", "Sales"), {"department": "Sales"}) is True
    assert in_scope(one("EQUALS", "mobile", "+1"), {"mobilePhone": "+1"}) is True


@pytest.mark.parametrize(
    ("filter_obj", "fragment"),
    [
        (one("LIKE", "department", "x"), "unknown operator 'LIKE'"),
        (one("EQUALS", "department"), "needs a value"),
        (one("REGEX MATCH", "department", "(unclosed"), "invalid regular expression"),
        (one("Greater_Than", "employeeId", "ten"), "needs an integer value"),
        (one("EQUALS", "members", "x"), "members attribute of a group is not supported"),
        (one("IS NOT NULL", "manager"), "manager"),
        (one("EQUALS", "appRoleAssignments", "x"), "appRoleAssignments"),
        (one("IS TRUE", "IsMemberOf"), "IsMemberOf"),
        (one("EQUALS", "proxyAddresses", "x"), "multi-valued"),
        ({"groups": [{"clauses": [{"operatorName": "EQUALS", "targetOperand": {"values": ["x"]}}]}]},
         "sourceOperandName"),
        ({"groups": [{"clauses": []}]}, "has no clauses"),
        ({"groups": [{"clauses": [clause("EQUALS", "a", "1"), clause("FOO", "b", "x")]}]}, "group 1, clause 2"),
    ],
)
def test_invalid_filters_are_rejected_with_a_clear_message(filter_obj: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ScopingFilterError) as caught:
        parse_scoping_filter(filter_obj)
    assert fragment in str(caught.value)


def test_filter_round_trips_to_graph_shape() -> None:
    parsed = parse_scoping_filter(SALES_AND_ENABLED_OR_SENIOR)
    assert parse_scoping_filter(parsed.to_graph()) == parsed
    assert parsed.attributes() == {"department", "accountEnabled", "employeeId"}
