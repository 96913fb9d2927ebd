"""Every worked example of Microsoft's "Reference for writing expressions for attribute mappings"
(entra-docs docs/identity/app-provisioning/functions-for-customizing-application-data.md), one test
each, named after the page's section.

Where the page is ambiguous or contradicts itself, the test asserts provsim's reading and says so;
docs/fidelity.md ("Expressions: the page's own ambiguities") lists each one with the reason.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.core.ids import IdFactory
from simulator.engine.errors import ExpressionError, ExpressionEvaluationError
from simulator.engine.expressions import IGNORE_FLOW, Environment, function_names, parse


@dataclass(frozen=True)
class Example:
    id: str
    expression: str
    source: dict[str, Any]
    expected: Any
    now: datetime | None = None
    note: str = field(default="", compare=False)


def env(now: datetime | None = None, seed: int = 0) -> Environment:
    return Environment(now=lambda: now or datetime(2021, 7, 2, 15, 33, 38, tzinfo=UTC),
                       random=IdFactory(seed, "expressions"))


HIRE = {"StatusHireDate": "2012-03-16-07:00"}

EXAMPLES = [
    Example("append-constant-suffix", 'Append([userPrincipalName], ".test")',
            {"userPrincipalName": "John.Doe@contoso.com"}, "John.Doe@contoso.com.test"),
    # BitAnd: the page's prose gives &HF as 00000111; it is 00001111 (the result, 7, holds either way).
    Example("bitand", "BitAnd(&HF, &HF7)", {}, 7),
    Example("cbool-same", "CBool([attribute1] = [attribute2])", {"attribute1": "x", "attribute2": "x"}, True),
    Example("cbool-different", "CBool([attribute1] = [attribute2])", {"attribute1": "x", "attribute2": "y"}, False),
    Example("cdate-1", "CDate([StatusHireDate])", {"StatusHireDate": "2020-03-16-07:00"}, "3/16/2020 7:00:00 AM"),
    Example("cdate-2", 'CDate("2021-06-30+08:00")', {}, "6/29/2021 4:00:00 PM"),
    Example("cdate-3", 'CDate("2009-06-15T01:45:30-07:00")', {}, "6/15/2009 8:45:30 AM"),
    Example("coalesce-mail-or-upn", "Coalesce([mail],[userPrincipalName])",
            {"mail": None, "userPrincipalName": "John.Doe@contoso.com"}, "John.Doe@contoso.com"),
    Example("converttobase64", 'ConvertToBase64("Hello world!")', {}, "SABlAGwAbABvACAAdwBvAHIAbABkACEA"),
    Example("converttoutf8hex", 'ConvertToUTF8Hex("Hello world!")', {}, "48656C6C6F20776F726C6421"),
    Example("cstr-dn", "CStr([dn])", {"dn": "cn=Joe,dc=contoso,dc=com"}, "cn=Joe,dc=contoso,dc=com"),
    Example("dateadd-7-days", 'DateAdd("d", 7, CDate([StatusHireDate]))', HIRE, "3/23/2012 7:00:00 AM"),
    Example("dateadd-minus-10-days", 'DateAdd("d", -10, CDate([StatusHireDate]))', HIRE, "3/6/2012 7:00:00 AM"),
    Example("dateadd-2-weeks", 'DateAdd("ww", 2, CDate([StatusHireDate]))', HIRE, "3/30/2012 7:00:00 AM"),
    Example("dateadd-10-months", 'DateAdd("m", 10, CDate([StatusHireDate]))', HIRE, "1/16/2013 7:00:00 AM"),
    Example("dateadd-2-years", 'DateAdd("yyyy", 2, CDate([StatusHireDate]))', HIRE, "3/16/2014 7:00:00 AM"),
    Example("datediff-positive-days", 'DateDiff("d", CDate("2021-08-18+08:00"), CDate("2021-08-31+08:00"))', {}, 13),
    Example("datediff-negative-days", 'DateDiff("d", "8/25/2021 5:41:18 PM", CDate("2012-03-16-07:00"))', {}, -3449),
    Example("datediff-weeks", 'DateDiff("ww", "8/25/2021 5:41:18 PM", CDate("2012-03-16-07:00"))', {}, -493),
    Example("datediff-months", 'DateDiff("m", "8/25/2021 5:41:18 PM", CDate("2012-03-16-07:00"))', {}, -113),
    Example("datediff-years", 'DateDiff("yyyy", "8/25/2021 5:41:18 PM", CDate("2012-03-16-07:00"))', {}, -9),
    Example("datediff-same", 'DateDiff("d", CDate("2021-08-31+08:00"), CDate("2021-08-31+08:00"))', {}, 0),
    Example("datediff-hours", 'DateDiff("h", CDate("2021-08-24"), CDate("2021-08-25"))', {}, 24),
    Example("datediff-minutes", 'DateDiff("n", CDate("2021-08-24"), CDate("2021-08-25"))', {}, 1440),
    Example("datediff-seconds", 'DateDiff("s", CDate("2021-08-24"), CDate("2021-08-25"))', {}, 86400),
    # Example 1's own expression on the virtual clock: "now" is the first row's date1 (2021-08-18+08:00).
    Example("datediff-now-hire-date", 'DateDiff("d", Now(), CDate([StatusHireDate]))',
            {"StatusHireDate": "2021-08-31+08:00"}, 13, now=datetime(2021, 8, 17, 16, 0, tzinfo=UTC)),
    Example("datediff-iif-hire-in-3-days", DATEDIFF_IIF := (
        'Switch([Active], , \n  "1", IIF(DateDiff("d", Now(), CDate([StatusHireDate])) > 5, "False", "True"), \n'
        '  "0", "False")'), {"Active": "1", "StatusHireDate": "2021-07-05"}, "True"),
    Example("datediff-iif-hire-in-10-days", DATEDIFF_IIF, {"Active": "1", "StatusHireDate": "2021-07-12"}, "False"),
    Example("datediff-iif-inactive", DATEDIFF_IIF, {"Active": "0", "StatusHireDate": "2021-07-05"}, "False"),
    Example("datefromnum-attribute", "DateFromNum([lastLogonTimestamp])",
            {"lastLogonTimestamp": "129699324000000000"}, "1/1/2012 11:00:00 PM"),
    Example("datefromnum-number", "DateFromNum(129699324000000000)", {}, "1/1/2012 11:00:00 PM"),
    Example("formatdatetime-servicenow", 'FormatDateTime([extensionAttribute1], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")',
            {"extensionAttribute1": "20150123105347.1Z"}, "2015-01-23"),
    Example("ignoreflow-department-null", "IgnoreFlowIfNullOrEmpty([department])", {}, IGNORE_FLOW),
    Example("ignoreflow-department-empty", "IgnoreFlowIfNullOrEmpty([department])", {"department": ""}, IGNORE_FLOW),
    Example("ignoreflow-department-present", "IgnoreFlowIfNullOrEmpty([department])", {"department": "Sales"}, "Sales"),
    Example("ignoreflow-switch-unlisted", IGNORE_SWITCH := (
        'IgnoreFlowIfNullOrEmpty(Switch([prefix], "", "3443", "Dr.", "3444", "Prof.", "3445", "Prof. Dr."))'),
        {"prefix": "9999"}, IGNORE_FLOW),
    Example("ignoreflow-switch-listed", IGNORE_SWITCH, {"prefix": "3444"}, "Prof."),
    Example("iif-country-usa", 'IIF([country]="USA",[country],[department])', {"country": "USA", "department": "Sales"},
            "USA"),
    Example("iif-country-other", 'IIF([country]="USA",[country],[department])', {"country": "NL", "department": "Sales"},
            "Sales"),
    Example("iif-and", 'IIF([country]="USA",IIF([state]="CA","True","False"),"False")', {"country": "USA", "state": "CA"},
            "True"),
    Example("iif-and-false", 'IIF([country]="USA",IIF([state]="CA","True","False"),"False")',
            {"country": "USA", "state": "WA"}, "False"),
    Example("iif-or", 'IIF([country]="USA","True",IIF([state]="CA","True","False"))', {"country": "NL", "state": "CA"},
            "True"),
    # "Unsupported IIF expression examples": the condition check fails when the attribute is null or empty.
    Example("iif-unsupported-compare-empty", 'IIF([country]="","Other",[country])', {}, None),
    Example("iif-unsupported-isnullorempty", 'IIF(IsNullOrEmpty([country]),"Other",[country])', {}, None),
    Example("iif-unsupported-ispresent", 'IIF(IsPresent([country]),[country],"Other")', {}, "Other"),
    Example("iif-workaround-switch-empty", 'Switch([country],[country],"","Other")', {}, "Other"),
    Example("iif-workaround-switch-present", 'Switch([country],[country],"","Other")', {"country": "NL"}, "NL"),
    Example("instr-quick", 'InStr("The quick brown fox","quick")', {}, 5),
    Example("instr-binary-compare", 'InStr("repEated","e",3,vbBinaryCompare)', {}, 7),
    Example("isnull-absent", "IsNull([displayName])", {}, True),
    Example("isnull-present", "IsNull([displayName])", {"displayName": "John"}, False),
    Example("isnullorempty-empty", "IsNullOrEmpty([displayName])", {"displayName": ""}, True),
    Example("isnullorempty-absent", "IsNullOrEmpty([displayName])", {}, True),
    # IsPresent's own example nests IsPresent in Switch's source, which Switch's caution forbids; evaluated
    # literally (Switch compares "True"/"False" text), it picks the value whose key equals the source.
    Example("ispresent-switch-managers", IS_PRESENT := (
        "Switch(IsPresent([directManager]),[directManager], IsPresent([skiplevelManager]),[skiplevelManager], "
        "IsPresent([director]),[director])"), {"directManager": "dm", "skiplevelManager": "sk", "director": "di"}, "sk"),
    Example("ispresent-switch-no-direct-manager", IS_PRESENT, {"skiplevelManager": "sk", "director": "di"}, None),
    Example("item-first", "Item([proxyAddresses], 1)", {"proxyAddresses": ["SMTP:a@contoso.com", "smtp:b@contoso.com"]},
            "SMTP:a@contoso.com"),
    Example("join-multivalue", 'Join(";", [proxyAddresses])', {"proxyAddresses": ["a", "b"]}, "a;b"),
    Example("left-john-doe", 'Left("John Doe", 3)', {}, "Joh"),
    Example("normalizediacritics-zoe", "NormalizeDiacritics([givenName])", {"givenName": "Zoë"}, "Zoe"),
    Example("now", "Now()", {}, "7/2/2021 3:33:38 PM", now=datetime(2021, 7, 2, 15, 33, 38, tzinfo=UTC)),
    # No output given; the date is the Workday ContractEndDate shape, ending 23:59:59 at -08:00 (07:59:59 UTC).
    Example("numfromdate-workday",
            'NumFromDate(Join("", FormatDateTime([ContractEndDate], ,"yyyy-MM-ddzzz", "yyyy-MM-dd"), " 23:59:59-08:00"))',
            {"ContractEndDate": "2020-12-31-08:00"}, 132539615990000000),
    Example("numfromdate-successfactors",
            'NumFromDate(Join("",FormatDateTime([endDate], ,"M/d/yyyy hh:mm:ss tt","yyyy-MM-dd")," 23:59:59-08:00"))',
            {"endDate": "12/31/2020 07:00:00 PM"}, 132539615990000000),
    Example("pcase-default-separators", "PCase([firstName])", {"firstName": "PABLO GONSALVES (SECOND)"},
            "Pablo Gonsalves (Second)"),
    Example("pcase-word-separators", "PCase([lastName],\" '-\")", {"lastName": "PINTO-DE'SILVA"}, "Pinto-De'Silva"),
    Example("pcase-join", 'PCase(Join(" ",[firstName],[lastName]))', {"firstName": "GREGORY", "lastName": "JAMES"},
            "Gregory James"),
    Example("redact-attribute", "Redact([userPrincipalName])", {"userPrincipalName": "jsmith@contoso.com"},
            "jsmith@contoso.com"),
    Example("redact-string", 'Redact("StringToBeRedacted")', {}, "StringToBeRedacted"),
    Example("removeduplicates", "RemoveDuplicates([proxyAddresses])", {"proxyAddresses": ["a", "b", "a"]}, ["a", "b"]),
    Example("replace-1-old-and-replacement", 'Replace([BusinessTitle],"Product Developer", , , "Software Engineer", , )',
            {"BusinessTitle": "Product Developer"}, "Software Engineer"),
    Example("replace-2-old-and-template", 'Replace([UserID],"<username>", , , , , "<username>@contoso.com")',
            {"UserID": "jsmith"}, "jsmith@contoso.com"),
    Example("replace-3-regex-groups",
            r'Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", , "${phoneNumber}", , )',
            {"telephoneNumber": "+91 9998887777"}, "9998887777"),
    # The page gives 19998887777, but [()\s-]+ does not match "+": the regex as written keeps it.
    Example("replace-3-collapse-mobile", r'Replace([mobile], , "[()\\s-]+", , "", , )',
            {"mobile": "+1 (999) 888-7777"}, "+19998887777"),
    Example("replace-4-street-number", r'Replace([AddressLineData], ,"(?<streetNumber>^\\d*)","streetNumber", "888", , )',
            {"AddressLineData": "545 Tremont Street"}, "888 Tremont Street"),
    Example("replace-4-upn-suffix", r'Replace([userPrincipalName], , "(?<Suffix>@(.)*)", "Suffix", "", , )',
            {"userPrincipalName": "jsmith@contoso.com"}, "jsmith"),
    Example("replace-5-replacement-attribute",
            r'Replace([telephoneNumber], , "\\+(?<isdCode>\\d* )(?<phoneNumber>\\d{10})", "phoneNumber" , , [mobile], )',
            {"telephoneNumber": "", "mobile": "+91 8887779999"}, "8887779999"),
    # Example 6 labels "john_doe72" as oldValue, but the expression passes it as the source ([mailNickname]).
    Example("replace-6-remove-letters", r'Replace([mailNickname], , "[a-zA-Z_]*", , "", , )',
            {"mailNickname": "john_doe72"}, "72"),
    # The page's input has a space after the comma and its output has none (docs/fidelity.md: Split trims).
    Example("split-permission-sets", 'Split([extensionAttribute5], ",")',
            {"extensionAttribute5": "PermissionSetOne, PermissionSetTwo"}, ["PermissionSetOne", "PermissionSetTwo"]),
    Example("switch-tolower-true", 'Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")', {"statusFlag": "TRUE"},
            "1"),
    Example("switch-tolower-True", 'Switch(ToLower([statusFlag]), "0", "true", "1", "false", "0")', {"statusFlag": "True"},
            "1"),
    Example("switch-empty-key", 'Switch([statusFlag], "Default Value", "true", "1", "", "0")', {"statusFlag": ""}, "0"),
    Example("switch-empty-key-default", 'Switch([statusFlag], "Default Value", "true", "1", "", "0")',
            {"statusFlag": "maybe"}, "Default Value"),
    Example("switch-bug-resolution-iif",
            'IIF([companyName] = "Company A", "A", IIF([companyName] = "Company B", "B", "External"))',
            {"companyName": "Company B"}, "B"),
    Example("switch-bug-original", 'switch([companyName], "External", "Company A", "A", "Company B", "B")',
            {"companyName": "Company B"}, "B"),
    Example("switch-timezone", 'Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", '
            '"SA", "Australia/Adelaide")', {"state": "QLD"}, "Australia/Brisbane"),
    Example("tolower-generated-upn",
            'ToLower(Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), '
            '"contoso.com"))', {"PreferredFirstName": "John", "PreferredLastName": "Smith"}, "john.smith@contoso.com"),
    Example("word-3rd", 'Word("The quick brown fox",3," ")', {}, "brown"),
    Example("word-separators", 'Word("This,string!has&many separators",3,",!&#")', {}, "has"),
    Example("examples-strip-domain", 'Replace([mail], "@contoso.com", , ,"", ,)', {"mail": "john.doe@contoso.com"},
            "john.doe"),
    Example("examples-alias", "Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))", {"givenName": "John", "surname": "Doe"},
            "JohDoe"),
    # Join's description says every value is separated; the example skips the empty "" (no leading ", ").
    Example("examples-comma", 'Join(", ", "", [surname], [givenName])', {"givenName": "John", "surname": "Doe"},
            "Doe, John"),
    # The page's sample output was not computed from its sample input; this is the hex of that input's digits.
    Example("examples-objectid-id", 'Join("", 1000, Replace(ConvertToUTF8Hex([objectId]), , "[a-zA-Z_]*", , "", , ))',
            {"objectId": "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"},
            "100030306161303061612626231312636332322646433332343465653434656534346565"),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_documented_example(example: Example) -> None:
    assert parse(example.expression).evaluate(example.source, env(example.now)) == example.expected


def test_every_example_id_is_unique() -> None:
    assert len({e.id for e in EXAMPLES}) == len(EXAMPLES)


# ----------------------------------------------------------------------------- the function list

#: The page's "List of Functions" (43 names).
PAGE_FUNCTIONS = [
    "Append", "AppRoleAssignmentsComplex", "BitAnd", "CBool", "CDate", "Coalesce", "ConvertToBase64", "ConvertToUTF8Hex",
    "Count", "CStr", "DateAdd", "DateDiff", "DateFromNum", "FormatDateTime", "Guid", "IgnoreFlowIfNullOrEmpty", "IIF",
    "InStr", "IsNull", "IsNullOrEmpty", "IsPresent", "IsString", "Item", "Join", "Left", "Mid", "NormalizeDiacritics",
    "Not", "Now", "NumFromDate", "PCase", "RandomString", "Redact", "RemoveDuplicates", "Replace", "SelectUniqueValue",
    "SingleAppRoleAssignment", "Split", "StripSpaces", "Switch", "ToLower", "ToUpper", "Word",
]


def test_all_43_documented_functions_are_known() -> None:
    assert len(PAGE_FUNCTIONS) == 43
    assert set(PAGE_FUNCTIONS) <= set(function_names())


# ----------------------------------------------------------------------------- generated values


GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_guid_sample_shape_and_seeded_stream() -> None:
    first = env(seed=7)
    values = [parse("Guid()").evaluate({}, first) for _ in range(3)]
    assert all(GUID.match(v) for v in values)  # the sample "00aa00aa-bb11-cc22-dd33-44ee44ee44ee": lower-case GUID
    assert len(set(values)) == 3  # "generates a new random GUID" every time
    again = env(seed=7)
    assert [parse("Guid()").evaluate({}, again) for _ in range(3)] == values  # same seed, same values
    assert parse("Guid()").evaluate({}, env(seed=8)) != values[0]


def test_randomstring_example_1_three_numbers_three_lower_case() -> None:
    for seed in range(20):
        value = parse("RandomString(6,3,0,0,3)").evaluate({}, env(seed=seed))
        assert len(value) == 6
        assert sum(ch.isdigit() for ch in value) == 3 and sum(ch in string.ascii_lowercase for ch in value) == 3


def test_randomstring_example_2_minimums_and_characters_to_avoid() -> None:
    for seed in range(20):
        value = parse('RandomString(10,2,2,2,1,"?,")').evaluate({}, env(seed=seed))
        assert len(value) == 10 and "?" not in value and "," not in value
        assert sum(ch.isdigit() for ch in value) >= 2
        assert sum(ch in string.ascii_uppercase for ch in value) >= 2
        assert sum(ch in string.ascii_lowercase for ch in value) >= 1
        assert sum(not ch.isalnum() for ch in value) >= 2


def test_randomstring_is_the_same_for_the_same_seed() -> None:
    assert (parse("RandomString(12,2,2,2,2)").evaluate({}, env(seed=3))
            == parse("RandomString(12,2,2,2,2)").evaluate({}, env(seed=3)))


def test_redact_example_3_random_string_is_redacted_in_logs() -> None:
    expression = parse("Redact(RandomString(6,3,0,0,3))")
    assert expression.redacted
    assert len(expression.evaluate({}, env())) == 6


def test_randomstring_bad_counts_fail_at_run_time_with_position() -> None:
    with pytest.raises(ExpressionEvaluationError) as caught:
        parse("Append([x], RandomString([n], 1, 0, 0, 0))").evaluate({"x": "a", "n": "300"}, env())
    assert caught.value.position == 12 and "between 1 and 256" in str(caught.value)


# ----------------------------------------------------------------------------- SelectUniqueValue

SELECT_UNIQUE = """SelectUniqueValue(
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  [PreferredFirstName], [PreferredLastName]))), "contoso.com"),
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), "contoso.com"),
        Join("@", NormalizeDiacritics(StripSpaces(Join(".",  Mid([PreferredFirstName], 1, 2), [PreferredLastName]))), "contoso.com")
    )"""


def test_selectuniquevalue_example_parses_but_is_not_evaluated_for_a_saas_target() -> None:
    expression = parse("    " + SELECT_UNIQUE)
    with pytest.raises(ExpressionEvaluationError) as caught:
        expression.evaluate({"PreferredFirstName": "John", "PreferredLastName": "Smith"}, env())
    assert "SelectUniqueValue isn't supported for use with" in str(caught.value)
    assert "Workday to Active Directory User Provisioning" in str(caught.value)


def test_selectuniquevalue_needs_two_rules_and_the_top_level() -> None:
    with pytest.raises(ExpressionError, match="at least 2"):
        parse("SelectUniqueValue([a])")
    with pytest.raises(ExpressionError, match="top level"):
        parse('ToLower(SelectUniqueValue([a], [b]))')


# ----------------------------------------------------------------------------- NormalizeDiacritics table

DIACRITICS_TABLE = [
    ("ä, à, â, ã, å, á, ą, ă, ā, ā́, ā̀, ā̂, ā̃, ǟ, ā̈, ǡ, a̱, å̄", "a"),
    ("Ä, À, Â, Ã, Å, Á, Ą, Ă, Ā, Ā́, Ā̀, Ā̂, Ā̃, Ǟ, Ā̈, Ǡ, A̱, Å̄", "A"),
    ("æ, ǣ", "ae"), ("Æ, Ǣ", "AE"),
    ("ç, č, ć, c̄, c̱", "c"), ("Ç, Č, Ć, C̄, C̱", "C"),
    ("ď, d̄, ḏ", "d"), ("Ď, D̄, Ḏ", "D"),
    ("ë, è, é, ê, ę, ě, ė, ē, ḗ, ḕ, ē̂, ē̃, ê̄, e̱, ë̄, e̊̄", "e"),
    ("Ë, È, É, Ê, Ę, Ě, Ė, Ē, Ḗ, Ḕ, Ē̂, Ē̃, Ê̄, E̱, Ë̄, E̊̄", "E"),
    ("ğ, ḡ, g̱", "g"), ("Ğ, Ḡ, G̱", "G"),
    ("ï, î, ì, í, ı, ī, ī́, ī̀, ī̂, ī̃, i̱", "i"), ("Ï, Î, Ì, Í, İ, Ī, Ī́, Ī̀, Ī̂, Ī̃, I̱", "I"),
    ("ľ, ł, l̄, ḹ, ḻ", "l"), ("Ł, Ľ, L̄, Ḹ, Ḻ", "L"),
    ("ñ, ń, ň, n̄, ṉ", "n"), ("Ñ, Ń, Ň, N̄, Ṉ", "N"),
    ("ö, ò, ő, õ, ô, ó, ō, ṓ, ṑ, ō̂, ō̃, ȫ, ō̈, ǭ, ȭ, ȱ, o̱", "o"),
    ("Ö, Ò, Ő, Õ, Ô, Ó, Ō, Ṓ, Ṑ, Ō̂, Ō̃, Ȫ, Ō̈, Ǭ, Ȭ, Ȱ, O̱", "O"),
    ("ø, ø̄, œ̄", "oe"), ("Ø, Ø̄, Œ̄", "OE"),
    ("ř, r̄, ṟ, ṝ", "r"), ("Ř, R̄, Ṟ, Ṝ", "R"),
    ("ß", "ss"),
    ("š, ś, ș, ş, s̄, s̱", "s"), ("Š, Ś, Ș, Ş, S̄, S̱", "S"),
    ("ť, ț, t̄, ṯ", "t"), ("Ť, Ț, T̄, Ṯ", "T"),
    ("ü, ù, û, ú, ů, ű, ū, ū́, ū̀, ū̂, ū̃, u̇̄, ǖ, ṻ, ṳ̄, u̱", "u"),
    ("Ü, Ù, Û, Ú, Ů, Ű, Ū, Ū́, Ū̀, Ū̂, Ū̃, U̇̄, Ǖ, Ṻ, Ṳ̄, U̱", "U"),
    ("ÿ, ý, ȳ, ȳ́, ȳ̀, ȳ̃, y̱", "y"), ("Ÿ, Ý, Ȳ, Ȳ́, Ȳ̀, Ȳ̃, Y̱", "Y"),
    ("ź, ž, ż, z̄, ẕ", "z"), ("Ź, Ž, Ż, Z̄, Ẕ", "Z"),
]


@pytest.mark.parametrize(("characters", "expected"), DIACRITICS_TABLE, ids=[row[1] + str(i) for i, row in
                                                                              enumerate(DIACRITICS_TABLE)])
def test_normalizediacritics_table_row(characters: str, expected: str) -> None:
    for character in characters.split(", "):
        assert parse("NormalizeDiacritics([x])").evaluate({"x": character}) == expected, repr(character)
