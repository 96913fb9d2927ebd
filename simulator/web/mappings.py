"""The Mappings page: the job's synchronization schema in the portal's words, saved as the portal saves it.

The portal's *Mappings* section lists two object mappings, "Provision Azure Active Directory
Users" and "... Groups".  Each opens a page with the object mapping's switch, its *Target Object
Actions* (Create, Update, Delete), its *Source Object Scope* (scoping filters: groups of clauses,
ORed; clauses ANDed) and its *Attribute Mappings*: per target attribute the mapping type (Direct,
Constant, Expression), the source attribute, constant or expression, the default value if null,
"Match objects using this attribute" with its matching precedence, and "Apply this mapping"
(Always or Only during object creation).  *Save* PUTs the whole schema
(``PUT …/jobs/{id}/schema``); Graph refuses a bad one with one OData ``details`` entry per problem,
whose ``target`` names the element, so the page shows each message where it belongs.

The expression builder's *Test expression* is Graph's ``parseExpression``, evaluated on a user of
the directory; the same call gives the *mapped values* of the Directory's side-by-side view.

Pure functions turn Graph's answers into what the page draws (:func:`view`, :func:`entra_values`,
:func:`compare_rows`); the actions make the Graph calls through ``portal.actor``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from simulator.client import ApiError
from simulator.core.services import PURECLOUD
from simulator.engine.job_settings import SETTING_NAMES, SettingError, check_setting, describe
from simulator.engine.mappings import scim_get
from simulator.engine.scoping import ScopingOperator
from simulator.graph.schema import USER

from .actions import _flag, _guid, _text, action
from .portal import ActionError, Portal

__all__ = ["view", "MAPPING_TYPES", "APPLY_WHEN", "OPERATORS", "entra_values", "source_kind", "element_label",
           "compare_rows", "attribute_rows"]

#: The portal's "Mapping type" choices.
MAPPING_TYPES = ("Direct", "Constant", "Expression")
#: "Apply this mapping": Graph's flowType values and the portal's words for them.
APPLY_WHEN = {"Always": "Always", "ObjectAddOnly": "Only during object creation"}
#: Scoping filter operators in the portal's spelling.
OPERATORS = tuple(op.value for op in ScopingOperator)
_NO_VALUE = frozenset({"IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL"})
_FLOW = (("create", "Add"), ("update", "Update"), ("delete", "Delete"))

#: Source attribute names of the provisioning service that are not Graph's (docs: customize-application-attributes).
_ALIASES = {"objectId": "id", "mobile": "mobilePhone", "facsimileTelephoneNumber": "faxNumber",
            "physicalDeliveryOfficeName": "officeLocation"}


# ----------------------------------------------------------------------------- reading
def source_kind(source: Mapping[str, Any] | None) -> str:
    """The portal's mapping type of an ``attributeMappingSource``."""
    if not source:
        return "Constant"  # a mapping with only a default value
    kind = str(source.get("type") or "")
    if kind == "Attribute":
        return "Direct"
    if kind == "Constant":
        return "Constant"
    expression = str(source.get("expression") or "").strip()
    if kind == "" and expression.startswith("[") and expression.endswith("]") and expression.count("[") == 1:
        return "Direct"
    return "Expression"


def element_label(object_mapping: str, target: str | None = None) -> str:
    """How Graph's schema errors name an element (``details[].target``)."""
    where = f"object mapping '{object_mapping}'"
    return f"Attribute mapping to '{target}' in {where}" if target is not None else where


def _attributes(schema: Mapping[str, Any], directory: str, obj: str) -> list[dict]:
    for d in schema.get("directories") or []:
        if d.get("name") != directory:
            continue
        for o in d.get("objects") or []:
            if str(o.get("name", "")).lower() == obj.lower():
                return [{"name": a.get("name"), "type": a.get("type"), "multivalued": bool(a.get("multivalued")),
                         "reference": a.get("type") == "Reference"} for a in o.get("attributes") or []]
    return []


