"""The Entra login endpoints ("Microsoft identity platform and the OAuth 2.0 client credentials flow" and "OpenID Connect on the Microsoft identity platform" on Microsoft Learn).

    POST /{tenant}/oauth2/v2.0/token                         client credentials
    GET  /{tenant}/v2.0/.well-known/openid-configuration     what msal reads at construction
    GET  /{tenant}/discovery/instance                        instance discovery (common)
    GET  /{tenant}/discovery/v2.0/keys                       JWKS (empty: tokens are HMAC-signed)

``{tenant}`` is the tenant id or any of its domains.  Errors use Entra's
AADSTS body.  The discovery document names endpoints on the host the client
believes it talks to: ``X-Forwarded-Proto``/``X-Forwarded-Host`` when a
mapping client sends them (msal needs https endpoints; docs/graph-sdk-recipe.md),
else the request's own host.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from simulator.core.services import GRAPH
from simulator.http import dumps, runtime

from .errors import LoginError
from .views.base import public_base

__all__ = ["bp", "render_login_error", "login_error_body"]

bp = Blueprint("entra_login", __name__)

_JSON = "application/json; charset=utf-8"


def _service():
    return runtime().service(GRAPH)


def login_error_body(status: int, error: str, aadsts: int, description: str, *, correlation_id: str | None = None,
                     rt=None) -> dict:
    rt = rt or runtime()
    ids = rt.ids.stream("entra-login")
    trace_id = ids.guid()
    correlation_id = correlation_id or ids.guid()
    stamp = rt.clock.now().strftime("%Y-%m-%d %H:%M:%SZ")
    return {
        "error": error,
        "error_description": f"AADSTS{aadsts}: {description}\r\nTrace ID: {trace_id}\r\n"
                             f"Correlation ID: {correlation_id}\r\nTimestamp: {stamp}",
        "error_codes": [aadsts],
        "timestamp": stamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://login.microsoftonline.com/error?code={aadsts}",
    }


def render_login_error(rt):
    """The surface's error renderer (fault rules): 429/5xx in the AADSTS shape."""
    def render(status: int, message: str) -> tuple[bytes, str]:
        error = "temporarily_unavailable" if status in (429, 503, 504) else "server_error" if status >= 500 else "invalid_request"
        body = login_error_body(status, error, 50196 if status == 429 else 90033, message, rt=rt)
        return dumps(body).encode(), _JSON
    return render


@bp.errorhandler(LoginError)
def _login_error(err: LoginError) -> Response:
    body = login_error_body(err.status, err.error, err.aadsts, err.description,
                            correlation_id=request.headers.get("client-request-id"))
    return Response(dumps(body), status=err.status, content_type=_JSON)


def _json(data, status: int = 200) -> Response:
    return Response(dumps(data), status=status, content_type=_JSON)


def _tenant(tenant: str):
    service = _service()
    if not service.knows_tenant(tenant):
        raise LoginError(400, "invalid_request", 90002,
                         f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                         "signing into the correct cloud. Check with your subscription administrator, this may happen "
                         "if there are no active subscriptions for the tenant.")
    return service


@bp.post("/<tenant>/oauth2/v2.0/token")
def token(tenant: str) -> Response:
    service = _tenant(tenant)
    form = request.form
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):  # client_secret_basic
        try:
            basic_id, _, basic_secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            basic_id, basic_secret = "", ""
        client_id, client_secret = client_id or basic_id, client_secret or basic_secret
    grant_type = form.get("grant_type")
    if not grant_type:
        raise LoginError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
    if grant_type != "client_credentials":
        raise LoginError(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant_type}'.")
    if not client_id:
        raise LoginError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.")
    scope = form.get("scope")
    if not scope:
        raise LoginError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
    scopes = scope.split()
    # msal adds the OIDC scopes it reserves only for user flows; client credentials send "<resource>/.default".
    resources = [s for s in scopes if s not in ("openid", "profile", "offline_access")]
    if len(resources) != 1 or not resources[0].endswith("/.default"):
        raise LoginError(400, "invalid_scope", 1002012,
                         f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
                         "value with /.default suffixed to the resource identifier (application ID URI).")
    client = service.client(client_id)
    if client is None:
        raise LoginError(400, "unauthorized_client", 700016,
                         f"Application with identifier '{client_id}' was not found in the directory "
                         f"'{service.display_name}'. This can happen if the application has not been installed by the "
                         "administrator of the tenant or consented to by any user in the tenant. You may have sent "
                         "your authentication request to the wrong tenant.")
    if not client_secret and not form.get("client_assertion"):
        raise LoginError(401, "invalid_client", 7000218,
                         "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
    if client_secret != client.client_secret:
        raise LoginError(401, "invalid_client", 7000215,
                         "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                         f"secret value, not the client secret ID, for a secret added to app '{client.app_id}'.")
    resource = resources[0][: -len("/.default")] or "https://graph.microsoft.com"
    access_token, lifetime = service.issuer.issue(client, resource=resource)
    return _json({"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                  "access_token": access_token})


@bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
def openid_configuration(tenant: str) -> Response:
    service = _tenant(tenant)
    base, tid = public_base(), service.tenant_id
    return _json({
        "token_endpoint": f"{base}/{tid}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{tid}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tid}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{tid}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{tid}/oauth2/v2.0/logout",
        "claims_supported": ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
                             "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
                             "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "kerberos_endpoint": f"{base}/{tid}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })


@bp.get("/<tenant>/discovery/instance")
def instance_discovery(tenant: str) -> Response:
    base = public_base()
    host = base.split("://", 1)[-1]
    authority = request.args.get("authorization_endpoint") or f"{base}/{tenant}/oauth2/v2.0/authorize"
    return _json({
        "tenant_discovery_endpoint": authority.replace("/oauth2/v2.0/authorize", "/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    })


@bp.get("/<tenant>/discovery/v2.0/keys")
def keys(tenant: str) -> Response:
    _tenant(tenant)
    return _json({"keys": []})


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> Response:
    body = login_error_body(err.code or 400, "invalid_request", 900561,
                            "The endpoint only accepts POST requests." if err.code == 405 else (err.description or ""))
    return Response(dumps(body), status=err.code or 400, content_type=_JSON)
