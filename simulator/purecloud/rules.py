"""How each Genesys SCIM attribute is stored, validated and shown: one :class:`Rule` per
attribute of the catalogue (:mod:`.schemas`), which :mod:`.model` walks to parse a body,
render a resource and build the writable view a PATCH works on.

Validation is strict where Genesys is documented to be (Genesys help "SCIM and Genesys Cloud field mappings"): userName is an
e-mail, displayName is required, e-mail types work/other, phone types from the PYSDK
enum with E.164 / tel-URI values, roles by existing role name, skills and languages by
existing name with proficiency 0-5, at most 50 of each, division by existing name,
manager by existing user id.  It is lenient where Entra is known to be sloppy:
``"True"``/``"False"`` strings for booleans, a manager given as an id,
``{"value": id}`` or ``[{"value": id}]``.

Adding an attribute: one ``Attr(..., rule=...)`` entry in the catalogue; a plain string
needs ``rule=Text()`` and nothing else (it is stored under its own name).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from .errors import ScimError

__all__ = ["OrgRules", "Mode", "ParseContext", "RenderContext", "Rule", "Text", "Boolean", "Password",
           "WorkEmail", "Phones", "GroupsOf", "Roles", "Division", "Manager", "DateHire", "Routing",
           "ExternalIds", "Members", "SCIM_AUTHORITY", "EMAIL_TYPES", "PHONE_TYPES"]

#: The authority of the immutable externalIds entry Genesys keeps for the SCIM externalId.
SCIM_AUTHORITY = "x-pc:scimv2:v1"
#: PYSDK ScimEmail / ScimPhoneNumber enums (257.1.0).
EMAIL_TYPES = ("work", "other")
PHONE_TYPES = ("work", "work2", "work3", "work4", "home", "mobile", "other", "microsoftteams", "zoomphone",
               "eightbyeight", "ringcentral")

EMAIL_FORM = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_TEL = re.compile(r"^tel:\+[1-9]\d{1,14}(;ext=\d{1,10})?$")
_MAX_ROUTING = 50


class OrgRules(Protocol):
    """What validation needs to know about the org (implemented by :class:`PureCloudOrg`)."""

    def role_name(self, name: str) -> str | None: ...
    def skill_name(self, name: str) -> str | None: ...
    def language_name(self, name: str) -> str | None: ...
    def division_name(self, name: str) -> str | None: ...
    def default_division(self) -> str | None: ...
    def user_exists(self, user_id: str) -> bool: ...


class Mode:
    CREATE = "create"
    REPLACE = "replace"  # PUT: absent attributes are cleared, but Genesys grants stay (see docs/fidelity.md)
    PATCH = "patch"      # a patched view: absent means removed, everything included


@dataclass(frozen=True)
class ParseContext:
    """What a rule may consult while parsing: the org, the mode, the stored document (PUT/PATCH)."""

    rules: OrgRules
    mode: str
    current: dict | None = None

    @property
    def replacing(self) -> bool:
        return self.mode == Mode.REPLACE and self.current is not None


@dataclass(frozen=True)
class RenderContext:
    """What a rule may consult while rendering: resource URLs, a user's groups, a group's members."""

    location: Callable[[str, str], str]
    groups: list[tuple[str, str]] = field(default_factory=list)
    members: list[str] | None = None


class Rule:
    """The behaviour of one attribute: stored under ``field`` (None: the attribute's name; ``""``:
    not in the document), parsed from the SCIM value, rendered, and shown in the writable view.
    ``keep``: a PUT that leaves the attribute out keeps the stored value (a Genesys grant)."""

    field: str | None = None
    keep = False

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return value

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        """The SCIM value, or None to leave the attribute out."""
        return stored

    def view(self, stored: Any, doc: dict) -> Any:
        """The writable SCIM value (what a PATCH operates on), or None when absent."""
        return stored


class Text(Rule):
    """A string; ``pattern`` (with its ``what``) when Genesys checks the form."""

    def __init__(self, pattern: re.Pattern[str] | None = None, what: str = "") -> None:
        self.pattern, self.what = pattern, what

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        text = _string(name, value, required=required)
        if text is not None and self.pattern is not None and not self.pattern.match(text):
            raise ScimError(400, "invalidValue", f"'{name}' must be {self.what}, got {text!r}")
        return text


class Boolean(Rule):
    """A boolean (``"True"``/``"False"`` accepted); ``default`` when absent."""

    def __init__(self, default: bool) -> None:
        self.default = default

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return _boolean(name, value) if value is not None else self.default


class Password(Rule):
    """Write-only: only whether the user has one is stored."""

    field = "hasPassword"

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        if value is not None:
            _string(name, value)
            return True
        return (ctx.current or {}).get("hasPassword", ctx.mode == Mode.CREATE)

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        return None

    def view(self, stored: Any, doc: dict) -> Any:
        return None


class WorkEmail(Rule):
    """``emails``: the work address is stored; ``other`` mirrors userName (read-only)."""

    field = "workEmail"

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return _work_email(value)

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        emails = []
        if stored:
            emails.append({"value": stored["value"], "type": "work",
                           **({"primary": stored["primary"]} if "primary" in stored else {})})
        emails.append({"value": doc["userName"], "type": "other", "primary": False})
        return emails

    def view(self, stored: Any, doc: dict) -> Any:
        return [{"type": "work", **stored}] if stored else None


class _List(Rule):
    """A list of objects, rendered and viewed as copies, left out when empty."""

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        return list(map(dict, stored)) if stored else None

    def view(self, stored: Any, doc: dict) -> Any:
        return list(map(dict, stored)) if stored else None


class Phones(_List):
    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return _phones(value)


class GroupsOf(Rule):
    """A user's groups: read-only, from the memberships."""

    field = ""

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        if not ctx.groups:
            return None
        return [{"type": "Group", "value": gid, "$ref": ctx.location("groups", gid)} for gid, _ in ctx.groups]

    def view(self, stored: Any, doc: dict) -> Any:
        return None