def attribute_rows(object_mapping: Mapping[str, Any]) -> list[dict]:
    """The attribute mappings of one object mapping, as the page's table lists them."""
    name = str(object_mapping.get("name") or "")
    rows = []
    for raw in object_mapping.get("attributeMappings") or []:
        source = raw.get("source") or None
        kind = source_kind(source)
        priority = int(raw.get("matchingPriority") or 0)
        rows.append({
            "target": raw.get("targetAttributeName"), "type": kind,
            "source": (source or {}).get("name") if kind == "Direct" else None,
            "constant": (source or {}).get("name") if kind == "Constant" and source else None,
            "expression": (source or {}).get("expression") or "",
            "default": raw.get("defaultValue"), "matching": priority > 0, "precedence": priority or None,
            "applyWhen": raw.get("flowType") or "Always", "label": element_label(name, raw.get("targetAttributeName")),
        })
    return rows


def _scope(scope: Mapping[str, Any] | None) -> list[dict]:
    groups = []
    for group in (scope or {}).get("groups") or []:
        groups.append({"name": group.get("name") or "", "clauses": [
            {"attribute": c.get("sourceOperandName"), "operator": c.get("operatorName"),
             "value": ", ".join(str(v) for v in ((c.get("targetOperand") or {}).get("values") or []))}
            for c in group.get("clauses") or []]})
    return groups


def view(schema: Mapping[str, Any], job: Mapping[str, Any]) -> dict:
    """Everything the Mappings page draws for one job."""
    rules = schema.get("synchronizationRules") or [{}]
    rule = rules[0]
    source_dir, target_dir = rule.get("sourceDirectoryName"), rule.get("targetDirectoryName")
    mappings = []
    for om in rule.get("objectMappings") or []:
        flows = {part.strip() for part in str(om.get("flowTypes") or "Add, Update, Delete").split(",")}
        mappings.append({
            "name": om.get("name"), "sourceObject": om.get("sourceObjectName"),
            "targetObject": om.get("targetObjectName"), "enabled": om.get("enabled", True) is not False,
            "actions": {key: flow in flows for key, flow in _FLOW},
            "scope": _scope(om.get("scope")), "attributes": attribute_rows(om),
            "matchingAttributes": [r["target"] for r in sorted(
                (r for r in attribute_rows(om) if r["matching"]), key=lambda r: r["precedence"])],
            "sourceAttributes": _attributes(schema, str(source_dir), str(om.get("sourceObjectName") or "")),
            "targetAttributes": _attributes(schema, str(target_dir), str(om.get("targetObjectName") or "")),
            "label": element_label(str(om.get("name"))),
        })
    return {"jobId": job.get("id"), "ruleId": rule.get("id"), "sourceDirectory": source_dir,
            "targetDirectory": target_dir, "objectMappings": mappings, "operators": list(OPERATORS),
            "mappingTypes": list(MAPPING_TYPES), "applyWhen": [{"value": k, "text": v} for k, v in APPLY_WHEN.items()],
            "settings": settings_rows(job.get("synchronizationJobSettings") or [])}


def settings_rows(stored: Iterable[Mapping[str, Any]]) -> list[dict]:
    """The job settings the page edits: every setting of the engine's typed table (name, stored value or
    None, default, what a value must be, meaning), then the stored ones the engine does not read."""
    values = {str(s.get("name")): s.get("value") for s in stored}
    rows = [{"name": d["name"], "value": values.pop(d["name"], None), "default": d["default"], "type": d["type"],
             "expected": d["expected"], "meaning": d["meaning"], "origin": d["origin"], "known": True}
            for d in describe() if d["kind"] == "setting"]
    return rows + [{"name": name, "value": value, "known": False} for name, value in values.items()]


# ------------------------------------------------------------------- source values
def graph_select(names: Iterable[str]) -> list[str]:
    """The Graph user properties behind the provisioning service's source attribute names."""
    wanted = {"id", "accountEnabled", "businessPhones", "userPrincipalName", "displayName"}
    for name in names:
        canonical = USER.canonical(_ALIASES.get(name, name))
        if canonical is not None:
            wanted.add(canonical)
    return sorted(wanted)


