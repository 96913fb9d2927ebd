"""From a target attribute in a log entry back to the Entra attribute that feeds it.

A provisioning log names the *target* attribute that changed (``title``, ``emails[type eq
"work"].value``) with its old and new value.  To recreate the change in the directory the story
needs the *source* attribute, read from the job's attribute mappings: a mapping of type
``Attribute`` (``title <- [jobTitle]``) can be run backwards; an expression (``Join(...)``)
cannot, and an entry that changed such an attribute is not modelled.  Entra's provisioning names
(``mobile``, ``telephoneNumber``) are written through Graph's (``mobilePhone``,
``businessPhones``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["AttributeMap", "graph_property", "graph_value", "graph_body", "user_mappings", "solve"]

#: the longest target value the importer searches an expression's input for
SEARCH_LIMIT = 200

#: Entra provisioning attribute (lower case) -> the Graph user property that holds it
_GRAPH_PROPERTY = {
    "mobile": "mobilePhone", "telephonenumber": "businessPhones", "physicaldeliveryofficename": "officeLocation",
    "facsimiletelephonenumber": "faxNumber", "userprincipalname": "userPrincipalName", "displayname": "displayName",
    "givenname": "givenName", "surname": "surname", "mail": "mail", "mailnickname": "mailNickname",
    "jobtitle": "jobTitle", "department": "department", "companyname": "companyName", "employeeid": "employeeId",
    "employeetype": "employeeType", "employeehiredate": "employeeHireDate", "officelocation": "officeLocation",
    "city": "city", "country": "country", "state": "state", "streetaddress": "streetAddress", "postalcode": "postalCode",
    "preferredlanguage": "preferredLanguage", "usagelocation": "usageLocation", "mobilephone": "mobilePhone",
    "businessphones": "businessPhones", "faxnumber": "faxNumber", "accountenabled": "accountEnabled",
}
#: target attributes whose value is not an Entra attribute value: how the importer reads them instead
SPECIAL = {"active", "manager", "members", "externalid"}


def graph_property(source_attribute: str) -> str | None:
    """The Graph user property for an Entra provisioning attribute, None when Graph has none."""
    return _GRAPH_PROPERTY.get(source_attribute.lower())


def graph_value(prop: str, text: str | None) -> Any:
    """A modifiedProperties string as the Graph property wants it."""
    if prop == "businessPhones":
        return [text] if text else []
    if prop == "accountEnabled":
        return str(text).lower() == "true"
    return text if text not in ("",) else None


def graph_body(changes: Mapping[str, Any]) -> dict[str, Any]:
    return dict(sorted(changes.items()))


@dataclass(frozen=True)
class AttributeMap:
    """target attribute (as logs name it) -> the Entra attribute of its ``Attribute`` mapping."""

    sources: dict[str, str]
    expressions: dict[str, str]
    #: the target attribute provisioning matches on (userName), and its source
    matching: tuple[str, str] | None

    def source_of(self, target_attribute: str) -> str | None:
        return self.sources.get(target_attribute) or self.sources.get(target_attribute.lower())

    def why_not(self, target_attribute: str) -> str:
        expression = self.expressions.get(target_attribute) or self.expressions.get(target_attribute.lower())
        if expression:
            return f"{target_attribute} comes from the expression {expression}: it cannot be run backwards"
        return f"{target_attribute} is not mapped from an Entra attribute in the job's schema"


def solve(expression: str, source: Mapping[str, Any], wanted: str | None) -> tuple[str, str | None] | None:
    """Run an expression backwards by search: the (attribute, value) for which the expression over
    ``source`` with that one attribute changed gives ``wanted``; None when no single attribute does.

    The candidates are no value and every piece of ``wanted`` (longest first), so ``Join(" - ",
    [jobTitle], [department])`` giving "Account Director - Sales" finds jobTitle "Account Director"."""
    from simulator.engine.errors import ExpressionError
    from simulator.engine.expressions import parse

    try:
        parsed = parse(expression)
    except ExpressionError:
        return None
    text = wanted or ""
    if len(text) > SEARCH_LIMIT:
        return None
    pieces = sorted({text[i:j] for i in range(len(text)) for j in range(i + 1, len(text) + 1)},
                    key=lambda piece: (-len(piece), piece))
    for attribute in sorted(parsed.attributes()):
        for candidate in [None, *pieces]:
            trial = {**source, attribute: candidate}
            try:
                value = parsed.evaluate(trial)
            except (ExpressionError, ValueError, TypeError):
                continue
            if _text(value) == wanted:
                return attribute, candidate
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) if value else None
    return str(value)


def user_mappings(schema: Mapping[str, Any], object_name: str = "User") -> AttributeMap:
    """The user (or group) object mapping of a synchronization schema, runnable backwards."""
    sources: dict[str, str] = {}
    expressions: dict[str, str] = {}
    matching: tuple[str, str] | None = None
    best = 1 << 30
    for rule in schema.get("synchronizationRules") or []:
        for om in rule.get("objectMappings") or []:
            if str(om.get("sourceObjectName", "")).lower() != object_name.lower():
                continue
            for am in om.get("attributeMappings") or []:
                target = str(am.get("targetAttributeName") or "")
                source = am.get("source") or {}
                kind = str(source.get("type") or ("Function" if source.get("expression", "").strip()[:1] not in ("[", "")
                                                  else "Attribute"))
                name = source.get("name") or str(source.get("expression") or "").strip("[]")
                if kind == "Attribute" and name:
                    sources[target] = sources[target.lower()] = str(name)
                    priority = int(am.get("matchingPriority") or 0)
                    if 0 < priority < best:
                        best, matching = priority, (target, str(name))
                else:
                    expressions[target] = expressions[target.lower()] = str(source.get("expression") or name)
    return AttributeMap(sources, expressions, matching)