class Roles(Rule):
    """Role names; a created user without roles gets ``employee``; a PUT without roles keeps them."""

    keep = True

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return _roles(value, ctx.rules, default=ctx.mode == Mode.CREATE)

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        return [{"value": r} for r in stored or []]

    def view(self, stored: Any, doc: dict) -> Any:
        return [{"value": r} for r in stored] if stored else None


class Division(Rule):
    """A division by name (canonical spelling stored); a PUT without one keeps it; else the default."""

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        division = _string(name, value)
        if division is not None:
            canonical = ctx.rules.division_name(division)
            if canonical is None:
                raise ScimError(400, "invalidValue", f"No division named {division!r} in this org")
            division = canonical
        elif ctx.replacing:
            division = ctx.current.get("division")  # type: ignore[union-attr]  # replacing: current is set
        return division if division is not None else ctx.rules.default_division()


class Manager(Rule):
    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return _manager(value, ctx.rules, (ctx.current or {}).get("id"))

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        return {"value": stored, "$ref": ctx.location("users", stored)} if stored else None

    def view(self, stored: Any, doc: dict) -> Any:
        return {"value": stored} if stored else None


class DateHire(Rule):
    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return _date_hire(value)


class Routing(_List):
    """Routing skills or languages by existing name (``finder`` names the org's lookup)."""

    keep = True

    def __init__(self, finder: str, label: str) -> None:
        self.finder, self.label = finder, label

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return _routing(name, value, getattr(ctx.rules, self.finder), self.label)


class ExternalIds(_List):
    """Genesys' externalIds; its own entry for the SCIM externalId is shown first and ignored on input."""

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        return _external_ids(value)

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        ext_ids = [dict(e) for e in stored or []]
        if doc.get("externalId") is not None:
            ext_ids.insert(0, {"authority": SCIM_AUTHORITY, "value": doc["externalId"]})
        return ext_ids or None


class Members(Rule):
    """A group's members: user ids of this org, kept in the memberships (``members`` of the parsed fields)."""

    def parse(self, name: str, value: Any, ctx: ParseContext, *, required: bool = False) -> Any:
        members: list[str] = []
        seen: set[str] = set()
        for item in _list_of_objects(name, value):
            kind = item.get("type")
            if kind is not None and (not isinstance(kind, str) or kind.lower() != "user"):
                raise ScimError(400, "invalidValue", f"Members must be users (type 'User'), got type {kind!r}")
            member = _string(f"{name}.value", item.get("value"), required=True)
            assert member is not None  # required
            if not ctx.rules.user_exists(member):
                raise ScimError(400, "invalidValue", f"Member {member!r} is not a user of this org")
            if member not in seen:
                seen.add(member)
                members.append(member)
        return members

    def render(self, stored: Any, doc: dict, ctx: RenderContext) -> Any:
        if ctx.members is None:
            return None
        return [{"type": "User", "value": uid, "$ref": ctx.location("users", uid)} for uid in ctx.members]

    def view(self, stored: Any, doc: dict) -> Any:
        return [{"value": m} for m in stored or []]


