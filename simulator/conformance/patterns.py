"""Entra's SCIM request patterns, what the service expects back, and the checks of one exchange.

Every pattern names the documented fact it checks (Microsoft's
"Tutorial: Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID",
L:use-scim-to-provision-users-and-groups, docs/fidelity.md "Sources"; a finding's ``fact`` names
that page's "SCIM requests the service sends" as docs/target.md shows).  A check is **must** when the service could not use
the answer (it would log a failure, escrow the object, quarantine the job, or link the wrong
object) and **should** when Microsoft asks for it but the service carries on.

Pure functions over :class:`~simulator.conformance.capture.Exchange`: no I/O here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.engine.mappings import scim_get

from .capture import Exchange

__all__ = ["Pattern", "Check", "PATTERNS", "VALIDATOR_PATTERNS", "PATTERN_BY_ID", "effects", "resources_of", "classify", "check_exchange", "Story", "LIST_URN", "ERROR_URN"]

LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"
_REF = "L:use-scim-to-provision-users-and-groups, 'Understand the Microsoft Entra SCIM implementation'"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EQ = re.compile(r'^\s*(?P<attr>[\w.:$-]+)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


@dataclass(frozen=True)
class Pattern:
    id: str
    title: str
    #: what the engine sends, as a person reads it
    sent: str
    #: what the service expects back
    expected: str
    #: the reference fact this pattern checks, with its place
    fact: str
    #: how a story exercises it (shown when it was not exercised)
    exercise: str
    #: the RFC 7644 (or 7643) section the pattern rests on
    rfc: str = ""
    #: the RFC's own word for the validator's checks: "MUST" or "SHOULD" ("" for Entra's patterns,
    #: judged by what the service needs: must and should checks, see the module doc)
    level: str = ""


PATTERNS: tuple[Pattern, ...] = (
    Pattern("test-connection", "Test connection", 'GET /Users?filter=userName eq "<random GUID>"',
            "200 ListResponse with totalResults 0",
            f"{_REF}, Other requests: Test Connection looks up a user that doesn't exist, using a random GUID as "
            "the matching-attribute value, and expects 200 with an empty ListResponse.",
            "a configure step (Test Connection) or the start of an initial cycle"),
    Pattern("create-user", "Create a user", "POST /Users (core + enterprise schemas, externalId/userName, active true, "
            "work e-mail, meta.resourceType User, roles [])", "201 Created with the new user's id",
            f"{_REF}, Queries and users: Create: POST /Users ... Expect 201 with id.",
            "an assigned user who is not in the app yet"),
    Pattern("match-user", "Match a user by filter", 'GET /Users?filter=userName eq "<userPrincipalName>"',
            "200 ListResponse (totalResults, Resources, startIndex, itemsPerPage); at most one user, with that userName",
            f"{_REF}, Queries and users: Lookup: GET /Users?filter=userName eq \"v\" -> 200 ListResponse (totalResults, "
            "Resources, startIndex, itemsPerPage); getting more than one resource back -> "
            "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse (Groups).",
            "any assigned user (matched before it is created)"),
    Pattern("filter-zero", "Filters with zero results", "a filter GET that matches nothing",
            "200 with totalResults 0 and an empty Resources list",
            f"{_REF}, Queries and users: No match = totalResults:0 with empty Resources.",
            "Test Connection, or a user or group not in the app yet"),
    Pattern("read-user", "Read a user by id", "GET /Users/{id}", "200 with that user",
            f"{_REF}, Queries and users: Read: GET /Users/{{id}}.",
            "an update of a user provisioned in an earlier cycle"),
    Pattern("update-user", "Update a user (Entra's default PATCH shapes)",
            'PATCH /Users/{id}: capitalised ops ("Replace", "Add", "Remove"), one op per attribute, booleans as "True"/"False"',
            "200 (or 204)",
            f"{_REF}, Queries and users: Update: PATCH /Users/{{id}} with a PatchOp body and Operations[] ... "
            "Expect 200. op is sent capitalised: Add, Replace, Remove.",
            "an attribute change of a provisioned user (tenant URL without aadOptscim062020)"),
    Pattern("update-user-rfc", "Update a user (aadOptscim062020 PATCH shapes)",
            "PATCH /Users/{id}: lower-case ops, JSON booleans, several replaces merged into one op with an object value",
            "200 (or 204)",
            f"{_REF}, Queries and users: with the tenant-URL flag aadOptscim062020 ... op is lower-case, and several "
            "replaces are merged into one op with an object value.",
            "an attribute change of a provisioned user (tenant URL with ?aadOptscim062020)"),
    Pattern("disable-user", "Disable a user (Entra's default shape)", 'PATCH /Users/{id}: Replace active "False"',
            "200 (or 204), and the user is inactive",
            f"{_REF}, Queries and users: Disable: PATCH with Replace active = false; by default the value is the "
            "string \"False\".",
            "a provisioned user unassigned, disabled or soft-deleted in Entra"),
    Pattern("disable-user-rfc", "Disable a user (aadOptscim062020 shape)", "PATCH /Users/{id}: replace active false",
            "200 (or 204), and the user is inactive",
            f"{_REF}, Queries and users: Disable: with the tenant-URL flag aadOptscim062020 it is boolean false, "
            "op is lower-case.",
            "a provisioned user unassigned, disabled or soft-deleted in Entra (with ?aadOptscim062020)"),
    Pattern("manager", "Set a user's manager", 'PATCH /Users/{id}: Add/Replace '
            'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager = [{"$ref": null, "value": "<manager id>"}]',
            "200 (or 204), and the manager is set",
            f"{_REF}, Queries and users: Manager: ... Example PATCH: op Add, path manager, value "
            "[{\"$ref\":...,\"value\":\"<targetId>\"}].",
            "a provisioned user whose manager is provisioned too"),
    Pattern("delete-user", "Delete a user", "DELETE /Users/{id}", "204 No Content",
            f"{_REF}, Queries and users: Delete: DELETE /Users/{{id}} -> 204.",
            "a provisioned user deleted for good in Entra (DELETE /directory/deletedItems/{id})"),
    Pattern("read-deleted-user", "Read a deleted user", "GET /Users/{id} of a user the engine deleted (a probe)",
            "404 with a SCIM Error body",
            f"{_REF}, Queries and users: Read: GET /Users/{{id}} (404 + SCIM Error body if the user is gone); the "
            "service then reports InvalidAnchor (§1 Matching).",
            "a user deleted by the engine (the report then reads it back)"),
    Pattern("create-group", "Create a group", "POST /Groups with externalId and displayName, no members",
            "201 Created with the new group's id",
            f"{_REF}, Groups: Create: POST /Groups with externalId and displayName, always with no members.",
            "an assigned group not in the app yet (profile scim)"),
    Pattern("match-group", "Match a group by filter", 'GET /Groups?excludedAttributes=members&filter=displayName eq "<name>"',
            "200 ListResponse; at most one group, with that displayName, without members",
            f"{_REF}, Groups: Lookup: GET /Groups?excludedAttributes=members&filter=displayName eq \"n\"; getting more "
            "than one resource back, or members despite the exclusion -> "
            "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse.",
            "any assigned group"),
    Pattern("read-group", "Read a group by id", "GET /Groups/{id}?excludedAttributes=members", "200 with that group, without members",
            f"{_REF}, Groups: Read: GET /Groups/{{id}}?excludedAttributes=members.",
            "a change of a group provisioned in an earlier cycle"),
    Pattern("update-group", "Update a group (rename, externalId)",
            "PATCH /Groups/{id}: Replace displayName (or another non-member attribute)", "204 No Content",
            f"{_REF}, Groups: Rename: PATCH Replace displayName; Group PATCH -> 204.",
            "an assigned group renamed in Entra"),
    Pattern("add-members", "Add group members", 'PATCH /Groups/{id}: Add members [{"$ref": null, "value": "<user id>"}, ...]',
            "204 No Content",
            f"{_REF}, Groups: Add members: {{\"op\":\"Add\",\"path\":\"members\",\"value\":[{{\"$ref\":null,"
            "\"value\":\"<userId>\"}]}; Group PATCH -> 204.",
            "an assigned group with provisioned members"),
    Pattern("remove-members", "Remove group members (Entra's default shape)",
            'PATCH /Groups/{id}: Remove members [{"$ref": null, "value": "<user id>"}, ...]', "204 No Content",
            f"{_REF}, Groups: Remove uses the same shape with Remove; Group PATCH -> 204.",
            "a provisioned member removed from an assigned group"),
    Pattern("remove-members-rfc", "Remove group members (aadOptscim062020 shape)",
            'PATCH /Groups/{id}: remove members[value eq "<user id>"]', "204 No Content",
            f"{_REF}, Groups: with the compliance flag it becomes {{\"op\":\"remove\",\"path\":\"members[value eq "
            "\\\"id\\\"]\"}; Group PATCH -> 204.",
            "a provisioned member removed from an assigned group (with ?aadOptscim062020)"),
    Pattern("delete-group", "Delete a group", "DELETE /Groups/{id}", "204 No Content",
            f"{_REF}, Groups: DELETE /Groups/{{id}} -> 204.",
            "an assigned group deleted in Entra or unassigned (profile scim)"),
    Pattern("paging", "Paging", "GET /Users?startIndex=1&count=1, then startIndex=2&count=1 (probes)",
            "200 ListResponse pages of at most count resources, startIndex as asked, no resource twice",
            "L:use-scim-to-provision-users-and-groups, requirements: 'Support listing users and paginating' "
            "(RFC 7644 §3.4.2.4); L:use-scim-to-provision-users-and-groups, other requests: the docs also describe fetching 'a random user "
            "and group'.",
            "any run (the report sends these probes itself)"),
    Pattern("paging-groups", "Paging groups", "GET /Groups?excludedAttributes=members&startIndex=1&count=1 (a probe)",
            "200 ListResponse of at most one group, without members",
            "L:use-scim-to-provision-users-and-groups, other requests: the docs also describe fetching 'a random user and group'; "
            "L:use-scim-to-provision-users-and-groups, requirements: listing and paginating (RFC 7644 §3.4.2.4).",
            "any run (the report sends this probe itself)"),
)

#: Checks Microsoft's SCIM Validator makes that the engine's own requests do not: the report sends them
#: as probes (simulator/conformance/validator.py).  Each rests on an RFC section and carries its word.
VALIDATOR_PATTERNS: tuple[Pattern, ...] = (
    Pattern("duplicate-user", "Create a user that exists", "POST /Users with the userName of a user created in this pass (a probe)",
            "409 Conflict with scimType \"uniqueness\"",
            "RFC 7644 §3.3: a create that conflicts with an existing resource (a User with a duplicate userName) MUST "
            "get 409 with scimType \"uniqueness\"; RFC 7643 §4.1.1: userName MUST be unique. Entra treats 409 as "
            "'the user exists' and matches it instead.",
            "any story that creates a user (the report then creates it again)", "RFC 7644 §3.3, RFC 7643 §4.1.1", "MUST"),
    Pattern("duplicate-group", "Create a group that exists", "POST /Groups with the displayName of a group created in this pass (a probe)",
            "409 Conflict with scimType \"uniqueness\"",
            "RFC 7644 §3.3 (409 \"uniqueness\" for a conflicting create); RFC 7643 §4.2 does not require a unique "
            "group displayName, but Entra matches groups by displayName, so a second group of the same name makes "
            "its lookups ambiguous (SystemForCrossDomainIdentityManagementMultipleEntriesInResponse).",
            "a story that creates a group (profile scim)", "RFC 7644 §3.3, RFC 7643 §4.2", "SHOULD"),
    Pattern("filter-case", "Filter on userName in another case", 'GET /Users?filter=userName eq "<the userName, case swapped>" (a probe)',
            "200 ListResponse with exactly that user",
            "RFC 7643 §4.1.1 and §8.7.1: userName is caseExact false; RFC 7643 §7: the server SHALL use the "
            "attribute's case sensitivity when evaluating filters; RFC 7644 §3.4.2.2 (eq). Entra's lookup sends the "
            "UPN as Entra stores it, which need not be the case your server stored.",
            "any story that creates a user", "RFC 7643 §7, RFC 7644 §3.4.2.2", "MUST"),
    Pattern("discovery", "Schema discovery", "GET /ServiceProviderConfig, /ResourceTypes, /Schemas (probes)",
            "200 with the ServiceProviderConfig, the User and Group resource types, and the core User schema",
            "RFC 7644 §4 defines the three discovery endpoints; RFC 7643 §5 (ServiceProviderConfig), §6 "
            "(ResourceType), §7 (Schema). The provisioning service does not read them; Microsoft's SCIM Validator "
            "reads /Schemas to discover the attributes to test.",
            "any run (the report sends these probes itself, in the first pass)", "RFC 7644 §4, RFC 7643 §5-7", "SHOULD"),
    Pattern("read-back-user", "Read a user back after each PATCH", "GET /Users/{id} and GET /Users?filter=userName eq "
            '"<its userName>" after every successful user PATCH (probes)',
            "the user with every value the PATCH set, by id and by filter (a disabled user: active false)",
            "RFC 7644 §3.5.2: a PATCH that succeeded applied its operations (§3.5.2.1 add, §3.5.2.2 remove, "
            "§3.5.2.3 replace); RFC 7644 §3.4.1 and §3.4.2: a GET and a filter return the resource as it now is.",
            "any story that updates or disables a user", "RFC 7644 §3.5.2", "MUST"),
    Pattern("read-back-group", "Read a group back after each PATCH", "GET /Groups/{id} after every successful group PATCH (a probe)",
            "the group with the displayName the PATCH set and its members added or removed",
            "RFC 7644 §3.5.2: a PATCH that succeeded applied its operations (§3.5.2.1 add members, §3.5.2.2 remove "
            "members); RFC 7644 §3.4.1: a GET returns the resource as it now is.",
            "any story that renames a group or changes its members", "RFC 7644 §3.5.2", "MUST"),
    Pattern("random-values", "Random values for every mapped attribute",
            "POST /Users with a random value for every attribute the job maps, GET /Users/{id}, DELETE (probes)",
            "201, then the same value back for every attribute",
            "RFC 7644 §3.3 (create: 201 and the resource) and §3.4.1 (read); RFC 7643 §2.2: attributes are returned "
            "by default as stored. A value your server changes makes Entra send an update on every cycle; an "
            "attribute it drops should not be mapped.",
            "any run with a job (the report sends these probes itself, in the first pass)", "RFC 7644 §3.3, §3.4.1", "SHOULD"),
)

#: RFC sections of Entra's own patterns (the must/should of their checks is the service's need).
_RFC = {
    "test-connection": "RFC 7644 §3.4.2.2", "create-user": "RFC 7644 §3.3", "match-user": "RFC 7644 §3.4.2.2",
    "filter-zero": "RFC 7644 §3.4.2", "read-user": "RFC 7644 §3.4.1", "update-user": "RFC 7644 §3.5.2",
    "update-user-rfc": "RFC 7644 §3.5.2", "disable-user": "RFC 7644 §3.5.2.3", "disable-user-rfc": "RFC 7644 §3.5.2.3",
    "manager": "RFC 7644 §3.5.2.1, RFC 7643 §4.3", "delete-user": "RFC 7644 §3.6",
    "read-deleted-user": "RFC 7644 §3.6 (MUST answer 404 after a delete)", "create-group": "RFC 7644 §3.3",
    "match-group": "RFC 7644 §3.4.2.2, §3.9", "read-group": "RFC 7644 §3.4.1, §3.9", "update-group": "RFC 7644 §3.5.2.3",
    "add-members": "RFC 7644 §3.5.2.1", "remove-members": "RFC 7644 §3.5.2.2", "remove-members-rfc": "RFC 7644 §3.5.2.2",
    "delete-group": "RFC 7644 §3.6", "paging": "RFC 7644 §3.4.2.4", "paging-groups": "RFC 7644 §3.4.2.4",
}
PATTERNS = tuple(replace(p, rfc=_RFC.get(p.id, "")) for p in PATTERNS) + VALIDATOR_PATTERNS

PATTERN_BY_ID = {p.id: p for p in PATTERNS}


@dataclass
class Check:
    """One expectation about one exchange."""

    name: str
    ok: bool
    detail: str
    severity: str = "must"  # "must" or "should"
    pattern: str | None = None  # the pattern it belongs to (None: every pattern of the exchange)
    deviation: str | None = None  # a documented deviation of the target profile that explains it

    @property
    def result(self) -> str:
        if self.ok:
            return "pass"
        if self.deviation:
            return "deviation"
        return "fail" if self.severity == "must" else "warn"


@dataclass
class Story:
    """What earlier requests of the same pass established: objects created and not deleted since."""

    users: dict[str, int] = field(default_factory=dict)  # userName (casefolded) -> request that created it
    groups: dict[str, int] = field(default_factory=dict)  # displayName (casefolded) -> request
    ids: dict[str, tuple[str, str]] = field(default_factory=dict)  # target id -> (kind, casefolded name)


# --------------------------------------------------------------------------- classification


def _segments(ex: Exchange) -> list[str]:
    return [s for s in ex.path.split("/") if s]


def filter_eq(ex: Exchange) -> tuple[str, str] | None:
    """The ``attr eq "value"`` of the request's filter."""
    raw = ex.param("filter")
    found = _EQ.match(raw or "")
    if not found:
        return None
    return found.group("attr"), found.group("value").replace('\\"', '"').replace("\\\\", "\\")


