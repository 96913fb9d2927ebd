"""What Microsoft's SCIM Validator checks that the engine's own requests do not, sent as probes.

* after every user or group PATCH the engine (or a story's SCIM step) got a 2xx for: the object read back by id (and a user
  by a ``userName`` filter too), and compared with what the PATCH set (``read-back-user``,
  ``read-back-group``): "a GET and a filter on a disabled user return ``active: false``";
* after each pass: a user (and, profile ``scim``, a group) created again, expecting 409
  ``uniqueness`` (``duplicate-user``, ``duplicate-group``); the user looked up by its ``userName``
  with the case swapped (``filter-case``);
* once, after the first pass: ``/ServiceProviderConfig``, ``/ResourceTypes``, ``/Schemas``
  (``discovery``), and a user with a random value for every attribute the job maps, read back and
  deleted (``random-values``).

Every probe is recorded (source ``probe``) and judged by :func:`check_validator_probe`; each
pattern cites its RFC section and carries the RFC's MUST or SHOULD (``patterns.VALIDATOR_PATTERNS``).
An object a probe created by mistake (a duplicate the server accepted) is deleted again, marked as
the probe's clean-up.  Random values come from a generator seeded with the run's seed and pass:
the same run sends the same values.
"""

from __future__ import annotations

import copy
import random
import string
from collections.abc import Callable
from typing import Any

import httpx

from simulator.engine.mappings import build_create, scim_get

from .capture import CapturingTransport, Exchange, Recorder
from .patterns import ERROR_URN, LIST_URN, Check, effects, filter_eq, resources_of

__all__ = ["Prober", "ReadBack", "send_validator_probes", "check_validator_probe", "VALIDATOR_PROBES", "CLEANUP"]

#: the pattern ids this module sends
VALIDATOR_PROBES = ("duplicate-user", "duplicate-group", "filter-case", "discovery", "read-back-user", "read-back-group",
                    "random-values")
#: the label of a probe's clean-up request (no checks)
CLEANUP = "cleanup"
SPC_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
_THROTTLED = 429


class Prober:
    """Sends one probe through a capturing transport and labels its exchange (source ``probe``,
    its pattern, the engine request it checks)."""

    def __init__(self, recorder: Recorder, transport: httpx.BaseTransport, base: str, params: list[tuple[str, str]],
                 headers: dict[str, str]) -> None:
        self.recorder = recorder
        self.transport = transport
        self.base = base.rstrip("/")
        self.params = params
        self.headers = headers

    def send(self, method: str, path: str, pattern: str, *, query: list[tuple[str, str]] | None = None,
             body: Any = None, ref: int | None = None) -> httpx.Response | None:
        recorder = self.recorder
        source, recorder.source, recorder.next_patterns = recorder.source, "probe", [pattern]
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/scim+json"
        request = httpx.Request(method, self.base + path, params=tuple(self.params + list(query or [])), headers=headers,
                                json=body)
        try:
            response = self.transport.handle_request(request)
            response.read()
        except httpx.HTTPError:
            response = None  # recorded as "no answer"
        finally:
            recorder.source, recorder.next_patterns = source, []
            if ref is not None and recorder.exchanges:
                recorder.exchanges[-1].ref = ref
        return response