def entra_values(user: Mapping[str, Any], *, deleted: bool = False) -> dict[str, Any]:
    """A Graph user as the provisioning service's mapping expressions see it: its attribute names
    (``objectId``, ``mobile``, ``telephoneNumber``, ``IsSoftDeleted``, ``manager`` as an object id)."""
    values: dict[str, Any] = {}
    for key, value in user.items():
        if key.startswith("@") or key in ("manager", "businessPhones"):
            continue
        values[key] = value
    for alias, graph_name in _ALIASES.items():
        if graph_name in user:
            values[alias] = user[graph_name]
    phones = user.get("businessPhones") or []
    values["telephoneNumber"] = phones[0] if phones else None
    manager = user.get("manager")
    values["manager"] = manager.get("id") if isinstance(manager, Mapping) else manager
    values["IsSoftDeleted"] = deleted
    return values


def _expression_input(values: Mapping[str, Any]) -> dict[str, Any]:
    """parseExpression's test object: strings or lists of strings (booleans as Graph writes them)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "True" if value else "False"
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = str(value)
    return out


def compare_rows(rows: list[dict], mapped: Mapping[str, dict], genesys: Mapping[str, Any] | None,
                 names: Mapping[str, str]) -> list[dict]:
    """Side by side, per target attribute: the Entra side (source and value), what the mapping makes of
    it, and what Genesys holds; ``differs`` when Genesys does not hold the mapped value."""
    out = []
    for row in rows:
        target = row["target"]
        result = mapped.get(target) or {}
        value = result.get("value")
        reference = target.endswith(":manager") or target == "members"
        genesys_value = scim_get(genesys, target) if genesys is not None else None
        if isinstance(genesys_value, dict):
            genesys_value = genesys_value.get("value")
        if reference:
            shown_mapped = names.get(str(value), value) if value else None
            shown_genesys = names.get(str(genesys_value), genesys_value) if genesys_value else None
        else:
            shown_mapped, shown_genesys = value, genesys_value
        if genesys is None:
            state = "missing"
        elif result.get("error"):
            state = "error"
        elif _same(shown_mapped, shown_genesys):
            state = "same"
        elif row["applyWhen"] == "ObjectAddOnly":
            state = "createOnly"
        else:
            state = "differs"
        out.append({"target": target, "type": row["type"], "source": row["expression"] or row.get("constant"),
                    "entra": result.get("input"), "mapped": shown_mapped, "genesys": shown_genesys,
                    "error": result.get("error"), "state": state, "matching": row["matching"]})
    return out


def _same(a: Any, b: Any) -> bool:
    def norm(v: Any) -> str:
        if v is None or v == "" or v == []:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v).strip().lower() if str(v).lower() in ("true", "false") else str(v).strip()

    return norm(a) == norm(b)


def _reference_names(portal: Portal) -> dict[str, str]:
    """Object id -> display name, for references (manager): Entra ids and the Genesys ids of the same people."""
    org = portal.runtime.find(PURECLOUD)
    names = {u["id"]: u.get("displayName") or u.get("userName") for u in org.export_state("Users")} if org else {}
    for u in portal.observer.graph("GET", "/users", params={"$select": "id,displayName", "$top": "999"}).get("value", []):
        names[u["id"]] = u.get("displayName")
    return names


# ------------------------------------------------------------------------ the views
def load(portal: Portal) -> dict:
    """The Mappings page's data; without an app or a job, ``missing`` says what to do first."""
    with portal.lock:
        try:
            job_id = _observed_job(portal)
        except ActionError as err:
            return {"missing": err.message, "objectMappings": []}
        job = portal.observer.jobs.get(job_id)
        return view(portal.observer.jobs.schema(job_id), job)


def _observed_job(portal: Portal) -> str:
    portal.observer.forget()
    try:
        jobs = portal.observer.jobs()
    except ApiError as err:
        raise ActionError(409, "noApp", "the tenant has no PureCloud by Genesys app yet: add it in Setup") from err
    if not jobs:
        raise ActionError(409, "noJob", "the PureCloud app has no provisioning job yet: create it in Setup; the "
                                        "Mappings come with it, from the app's template")
    return jobs[0]["id"]