def _resources(answer: Any) -> list | None:
    if not isinstance(answer, dict):
        return None
    resources = answer.get("Resources")
    if resources is None:
        return [] if answer.get("totalResults") == 0 else None
    return resources if isinstance(resources, list) else None


resources_of = _resources


def _is_zero(ex: Exchange) -> bool:
    return ex.status == 200 and _resources(ex.answer) == []


def _operations(ex: Exchange) -> list[dict]:
    body = ex.body if isinstance(ex.body, dict) else {}
    return [op for op in body.get("Operations") or [] if isinstance(op, dict)]


def _op_items(op: dict) -> list[tuple[str, Any]]:
    """(path, value) pairs an op writes: its path, or each key of a path-less object value."""
    if op.get("path"):
        return [(str(op["path"]), op.get("value"))]
    value = op.get("value")
    return [(str(k), v) for k, v in value.items()] if isinstance(value, dict) else []


def _falsy(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def classify(ex: Exchange, *, rfc: bool) -> list[str]:
    """The patterns an engine request is an instance of (``rfc``: the pass sends aadOptscim062020)."""
    segments = _segments(ex)
    if not segments:
        return []
    collection, has_id = segments[0].lower(), len(segments) > 1
    suffix = "-rfc" if rfc else ""
    if collection == "users":
        if ex.method == "GET" and not has_id and ex.param("filter") is not None:
            eq = filter_eq(ex)
            probe = eq is not None and eq[0].lower() == "username" and _GUID.match(eq[1])
            return ["test-connection" if probe else "match-user"] + (["filter-zero"] if _is_zero(ex) else [])
        if ex.method == "GET" and has_id:
            return ["read-user"]
        if ex.method == "POST" and not has_id:
            return ["create-user"]
        if ex.method == "DELETE" and has_id:
            return ["delete-user"]
        if ex.method == "PATCH" and has_id:
            items = [(path.lower(), value) for op in _operations(ex) for path, value in _op_items(op)]
            if items and all(path.endswith("manager") or path.endswith("manager.value") for path, _ in items):
                return ["manager"]
            if items and all(path == "active" and _falsy(value) for path, value in items):
                return [f"disable-user{suffix}"]
            return [f"update-user{suffix}"]
    if collection == "groups":
        if ex.method == "GET" and not has_id and ex.param("filter") is not None:
            return ["match-group"] + (["filter-zero"] if _is_zero(ex) else [])
        if ex.method == "GET" and has_id:
            return ["read-group"]
        if ex.method == "POST" and not has_id:
            return ["create-group"]
        if ex.method == "DELETE" and has_id:
            return ["delete-group"]
        if ex.method == "PATCH" and has_id:
            found: list[str] = []
            for op in _operations(ex):
                path = str(op.get("path") or "").lower()
                kind = str(op.get("op") or "").lower()
                if path.startswith("members") and kind == "add":
                    found.append("add-members")
                elif path.startswith("members") and kind == "remove":
                    found.append(f"remove-members{suffix}")
                else:
                    found.append("update-group")
            return list(dict.fromkeys(found))
    return []


# --------------------------------------------------------------------------- checks


def _status(ex: Exchange, must: tuple[int, ...], should: int | None = None, pattern: str | None = None) -> list[Check]:
    wanted = " or ".join(str(s) for s in must)
    checks = [Check("status", ex.status in must, f"answered {ex.status}, expected {wanted}", "must", pattern)]
    if should is not None and ex.status in must:
        checks.append(Check("status", ex.status == should, f"answered {ex.status}; Microsoft asks for {should}",
                            "should", pattern))
    return checks


def _list_checks(ex: Exchange, pattern: str) -> list[Check]:
    checks = _status(ex, (200,), pattern=pattern)
    answer = ex.answer
    if not isinstance(answer, dict):
        return checks + [Check("list-response", False, "the answer is not a JSON object (a SCIM ListResponse)",
                               "must", pattern)]
    total = answer.get("totalResults")
    resources = _resources(answer)
    checks.append(Check("list-response", isinstance(total, int) and not isinstance(total, bool) and resources is not None,
                        f"totalResults {total!r}, Resources {_count(answer.get('Resources'))}", "must", pattern))
    checks.append(Check("list-schema", LIST_URN in (answer.get("schemas") or []),
                        f"schemas {answer.get('schemas')!r}, expected [{LIST_URN!r}]", "should", pattern))
    missing = [k for k in ("startIndex", "itemsPerPage") if k not in answer]
    checks.append(Check("list-paging-fields", not missing, f"missing {', '.join(missing)}" if missing else
                        "startIndex and itemsPerPage present", "should", pattern))
    if resources:
        without = [i for i, r in enumerate(resources) if not isinstance(r, dict) or not r.get("id")]
        checks.append(Check("resource-id", not without, f"resources without an id: {without}" if without else
                            "every resource has an id", "must", pattern))
    return checks


def _count(value: Any) -> str:
    return f"{len(value)} item(s)" if isinstance(value, list) else repr(value)


def _match_checks(ex: Exchange, pattern: str, attribute: str, known: dict[str, int], kind: str) -> list[Check]:
    checks = _list_checks(ex, pattern)
    resources = _resources(ex.answer) or []
    eq = filter_eq(ex)
    checks.append(Check("one-match", len(resources) <= 1, f"{len(resources)} resources for one {kind}: the service "
                        "fails the object (SystemForCrossDomainIdentityManagementMultipleEntriesInResponse)"
                        if len(resources) > 1 else f"{len(resources)} resource(s)", "must", pattern))
    if eq is not None and resources and isinstance(resources[0], dict):
        got = resources[0].get(attribute)
        checks.append(Check("match-value", str(got).casefold() == eq[1].casefold(),
                            f"asked for {attribute} {eq[1]!r}, got {got!r}: the service would link the wrong {kind}",
                            "must", pattern))
    if eq is not None and not resources and eq[1].casefold() in known:
        checks.append(Check("finds-existing", False, f"no {kind} found, but request #{known[eq[1].casefold()]} created "
                            f"{eq[1]!r} in this pass: the filter does not find it, so the service would create it again",
                            "must", pattern))
    return checks


def _members_in(resources: list) -> list[int]:
    return [i for i, r in enumerate(resources) if isinstance(r, dict) and r.get("members")]


def _content_type(ex: Exchange) -> list[Check]:
    if ex.answer is None or ex.status is None:
        return []
    ctype = (ex.content_type or "").split(";")[0].strip().lower()
    return [Check("content-type", ctype == SCIM_JSON, f"Content-Type {ex.content_type!r}, expected {SCIM_JSON}",
                  "should")]


def _norm(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    return str(value)


def _effects(ex: Exchange, pattern: str | None) -> list[Check]:
    """When a PATCH answer carries the resource, does it show what was sent?"""
    answer = ex.answer
    if not isinstance(answer, dict) or not answer.get("id") or ex.status not in (200, 201):
        return []
    return effects(ex, answer, pattern, shown_by="the answer")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def effects(patch: Exchange, resource: dict, pattern: str | None, *, shown_by: str, severity: str = "must",
            name: str = "effect") -> list[Check]:
    """Does ``resource`` (a PATCH answer, or the resource read back) show what ``patch`` sent?"""
    checks: list[Check] = []
    for op in _operations(patch):
        kind = str(op.get("op") or "").lower()
        for path, value in _op_items(op):
            lowered = path.lower()
            if lowered.startswith("members"):
                if "members" not in resource and kind == "add":
                    if shown_by != "the answer":  # a read-back without members lost them all
                        ids = _member_ids(path, value)
                        checks.append(Check(name, not ids, f"members {ids} were added but {shown_by} lists no members",
                                            severity, pattern))
                    continue
                have = {str(m.get("value")) for m in resource.get("members") or [] if isinstance(m, dict)}
                ids = _member_ids(path, value)
                if kind == "add":
                    lost = [i for i in ids if i not in have]
                    checks.append(Check(name, not lost, f"members {lost} were added but {shown_by} does not list them"
                                        if lost else f"{shown_by} lists the added members", severity, pattern))
                elif kind == "remove":
                    kept = [i for i in ids if i in have]
                    checks.append(Check(name, not kept, f"members {kept} were removed but {shown_by} still lists them"
                                        if kept else f"{shown_by} no longer lists the removed members", severity, pattern))
                continue
            actual = scim_get(resource, path)
            if kind == "remove":
                checks.append(Check(name, _empty(actual), f"{path} was removed but {shown_by} shows {actual!r}"
                                    if not _empty(actual) else f"{path} removed", severity, pattern))
                continue
            wanted = value
            if lowered.endswith("manager") and isinstance(value, list) and value and isinstance(value[0], dict):
                wanted = value[0].get("value")
            elif lowered.endswith("manager") and isinstance(value, dict):
                wanted = value.get("value")
            if isinstance(wanted, (dict, list)):
                continue  # a complex value: the engine does not send these outside roles; not compared
            same = _norm(actual) == _norm(wanted) or (_empty(wanted) and _empty(actual))
            checks.append(Check(name, same, f"{path}: sent {wanted!r}, {shown_by} shows {actual!r}" if not same
                                else f"{path} as sent", severity, pattern))
    return checks


def _member_ids(path: str, value: Any) -> list[str]:
    found = re.search(r'value\s+eq\s+"([^"]*)"', path)
    if found:
        return [found.group(1)]
    return [str(v.get("value")) for v in value or [] if isinstance(v, dict)] if isinstance(value, list) else []


def check_exchange(ex: Exchange, story: Story) -> list[Check]:
    """Every check of an engine exchange for its patterns (``ex.patterns``), updating ``story``."""
    if ex.status is None:
        return [Check("answer", False, f"no answer: {ex.error}")]
    checks: list[Check] = []
    if ex.status >= 500:
        checks.append(Check("server-error", False, f"answered {ex.status}: the service escrows the object and "
                            "retries it later (InternalServerError)"))
    checks += _content_type(ex)
    segments = _segments(ex)
    for pattern in ex.patterns:
        if pattern in ("test-connection",):
            checks += _list_checks(ex, pattern)
            total = ex.answer.get("totalResults") if isinstance(ex.answer, dict) else None
            checks.append(Check("no-results", total == 0 and not _resources(ex.answer), f"totalResults {total!r} for "
                                "a userName that cannot exist: the target does not filter on the matching attribute "
                                "(Test Connection fails)" if total != 0 else "no results", "must", pattern))
        elif pattern == "match-user":
            checks += _match_checks(ex, pattern, "userName", story.users, "user")
        elif pattern == "match-group":
            checks += _match_checks(ex, pattern, "displayName", story.groups, "group")
            resources = _resources(ex.answer) or []
            with_members = _members_in(resources)
            checks.append(Check("no-members", not with_members, "members returned despite excludedAttributes=members: "
                                "SystemForCrossDomainIdentityManagementMultipleEntriesInResponse" if with_members else
                                "no members", "must", pattern))
        elif pattern == "filter-zero":
            answer = ex.answer if isinstance(ex.answer, dict) else {}
            checks.append(Check("zero-total", answer.get("totalResults") == 0,
                                f"totalResults {answer.get('totalResults')!r}, expected 0", "must", pattern))
            checks.append(Check("empty-resources", answer.get("Resources") == [],
                                "Resources [] as in Microsoft's example" if answer.get("Resources") == [] else
                                "Resources left out (RFC 7644 allows it; Microsoft's example sends [])", "should", pattern))
        elif pattern in ("read-user", "read-group"):
            checks += _status(ex, (200,), pattern=pattern)
            got = ex.answer.get("id") if isinstance(ex.answer, dict) else None
            checks.append(Check("same-id", len(segments) > 1 and got == segments[1],
                                f"asked for {segments[1] if len(segments) > 1 else '?'}, got id {got!r}", "must", pattern))
            if pattern == "read-group" and isinstance(ex.answer, dict):
                checks.append(Check("no-members", not ex.answer.get("members"), "members returned despite "
                                    "excludedAttributes=members" if ex.answer.get("members") else "no members", "must",
                                    pattern))
        elif pattern in ("create-user", "create-group"):
            checks += _status(ex, (200, 201), 201, pattern)
            answer = ex.answer if isinstance(ex.answer, dict) else {}
            new_id = answer.get("id")
            checks.append(Check("created-id", isinstance(new_id, str) and bool(new_id),
                                f"the answer's id is {new_id!r}: the service cannot link the object" if not new_id else
                                "the answer has the new id", "must", pattern))
            attribute = "userName" if pattern == "create-user" else "displayName"
            sent = ex.body.get(attribute) if isinstance(ex.body, dict) else None
            if ex.status in (200, 201) and isinstance(new_id, str) and new_id and sent:
                key = str(sent).casefold()
                (story.users if pattern == "create-user" else story.groups)[key] = ex.n
                story.ids[new_id] = ("user" if pattern == "create-user" else "group", key)
                checks.append(Check("echo", str(answer.get(attribute)) == str(sent),
                                    f"{attribute} sent {sent!r}, the answer shows {answer.get(attribute)!r}", "should", pattern))
        elif pattern in ("update-user", "update-user-rfc", "disable-user", "disable-user-rfc", "manager"):
            checks += _status(ex, (200, 204), pattern=pattern)
            checks += _effects(ex, pattern)
        elif pattern in ("update-group", "add-members", "remove-members", "remove-members-rfc"):
            checks += _status(ex, (200, 204), 204, pattern)
            checks += _effects(ex, pattern)
        elif pattern in ("delete-user", "delete-group"):
            checks += _status(ex, (200, 204), 204, pattern)
            if ex.status in (200, 204) and len(segments) > 1:
                gone = story.ids.pop(segments[1], None)
                if gone is not None:
                    (story.users if gone[0] == "user" else story.groups).pop(gone[1], None)
    # Remember objects found by the engine's lookups too (an object that exists before the pass).
    if ex.method == "GET" and ex.status == 200 and ex.patterns and ex.patterns[0] in ("match-user", "match-group"):
        for resource in (_resources(ex.answer) or [])[:1]:
            if isinstance(resource, dict) and resource.get("id"):
                kind = "user" if ex.patterns[0] == "match-user" else "group"
                name = resource.get("userName" if kind == "user" else "displayName")
                if name:
                    story.ids[str(resource["id"])] = (kind, str(name).casefold())
                    (story.users if kind == "user" else story.groups)[str(name).casefold()] = ex.n
    return checks


def check_probe(ex: Exchange, first_page: Exchange | None = None) -> list[Check]:
    """The checks of a probe the report sent itself (its pattern is already set)."""
    if ex.status is None:
        return [Check("answer", False, f"no answer: {ex.error}")]
    checks = _content_type(ex)
    pattern = ex.patterns[0]
    if pattern == "read-deleted-user":
        checks += _status(ex, (404,), pattern=pattern)
        answer = ex.answer if isinstance(ex.answer, dict) else {}
        checks.append(Check("error-body", ERROR_URN in (answer.get("schemas") or []),
                            f"schemas {answer.get('schemas')!r}, expected [{ERROR_URN!r}]", "should", pattern))
        checks.append(Check("error-status", answer.get("status") == "404",
                            f"status {answer.get('status')!r}, expected \"404\" (a string, RFC 7644 §3.12)", "should", pattern))
        return checks
    checks += _list_checks(ex, pattern)
    count = int(ex.param("count") or 0)
    start = int(ex.param("startIndex") or 1)
    resources = _resources(ex.answer) or []
    answer = ex.answer if isinstance(ex.answer, dict) else {}
    checks.append(Check("page-size", len(resources) <= count, f"{len(resources)} resources for count={count}", "must", pattern))
    if ex.status == 200:
        checks.append(Check("page-start", answer.get("startIndex") == start,
                            f"startIndex {answer.get('startIndex')!r}, asked for {start}", "should", pattern))
        checks.append(Check("page-items", answer.get("itemsPerPage") == len(resources),
                            f"itemsPerPage {answer.get('itemsPerPage')!r} for {len(resources)} resource(s)", "should", pattern))
    if pattern == "paging-groups":
        with_members = _members_in(resources)
        checks.append(Check("no-members", not with_members, "members returned despite excludedAttributes=members"
                            if with_members else "no members", "must", pattern))
    if first_page is not None and resources:
        before = {r.get("id") for r in _resources(first_page.answer) or [] if isinstance(r, dict)}
        again = [r.get("id") for r in resources if isinstance(r, dict) and r.get("id") in before]
        checks.append(Check("page-distinct", not again, f"page {start} repeats {again} from page 1" if again else
                            "no resource of page 1 again", "must", pattern))
    return checks
