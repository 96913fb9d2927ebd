"""Reading like the real APIs: Graph $top=999 and nextLink, SCIM startIndex/count, 429 Retry-After,
an expired token fetched again, and refusals that name the missing permission."""

from __future__ import annotations

import json

import httpx
import pytest

from simulator.snapshot.fetch import Fetcher, SnapshotError, Source

BASE = "https://graph.test"


def fetcher(handler, **kwargs) -> tuple[Fetcher, list[float]]:
    slept: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(handler))
    source = Source(tenant="t", client_id="id", client_secret="secret", graph_url=BASE, login_url="https://login.test",
                    genesys_url="https://api.genesys.test", genesys_login_url="https://login.genesys.test",
                    genesys_client_id="g", genesys_client_secret="gs")
    fetch = Fetcher(http, source, sleep=slept.append, **kwargs)
    return fetch, slept


def token_response(request: httpx.Request) -> httpx.Response | None:
    if request.url.path.endswith("/oauth2/v2.0/token") or request.url.path == "/oauth/token":
        return httpx.Response(200, json={"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
    return None


def test_graph_pages_with_top_999_and_next_links() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = token_response(request)
        if token:
            return token
        seen.append(request.url)
        if "skiptoken" not in str(request.url):
            return httpx.Response(200, json={"value": [{"id": "1"}, {"id": "2"}],
                                             "@odata.nextLink": f"{BASE}/v1.0/users?$skiptoken=abc"})
        return httpx.Response(200, json={"value": [{"id": "3"}]})

    fetch, _ = fetcher(handler)
    assert [u["id"] for u in fetch.graph_all("/users", {"$select": "id"})] == ["1", "2", "3"]
    assert seen[0].params["$top"] == "999" and seen[0].params["$select"] == "id"
    assert str(seen[1]) == f"{BASE}/v1.0/users?$skiptoken=abc"  # the nextLink as given


def test_scim_pages_with_start_index_and_count() -> None:
    pages: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = token_response(request)
        if token:
            return token
        start, count = request.url.params["startIndex"], request.url.params["count"]
        pages.append((start, count))
        first = int(start)
        items = [{"id": str(i)} for i in range(first, min(first + 25, 61))]
        return httpx.Response(200, json={"totalResults": 60, "startIndex": first, "itemsPerPage": len(items),
                                         "Resources": items})

    fetch, _ = fetcher(handler)
    assert len(fetch.scim_all("/api/v2/scim/v2/Users")) == 60
    assert pages == [("1", "25"), ("26", "25"), ("51", "25")]


def test_429_retry_after_is_honoured_and_a_503_without_one_backs_off() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"code": "TooManyRequests"}}),
                    httpx.Response(503, json={}),
                    httpx.Response(200, json={"value": [{"id": "1"}]})])

    def handler(request: httpx.Request) -> httpx.Response:
        return token_response(request) or next(answers)

    fetch, slept = fetcher(handler)
    assert fetch.graph_all("/groups") == [{"id": "1"}]
    assert slept == [7.0, 2.0] and fetch.waits == [7.0, 2.0]  # the second: a growing back-off


def test_an_expired_token_is_fetched_again_once() -> None:
    logins = []
    answers = iter([httpx.Response(401, json={"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}),
                    httpx.Response(200, json={"value": []})])

    def handler(request: httpx.Request) -> httpx.Response:
        token = token_response(request)
        if token:
            logins.append(1)
            return token
        return next(answers)

    fetch, _ = fetcher(handler)
    assert fetch.graph_all("/users") == [] and len(logins) == 2


@pytest.mark.parametrize(("path", "permission"), [("/users", "User.Read.All"),
                                                  ("/servicePrincipals/x/synchronization/jobs", "Synchronization.Read.All"),
                                                  ("/groups/x/members", "GroupMember.Read.All")])
def test_a_refusal_names_the_missing_permission(path: str, permission: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return token_response(request) or httpx.Response(403, json={"error": {
            "code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}})

    fetch, _ = fetcher(handler)
    with pytest.raises(SnapshotError) as caught:
        fetch.graph(path)
    assert permission in str(caught.value) and "Insufficient privileges" in str(caught.value)


def test_a_failed_login_says_so_without_the_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client",
                                         "error_description": "AADSTS7000215: Invalid client secret provided."})

    fetch, _ = fetcher(handler)
    with pytest.raises(SnapshotError) as caught:
        fetch.graph("/users")
    assert "AADSTS7000215" in str(caught.value) and "secret" not in json.dumps(caught.value.args).replace(
        "client secret", "")
