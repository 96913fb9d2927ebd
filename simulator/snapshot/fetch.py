"""Reading a tenant the way the real APIs page and throttle.

* Graph collections: ``$top=999`` and every ``@odata.nextLink`` followed as given.
* Genesys SCIM collections: ``startIndex``/``count`` (25 a page: Genesys warns that more
  "may exceed internal resource limits and return a 429") until ``totalResults``.
* 429 (and 503) answers are waited out for their ``Retry-After`` (seconds or an HTTP date),
  or with a growing back-off when they carry none, up to :attr:`Fetcher.max_retries` times.
* An expired Graph token (401) is fetched again once.

Secrets go only into the Authorization headers and token requests; nothing here logs a
request.  ``progress(what, count)`` is called as items arrive (the CLI draws it on a terminal).
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from simulator.client import login
from simulator.core import ProvsimError

__all__ = ["Fetcher", "Source", "SnapshotError", "GRAPH_PAGE", "SCIM_PAGE"]

GRAPH_PAGE = 999
SCIM_PAGE = 25


class SnapshotError(ProvsimError):
    """A snapshot that cannot be taken: a refused login, a missing permission, an unreachable API."""


#: Which permission each Graph area needs, for the message of a 403 (docs/snapshot.md).
_GRAPH_PERMISSION = {
    "/servicePrincipals": "Application.Read.All",
    "/appRoleAssignedTo": "Application.Read.All",
    "/synchronization": "Synchronization.Read.All",
    "/users": "User.Read.All",
    "/groups": "GroupMember.Read.All",
}


def _retry_after(resp: httpx.Response, attempt: int) -> float:
    raw = resp.headers.get("Retry-After", "").strip()
    if raw.isdigit():
        return float(raw)
    if raw:
        try:
            when = email.utils.parsedate_to_datetime(raw)
            sent = email.utils.parsedate_to_datetime(resp.headers.get("Date", raw))
            return max(0.0, (when - sent).total_seconds())
        except (TypeError, ValueError):
            pass
    return float(min(60, 2 ** attempt))


@dataclass(frozen=True)
class Source:
    """Where the tenant is and who reads it (the user's own app registration and Genesys client)."""

    tenant: str
    client_id: str
    client_secret: str = field(repr=False)
    graph_url: str = "https://graph.microsoft.com"
    login_url: str = "https://login.microsoftonline.com"
    genesys_url: str = "https://api.mypurecloud.com"
    genesys_login_url: str = "https://login.mypurecloud.com"
    genesys_client_id: str | None = None
    genesys_client_secret: str | None = field(default=None, repr=False)


@dataclass
class Fetcher:
    """GETs with paging, throttling and token refresh over one ``httpx.Client``."""

    http: httpx.Client
    source: Source
    sleep: Callable[[float], None] = time.sleep
    progress: Callable[[str, int], None] | None = None
    max_retries: int = 8
    #: Retry-After waits taken (seconds), in order: what a test checks.
    waits: list[float] = field(default_factory=list)
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def tenant(self) -> str:
        return self.source.tenant

    # ------------------------------------------------------------------ transport
    def _get(self, url: str, params: dict[str, str] | None, token: Callable[[bool], str], what: str) -> Any:
        refreshed = False
        for attempt in range(self.max_retries + 1):
            try:
                resp = self.http.get(url, params=params, headers={"Authorization": f"Bearer {token(False)}"})
            except httpx.TransportError as err:
                raise SnapshotError(f"cannot reach {url.split('?')[0]} ({err.__class__.__name__}: {err})") from err
            if resp.status_code in (429, 503) and attempt < self.max_retries:
                wait = _retry_after(resp, attempt)
                self.waits.append(wait)
                self.sleep(wait)
                continue
            if resp.status_code == 401 and not refreshed:
                refreshed = True
                token(True)
                continue
            if resp.status_code != 200:
                raise SnapshotError(self._refusal(what, url, resp))
            try:
                return resp.json()
            except ValueError as err:
                raise SnapshotError(f"{what}: {url.split('?')[0]} did not answer JSON") from err
        raise SnapshotError(f"{what}: still throttled after {self.max_retries} retries")  # pragma: no cover

    @staticmethod
    def _refusal(what: str, url: str, resp: httpx.Response) -> str:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            detail = f"{error.get('code')}: {error.get('message')}"
        elif isinstance(body, dict) and ("detail" in body or "message" in body):
            detail = str(body.get("detail") or body.get("message"))
        else:
            detail = resp.text[:200]
        hint = ""
        if resp.status_code == 403:
            path = httpx.URL(url).path
            needed = [perm for part, perm in _GRAPH_PERMISSION.items() if part in path]
            if "/api/v2/scim" in path:
                hint = " (the Genesys OAuth client's role needs directory:user:view and directory:group:edit)"
            elif needed:
                hint = f" (the app needs the {needed[-1]} application permission)"
        return f"{what}: {resp.status_code} from {url.split('?')[0]}: {detail}{hint}"

    # ------------------------------------------------------------------ logins
    def _login(self, kind: str, fresh: bool) -> str:
        """A token of the Entra login (``graph``) or the Genesys login (``genesys``), fetched once or ``fresh``."""
        src = self.source
        if kind not in self._tokens or fresh:
            where = src.login_url if kind == "graph" else src.genesys_login_url
            try:
                if kind == "graph":
                    answer = login.graph_token(self.http, src.tenant, src.client_id, src.client_secret, base=where)
                else:
                    answer = login.genesys_token(self.http, src.genesys_client_id or "", src.genesys_client_secret or "",
                                                 base=where)
            except login.LoginFailed as err:
                who = f"Entra login for tenant {src.tenant}" if kind == "graph" else f"Genesys login at {where}"
                raise SnapshotError(f"{who} failed ({err.status}): {err.detail}") from err
            except httpx.TransportError as err:
                raise SnapshotError(f"cannot reach the {'Entra' if kind == 'graph' else 'Genesys'} login at {where}: "
                                    f"{err}") from err
            self._tokens[kind] = answer["access_token"]
        return self._tokens[kind]

    def _graph(self, fresh: bool) -> str:
        return self._login("graph", fresh)

    def _genesys(self, fresh: bool) -> str:
        return self._login("genesys", fresh)

    # ------------------------------------------------------------------ Graph
    def graph(self, path: str, params: dict[str, str] | None = None, *, what: str = "") -> Any:
        return self._get(f"{self.source.graph_url.rstrip('/')}/v1.0{path}", params, self._graph, what or f"GET {path}")

    def graph_all(self, path: str, params: dict[str, str] | None = None, *, what: str = "") -> list[dict[str, Any]]:
        """Every item of a Graph collection: ``$top=999``, then each ``@odata.nextLink``."""
        label = what or path
        data = self.graph(path, {"$top": str(GRAPH_PAGE), **(params or {})}, what=f"reading {label}")
        items = list(data.get("value") or [])
        self._report(label, len(items))
        while data.get("@odata.nextLink"):
            data = self._get(str(data["@odata.nextLink"]), None, self._graph, f"reading {label}")
            items.extend(data.get("value") or [])
            self._report(label, len(items))
        return items

    # ------------------------------------------------------------------ Genesys SCIM
    def scim_all(self, path: str, *, what: str = "") -> list[dict[str, Any]]:
        """Every resource of a SCIM collection under the Genesys API, ``startIndex``/``count`` paged."""
        label = what or path
        url = f"{self.source.genesys_url.rstrip('/')}{path}"
        items: list[dict[str, Any]] = []
        start = 1
        while True:
            data = self._get(url, {"startIndex": str(start), "count": str(SCIM_PAGE)}, self._genesys,
                             f"reading Genesys {label}")
            page = list(data.get("Resources") or [])
            items.extend(page)
            self._report(f"Genesys {label}", len(items))
            total = int(data.get("totalResults") or 0)
            if not page or len(items) >= total:
                return items
            start += len(page)

    def _report(self, what: str, count: int) -> None:
        if self.progress is not None:
            self.progress(what, count)