def _user_values(portal: Portal, client: Any, user_id: str, object_mapping: Mapping[str, Any]) -> tuple[dict, dict]:
    names = [a["name"] for a in object_mapping.get("sourceAttributes") or []]
    user = client.graph("GET", f"/users/{user_id}", params={"$select": ",".join(graph_select(names)),
                                                           "$expand": "manager"})
    return user, entra_values(user)


def compare(portal: Portal, user_id: str) -> dict:
    """The Directory's side-by-side view of one user: Entra, mapped, Genesys (differences marked)."""
    with portal.lock:
        job_id = _observed_job(portal)
        page = view(portal.observer.jobs.schema(job_id), portal.observer.jobs.get(job_id))
        users = next((om for om in page["objectMappings"] if om["sourceObject"] == "User"), None)
        if users is None:
            raise ActionError(409, "noUserMapping", "the job's schema has no object mapping for users")
        try:
            user, values = _user_values(portal, portal.observer, user_id, users)
        except ApiError as err:
            raise ActionError(404 if err.status == 404 else 502, "notFound", err.message) from err
        inputs = _expression_input(values)
        mapped: dict[str, dict] = {}
        for row in users["attributes"]:
            expression = row["expression"] or (f'"{row["constant"]}"' if row["constant"] is not None else "")
            if not expression:
                mapped[row["target"]] = {"value": row["default"], "input": None}
                continue
            answer = portal.observer.jobs.parse_expression(job_id, expression, inputs)
            result = answer.get("evaluationResult") or []
            error = (answer.get("error") or {}).get("message") if not answer.get("evaluationSucceeded") else None
            value: Any = result[0] if len(result) == 1 else (result or None)
            if value in (None, "") and row["default"] not in (None, ""):
                value = row["default"]
            attrs = [a for a in _attribute_names(expression)]
            mapped[row["target"]] = {"value": value, "error": error,
                                     "input": "; ".join(f"{a} = {_shown(values.get(a))}" for a in attrs) or None}
        org = portal.runtime.find(PURECLOUD)
        genesys = None
        if org is not None:
            upn = str(user.get("userPrincipalName") or "").casefold()
            genesys = next((u for u in org.export_state("Users") if str(u.get("userName", "")).casefold() == upn), None)
        rows = compare_rows(users["attributes"], mapped, genesys, _reference_names(portal))
    return {"id": user_id, "displayName": user.get("displayName"), "userPrincipalName": user.get("userPrincipalName"),
            "inGenesys": genesys is not None, "genesysActive": None if genesys is None else genesys.get("active", True),
            "mapping": users["name"], "rows": rows, "differences": sum(1 for r in rows if r["state"] == "differs")}


def _attribute_names(expression: str) -> list[str]:
    import re

    seen: list[str] = []
    for name in re.findall(r"\[([^\[\]]+)\]", expression):
        if name not in seen:
            seen.append(name)
    return seen


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(empty)"
    return str(value)


# ---------------------------------------------------------------------------- clicks
def _source(portal: Portal, job_id: str, row: Mapping[str, Any], label: str, problems: list[dict]) -> dict | None:
    kind = row.get("type")
    if kind not in MAPPING_TYPES:
        problems.append({"target": label, "message": f"the mapping type is one of {', '.join(MAPPING_TYPES)}"})
        return None
    if kind == "Direct":
        attr = str(row.get("source") or "").strip()
        if not attr:
            problems.append({"target": label, "message": "a Direct mapping needs a source attribute"})
            return None
        return {"expression": f"[{attr}]", "name": attr, "parameters": [], "type": "Attribute"}
    if kind == "Constant":
        value = "" if row.get("constant") is None else str(row.get("constant"))
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return {"expression": f'"{escaped}"', "name": value, "parameters": [], "type": "Constant"}
    text = str(row.get("expression") or "").strip()
    if not text:
        problems.append({"target": label, "message": "an Expression mapping needs an expression"})
        return None
    # The portal's expression builder parses what was typed; the schema stores the parsed tree with its text.
    answer = portal.actor.jobs.parse_expression(job_id, text)
    if not answer.get("parsingSucceeded"):
        problems.append({"target": label, "message": str((answer.get("error") or {}).get("message")
                                                         or "the expression does not parse")})
        return None
    source = copy.deepcopy(answer.get("parsedExpression") or {})
    source["expression"] = text
    return source


