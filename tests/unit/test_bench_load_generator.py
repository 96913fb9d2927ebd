"""benchmarks/scim_http.py's raw-socket load generator reads every kind of answer whole, and never
reports a rate over requests it did not finish (a client thread that died used to end silently)."""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
from pathlib import Path

import pytest
from flask import Flask, Response, request

from simulator.http.server import HttpServer, ServerKind

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("scim_http_bench", ROOT / "benchmarks" / "scim_http.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return module


@pytest.fixture(scope="module")
def served():
    app = Flask("answers")
    seen: list[dict] = []

    @app.route("/json", methods=["GET", "PATCH"])
    def as_json():
        seen.append({"method": request.method, "args": dict(request.args), "body": request.get_json(silent=True)})
        return {"ok": True, "n": len(seen)}

    @app.patch("/nothing")
    def nothing():  # as scim2-server answers a PATCH: 204, no length, so waitress says Connection: close
        resp = Response(status=204)
        resp.headers.pop("Content-Length", None)
        return resp

    @app.get("/streamed")
    def streamed():
        return Response((f"part {i}\n" for i in range(3)), mimetype="text/plain")  # chunked: no length known

    @app.get("/broken")
    def broken():
        return {"error": "no"}, 500

    server = HttpServer(app, "127.0.0.1", 0, kind=ServerKind.WAITRESS, threads=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}", seen
    server.shutdown()
    thread.join(timeout=10)


def _load(bench, url: str, requests: list[tuple], headers: dict | None = None) -> list:
    failed: list = []
    bench._raw_load(url, bench._raw_requests(url, requests, headers or {}), failed)
    return failed


def test_every_kind_of_answer_is_read_whole_on_one_connection(bench, served) -> None:
    url, seen = served
    before = len(seen)
    requests = [("GET", "/json", {"filter": 'userName eq "a b@c.d"'}, None), ("PATCH", "/nothing", None, {"x": 1}),
                ("GET", "/streamed", None, None), ("PATCH", "/json", None, {"title": "Agent"}),
                ("PATCH", "/nothing", None, {}), ("GET", "/json", None, None)]
    assert _load(bench, url, requests, {"Authorization": "Bearer t"}) == []
    assert seen[before:] == [{"method": "GET", "args": {"filter": 'userName eq "a b@c.d"'}, "body": None},
                             {"method": "PATCH", "args": {}, "body": {"title": "Agent"}},
                             {"method": "GET", "args": {}, "body": None}]


def test_an_error_answer_is_a_failure_and_the_run_goes_on(bench, served) -> None:
    url, _ = served
    failed = _load(bench, url, [("GET", "/broken", None, None), ("GET", "/json", None, None)])
    assert len(failed) == 1 and failed[0][0] == 500 and json.loads(failed[0][1]) == {"error": "no"}


def test_a_client_that_cannot_go_on_is_reported_not_silent(bench) -> None:
    failed = _load(bench, "http://127.0.0.1:9", [("GET", "/json", None, None)])  # nothing listens on port 9
    assert failed and failed[0][0] == "client error"
