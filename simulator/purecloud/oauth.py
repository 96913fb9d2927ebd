"""``POST /oauth/token``: Genesys Cloud's client-credentials login.

The SDK sends ``Authorization: Basic base64(id:secret)`` and the form body
``grant_type=client_credentials`` (Genesys help "Create an OAuth client"; RFC 6749 §4.4); ``client_id`` /
``client_secret`` in the form are accepted too, as most OAuth servers do.
Errors use RFC 6749 §5.2 codes with Genesys' ``description`` key (and the
standard ``error_description``); bad client credentials are 401.
"""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import unquote_plus

from flask import Blueprint, request
from werkzeug.exceptions import HTTPException

from simulator.core.services import PURECLOUD
from simulator.http import json_response, runtime

from .errors import OAuthError

__all__ = ["oauth_bp"]

log = logging.getLogger(__name__)

oauth_bp = Blueprint("purecloud_oauth", __name__)


def _render(err: OAuthError):
    body, ctype, headers = err.render()
    from flask import Response

    resp = Response(body, status=err.status, content_type=ctype)
    for k, v in headers.items():
        resp.headers[k] = v
    resp.headers["Cache-Control"] = "no-store"
    return resp


@oauth_bp.errorhandler(OAuthError)
def _oauth_error(err: OAuthError):
    return _render(err)


@oauth_bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    status = err.code or 400
    return _render(OAuthError(status, "invalid_request", err.description or err.name))


@oauth_bp.errorhandler(Exception)
def _unexpected(err: Exception):
    log.exception("unexpected error in /oauth/token")
    return _render(OAuthError(500, "server_error", "An internal error occurred"))


def _basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    if not header:
        return None, None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as err:
        raise OAuthError(401, "invalid_client", "client authentication failed: malformed Basic credentials") from err
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(401, "invalid_client", "client authentication failed: malformed Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


@oauth_bp.route("/oauth/token", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def token():
    if request.method != "POST":
        raise OAuthError(405, "invalid_request", f"{request.method} is not allowed; POST the form to /oauth/token")
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
    form = request.form
    grant = form.get("grant_type")
    if not grant:
        raise OAuthError(400, "invalid_request", "grant_type is required")
    if grant != "client_credentials":
        raise OAuthError(400, "unsupported_grant_type", f"grant type {grant!r} is not supported here; use client_credentials")
    client_id, secret = _basic_credentials(request.headers.get("Authorization"))
    if client_id is None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
    if not client_id:
        raise OAuthError(401, "invalid_client", "client authentication failed: no client credentials")
    org = runtime().service(PURECLOUD)
    client = org.authenticate_client(client_id, secret)
    resp = json_response(org.issue_token(client["clientId"]))
    resp.headers["Cache-Control"] = "no-store"
    return resp
