"""The one SCIM path grammar (simulator/scim/path.py) that the Genesys fake and the engine share."""

from __future__ import annotations

import pytest

from simulator.scim.path import PathSyntaxError, ScimPath, eq_pairs, parse_path, split_urn

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.mark.parametrize(("text", "expected"), [
    ("title", ScimPath(None, "title")),
    ("name.givenName", ScimPath(None, "name", sub="givenName")),
    ('emails[type eq "work"].value', ScimPath(None, "emails", 'type eq "work"', "value")),
    ('members[value eq "8f1c"]', ScimPath(None, "members", 'value eq "8f1c"')),
    (f"{ENTERPRISE}:manager", ScimPath(ENTERPRISE, "manager")),
    (f"{ENTERPRISE}:manager.value", ScimPath(ENTERPRISE, "manager", sub="value")),
    # a filter value may hold colons, dots and brackets' neighbours: the URN ends before the '['
    ('urn:x:y:User:phoneNumbers[value eq "tel:+1;ext=2"].type', ScimPath("urn:x:y:User", "phoneNumbers", 'value eq "tel:+1;ext=2"', "type")),
])
def test_parse_path(text, expected):
    assert parse_path(text) == expected


@pytest.mark.parametrize("text", ["", "emails[type eq \"work\"", "emails[type eq \"work\"]x", "a.b.c", "1abc", "a b"])
def test_not_a_path(text):
    with pytest.raises(PathSyntaxError):
        parse_path(text)


def test_split_urn():
    assert split_urn("userName") == (None, "userName")
    assert split_urn(f"{ENTERPRISE}:department") == (ENTERPRISE, "department")


@pytest.mark.parametrize(("text", "expected"), [
    ('type eq "work"', [("type", "work")]),
    ("type EQ 'mobile'", [("type", "mobile")]),
    ('authority eq "x-pc" and value eq "1"', [("authority", "x-pc"), ("value", "1")]),
    ('type eq "work" or type eq "home"', None),
    ("type eq work", None),
    ('type ne "work"', None),
    ('type eq "a\\"b"', None),
])
def test_eq_pairs(text, expected):
    assert eq_pairs(text) == expected