def _clauses(scope: Any, label: str, problems: list[dict]) -> dict | None:
    if scope in (None, []):
        return None
    if not isinstance(scope, list):
        problems.append({"target": label, "message": "the scope is a list of scoping filter groups"})
        return None
    groups = []
    for n, group in enumerate(scope, 1):
        clauses = []
        for clause in (group or {}).get("clauses") or []:
            attr, operator = str(clause.get("attribute") or "").strip(), str(clause.get("operator") or "").strip()
            if not attr or not operator:
                problems.append({"target": label, "message": f"scoping filter {n}: every clause needs an attribute "
                                                             "and an operator"})
                continue
            raw = str(clause.get("value") or "")
            values = [] if operator.upper() in _NO_VALUE else [raw]
            clauses.append({"operatorName": operator, "sourceOperandName": attr, "targetOperand": {"values": values}})
        if clauses:
            groups.append({"name": str((group or {}).get("name") or f"Scoping filter {n}"), "clauses": clauses})
    return {"groups": groups} if groups else None


@action("mappings/save")
def save(portal: Portal, body: dict) -> dict:
    """Save on an object mapping's page: the whole schema, PUT back (every problem named where it is)."""
    job_id = portal.job_id()
    name = _text(body, "objectMapping", required=True, limit=256, label="the object mapping")
    schema = portal.actor.jobs.schema(job_id)
    rule = (schema.get("synchronizationRules") or [{}])[0]
    mapping = next((om for om in rule.get("objectMappings") or [] if om.get("name") == name), None)
    if mapping is None:
        raise ActionError(404, "notFound", f"the job's schema has no object mapping {name!r}")
    rows = body.get("attributes")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ActionError(400, "badRequest", "attributes is the list of attribute mappings")
    problems: list[dict] = []
    before = {str(a.get("targetAttributeName")): a for a in mapping.get("attributeMappings") or []}
    attribute_mappings = []
    for row in rows:
        target = str(row.get("target") or "").strip()
        label = element_label(name, target or "(no target attribute)")
        if not target:
            problems.append({"target": label, "message": "pick the target attribute"})
            continue
        source = _source(portal, job_id, row, label, problems)
        default = row.get("default")
        precedence = row.get("precedence")
        try:
            priority = int(precedence) if row.get("matching") and precedence not in (None, "") else (
                1 if row.get("matching") else 0)
        except (TypeError, ValueError):
            problems.append({"target": label, "message": "the matching precedence is a whole number"})
            priority = 0
        apply_when = str(row.get("applyWhen") or "Always")
        if apply_when not in APPLY_WHEN:
            problems.append({"target": label, "message": "apply this mapping Always or ObjectAddOnly"})
        kept = before.get(target) or {}
        attribute_mappings.append({
            "defaultValue": None if default in (None, "") else str(default),
            "exportMissingReferences": kept.get("exportMissingReferences", False),
            "flowBehavior": kept.get("flowBehavior", "FlowWhenChanged"), "flowType": apply_when,
            "matchingPriority": priority, "source": source, "targetAttributeName": target})
    actions = body.get("actions") or {}
    if not isinstance(actions, dict):
        raise ActionError(400, "badRequest", "actions is {create, update, delete}")
    flows = [flow for key, flow in _FLOW if actions.get(key, True)]
    scope = _clauses(body.get("scope"), element_label(name), problems)
    if problems:
        raise ActionError(400, "InvalidSchema", _summary(problems), details=problems)
    mapping.update({"enabled": _flag(body, "enabled", True), "flowTypes": ", ".join(flows) or "",
                    "attributeMappings": attribute_mappings, "scope": scope})
    try:
        portal.actor.jobs.put_schema(job_id, schema)
    except ApiError as err:
        details = _details(err)
        raise ActionError(400, err.code or "BadRequest", err.message, details=details) from err
    return {"message": f"Mappings saved: '{name}' ({len(attribute_mappings)} attribute mappings). The next cycle "
                       "uses them; objects already in Genesys change when Entra next evaluates them (a restart "
                       "evaluates everyone)."}


