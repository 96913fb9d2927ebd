"""Pseudonyms: deterministic, shape-keeping, case-consistent, injective, never an original."""

from __future__ import annotations

import re

from simulator.snapshot.pseudonym import GUID_RE, Pseudonymizer, tokens

ORIGINAL = ["Megan Bowen", "megan.bowen@contoso.com", "MEGAN", "+14255550101", "E1002", "Sales", "Sales Manager",
            "0612345678", "IT", "HR"]


def make(key: bytes = b"k", keep: tuple[str, ...] = ()) -> Pseudonymizer:
    originals = {t for value in ORIGINAL for t in tokens(value)}
    return Pseudonymizer(key, originals=originals, keep=keep)


def test_same_token_same_pseudonym_across_attributes_and_case() -> None:
    p = make()
    display, mail, upper = p.text("Megan Bowen"), p.text("megan.bowen@contoso.com"), p.text("MEGAN")
    given, surname = display.split(" ")
    assert mail.split("@")[0] == f"{given.lower()}.{surname.lower()}"
    assert upper == given.upper() and given[0].isupper() and given[1:].islower()
    assert make().text("Megan Bowen") == display  # the same key gives the same pseudonyms
    assert make(b"other").text("Megan Bowen") != display


def test_shapes_stay() -> None:
    p = make()
    assert re.fullmatch(r"[a-z]+\.[a-z]+@[a-z]+\.com", p.text("megan.bowen@contoso.com"))  # TLD kept
    phone = p.text("+14255550101")
    assert re.fullmatch(r"\+[1-9]\d{10}", phone) and phone != "+14255550101"  # still E.164
    assert p.text("0612345678").startswith("0") and len(p.text("0612345678")) == 10
    assert re.fullmatch(r"[A-Z]\d{4}", p.text("E1002"))
    guid = p.value("00aa00aa-bb11-cc22-dd33-44ee44ee44ee")
    assert GUID_RE.match(guid) and guid != "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
    assert p.value("00AA00AA-BB11-CC22-DD33-44EE44EE44EE") == guid  # GUIDs compare case-insensitively
    assert p.text("SMTP:megan@contoso.com").startswith("SMTP:")


def test_no_pseudonym_is_an_original_token_or_value() -> None:
    p = make()
    originals = {t for value in ORIGINAL for t in tokens(value)}
    for value in ORIGINAL:
        made = p.text(value)
        assert made.lower() not in {v.lower() for v in ORIGINAL}
        assert not set(tokens(made)) & (originals - p.keep)
    # two-letter departments cannot become each other ("HR" -> "it" would equal the original "IT")
    assert p.text("HR").lower() not in ("it", "hr") and p.text("IT").lower() not in ("it", "hr")


def test_injective() -> None:
    p = Pseudonymizer(b"k", originals=[])
    made = {p.text(f"{a}{b}") for a in "abcdefghij" for b in "abcdefghij"}
    assert len(made) == 100


def test_configuration_tokens_are_kept() -> None:
    p = make(keep=("sales",))
    assert p.text("Sales") == "Sales"
    assert p.text("Sales Manager").startswith("Sales ") and p.text("Sales Manager") != "Sales Manager"
