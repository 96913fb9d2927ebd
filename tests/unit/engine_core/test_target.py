"""ScimTarget: the one place where HTTP answers become provisioning outcomes."""

import json
from datetime import timedelta

import httpx
import pytest

from simulator.core import VirtualClock
from simulator.engine.target import ErrorClass, ScimTarget, TargetError


def target_for(handler, clock=None, **kw):
    clock = clock or VirtualClock()
    return ScimTarget(httpx.MockTransport(handler), "https://api.mypurecloud.com/api/v2/scim/v2", "tok",
                      sleep=clock.sleep, **kw), clock


def test_lookup_sends_entra_filter_with_quotes_escaped():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"totalResults": 0, "Resources": [], "startIndex": 1, "itemsPerPage": 0})

    target, _ = target_for(handler)
    assert target.find("/Users", "userName", 'o"neil@contoso.com') == []
    req = seen[0]
    assert req.url.path == "/api/v2/scim/v2/Users"
    assert req.url.params["filter"] == 'userName eq "o\\"neil@contoso.com"'
    assert req.headers["Authorization"] == "Bearer tok"


@pytest.mark.parametrize("status,code,klass", [
    (401, "Unauthorized", ErrorClass.QUARANTINE), (403, "InsufficientRights", ErrorClass.QUARANTINE),
    (409, "Conflict", ErrorClass.ESCROW), (400, "BadRequest", ErrorClass.ESCROW),
    (422, "UnprocessableEntity", ErrorClass.ESCROW), (405, "MethodNotAllowed", ErrorClass.ESCROW),
    (500, "InternalServerError", ErrorClass.ESCROW), (502, "InternalServerError", ErrorClass.ESCROW),
    (503, "InternalServerError", ErrorClass.ESCROW), (504, "Timeout", ErrorClass.ESCROW),
    (501, "NotImplemented", ErrorClass.ESCROW),
])
def test_http_errors_become_classified_target_errors(status, code, klass):
    target, _ = target_for(lambda r: httpx.Response(status, json={"detail": "nope", "status": str(status)}))
    with pytest.raises(TargetError) as err:
        target.create("/Users", {"userName": "a@b.c"})
    assert err.value.code == code and err.value.error_class == klass and err.value.status == status
    assert "nope" in err.value.message
    assert err.value.to_error_information().to_graph()["errorCode"] == code


def test_dropped_connection_and_timeout_are_escrow_outcomes():
    def drop(request):
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    target, _ = target_for(drop)
    with pytest.raises(TargetError) as err:
        target.get("/Users", "x")
    assert err.value.code == "WebExceptionProtocolError" and err.value.error_class == ErrorClass.ESCROW

    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    target, _ = target_for(slow)
    with pytest.raises(TargetError) as err:
        target.get("/Users", "x")
    assert err.value.code == "Timeout"


def test_429_waits_out_retry_after_on_the_virtual_clock_and_retries():
    calls = []

    def handler(request):
        calls.append(request)
        if len(calls) <= 2:
            return httpx.Response(429, headers={"Retry-After": "30"}, json={"message": "slow down"})
        return httpx.Response(201, json={"id": "u1"})

    target, clock = target_for(handler, latency=0)
    start = clock.now()
    assert target.create("/Users", {"userName": "a@b.c"}) == {"id": "u1"}
    assert len(calls) == 3 and target.throttled == 2
    assert clock.now() - start == timedelta(seconds=60)


def test_get_of_a_missing_object_is_none():
    target, _ = target_for(lambda r: httpx.Response(404, json={"status": "404", "detail": "not found"}))
    assert target.get("/Users", "gone") is None


def test_a_read_answered_without_a_scim_resource_is_not_scim():
    """A 200 whose body is not a JSON object (a login page, a list) is the incompatible-target error, as for a
    query, not a crash where the cycle first reads an attribute of it."""
    from simulator.engine.target import INCOMPATIBLE

    for answer in (httpx.Response(200, text="<html>login</html>"), httpx.Response(200, json=[{"id": "u1"}])):
        target, _ = target_for(lambda r, answer=answer: answer)
        with pytest.raises(TargetError) as err:
            target.get("/Users", "u1")
        assert err.value.code == INCOMPATIBLE and err.value.status == 200
        assert err.value.error_class == ErrorClass.ESCROW
        assert "without a SCIM resource" in err.value.message


def test_test_connection_needs_an_empty_list_response():
    target, _ = target_for(lambda r: httpx.Response(200, json={"totalResults": 0, "Resources": []}))
    target.test_connection("userName", "5f0c...")
    target, _ = target_for(lambda r: httpx.Response(401, json={"message": "Invalid login credentials.", "code": "bad.credentials", "status": 401}))
    with pytest.raises(TargetError) as err:
        target.test_connection("userName", "x")
    assert err.value.status == 401 and "Invalid login credentials" in err.value.message
    target, _ = target_for(lambda r: httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(TargetError):
        target.test_connection("userName", "x")


def test_bodies_are_sent_as_scim_json():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={})

    target, _ = target_for(handler)
    target.patch("/Users", "a/b", {"Operations": []})
    assert seen[0].url.raw_path.endswith(b"/Users/a%2Fb")
    assert seen[0].headers["Content-Type"] == "application/scim+json"
    assert json.loads(seen[0].content) == {"Operations": []}


def test_a_404_on_the_collection_or_a_query_without_a_list_response_is_not_scim():
    from simulator.engine.target import INCOMPATIBLE

    target, _ = target_for(lambda r: httpx.Response(404, text="<html>Not Found</html>"))
    with pytest.raises(TargetError) as err:
        target.find("/Users", "userName", "a@b.c")
    assert err.value.code == INCOMPATIBLE and err.value.service_failure
    target, _ = target_for(lambda r: httpx.Response(404, json={"detail": "gone"}))
    with pytest.raises(TargetError) as err:
        target.patch("/Users", "u1", {"Operations": []})
    assert err.value.code == "InvalidAnchor" and not err.value.service_failure  # one object is gone: a data error
    target, _ = target_for(lambda r: httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(TargetError) as err:
        target.find("/Groups", "displayName", "Sales")
    assert err.value.code == INCOMPATIBLE


def test_a_413_names_the_limit_the_engine_keeps_to():
    from simulator.engine.target import max_request_bytes

    target, _ = target_for(lambda r: httpx.Response(413, json={"status": "413", "detail": "Maximum bytes: 4000"}))
    with pytest.raises(TargetError) as err:
        target.patch("/Groups", "g1", {"Operations": []})
    assert err.value.code == "PayloadTooLarge" and max_request_bytes(err.value) == 4000
    target, _ = target_for(lambda r: httpx.Response(400, json={"detail": "Maximum bytes: 4000"}))
    with pytest.raises(TargetError) as err:
        target.patch("/Groups", "g1", {"Operations": []})
    assert max_request_bytes(err.value) is None
