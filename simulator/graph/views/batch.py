"""``POST /v1.0/$batch``: JSON batching ("Combine multiple HTTP requests using JSON batching" on Microsoft Learn).

Each item is dispatched through the whole app (``app.test_client()``), so
fault rules, the traffic log and authentication apply to it as to a direct
call.  Items run in request order, an item after the items it depends on
(``dependsOn``, or ``depends_on`` as msgraph-core writes it); an item whose
dependency failed gets 424.  Absolute URLs and ``/v1.0`` prefixes are
accepted (msgraph-core sends both).
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request

from ..errors import BadRequest
from .base import error_body, json_body, odata_response

__all__ = ["register", "MAX_REQUESTS"]

MAX_REQUESTS = 20
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
_PASS_HEADERS = ("Authorization", "client-request-id", "X-Forwarded-Proto", "X-Forwarded-Host")


def _path(url: str) -> str:
    if "://" in url:
        parts = urlsplit(url)
        url = parts.path + (f"?{parts.query}" if parts.query else "")
    if not url.startswith("/"):
        url = "/" + url
    while url.startswith("//"):
        url = url[1:]
    if url.lower().startswith("/v1.0/") or url.lower() == "/v1.0":
        url = url[5:] or "/"
    return "/v1.0" + url


def _validate(body: dict) -> list[dict]:
    items = body.get("requests")
    if not isinstance(items, list) or not items:
        raise BadRequest("Invalid batch payload format: 'requests' must be a non-empty array.")
    if len(items) > MAX_REQUESTS:
        raise BadRequest(f"Invalid batch payload format: the batch contains {len(items)} requests; at most "
                         f"{MAX_REQUESTS} are allowed.")
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not item.get("id") or not item.get("url") or not item.get("method"):
            raise BadRequest("Invalid batch payload format: every request needs 'id', 'method' and 'url'.")
        item["id"] = str(item["id"])
        if item["id"] in seen:
            raise BadRequest(f"Invalid batch payload format: duplicate request id '{item['id']}'.")
        seen.add(item["id"])
        headers = item.get("headers")
        if headers is not None and (not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, (str, int, float)) and not isinstance(v, bool)
                and not any(c in f"{k}{v}" for c in "\r\n\0") for k, v in headers.items())):
            raise BadRequest(f"Invalid batch payload format: request '{item['id']}' has 'headers' that are not an "
                             "object of header names to string values.")
        if not isinstance(item["url"], str) or not isinstance(item["method"], str):
            raise BadRequest(f"Invalid batch payload format: request '{item['id']}' needs string 'method' and 'url'.")
        if str(item["method"]).upper() not in _METHODS:
            raise BadRequest(f"Invalid batch payload format: method '{item['method']}' is not supported.")
        deps = item.get("dependsOn", item.get("depends_on")) or []
        if isinstance(deps, str):
            deps = [deps]
        if not isinstance(deps, list):
            raise BadRequest("Invalid batch payload format: 'dependsOn' must be an array of request ids.")
        item["_deps"] = [str(dep) for dep in deps]
        if item.get("body") is not None and not any(k.lower() == "content-type" for k in (item.get("headers") or {})):
            raise BadRequest(f"Invalid batch payload format: request '{item['id']}' has a body but no Content-Type header.")
    for item in items:
        for dep in item["_deps"]:
            if dep not in seen or dep == item["id"]:
                raise BadRequest(f"Invalid batch payload format: request '{item['id']}' depends on unknown request '{dep}'.")
    return items


def _order(items: list[dict]) -> list[dict]:
    done: set[str] = set()
    ordered: list[dict] = []
    pending = list(items)
    while pending:
        progressed = False
        for item in list(pending):
            if all(dep in done for dep in item["_deps"]):
                ordered.append(item)
                done.add(item["id"])
                pending.remove(item)
                progressed = True
        if not progressed:
            raise BadRequest("Invalid batch payload format: the dependsOn references form a cycle.")
    return ordered


def _dispatch(client, item: dict) -> dict:
    headers = {h: request.headers[h] for h in _PASS_HEADERS if h in request.headers}
    headers.update({str(k): str(v) for k, v in (item.get("headers") or {}).items()})
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "application/json")
    data = None
    body = item.get("body")
    if body is not None:
        if isinstance(body, str) and "json" not in content_type.lower():
            try:
                data = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                data = body.encode()
        else:
            data = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
    resp = client.open(_path(str(item["url"])), method=str(item["method"]).upper(), headers=headers, data=data,
                       base_url=request.host_url)
    out_headers = {"Content-Type": resp.headers.get("Content-Type")} if resp.headers.get("Content-Type") else {}
    for name in ("Location", "Retry-After", "request-id"):
        if name in resp.headers:
            out_headers[name] = resp.headers[name]
    result: dict = {"id": item["id"], "status": resp.status_code, "headers": out_headers}
    raw = resp.get_data()
    if raw:
        if "json" in (resp.headers.get("Content-Type") or ""):
            result["body"] = json.loads(raw)
        else:
            result["body"] = raw.decode("utf-8", errors="replace")
    return result


def batch() -> Response:
    items = _order(_validate(json_body()))
    client = current_app.test_client()
    status: dict[str, int] = {}
    responses = []
    for item in items:
        failed = [dep for dep in item["_deps"] if status.get(dep, 200) >= 400]
        if failed:
            status[item["id"]] = 424
            responses.append({"id": item["id"], "status": 424, "headers": {"Content-Type": "application/json"},
                              "body": error_body(424, "FailedDependency",
                                                 f"The request failed because of a failed dependency ({', '.join(failed)}).")})
            continue
        result = _dispatch(client, item)
        status[item["id"]] = result["status"]
        responses.append(result)
    return odata_response({"responses": responses})


def register(bp: Blueprint) -> None:
    # Any authenticated client may batch; each item is authorised on its own.
    bp.add_url_rule("/$batch", "batch", batch, methods=["POST"])