def _json(response: httpx.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return None


class ReadBack:
    """The recorder's hook after each engine request: a user or group PATCH that succeeded is read
    back by id (a user also by a ``userName`` filter)."""

    def __init__(self, recorder: Recorder, headers: dict[str, str]) -> None:
        self.recorder = recorder
        self.headers = headers

    def __call__(self, ex: Exchange, request: httpx.Request, inner: httpx.BaseTransport) -> None:
        if ex.source not in ("engine", "story") or ex.method != "PATCH" or ex.status not in (200, 204):
            return
        parts = [p for p in ex.path.split("/") if p]
        if len(parts) != 2 or parts[0].lower() not in ("users", "groups"):
            return
        url = request.url
        tail = "/" + "/".join(url.path.rstrip("/").split("/")[-2:])
        base = str(url.copy_with(query=None, path=url.path.rstrip("/")[: -len(tail)] or "/")).rstrip("/")
        prober = Prober(self.recorder, CapturingTransport(inner, self.recorder), base, list(url.params.multi_items()),
                        self.headers)
        object_path = tail
        if parts[0].lower() == "groups":
            prober.send("GET", object_path, "read-back-group", ref=ex.n)
            return
        got = prober.send("GET", object_path, "read-back-user", ref=ex.n)
        resource = _json(got)
        name = resource.get("userName") if isinstance(resource, dict) and got is not None and got.status_code == 200 else None
        if isinstance(name, str) and name:
            escaped = name.replace("\\", "\\\\").replace('"', '\\"')
            prober.send("GET", "/" + tail.split("/")[1], "read-back-user", query=[("filter", f'userName eq "{escaped}"')],
                        ref=ex.n)


# --------------------------------------------------------------------------- after a pass


def _created(exchanges: list[Exchange], phase: str, collection: str, attribute: str) -> list[tuple[Exchange, str]]:
    """(create exchange, new id) of the objects the engine created in this pass and did not delete."""
    created: dict[str, Exchange] = {}
    for ex in exchanges:
        if ex.phase != phase or ex.source != "engine":
            continue
        parts = [p for p in ex.path.split("/") if p]
        if not parts or parts[0].lower() != collection:
            continue
        if ex.method == "POST" and len(parts) == 1 and ex.status in (200, 201) and isinstance(ex.answer, dict):
            new_id = ex.answer.get("id")
            if isinstance(new_id, str) and new_id and isinstance(ex.body, dict) and ex.body.get(attribute):
                created[new_id] = ex
        elif ex.method == "DELETE" and len(parts) == 2 and ex.status in (200, 204):
            created.pop(parts[1], None)
    return [(ex, new_id) for new_id, ex in created.items()]


def _swapped(name: str) -> str:
    swapped = name.swapcase()
    return swapped if swapped != name else name.upper()


def _duplicate(prober: Prober, collection: str, pattern: str, original: Exchange, original_id: str) -> None:
    got = prober.send("POST", f"/{collection}", pattern, body=copy.deepcopy(original.body), ref=original.n)
    answer = _json(got)
    if got is not None and got.status_code in (200, 201) and isinstance(answer, dict):
        new_id = answer.get("id")
        if isinstance(new_id, str) and new_id and new_id != original_id:
            prober.send("DELETE", f"/{collection}/{new_id}", CLEANUP, ref=original.n)  # the duplicate it let in


def send_validator_probes(prober: Prober, exchanges: list[Exchange], phase: str, *, groups: bool, first_pass: bool,
                          mapped: list[tuple[str, str]], seed: int) -> None:
    """The validator's probes after one pass (``exchanges``: everything recorded so far)."""
    users = _created(exchanges, phase, "users", "userName")
    if users:
        original, user_id = users[0]
        _duplicate(prober, "Users", "duplicate-user", original, user_id)
        name = str(original.body["userName"])
        escaped = _swapped(name).replace("\\", "\\\\").replace('"', '\\"')
        prober.send("GET", "/Users", "filter-case", query=[("filter", f'userName eq "{escaped}"')], ref=original.n)
    if groups:
        created_groups = _created(exchanges, phase, "groups", "displayName")
        if created_groups:
            _duplicate(prober, "Groups", "duplicate-group", *created_groups[0])
    if not first_pass:
        return
    for path in ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas"):
        prober.send("GET", path, "discovery")
    if mapped:
        body = random_user(mapped, random.Random(f"{seed}:{phase}:random-values"))
        got = prober.send("POST", "/Users", "random-values", body=body)
        answer = _json(got)
        new_id = answer.get("id") if isinstance(answer, dict) and got is not None and got.status_code in (200, 201) else None
        if isinstance(new_id, str) and new_id:
            created = prober.recorder.exchanges[-1].n
            prober.send("GET", f"/Users/{new_id}", "random-values", ref=created)
            prober.send("DELETE", f"/Users/{new_id}", CLEANUP, ref=created)


# --------------------------------------------------------------------------- random values


def mapped_user_attributes(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(target attribute, type) of every attribute the job's User mapping writes, in mapping order;
    references (``manager``) are left out: a random id names no user."""
    try:
        rule = schema["synchronizationRules"][0]
        mapping = next(om for om in rule["objectMappings"] if str(om.get("sourceObjectName")).lower() == "user")
        directory = next(d for d in schema["directories"] if d.get("name") == rule.get("targetDirectoryName"))
        target = next(o for o in directory["objects"] if str(o.get("name")).lower() == "user")
    except (KeyError, IndexError, StopIteration, TypeError):
        return []
    types = {str(a.get("name")).lower(): str(a.get("type") or "String") for a in target.get("attributes") or []}
    out = []
    for am in mapping.get("attributeMappings") or []:
        name = str(am.get("targetAttributeName") or "")
        kind = types.get(name.lower(), "String")
        if name and kind.lower() != "reference" and name.lower() != "roles":
            out.append((name, kind))
    return out


def _word(rng: random.Random, n: int = 8) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def random_user(mapped: list[tuple[str, str]], rng: random.Random) -> dict[str, Any]:
    """A create body with a random value for each mapped attribute (the same generator gives the
    same body).  ``userName`` and the work e-mail are one address, as Entra maps both from the UPN."""
    address = f"provsim-validator-{_word(rng, 10)}@contoso.com"
    desired: dict[str, Any] = {}
    for name, kind in mapped:
        lowered = name.lower()
        if lowered == "username" or (lowered.startswith("emails") and lowered.endswith(".value")):
            value: Any = address
        elif kind.lower() == "boolean":
            value = True
        elif kind.lower() == "integer":
            value = rng.randint(1, 99999)
        elif kind.lower() == "datetime":
            value = f"20{rng.randint(10, 29)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T00:00:00Z"
        elif lowered.startswith("phonenumbers"):
            value = "+3120" + "".join(str(rng.randint(0, 9)) for _ in range(7))
        elif lowered == "preferredlanguage" or lowered == "locale":
            value = rng.choice(["en-US", "nl-NL", "de-DE", "fr-FR"])
        elif lowered == "timezone":
            value = rng.choice(["Europe/Amsterdam", "America/New_York", "Asia/Tokyo"])
        elif lowered == "displayname":
            value = f"Validator {_word(rng).title()} {_word(rng).title()}"
        else:
            value = _word(rng).title()
        desired[name] = value
    return build_create(desired)


# --------------------------------------------------------------------------- checks


def _throttled(ex: Exchange, pattern: str) -> list[Check] | None:
    if ex.status == _THROTTLED:
        return [Check("throttled", True, "answered 429: not checked (throttled)", "should", pattern)]
    return None


def check_validator_probe(ex: Exchange, by_n: Callable[[int], Exchange | None], severity: str) -> list[Check]:
    """The checks of one validator probe (``ex.patterns[0]``); ``severity``: ``must`` or ``should``,
    the pattern's RFC word."""
    pattern = ex.patterns[0]
    if ex.status is None:
        return [Check("answer", False, f"no answer: {ex.error}", severity, pattern)]
    throttled = _throttled(ex, pattern)
    if throttled is not None:
        return throttled
    ref = by_n(ex.ref) if ex.ref is not None else None
    answer = ex.answer if isinstance(ex.answer, dict) else {}
    if pattern in ("duplicate-user", "duplicate-group"):
        what = "userName" if pattern == "duplicate-user" else "displayName"
        checks = [Check("status", ex.status == 409, f"answered {ex.status} to a second create of the same {what}, expected "
                        "409" + (": your server now holds two (the duplicate was deleted again)" if ex.status in (200, 201)
                                 else ""), severity, pattern)]
        if ex.status == 409:
            checks.append(Check("scim-type", answer.get("scimType") == "uniqueness",
                                f"scimType {answer.get('scimType')!r}, expected \"uniqueness\"", severity, pattern))
            checks.append(Check("error-body", ERROR_URN in (answer.get("schemas") or []),
                                f"schemas {answer.get('schemas')!r}, expected [{ERROR_URN!r}]", "should", pattern))
        return checks
    if pattern == "filter-case":
        resources = resources_of(ex.answer) or []
        wanted = ref.answer.get("id") if ref is not None and isinstance(ref.answer, dict) else None
        eq = filter_eq(ex)
        found = [r.get("id") for r in resources if isinstance(r, dict)]
        return [Check("status", ex.status == 200, f"answered {ex.status}, expected 200", severity, pattern),
                Check("case-insensitive", found == [wanted],
                      f"userName eq {eq[1] if eq else '?'!r} found {len(found)} user(s), expected the one created as "
                      f"{ref.body.get('userName') if ref is not None and isinstance(ref.body, dict) else '?'!r}: "
                      "userName is caseExact false" if found != [wanted] else "found the user", severity, pattern)]
    if pattern == "discovery":
        return _discovery(ex, answer, severity)
    if pattern == "read-back-user" or pattern == "read-back-group":
        if ref is None:
            return []
        by_filter = ex.param("filter") is not None
        checks = [Check("status", ex.status == 200, f"answered {ex.status}, expected 200", severity, pattern)]
        if by_filter:
            resources = resources_of(ex.answer) or []
            checks.append(Check("one-match", len(resources) == 1, f"{len(resources)} resource(s) for the user's own userName",
                                severity, pattern))
            resource = resources[0] if len(resources) == 1 and isinstance(resources[0], dict) else None
        else:
            resource = answer if ex.status == 200 else None
        if resource is not None:
            checks += effects(ref, resource, pattern, shown_by="the filter" if by_filter else "a GET by id",
                              severity=severity, name="read-back")
        return checks
    if pattern == "random-values":
        if ex.method == "POST":
            return [Check("status", ex.status in (200, 201), f"answered {ex.status} to a user with random values, "
                          "expected 201" + (f": {answer.get('detail')}" if answer.get("detail") else ""), severity, pattern)]
        sent = ref.body if ref is not None and isinstance(ref.body, dict) else {}
        checks = [Check("status", ex.status == 200, f"answered {ex.status}, expected 200", severity, pattern)]
        if ex.status == 200:
            for name, value in _leaves(sent):
                got = scim_get(answer, name)
                same = str(got).casefold() == str(value).casefold() if isinstance(value, str) else got == value
                checks.append(Check("value", same, f"{name}: sent {value!r}, read back {got!r}" if not same
                                    else f"{name} as sent", severity, pattern))
        return checks
    return []


def _leaves(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """(SCIM path, value) of every value a create body sets (as the mapping names them)."""
    out: list[tuple[str, Any]] = []
    for key, value in body.items():
        if key in ("schemas", "meta", "roles"):
            continue
        if key.startswith("urn:") and isinstance(value, dict):
            out += [(f"{key}:{k}", v) for k, v in value.items() if not isinstance(v, (dict, list))]
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and "type" in item and "value" in item:
                    out.append((f'{key}[type eq "{item["type"]}"].value', item["value"]))
        elif isinstance(value, dict):
            out += [(f"{key}.{k}", v) for k, v in value.items() if not isinstance(v, (dict, list))]
        else:
            out.append((key, value))
    return out


def _discovery(ex: Exchange, answer: dict[str, Any], severity: str) -> list[Check]:
    pattern = "discovery"
    what = ex.path.strip("/")
    checks = [Check("status", ex.status == 200, f"GET /{what} answered {ex.status}, expected 200", severity, pattern)]
    if ex.status != 200:
        return checks
    if what.lower() == "serviceproviderconfig":
        ok = SPC_URN in (answer.get("schemas") or []) and isinstance(answer.get("patch"), dict)
        checks.append(Check("service-provider-config", ok, f"schemas {answer.get('schemas')!r}, patch "
                            f"{answer.get('patch')!r}: expected the ServiceProviderConfig schema and patch.supported",
                            severity, pattern))
        return checks
    listed = resources_of(answer) if LIST_URN in (answer.get("schemas") or []) else None
    items = listed if listed is not None else (ex.answer if isinstance(ex.answer, list) else [])
    if what.lower() == "resourcetypes":
        names = sorted(str(i.get("name")) for i in items if isinstance(i, dict))
        checks.append(Check("resource-types", "User" in names and "Group" in names,
                            f"resource types {names}: expected User and Group", severity, pattern))
    else:
        ids = [str(i.get("id")) for i in items if isinstance(i, dict)]
        checks.append(Check("schemas", USER_URN in ids, f"{len(ids)} schema(s), expected {USER_URN}"
                            if USER_URN not in ids else "the core User schema is listed", severity, pattern))
    return checks