# ---------------------------------------------------------------- validation helpers
def _string(name: str, value: Any, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ScimError(400, "invalidValue", f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise ScimError(400, "invalidValue", f"'{name}' must be a string, got {type(value).__name__}")
    return value


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScimError(400, "invalidValue", f"'{name}' must be a boolean, got {value!r}")


def _list_of_objects(name: str, value: Any) -> list[dict]:
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ScimError(400, "invalidValue", f"'{name}' must be an array of objects")
    return [{k.lower(): v for k, v in item.items()} for item in value]




def _work_email(value: Any) -> dict | None:
    work: dict[str, Any] | None = None
    for item in _list_of_objects("emails", value):
        kind = item.get("type") or "work"
        if not isinstance(kind, str) or kind.lower() not in EMAIL_TYPES:
            raise ScimError(400, "invalidValue", f"E-mail type must be one of {', '.join(EMAIL_TYPES)}, got {kind!r}")
        if kind.lower() == "other":
            continue  # mirrors userName; read-only, so ignored on input
        address = _string("emails.value", item.get("value"))
        if address is None:
            continue
        if not EMAIL_FORM.match(address):
            raise ScimError(400, "invalidValue", f"Not an e-mail address: {address!r}")
        if work is not None:
            raise ScimError(400, "invalidValue", "At most one e-mail of type 'work'")
        work = {"value": address}
        if item.get("primary") is not None:
            work["primary"] = _boolean("emails.primary", item["primary"])
    return work



def _phones(value: Any) -> list[dict]:
    out: list[dict] = []
    seen: set[str] = set()
    for item in _list_of_objects("phoneNumbers", value):
        kind = item.get("type")
        if not isinstance(kind, str) or kind.lower() not in PHONE_TYPES:
            raise ScimError(400, "invalidValue", f"Phone type must be one of {', '.join(PHONE_TYPES)}, got {kind!r}")
        kind = kind.lower()
        number = _string("phoneNumbers.value", item.get("value"))
        if number is None:
            continue  # Entra clears a phone by sending an empty value
        if not (_E164.match(number) or _TEL.match(number)):
            raise ScimError(400, "invalidValue",
                            f"Phone number {number!r} ({kind}) must be E.164 (+15551234567) or a tel URI (tel:+15551234567;ext=1234)")
        if kind in seen:
            raise ScimError(400, "invalidValue", f"At most one phone number of type '{kind}'")
        seen.add(kind)
        phone: dict[str, Any] = {"value": number, "type": kind}
        if item.get("primary") is not None:
            phone["primary"] = _boolean("phoneNumbers.primary", item["primary"])
        out.append(phone)
    return out



def _roles(value: Any, rules: OrgRules, *, default: bool) -> list[str]:
    items = _list_of_objects("roles", value)
    if not items and default:
        employee = rules.role_name("employee")
        return [employee] if employee else []
    out: list[str] = []
    for item in items:
        name = _string("roles.value", item.get("value"), required=True)
        canonical = rules.role_name(name)  # type: ignore[arg-type]  # _string(required=True) never returns None
        if canonical is None:
            raise ScimError(400, "invalidValue", f"No role named {name!r} in this org")
        if canonical not in out:
            out.append(canonical)
    return out



def _manager(value: Any, rules: OrgRules, self_id: str | None) -> str | None:
    if isinstance(value, list):
        if len(value) > 1:
            raise ScimError(400, "invalidValue", "'manager' takes one value")
        value = value[0] if value else None
    if isinstance(value, dict):
        value = {k.lower(): v for k, v in value.items()}.get("value")
    manager = _string("manager", value)
    if manager is None:
        return None
    if manager == self_id:
        raise ScimError(400, "invalidValue", "A user cannot be their own manager")
    if not rules.user_exists(manager):
        raise ScimError(400, "invalidValue", f"Manager {manager!r} is not a user of this org")
    return manager



def _date_hire(value: Any) -> str | None:
    text = _string("dateHire", value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError as err:
        raise ScimError(400, "invalidValue", f"'dateHire' must be an ISO-8601 date, got {text!r}") from err



def _routing(name: str, value: Any, finder: Callable[[str], str | None], label: str) -> list[dict]:
    items = _list_of_objects(name, value)
    if len(items) > _MAX_ROUTING:
        raise ScimError(400, "invalidValue", f"At most {_MAX_ROUTING} {name}")
    out: list[dict] = []
    for item in items:
        given = _string(f"{name}.name", item.get("name"), required=True)
        canonical = finder(given)  # type: ignore[arg-type]  # _string(required=True) never returns None
        if canonical is None:
            raise ScimError(400, "invalidValue", f"No {label} named {given!r} in this org (names are case-sensitive)")
        entry: dict[str, Any] = {"name": canonical}
        prof = item.get("proficiency")
        if prof is not None:
            if isinstance(prof, bool) or not isinstance(prof, (int, float)) or not 0 <= prof <= 5:
                raise ScimError(400, "invalidValue", f"{name} proficiency must be a number from 0 to 5, got {prof!r}")
            entry["proficiency"] = float(prof)
        out = [e for e in out if e["name"] != canonical] + [entry]
    return out



def _external_ids(value: Any) -> list[dict]:
    out: list[dict] = []
    for item in _list_of_objects("externalIds", value):
        authority = _string("externalIds.authority", item.get("authority"), required=True)
        val = _string("externalIds.value", item.get("value"), required=True)
        if authority.lower().startswith(SCIM_AUTHORITY):  # type: ignore[union-attr]  # _string(required=True) never returns None
            continue  # Genesys' own entry for the SCIM externalId: immutable, ignored on input
        entry = {"authority": authority, "value": val}
        if entry not in out:
            out.append(entry)
    return out
