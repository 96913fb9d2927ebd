"""Access tokens the fake Entra issues and the fake Graph accepts.

Tokens are JWTs (``header.payload.signature``) like Entra's, signed with
HMAC-SHA256 under a key derived from the seed and tenant, so they are
stateless, deterministic for a seed, and cannot be edited to gain roles.
Their ``exp`` is on the virtual clock: advancing it by an hour expires them.

Graph accepts a token only when, like the real service, its signature is
valid, its audience is Graph (``https://graph.microsoft.com`` or Graph's app
id; a token for ``https://management.azure.com`` is refused), its tenant is
this one, its ``appid`` is an app registered in the tenant, and it has not
expired (``exp`` and ``nbf`` are required).  Because the default key follows
from the seed, anyone who knows the seed can mint a token: that is what makes
recordings repeatable.  ``provsim serve --random-keys`` signs with a random
key instead, for servers other people can reach.

``roles`` are the application permissions of the client in the fixture
(``tenant.clients[].roles``); Graph views check them (:data:`PERMISSIONS`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from simulator.core.security import b64url_decode

from .errors import InvalidAuthenticationToken

__all__ = ["TokenIssuer", "AccessToken", "GraphClient", "PERMISSIONS", "TOKEN_LIFETIME", "GRAPH_APP_ID"]

#: Entra's default lifetime for client-credential tokens (``expires_in``).
TOKEN_LIFETIME = 3599
#: Microsoft Graph's well-known application id (``aud`` of Graph tokens).
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"

_READ_DIR = ("Directory.Read.All", "Directory.ReadWrite.All")
#: area -> (roles that allow reading, roles that allow writing)
PERMISSIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "user": (("User.Read.All", "User.ReadWrite.All", "User.ReadBasic.All", *_READ_DIR),
             ("User.ReadWrite.All", "Directory.ReadWrite.All")),
    "group": (("Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All", "GroupMember.ReadWrite.All", *_READ_DIR),
              ("Group.ReadWrite.All", "Directory.ReadWrite.All")),
    "member": (("Group.Read.All", "Group.ReadWrite.All", "GroupMember.Read.All", "GroupMember.ReadWrite.All", *_READ_DIR),
               ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")),
    "application": (("Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", *_READ_DIR),
                    ("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy")),
    "appRoleAssignment": (("AppRoleAssignment.ReadWrite.All", "Application.Read.All", "Application.ReadWrite.All",
                           *_READ_DIR),
                          ("AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "Directory.ReadWrite.All")),
    "directory": (_READ_DIR + ("User.Read.All", "User.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All"),
                  ("Directory.ReadWrite.All", "User.ReadWrite.All", "Group.ReadWrite.All")),
    "synchronization": (("Synchronization.Read.All", "Synchronization.ReadWrite.All", "Application.ReadWrite.OwnedBy"),
                        ("Synchronization.ReadWrite.All", "Application.ReadWrite.OwnedBy")),
    "auditLog": (("AuditLog.Read.All", "Directory.Read.All"), ()),
}


#: The ``aud`` values Graph accepts (its resource URI, with or without the slash, and its app id).
GRAPH_AUDIENCES = frozenset({"https://graph.microsoft.com", "https://graph.microsoft.com/", GRAPH_APP_ID})


def _timestamp(value: Any) -> TypeGuard[int]:
    # 253402300799 is 9999-12-31T23:59:59Z, the last second datetime can hold
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 253402300799


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return b64url_decode(text)  # strict: "<signature>!!" is not the signature


@dataclass(frozen=True)
class GraphClient:
    """An app registration allowed to call Graph (``tenant.clients[]`` in the fixture)."""

    client_id: str
    client_secret: str
    app_id: str
    display_name: str
    roles: tuple[str, ...]

    @classmethod
    def from_fixture(cls, entry: Mapping[str, Any]) -> GraphClient:
        return cls(client_id=str(entry["clientId"]), client_secret=str(entry.get("clientSecret") or ""),
                   app_id=str(entry.get("appId") or entry["clientId"]),
                   display_name=str(entry.get("displayName") or entry["clientId"]),
                   roles=tuple(entry.get("roles") or ()))

    def allows(self, area: str, write: bool) -> bool:
        read_roles, write_roles = PERMISSIONS[area]
        wanted = write_roles if write else read_roles + write_roles
        return any(r in wanted for r in self.roles)


@dataclass(frozen=True)
class AccessToken:
    """A verified token's claims."""

    app_id: str
    tenant_id: str
    roles: tuple[str, ...]
    expires: datetime
    audience: str
    claims: dict