def _summary(problems: list[dict]) -> str:
    first = problems[0]["message"]
    more = len(problems) - 1
    return f"Not saved: {first}" + (f" (and {more} more problem{'s' if more > 1 else ''}, shown where they are)"
                                     if more else "")


def _details(err: ApiError) -> list[dict]:
    body = err.body if isinstance(err.body, dict) else {}
    details = ((body.get("error") or {}).get("details")) or []
    return [{"target": str(d.get("target") or ""), "message": str(d.get("message") or "")} for d in details
            if isinstance(d, dict)]


@action("mappings/test-expression")
def test_expression(portal: Portal, body: dict) -> dict:
    """The expression builder's Test expression: evaluate on a directory user (Graph parseExpression)."""
    job_id = portal.job_id()
    expression = _text(body, "expression", required=True, limit=4096, label="the expression")
    properties = None
    who = None
    if body.get("userId"):
        user_id = _guid(body, "userId", "the test user")
        page = view(portal.actor.jobs.schema(job_id), {"id": job_id})
        users: dict = next((om for om in page["objectMappings"] if om["sourceObject"] == "User"), {})
        user, values = _user_values(portal, portal.actor, user_id, users)
        properties, who = _expression_input(values), user.get("displayName")
    answer = portal.actor.jobs.parse_expression(job_id, expression, properties)
    error = answer.get("error") or {}
    result = answer.get("evaluationResult") or []
    if not answer.get("parsingSucceeded"):
        message = f"The expression does not parse: {error.get('message')}"
    elif properties is None:
        message = "The expression parses. Pick a user to evaluate it."
    elif not answer.get("evaluationSucceeded"):
        message = f"Evaluating it for {who} failed: {error.get('message')}"
    else:
        shown = ", ".join(result) if result else "(no value: nothing flows)"
        message = f"For {who}: {shown}"
    return {"message": message, "parsed": bool(answer.get("parsingSucceeded")),
            "evaluated": bool(answer.get("evaluationSucceeded")), "result": result, "error": error.get("message")}


@action("mappings/settings")
def save_settings(portal: Portal, body: dict) -> dict:
    """Save settings on the Mappings page: the job's synchronizationJobSettings by name (``PATCH …/jobs/{id}``),
    as Graph stores them (strings).  Each value is checked against the engine's typed table first; a bad one
    is refused with the setting named, beside its field, and nothing is saved.  A setting of the table left
    blank keeps its stored value (or its default)."""
    job_id = portal.job_id()
    values = body.get("settings")
    if not isinstance(values, list) or not values or not all(
            isinstance(v, dict) and isinstance(v.get("name"), str) and v.get("name") for v in values):
        raise ActionError(400, "badRequest", "settings is a list of {name, value}")
    pairs: list[dict] = []
    problems: list[dict] = []
    for v in values:
        name = v["name"].strip()
        value = "" if v.get("value") is None else str(v["value"]).strip()
        if name in SETTING_NAMES and value == "":
            continue
        try:
            check_setting(name, value)
        except SettingError as err:
            problems.append({"target": setting_label(name), "message": err.message})
        pairs.append({"name": name, "value": value})
    if problems:
        raise ActionError(400, "BadRequest", _summary(problems), details=problems)
    if not pairs:
        raise ActionError(400, "badRequest", "no setting has a value to save")
    portal.actor.graph("PATCH", portal.actor.jobs.path(job_id), {"synchronizationJobSettings": pairs})
    return {"message": f"Job settings saved ({', '.join(p['name'] for p in pairs)})."}


def setting_label(name: str) -> str:
    """The element a job setting's refusal belongs to (the page's data-target)."""
    return f"Job setting '{name}'"
