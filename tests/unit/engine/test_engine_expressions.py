"""The attribute-mapping expression language against Microsoft's documented examples."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.core.errors import ProvsimError
from simulator.engine.errors import EngineError, ExpressionError, ExpressionEvaluationError
from simulator.engine.expressions import (
    IGNORE_FLOW,
    MAX_EXPRESSION_LENGTH,
    from_mapping_source,
    parse,
    source_value,
    validate,
)

USER: dict[str, Any] = {
    "userPrincipalName": "John.Doe@contoso.com",
    "givenName": "John",
    "surname": "Doe",
    "displayName": "John Doe",
    "mail": None,
    "department": "Sales",
    "telephoneNumber": "+91 9998887777",
    "mobilePhone": "+1 (999) 888-7777",
    "businessPhones": ["+1 425 555 0100", "+1 425 555 0101"],
    "proxyAddresses": ["SMTP:john@contoso.com", "smtp:jd@contoso.com", "smtp:jd@contoso.com"],
    "IsSoftDeleted": False,
    "accountEnabled": True,
    "AddressLineData": "545 Tremont Street",
    "mailNickname": "john_doe72",
    "UserID": "jsmith",
    "BusinessTitle": "Product Developer",
    "extensionAttribute5": "PermissionSetOne,PermissionSetTwo",
    "employeeId": "1500",
}


def ev(text: str, source: dict[str, Any] | None = None) -> Any:
    return parse(text).evaluate(USER if source is None else source)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Documented examples (functions-for-customizing-application-data).
        ('Append([userPrincipalName], ".test")', "John.Doe@contoso.com.test"),
        ('Join(" ", [givenName], [surname])', "John Doe"),
        ('Join(", ", "", [surname], [givenName])', "Doe, John"),
        ('Join(";", [proxyAddresses])', "SMTP:john@contoso.com;smtp:jd@contoso.com;smtp:jd@contoso.com"),
        ("Coalesce([mail],[userPrincipalName])", "John.Doe@contoso.com"),
        ('Switch([department], "Other", "Sales", "S", "Support", "T")', "S"),
        ('Switch([department], "Other", "sales", "S", "Support", "T")', "Other"),  # case-sensitive
        ('Switch([country], "Other", "", "Empty", "NL", "Dutch")', "Empty"),  # null matches ""
        ('Switch([country], , "NL", "Dutch")', None),
        ('Mid("abcdef", 2, 3)', "bcd"),
        ('Mid("abcdef", 5, 10)', "ef"),
        ("Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))", "JohDoe"),
        ('Word("The quick brown fox", 3, " ")', "brown"),
        ('Word("This,string!has&many separators",3,",!&#")', "has"),
        ('Word("The quick", 5, " ")', ""),
        ('Word("The quick", 0, " ")', ""),
        ('Left("John Doe", 3)', "Joh"),
        ('Left("John Doe", 0)', ""),
        ('Left("John Doe", -1)', "John Doe"),
        ('Left("Jo", 5)', "Jo"),
        ("Left([missing], 3)", ""),
        ('StripSpaces("a b  c")', "abc"),
        ('ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".", "John", "Smith"))), "contoso.com"))',
         "john.smith@contoso.com"),
        ('ToUpper("abc")', "ABC"),
        ('NormalizeDiacritics("Zoë")', "Zoe"),
        ('NormalizeDiacritics("Jéssica Łódź Æsir Øre")', "Jessica Lodz AEsir OEre"),
        ('PCase("PABLO GONSALVES (SECOND)")', "Pablo Gonsalves (Second)"),
        ('PCase("PINTO-DE\'SILVA", " \'-")', "Pinto-De'Silva"),
        ('PCase(Join(" ", "GREGORY", "JAMES"))', "Gregory James"),
        ('InStr("The quick brown fox","quick")', 5),
        ('InStr("repEated","e",3,vbBinaryCompare)', 7),
        ('InStr("repEated","e",3,vbTextCompare)', 4),
        ('InStr("abc","z")', 0),
        ('Split("PermissionSetOne,PermissionSetTwo", ",")', ["PermissionSetOne", "PermissionSetTwo"]),
        ('ConvertToBase64("Hello world!")', "SABlAGwAbABvACAAdwBvAHIAbABkACEA"),
        ('ConvertToUTF8Hex("Hello world!")', "48656C6C6F20776F726C6421"),
        ("BitAnd(&HF, &HF7)", 7),
        ("Count([proxyAddresses])", 3),
        ("Item([proxyAddresses], 1)", "SMTP:john@contoso.com"),
        ("RemoveDuplicates([proxyAddresses])", ["SMTP:john@contoso.com", "smtp:jd@contoso.com"]),
        ("CStr(True)", "True"),
        ("CStr([accountEnabled])", "True"),
        ('CBool("False")', False),
        ("CBool(1)", True),
        ('CBool([givenName] = "John")', True),
        ('IIF([department]="Sales",[givenName],[surname])', "John"),
        ('IIF([department]<>"Sales","x","y")', "y"),
        ('IIF([employeeId] > 1000, "big", "small")', "big"),
        ('IIF([employeeId] <= 999, "small", "big")', "big"),
        ('IIF([country]="", "Other", [country])', None),  # documented: null condition fails
        ('IIF([country]="USA","True",IIF([department]="Sales","True","False"))', "True"),
        ("IsNull([mail])", True),
        ("IsNull([displayName])", False),
        ('IsNullOrEmpty("")', True),
        ("IsPresent([displayName])", True),
        ("IsPresent([mail])", False),
        ("IsString([displayName])", True),
        ("IsString(True)", False),
        ('Redact("secret")', "secret"),
        ('Join("", 1000, "7")', "10007"),
    ],
)
def test_documented_functions(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # oldValue + replacementValue
        ('Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )', "Software Engineer"),
        ('Replace("john.doe@contoso.com", "@contoso.com", , ,"", ,)', "john.doe"),
        # oldValue + template
        ('Replace([UserID],"<username>", , , , , "<username>@contoso.com")', "jsmith@contoso.com"),
        # regexPattern + replacementValue with a named group
        (r'Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", , "${phoneNumber}", , )',
         "9998887777"),
        (r'Replace([mobile], , "[()\\s-]+", , "", , )', "+19998887777"),
        (r'Replace("2024-05-06", , "(\\d+)-(\\d+)-(\\d+)", , "$3/$2/$1", , )', "06/05/2024"),
        # regexPattern + regexGroupName + replacementValue
        (r'Replace([AddressLineData], ,"(?<streetNumber>^\\d*)","streetNumber", "888", , )', "888 Tremont Street"),
        (r'Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )', "John.Doe"),
        (r'Replace([mailNickname], , "[a-zA-Z_]*", , "", , )', "72"),
        # regexPattern + regexGroupName + replacementAttributeName (source empty)
        (r'Replace([homePhone], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , '
         r'[telephoneNumber], )', "9998887777"),
        # ... and source present: returned unchanged
        (r'Replace([givenName], , "(?<x>\\d+)", "x" , , [telephoneNumber], )', "John"),
        # null source: null result
        ('Replace([missing], "a", , , "b", , )', None),
    ],
)
def test_replace_forms(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"IsSoftDeleted": False}, True),
        ({"IsSoftDeleted": True}, False),
        ({"IsSoftDeleted": "True"}, False),
        ({"IsSoftDeleted": "true"}, False),
        ({"IsSoftDeleted": "False"}, True),
        ({}, True),  # documented: anything but True gives True
    ],
)
def test_not_reads_booleans_and_strings(source: dict[str, Any], expected: bool) -> None:
    assert parse("Not([IsSoftDeleted])").evaluate(source) is expected


ROLES = [
    {"appRoleId": "00000000-0000-0000-0000-000000000000", "displayName": "Default Access", "value": None},
    {"appRoleId": "5b1a8e0c-0000-4000-8000-000000000001", "displayName": "Supervisor", "value": "supervisor"},
    {"appRoleId": "5b1a8e0c-0000-4000-8000-000000000002", "displayName": "Agent", "value": "agent"},
]


@pytest.mark.parametrize(
    ("assignments", "expected"),
    [
        (ROLES[1:2], "supervisor"),
        (ROLES, "supervisor"),  # Default Access skipped; first real role wins, stable order
        (ROLES[:1], None),
        ([], None),
        (None, None),
        ([{"appRoleId": "x", "displayName": "Admin", "value": None}], "Admin"),
    ],
)
def test_single_app_role_assignment(assignments: Any, expected: Any) -> None:
    source = {"appRoleAssignments": assignments}
    assert parse("SingleAppRoleAssignment([appRoleAssignments])").evaluate(source) == expected


def test_app_role_assignments_complex_lists_every_role_as_non_primary() -> None:
    roles = parse("AppRoleAssignmentsComplex([appRoleAssignments])").evaluate({"appRoleAssignments": ROLES})
    assert roles == [
        {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "display": "Supervisor", "value": "supervisor"},
        {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "display": "Agent", "value": "agent"},
    ]


@pytest.mark.parametrize(
    "text",
    ["ToLower([missing])", "ToUpper([missing])", "Append([missing], \"x\")", "Mid([missing], 1, 2)",
     "StripSpaces([missing])", "PCase([missing])", "NormalizeDiacritics([missing])", "Split([missing], \",\")",
     "CStr([missing])", "Join(\" \", [missing], [other])", "Coalesce([missing], [other])"],
)
def test_null_propagates_through_string_functions(text: str) -> None:
    assert ev(text) is None


@pytest.mark.parametrize(
    ("text", "source", "expected"),
    [
        ("IgnoreFlowIfNullOrEmpty([department])", {"department": "Sales"}, "Sales"),
        ("IgnoreFlowIfNullOrEmpty([department])", {"department": ""}, IGNORE_FLOW),
        ("IgnoreFlowIfNullOrEmpty([department])", {}, IGNORE_FLOW),
        ('IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr."))', {"prefix": "1"}, IGNORE_FLOW),
        ('Coalesce(IgnoreFlowIfNullOrEmpty([x]), "fallback")', {}, "fallback"),  # nested: plain null
    ],
)
def test_ignore_flow_if_null_or_empty(text: str, source: dict[str, Any], expected: Any) -> None:
    assert parse(text).evaluate(source) is expected or parse(text).evaluate(source) == expected


def test_attribute_names_and_function_names_are_case_insensitive() -> None:
    assert ev("TOLOWER([USERPRINCIPALNAME])") == "john.doe@contoso.com"
    assert ev("join(\"-\", [GivenName], [SURNAME])") == "John-Doe"


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        ("mobile", {"mobilePhone": "+1 555"}, "+1 555"),
        ("telephoneNumber", {"businessPhones": ["+1 1", "+1 2"]}, "+1 1"),
        ("telephoneNumber", {"businessPhones": []}, None),
        ("objectId", {"id": "abc"}, "abc"),
        ("mobile", {"mobile": "direct", "mobilePhone": "graph"}, "direct"),
    ],
)
def test_entra_attribute_names_fall_back_to_graph_properties(name: str, source: dict[str, Any], expected: Any) -> None:
    assert source_value(source, name) == expected
    assert parse(f"[{name}]").evaluate(source) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r'"Company name: \"Contoso\""', 'Company name: "Contoso"'),
        (r'"back\\slash"', "back\\slash"),
        (r'"\d+ stays"', r"\d+ stays"),
    ],
)
def test_string_escapes(text: str, expected: str) -> None:
    assert ev(text) == expected


def test_attributes_lists_every_referenced_source_attribute() -> None:
    expr = parse('Join(" ", [givenName], IIF([department]="Sales", [surname], [mail]))')
    assert expr.attributes() == {"givenName", "department", "surname", "mail"}


# ------------------------------------------------------------------ errors with positions


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ('Join(" ", [givenName]', 21, "Expected ',' or ')'"),
        ('Join(" ", [givenName] [surname])', 22, "Expected ',' or ')'"),
        ("Foo([x])", 0, "Unknown function 'Foo'"),
        ('ToLower(Jion(" ", [a]))', 8, "did you mean 'Join'"),
        ('Mid("abc", 1)', 0, "expects 3 arguments, got 2"),
        ('Not([a], [b])', 0, "expects 1 argument, got 2"),
        ('Switch([a], "d", "k")', 0, "at least 4"),
        ('Switch([a], "d", "k", "v", "k2")', 0, "even number"),
        ('Append([a], "unterminated', 12, "Unterminated string starting at position 12"),
        ("[givenName", 10, "Expected ']'"),
        ("", 0, "Expected an expression"),
        ('Left("a", 1) extra', 13, "Expected the end of the expression"),
        ('Append([a] "b")', 11, "Expected ',' or ')'"),
        ("Append([a], ?)", 12, "Unexpected character '?'"),
        ('Join("", SelectUniqueValue([a], [b]))', 9, "must be at the top level"),
        ('DateAdd("q", 1, Now())', 8, "interval 'q' is not one of"),
        ('FormatDateTime([d], "Sometimes", "yyyy", "yyyy")', 20, "'Sometimes' is not a DateTimeStyles value"),
        ('RandomString(3, 2, 2, 0, 0)', 0, "Length (3) must be at least the sum of the minimums"),
        ('Replace([a], "x")', 0, "Replace needs"),
        ('Replace([a], , "(?<open", , "", , )', 15, "Invalid regexPattern"),
        ("Append(, [a])", 7, "requires argument 1 (source)"),
        ("ToLower", 7, "Expected '(' after function name 'ToLower'"),
    ],
)
def test_malformed_expressions_report_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert caught.value.position == position
    assert fragment in str(caught.value)
    assert f"position {position}" in str(caught.value)
    assert caught.value.expression == text


def test_expression_error_is_an_engine_error() -> None:
    with pytest.raises(EngineError):
        validate("Foo()")
    assert issubclass(ExpressionError, ProvsimError)


def test_expression_length_limit() -> None:
    longest = '"' + "a" * (MAX_EXPRESSION_LENGTH - 2) + '"'
    assert len(parse(longest).evaluate({})) == MAX_EXPRESSION_LENGTH - 2
    with pytest.raises(ExpressionError) as caught:
        parse(longest + " ")
    assert caught.value.position == MAX_EXPRESSION_LENGTH
    assert "10,000" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("Mid([a], [b], 2)", {"a": "abc", "b": "x"}),
        ("Mid([a], 0, 2)", {"a": "abc"}),
        ('Replace([a], , [p], , "", , )', {"a": "abc", "p": "(unclosed"}),
    ],
)
def test_evaluation_errors_carry_the_call_position(text: str, source: dict[str, Any]) -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        parse(text).evaluate(source)
    assert caught.value.position == 0


# ------------------------------------------------------------------ Graph attributeMappingSource


def test_mapping_source_round_trip_matches_graph_shape() -> None:
    source = parse('Mid([userPrincipalName], 1, 8)').to_mapping_source()
    assert source == {
        "expression": "Mid([userPrincipalName], 1, 8)",
        "name": "Mid",
        "parameters": [
            {"key": "source", "value": {"expression": "[userPrincipalName]", "name": "userPrincipalName",
                                        "parameters": [], "type": "Attribute"}},
            {"key": "start", "value": {"expression": '"1"', "name": "1", "parameters": [], "type": "Constant"}},
            {"key": "length", "value": {"expression": '"8"', "name": "8", "parameters": [], "type": "Constant"}},
        ],
        "type": "Function",
    }
    assert from_mapping_source(source).evaluate({"userPrincipalName": "abcdefghij"}) == "abcdefgh"  # type: ignore[union-attr]


def test_mapping_source_without_expression_text_is_rebuilt_from_parts() -> None:
    source = {
        "name": "Not",
        "type": "Function",
        "parameters": [{"key": "source", "value": {"name": "IsSoftDeleted", "type": "Attribute"}}],
    }
    expr = from_mapping_source(source)
    assert expr is not None and expr.render() == "Not([IsSoftDeleted])"
    assert from_mapping_source(None) is None
