"""Users and groups: SCIM JSON in (validated into the stored form) and out.

Validation is strict where Genesys is documented to be (reference §3): userName
is an e-mail, displayName is required, e-mail types work/other, phone types from
the PYSDK enum with E.164 / tel-URI values, roles by existing role name, skills
and languages by existing name with proficiency 0-5, at most 50 of each,
division by existing name, manager by existing user id.  It is lenient where
Entra is known to be sloppy: attribute names in any case, ``"True"``/``"False"``
strings for booleans, a manager given as an id, ``{"value": id}`` or
``[{"value": id}]``.  Unknown plain attributes are ignored (RFC 7643 §3.1 lets a
provider do so; ``name`` is not in the Genesys model); unknown schema URNs are
an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from .errors import ScimError
from .schemas import EMAIL_TYPES, ENTERPRISE_URN, GENESYS_URN, GROUP_URN, PATCH_URN, PHONE_TYPES, USER_SCHEMAS, USER_URN

__all__ = ["OrgRules", "parse_user", "render_user", "user_view", "parse_group", "render_group", "group_view",
           "SCIM_AUTHORITY", "Mode"]

#: The authority of the immutable externalIds entry Genesys keeps for the SCIM externalId.
SCIM_AUTHORITY = "x-pc:scimv2:v1"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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


def _lower_keys(body: dict) -> dict[str, tuple[str, Any]]:
    return {k.lower(): (k, v) for k, v in body.items()}


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


def check_schemas(body: dict, allowed: list[str], *, required_core: str | None = None) -> None:
    """``schemas`` (if sent) and URN-keyed objects must name schemas this resource has."""
    known = {u.lower() for u in allowed}
    raw = next((v for k, v in body.items() if k.lower() == "schemas"), None)
    if raw is not None:
        if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
            raise ScimError(400, "invalidSyntax", "'schemas' must be an array of strings")
        unknown = [s for s in raw if s.lower() not in known]
        if unknown:
            raise ScimError(400, "invalidValue", f"Unknown schema: {', '.join(unknown)}")
    for key in body:
        if key.lower().startswith("urn:") and key.lower() not in known:
            raise ScimError(400, "invalidValue", f"Unknown schema: {key}")


# ---------------------------------------------------------------- users
def parse_user(body: Any, rules: OrgRules, mode: str, current: dict | None = None) -> dict[str, Any]:
    """The stored fields for ``body`` (without id, version and timestamps)."""
    if not isinstance(body, dict):
        raise ScimError(400, "invalidSyntax", "The body must be a JSON object")
    check_schemas(body, USER_SCHEMAS)
    core = _lower_keys(body)
    ext_ent = _extension(body, ENTERPRISE_URN)
    ext_gen = _extension(body, GENESYS_URN)
    get = lambda key: core.get(key.lower(), (key, None))[1]  # noqa: E731
    present = lambda key: key.lower() in core  # noqa: E731

    user_name = _string("userName", get("userName"), required=True)
    assert user_name is not None
    if not _EMAIL.match(user_name):
        raise ScimError(400, "invalidValue", f"'userName' must be an e-mail address, got {user_name!r}")
    display = _string("displayName", get("displayName"), required=True)
    keep = mode == Mode.REPLACE and current is not None
    out: dict[str, Any] = {
        "userName": user_name,
        "displayName": display,
        "active": _boolean("active", get("active")) if get("active") is not None else True,
        "title": _string("title", get("title")),
        "externalId": _string("externalId", get("externalId")),
        "workEmail": _work_email(get("emails")),
        "phoneNumbers": _phones(get("phoneNumbers")),
    }
    if present("roles") or not keep:
        out["roles"] = _roles(get("roles"), rules, default=mode == Mode.CREATE)
    else:
        out["roles"] = list(current["roles"])  # type: ignore[index]
    division = _string("division", ext_ent.get("division"))
    if division is not None:
        canonical = rules.division_name(division)
        if canonical is None:
            raise ScimError(400, "invalidValue", f"No division named {division!r} in this org")
        division = canonical
    elif keep:
        division = current.get("division")  # type: ignore[union-attr]
    out["division"] = division if division is not None else rules.default_division()
    out["department"] = _string("department", ext_ent.get("department"))
    out["manager"] = _manager(ext_ent.get("manager"), rules, (current or {}).get("id"))
    out["employeeNumber"] = _string("employeeNumber", ext_ent.get("employeenumber"))
    out["dateHire"] = _date_hire(ext_ent.get("datehire"))
    for key, finder, label in (("routingSkills", rules.skill_name, "skill"),
                               ("routingLanguages", rules.language_name, "language")):
        if key.lower() in ext_gen or not keep:
            out[key] = _routing(key, ext_gen.get(key.lower()), finder, label)
        else:
            out[key] = list(current[key])  # type: ignore[index]
    out["externalIds"] = _external_ids(ext_gen.get("externalids"))
    password = get("password")
    if password is not None:
        _string("password", password)
        out["hasPassword"] = True
    else:
        out["hasPassword"] = (current or {}).get("hasPassword", mode == Mode.CREATE)
    return out


def _extension(body: dict, urn: str) -> dict[str, Any]:
    value = next((v for k, v in body.items() if k.lower() == urn.lower()), None)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScimError(400, "invalidValue", f"'{urn}' must be an object")
    return {k.lower(): v for k, v in value.items()}


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
        if not _EMAIL.match(address):
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
        canonical = rules.role_name(name)  # type: ignore[arg-type]
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
        canonical = finder(given)  # type: ignore[arg-type]
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
        if authority.lower().startswith(SCIM_AUTHORITY):  # type: ignore[union-attr]
            continue  # Genesys' own entry for the SCIM externalId: immutable, ignored on input
        entry = {"authority": authority, "value": val}
        if entry not in out:
            out.append(entry)
    return out


def render_user(doc: dict, groups: list[tuple[str, str]], location: Callable[[str, str], str], *,
                stamp: Callable[[dict], dict]) -> dict[str, Any]:
    """The SCIM User for a stored document; ``groups`` are (id, displayName) pairs."""
    out: dict[str, Any] = {"schemas": list(USER_SCHEMAS), "id": doc["id"], "active": doc["active"],
                           "userName": doc["userName"], "displayName": doc["displayName"]}
    if doc.get("title") is not None:
        out["title"] = doc["title"]
    if doc.get("phoneNumbers"):
        out["phoneNumbers"] = [dict(p) for p in doc["phoneNumbers"]]
    emails = []
    if doc.get("workEmail"):
        emails.append({"value": doc["workEmail"]["value"], "type": "work",
                       **({"primary": doc["workEmail"]["primary"]} if "primary" in doc["workEmail"] else {})})
    emails.append({"value": doc["userName"], "type": "other", "primary": False})
    out["emails"] = emails
    if doc.get("externalId") is not None:
        out["externalId"] = doc["externalId"]
    if groups:
        out["groups"] = [{"type": "Group", "value": gid, "$ref": location("groups", gid)} for gid, _ in groups]
    out["roles"] = [{"value": r} for r in doc.get("roles", [])]
    ent: dict[str, Any] = {}
    for key in ("division", "department"):
        if doc.get(key) is not None:
            ent[key] = doc[key]
    if doc.get("manager"):
        ent["manager"] = {"value": doc["manager"], "$ref": location("users", doc["manager"])}
    for key in ("employeeNumber", "dateHire"):
        if doc.get(key) is not None:
            ent[key] = doc[key]
    out[ENTERPRISE_URN] = ent
    gen: dict[str, Any] = {}
    if doc.get("routingSkills"):
        gen["routingSkills"] = [dict(s) for s in doc["routingSkills"]]
    if doc.get("routingLanguages"):
        gen["routingLanguages"] = [dict(s) for s in doc["routingLanguages"]]
    ext_ids = [dict(e) for e in doc.get("externalIds", [])]
    if doc.get("externalId") is not None:
        ext_ids.insert(0, {"authority": SCIM_AUTHORITY, "value": doc["externalId"]})
    if ext_ids:
        gen["externalIds"] = ext_ids
    if gen:
        out[GENESYS_URN] = gen
    else:
        out["schemas"].remove(GENESYS_URN)
    out["meta"] = stamp(doc)
    return out


def user_view(doc: dict) -> dict[str, Any]:
    """The writable SCIM JSON of a user (what a PATCH operates on)."""
    view: dict[str, Any] = {"userName": doc["userName"], "displayName": doc["displayName"], "active": doc["active"]}
    for key in ("title", "externalId"):
        if doc.get(key) is not None:
            view[key] = doc[key]
    if doc.get("workEmail"):
        view["emails"] = [{"type": "work", **doc["workEmail"]}]
    if doc.get("phoneNumbers"):
        view["phoneNumbers"] = [dict(p) for p in doc["phoneNumbers"]]
    if doc.get("roles"):
        view["roles"] = [{"value": r} for r in doc["roles"]]
    ent = {k: doc[k] for k in ("division", "department", "employeeNumber", "dateHire") if doc.get(k) is not None}
    if doc.get("manager"):
        ent["manager"] = {"value": doc["manager"]}
    if ent:
        view[ENTERPRISE_URN] = ent
    gen = {k: [dict(i) for i in doc[k]] for k in ("routingSkills", "routingLanguages", "externalIds") if doc.get(k)}
    if gen:
        view[GENESYS_URN] = gen
    return view


# ---------------------------------------------------------------- groups
@dataclass
class GroupInput:
    display_name: str
    external_id: str | None
    members: list[str]


def parse_group(body: Any, rules: OrgRules) -> GroupInput:
    if not isinstance(body, dict):
        raise ScimError(400, "invalidSyntax", "The body must be a JSON object")
    check_schemas(body, [GROUP_URN])
    keys = _lower_keys(body)
    display = _string("displayName", keys.get("displayname", ("", None))[1], required=True)
    external = _string("externalId", keys.get("externalid", ("", None))[1])
    members: list[str] = []
    seen: set[str] = set()
    for item in _list_of_objects("members", keys.get("members", ("", None))[1]):
        kind = item.get("type")
        if kind is not None and (not isinstance(kind, str) or kind.lower() != "user"):
            raise ScimError(400, "invalidValue", f"Members must be users (type 'User'), got type {kind!r}")
        member = _string("members.value", item.get("value"), required=True)
        if not rules.user_exists(member):  # type: ignore[arg-type]
            raise ScimError(400, "invalidValue", f"Member {member!r} is not a user of this org")
        if member not in seen:
            seen.add(member)  # type: ignore[arg-type]
            members.append(member)  # type: ignore[arg-type]
    return GroupInput(display, external, members)  # type: ignore[arg-type]


def render_group(doc: dict, members: list[str] | None, location: Callable[[str, str], str], *,
                 stamp: Callable[[dict], dict]) -> dict[str, Any]:
    out: dict[str, Any] = {"schemas": [GROUP_URN], "id": doc["id"], "displayName": doc["displayName"]}
    if doc.get("externalId") is not None:
        out["externalId"] = doc["externalId"]
    if members is not None:
        out["members"] = [{"type": "User", "value": uid, "$ref": location("users", uid)} for uid in members]
    out["meta"] = stamp(doc)
    return out


def group_view(doc: dict, members: list[str]) -> dict[str, Any]:
    view: dict[str, Any] = {"displayName": doc["displayName"]}
    if doc.get("externalId") is not None:
        view["externalId"] = doc["externalId"]
    view["members"] = [{"value": m} for m in members]
    return view


PATCH_SCHEMAS = [PATCH_URN, USER_URN, ENTERPRISE_URN, GENESYS_URN, GROUP_URN]
