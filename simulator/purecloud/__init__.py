"""The Genesys Cloud (PureCloud) fake: SCIM 2.0 at ``/api/v2/scim/v2`` and
``/api/v2/scim``, client-credentials login at ``/oauth/token``.

    from simulator.core.services import PURECLOUD
    org = app.extensions["provsim"].service(PURECLOUD)
    token = org.issue_token("provsim-purecloud-client")["access_token"]

Parts, one reason to change each: :mod:`.org` (the org's state and rules),
:mod:`.model` (SCIM JSON in and out), :mod:`.filter`, :mod:`.patch`,
:mod:`.projection`, :mod:`.schemas` (what the fake supports), :mod:`.errors`,
:mod:`.views` (SCIM routes), :mod:`.oauth` (token endpoint); the Platform API
subset of the tutorial (OAuth clients, roles, divisions, groups, users):
:mod:`.platform` (routes), :mod:`.platform_service`, :mod:`.platform_model`.
"""

from __future__ import annotations

from flask import Flask

from simulator.core import Runtime, Surface
from simulator.core.services import PURECLOUD

from .errors import GenesysApiError, OAuthError, PureCloudError, ScimError, error_body, scim_error_body
from .org import OrgSettings, PureCloudOrg, TokenInfo, seed_org
from .platform_service import PlatformService

__all__ = ["init_app", "PureCloudOrg", "OrgSettings", "TokenInfo", "PureCloudError", "ScimError",
           "GenesysApiError", "OAuthError", "SCIM_V2_PREFIX", "SCIM_V1_PREFIX", "TOKEN_PATH", "PlatformService"]

SCIM_V2_PREFIX = "/api/v2/scim/v2"
SCIM_V1_PREFIX = "/api/v2/scim"
TOKEN_PATH = "/oauth/token"

#: statuses the Genesys gateway answers itself, in its ErrorBody shape
_PLATFORM_CODES = {401: "bad.credentials", 403: "missing.any.permissions", 408: "request.timeout",
                   429: "too.many.requests.retry.after", 500: "internal.server.error", 502: "bad.gateway",
                   503: "service.unavailable", 504: "gateway.timeout"}


def _error_renderer(runtime: Runtime):
    """How an injected fault on this surface looks: ErrorBody for gateway statuses, SCIM error otherwise."""

    def render(status: int, message: str) -> tuple[bytes, str]:
        if status in _PLATFORM_CODES:
            context = runtime.ids.stream("purecloud-context").guid()
            return error_body(status, _PLATFORM_CODES[status], message, context), "application/json"
        # A 400 decided before any view (a body that is not UTF-8, too deep, a lone surrogate) is a syntax error
        # (RFC 7644 §3.12 invalidSyntax), as the views' own parse errors are.
        return scim_error_body(status, "invalidSyntax" if status == 400 else None, message), "application/scim+json"

    return render


def init_app(app: Flask) -> None:
    """Mount the SCIM blueprint twice, the token endpoint once, the Platform API, and register the surfaces."""
    from .oauth import oauth_bp
    from .platform import init_platform
    from .views import V1_NAME, V2_NAME, scim_bp

    runtime: Runtime = app.extensions["provsim"]
    if runtime.find(PURECLOUD) is None:
        runtime.register(PURECLOUD, PureCloudOrg(runtime))
    app.register_blueprint(scim_bp, url_prefix=SCIM_V2_PREFIX, name=V2_NAME)
    app.register_blueprint(scim_bp, url_prefix=SCIM_V1_PREFIX, name=V1_NAME)
    app.register_blueprint(oauth_bp)
    runtime.add_surface(Surface(name="purecloud", prefixes=(SCIM_V1_PREFIX, TOKEN_PATH),
                                render_error=_error_renderer(runtime), seed=seed_org, case_insensitive=True))
    init_platform(app)
