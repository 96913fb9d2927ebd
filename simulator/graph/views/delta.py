"""``/users/delta`` and ``/groups/delta`` (also ``delta()`` and ``microsoft.graph.delta()``).

A round starts with a full enumeration (pages in creation order, each link
carrying ``$skiptoken``) and ends with a ``@odata.deltaLink`` whose
``$deltatoken`` is the store position where the enumeration *started*, so
changes made while a client pages are seen next round.  Later rounds read
the directory's change feed between two positions: cost = number of changes.

Token contents (opaque to clients, base64url JSON): ``k`` users|groups,
``s`` $select, ``f`` id filter, and either ``w`` (watermark of a deltaLink),
``a``/``w`` (enumeration position and start watermark) or ``from``/``to``/``o``
(a page inside a change window).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, Response, request

from simulator.core.security import b64url_decode

from ..errors import BadRequest, GraphError
from ..query import parse_filter, parse_select
from ..schema import GROUP, USER, EntityType
from .base import context_url, directory, odata_response, public_base, requires, shape

__all__ = ["register", "DEFAULT_PAGE_SIZE"]

DEFAULT_PAGE_SIZE = 100
_NAV = {"users": ("manager",), "groups": ("members",)}


def _encode(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(token: str) -> dict:
    try:
        data = json.loads(b64url_decode(token))
        if not isinstance(data, dict) or data.get("k") not in ("users", "groups"):
            raise ValueError(token)
        return data
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise BadRequest("Invalid or expired delta token. Start a new round without a token.") from err


def _page_size() -> int:
    prefer = request.headers.get("Prefer", "")
    for part in prefer.split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize" and value.strip().isdigit():
            return max(1, min(999, int(value.strip())))
    return DEFAULT_PAGE_SIZE


def _link(kind: str, param: str, token: str) -> str:
    return f"{public_base()}/v1.0/{kind}/delta()?{param}={token}"


def _render(kind: str, doc: dict, select: list[str] | None, member_changes: list[dict] | None) -> dict:
    etype: EntityType = USER if kind == "users" else GROUP
    props = [p for p in (select or etype.defaults) if p in etype.properties]
    if "id" not in props:
        props.append("id")
    out = shape(etype, doc, props)
    d = directory()
    if kind == "users" and select and "manager" in select and doc.get("_manager"):
        out["manager@delta"] = [{"@odata.type": "#microsoft.graph.user", "id": doc["_manager"]}]
    if kind == "groups" and (not select or "members" in select):
        if member_changes is None:  # enumeration: every current member
            member_changes = [{"@odata.type": f"#microsoft.graph.{m['memberType']}", "id": m["memberId"]}
                              for m in d.groups.member_links(doc["id"])]
        if member_changes:
            out["members@delta"] = member_changes
    return out


def delta(kind: str) -> Response:
    d = directory()
    args = {k.lower(): v for k, v in request.args.items()}
    for key in args:
        if key.startswith("$") and key not in ("$select", "$filter", "$skiptoken", "$deltatoken", "$expand"):
            raise BadRequest(f"'{key}' is not supported with delta queries.")
    if "$expand" in args:
        raise BadRequest("$expand is not supported with delta queries.")
    table = d.users.table if kind == "users" else d.groups.table
    etype = USER if kind == "users" else GROUP
    size = _page_size()
    with d.store.lock:
        if "$skiptoken" in args:
            state = _decode(args["$skiptoken"])
        elif "$deltatoken" in args:
            if args["$deltatoken"].lower() == "latest":
                state = {"k": kind, "s": _select(kind, etype), "f": _ids(etype), "w": d.watermark(), "latest": True}
            else:
                state = _decode(args["$deltatoken"])
                state = {"k": kind, "s": state.get("s"), "f": state.get("f"), "from": state["w"], "to": d.watermark(), "o": 0}
        else:
            state = {"k": kind, "s": _select(kind, etype), "f": _ids(etype), "a": 0, "w": d.watermark()}
        if state["k"] != kind:
            raise BadRequest("The delta token belongs to another resource.")
        select, only = state.get("s"), state.get("f")
        body: dict[str, Any] = {"@odata.context": context_url(kind)}
        if state.get("latest"):
            body["value"] = []
            body["@odata.deltaLink"] = _link(kind, "$deltatoken", _encode({"k": kind, "s": select, "f": only, "w": state["w"]}))
            return odata_response(body)
        if "a" in state:  # enumeration
            items: list[dict] = []
            next_after = None
            docs: Iterable[tuple[int, dict]]
            if only:
                wanted = [table.find("id", i) for i in only]
                docs = [(doc.doc_id, dict(doc)) for doc in wanted if doc is not None and doc.doc_id > state["a"]]
            else:
                docs = d.iter_docs(table, state["a"])
            last: int = state["a"]  # the page size is at least 1, so a full page always set it: for the type checkers
            for doc_id, doc in docs:
                if len(items) == size:
                    next_after = last
                    break
                items.append(_render(kind, doc, select, None))
                last = doc_id
            body["value"] = items
            if next_after is not None:
                body["@odata.nextLink"] = _link(kind, "$skiptoken", _encode({**state, "a": next_after}))
            else:
                body["@odata.deltaLink"] = _link(kind, "$deltatoken", _encode({"k": kind, "s": select, "f": only, "w": state["w"]}))
            return odata_response(body)
        # a change window
        if state["from"] < d.log_floor:
            raise GraphError("Resync required. Replace any local cached copies of the directory objects with the "
                             "results of a new delta round without a token.", status=410, code="syncStateNotFound")
        entries = _changes(kind, state["from"], state["to"], only)
        offset = int(state.get("o", 0))
        page = entries[offset:offset + size]
        items = []
        for object_id, member_changes, _touched in page:
            found = table.find("id", object_id)
            if found is None:
                reason = "changed" if d.deleted_items.get(object_id) else "deleted"
                items.append({"id": object_id, "@removed": {"reason": reason}})
                continue
            items.append(_render(kind, dict(found), select, member_changes))
        body["value"] = items
        if offset + size < len(entries):
            body["@odata.nextLink"] = _link(kind, "$skiptoken", _encode({**state, "o": offset + size}))
        else:
            body["@odata.deltaLink"] = _link(kind, "$deltatoken", _encode({"k": kind, "s": select, "f": only, "w": state["to"]}))
        return odata_response(body)


def _select(kind: str, etype: EntityType) -> list[str] | None:
    return parse_select(request.args.get("$select"), etype, navigation=_NAV[kind])


def _ids(etype: EntityType) -> list[str] | None:
    text = request.args.get("$filter")
    if not text:
        return None
    parsed = parse_filter(text, etype)
    if parsed.only_ids is None:
        raise BadRequest("Unsupported filter for delta: only 'id eq' clauses joined by 'or' are supported.")
    if len(parsed.only_ids) > 50:
        raise BadRequest("Too many 'id eq' clauses in the delta filter (50 at most).")
    return [i.lower() for i in parsed.only_ids]


def _changes(kind: str, since: int, until: int, only: list[str] | None) -> list[tuple[str, list[dict] | None, bool]]:
    """Objects of ``kind`` changed in (since, until], in order of last change, with their member deltas."""
    wanted_type = "user" if kind == "users" else "group"
    order: dict[str, None] = {}
    members: dict[str, dict[str, dict]] = {}
    for event in directory().events_since(since, until):
        if event["type"] != wanted_type:
            continue
        oid = event["id"]
        if only and oid.lower() not in only:
            continue
        order.pop(oid, None)
        order[oid] = None
        if event["op"] in ("member_added", "member_removed"):
            item: dict = {"@odata.type": f"#microsoft.graph.{event['memberType']}", "id": event["member"]}
            if event["op"] == "member_removed":
                item["@removed"] = {"reason": "deleted"}
            members.setdefault(oid, {})[event["member"]] = item
    return [(oid, list(members[oid].values()) if oid in members else [], True) for oid in order]


def register(bp: Blueprint) -> None:
    for kind in ("users", "groups"):
        view = requires("user" if kind == "users" else "group")(lambda kind=kind: delta(kind))
        for i, suffix in enumerate(("delta", "delta()", "microsoft.graph.delta()", "microsoft.graph.delta")):
            bp.add_url_rule(f"/{kind}/{suffix}", f"{kind}_delta_{i}", view, methods=["GET"])