class TokenIssuer:
    """Issues and verifies the tenant's access tokens."""

    def __init__(self, *, seed: int, tenant_id: str, clock, ids, signing_key: bytes | None = None,
                 known_app: Callable[[str], bool] | None = None) -> None:
        self.tenant_id = tenant_id
        self.clock = clock
        self.ids = ids
        self.known_app = known_app
        if signing_key:
            self._key = hmac.new(signing_key, f"provsim-entra:{tenant_id}".encode(), hashlib.sha256).digest()
        else:
            self._key = hashlib.sha256(f"provsim-entra:{seed}:{tenant_id}".encode()).digest()

    def issue(self, client: GraphClient, *, resource: str = "https://graph.microsoft.com",
              lifetime: int = TOKEN_LIFETIME) -> tuple[str, int]:
        now = int(self.clock.now().timestamp())
        header = {"typ": "JWT", "alg": "HS256", "kid": "provsim"}
        claims = {
            "aud": resource, "iss": f"https://sts.windows.net/{self.tenant_id}/", "iat": now, "nbf": now,
            "exp": now + lifetime, "app_displayname": client.display_name, "appid": client.app_id, "appidacr": "1",
            "idp": f"https://sts.windows.net/{self.tenant_id}/", "idtyp": "app", "oid": client.app_id,
            "roles": list(client.roles), "sub": client.app_id, "tid": self.tenant_id, "uti": self.ids.token(16),
            "ver": "1.0",
        }
        signing_input = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + _b64(
            json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}", lifetime

    def verify(self, authorization: str | None) -> AccessToken:
        """Check an ``Authorization`` header; raises :class:`InvalidAuthenticationToken` like Graph."""
        if not authorization or not authorization.strip():
            raise InvalidAuthenticationToken("Access token is empty.")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidAuthenticationToken("Access token is empty.")
        if token.count(".") != 2:
            raise InvalidAuthenticationToken("IDX14100: JWT is not well formed, there are no dots (.).")
        signing_input, _, signature = token.rpartition(".")
        expected = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        try:
            valid = hmac.compare_digest(_unb64(signature), expected)
            claims = json.loads(_unb64(signing_input.split(".")[1]))
        except (ValueError, TypeError) as err:
            raise InvalidAuthenticationToken("Invalid JWT token. The token is malformed.") from err
        if not valid or not isinstance(claims, dict):
            raise InvalidAuthenticationToken("Access token validation failure. Invalid signature.")
        if claims.get("aud") not in GRAPH_AUDIENCES:
            raise InvalidAuthenticationToken("Access token validation failure. Invalid audience.")
        if claims.get("tid") != self.tenant_id:
            raise InvalidAuthenticationToken("Access token validation failure. Invalid audience.")
        exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat"))
        if not _timestamp(exp) or (nbf is not None and not _timestamp(nbf)):
            raise InvalidAuthenticationToken("Lifetime validation failed. The token is missing an Expiration Time.")
        now = self.clock.now()
        expires = datetime.fromtimestamp(int(exp), now.tzinfo)
        if now >= expires:
            raise InvalidAuthenticationToken("Lifetime validation failed, the token is expired.")
        if nbf is not None and int(nbf) > now.timestamp() + 300:  # Entra allows five minutes of clock skew
            raise InvalidAuthenticationToken("Lifetime validation failed, the token is not yet valid.")
        app_id = claims.get("appid")
        if not isinstance(app_id, str) or (self.known_app is not None and not self.known_app(app_id)):
            raise InvalidAuthenticationToken("Access token validation failure. The application is not known to the "
                                             "tenant.")
        roles = claims.get("roles") or ()
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise InvalidAuthenticationToken("Invalid JWT token. The token is malformed.")
        return AccessToken(app_id=app_id, tenant_id=claims["tid"], roles=tuple(roles),
                           expires=expires, audience=claims.get("aud", ""), claims=claims)

    def expires_after(self, seconds: int = TOKEN_LIFETIME) -> datetime:
        return self.clock.now() + timedelta(seconds=seconds)
