"""OpenAPI 3.0 documents of every surface, served at ``/_provsim/openapi/<surface>.json``.

    genesys.json    Genesys SCIM (/api/v2/scim/v2, /api/v2/scim), /oauth/token, the Platform API subset
    graph.json      Microsoft Graph v1.0 subset and the Entra login endpoints
    control.json    provsim's own /_provsim control API and the dashboard

The documents are built from the app's URL map, so a route cannot exist without
being described (``tests/hardening/test_hardening_openapi.py`` checks it, and runs
schemathesis against each).  Each operation names its error shape: SCIM's
``Error`` schema, Genesys' ``ErrorBody``, Graph's OData error, the AADSTS body,
or provsim's ``{"error": {"code", "message"}}``.  They describe what the fake
accepts; they are not Microsoft's or Genesys' published documents.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from flask import Flask

__all__ = ["SURFACES", "build_document", "described_routes", "EXCLUDED_ENDPOINTS", "openapi_path"]

#: document name -> (title, path prefixes it covers)
SURFACES: dict[str, tuple[str, tuple[str, ...]]] = {
    "genesys": ("Genesys Cloud (PureCloud) SCIM 2.0, OAuth and Platform API subset (provsim fake)",
                ("/api/v2/", "/oauth/token")),
    "graph": ("Microsoft Graph v1.0 subset and Entra login (provsim fake)", ("/v1.0", "/<tenant>/")),
    "control": ("provsim control API and dashboard", ("/_provsim", "/dashboard", "/")),
}
#: catch-all routes that exist only to answer unknown paths in the surface's format
EXCLUDED_ENDPOINTS = frozenset({"static", "dashboard.static"})
_CATCH_ALL = re.compile(r"<path:[^>]+>$")
_VAR = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")

_ERROR_SCHEMAS: dict[str, dict] = {
    "ScimError": {"type": "object", "required": ["schemas", "status"], "properties": {
        "schemas": {"type": "array", "items": {"type": "string"}}, "status": {"type": "string"},
        "scimType": {"type": "string"}, "detail": {"type": "string"}}},
    "ErrorBody": {"type": "object", "required": ["message", "code", "status"], "properties": {
        "message": {"type": "string"}, "code": {"type": "string"}, "status": {"type": "integer"},
        "messageWithParams": {"type": "string"}, "messageParams": {"type": "object"},
        "contextId": {"type": "string"}, "details": {"type": "array"}, "errors": {"type": "array"}}},
    "OAuthError": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"}, "description": {"type": "string"}, "error_description": {"type": "string"}}},
    "ODataError": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}, "innerError": {"type": "object"}}}}},
    "ProvsimError": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"}}}}},
}

_JSON_BODY = {"type": "object", "additionalProperties": True}
_FORM_BODY = {"type": "object", "properties": {"grant_type": {"type": "string"}, "client_id": {"type": "string"},
                                                "client_secret": {"type": "string"}, "scope": {"type": "string"}}}
_QUERY = {
    "scim": [("filter", "string"), ("startIndex", "integer"), ("count", "integer"), ("attributes", "string"),
             ("excludedAttributes", "string")],
    "graph": [("$filter", "string"), ("$select", "string"), ("$top", "integer"), ("$orderby", "string"),
              ("$count", "boolean"), ("$search", "string"), ("$skiptoken", "string")],
}


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """A werkzeug rule as an OpenAPI path and its path parameters.

    ``<ci("users"):_r>`` (a case-insensitive literal segment) becomes ``users``.
    """
    params: list[dict] = []

    def repl(m: re.Match) -> str:
        if m.group("conv") == "ci":
            return m.group("args").split(",")[0].strip().strip("'\"")
        params.append({"name": m.group("name"), "in": "path", "required": True,
                       "schema": {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9._~@:-]+$"}})
        return "{" + m.group("name") + "}"

    return _VAR.sub(repl, rule), params


def _surface_of(rule: str) -> str:
    if rule.startswith(("/api/v2/", "/oauth/token")):
        return "genesys"
    if rule.startswith("/v1.0") or rule.startswith("/<tenant>/"):
        return "graph"
    return "control"


def described_routes(app: Flask) -> list[tuple[str, str, str]]:
    """``(surface, method, rule)`` of every route a document must describe."""
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXCLUDED_ENDPOINTS or rule.endpoint.endswith(".static") or _CATCH_ALL.search(rule.rule):
            continue
        if rule.rule.rstrip("/").endswith(("/v1.0", "/api/v2/scim/v2", "/api/v2/scim")) and rule.endpoint.endswith(
                ("unknown", "not_found")):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((_surface_of(rule.rule), method, rule.rule))
    return out


def _security(surface: str, path: str) -> tuple[list[dict], str]:
    """Security requirement and error schema name of an operation."""
    if surface == "genesys":
        if path == "/oauth/token":
            return [{"basic": []}, {}], "OAuthError"
        return [{"bearer": []}], "ScimError" if "/scim" in path else "ErrorBody"
    if surface == "graph":
        if path.startswith("/{tenant}/"):
            return [{}], "OAuthError"
        return [{"bearer": []}], "ODataError"
    return [{}], "ProvsimError"


def _operation(app: Flask, surface: str, method: str, rule: str) -> tuple[str, dict]:
    path, params = openapi_path(rule)
    endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule == rule and method in (r.methods or ()))
    view = app.view_functions.get(endpoint)
    doc = (view.__doc__ or "").strip().splitlines()[0] if view is not None and view.__doc__ else ""
    security, error = _security(surface, path)
    op: dict[str, Any] = {
        "operationId": f"{method.lower()}_{endpoint.replace('.', '_')}_{zlib.crc32(path.encode()) % 100_000}",
        "summary": doc or f"{method} {path}",
        "security": security,
        "responses": {
            "default": {"description": "success, or an error in this surface's format",
                        "content": {"application/json": {"schema": {"oneOf": [
                            {"$ref": f"#/components/schemas/{error}"}, {}]}}}},
        },
    }
    query = _QUERY["scim"] if "/scim" in path and method == "GET" else _QUERY["graph"] if path.startswith("/v1.0") and method == "GET" else []
    op["parameters"] = params + [{"name": n, "in": "query", "required": False, "schema": {"type": t}} for n, t in query]
    if method in ("POST", "PUT", "PATCH"):
        if path in ("/oauth/token",) or path.endswith("/oauth2/v2.0/token") or path.startswith("/dashboard/"):
            op["requestBody"] = {"required": False, "content": {"application/x-www-form-urlencoded": {"schema": _FORM_BODY}}}
        else:
            ctype = "application/scim+json" if "/scim" in path else "application/json"
            op["requestBody"] = {"required": False, "content": {ctype: {"schema": _JSON_BODY}}}
    return path, op


def build_document(app: Flask, surface: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of one surface of ``app``."""
    title, _prefixes = SURFACES[surface]
    paths: dict[str, dict] = {}
    for surf, method, rule in described_routes(app):
        if surf != surface:
            continue
        path, op = _operation(app, surface, method, rule)
        paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "provsim"},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "basic": {"type": "http", "scheme": "basic"}},
            "schemas": _ERROR_SCHEMAS,
        },
    }
