"""Throttling, Genesys' own rate limit, the accidental-deletion guard and notification delivery, on top
of the library stories throttling-storm, mass-deletion and token-invalid-revoked."""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta

from told import at

from simulator import create_app
from simulator.client import ProvsimClient
from simulator.core import ProvsimConfig


def test_a_429_storm_honours_retry_after_sends_nothing_early_and_loses_nothing(story):
    told = story("throttling-storm")
    patches = told.scim("PATCH", "/Users/")
    throttled = [i for i, e in enumerate(patches) if e["status"] == 429]
    assert len(throttled) == 4
    for i in throttled:  # the request after each 429 waited the full Retry-After (virtual seconds) and is the same one
        assert at(patches[i + 1]["at"]) - at(patches[i]["at"]) >= timedelta(seconds=120)
        assert patches[i + 1]["path"] == patches[i]["path"] and patches[i + 1]["request"]["body"] == patches[i]["request"]["body"]
    assert all(dict(e["response"]["headers"]).get("Retry-After") == "120" for e in patches if e["status"] == 429)


def test_genesys_rate_limit_is_waited_out_within_the_initial_cycle():
    """Genesys' own limit (not a fault rule): an org allowing 20 requests a minute and a job without the
    engine's 0.25 s pacing hit it, and wait it out. Engine internals are set here, so this is no story."""
    app = create_app(ProvsimConfig(seed=0, fixture="contoso"))
    runtime = app.extensions["provsim"]
    runtime.services["purecloud"].limiter.limit = 20
    runtime.services["provisioning"].latency = 0
    with ProvsimClient.in_process(app) as client:
        job = client.configure(start=True)
        client.advance("PT1M")
        traffic = [e for e in client.traffic(surface="purecloud") if e["path"].startswith("/api/v2/scim/")]
        assert any(e["status"] == 429 for e in traffic)
        accepted = [at(e["at"]) for e in traffic if e["status"] != 429]
        for i, t in enumerate(accepted):  # never more than 20 accepted in any 60 s window
            assert sum(1 for u in accepted[i:] if u - t < timedelta(seconds=60)) <= 20
        assert client.job(job)["status"]["code"] == "Active"
        assert sum(1 for u in runtime.services["purecloud"].export_state("Users") if u["active"]) == 23


def test_forced_deletes_disable_with_the_entra_wire_shape(story):
    told = story("mass-deletion")
    disables = [op for i in told.result.tape.interactions if i.request.method == "PATCH" and b'"path":"active"' in i.request_body
                for op in json.loads(i.request_body)["Operations"] if op.get("path") == "active"]
    assert disables == [{"op": "Replace", "path": "active", "value": "False"}] * 9
    staged = told.entries(status="skipped", error="TooManyDeletes")
    assert [e["provisioningAction"] for e in staged] == ["stagedDelete"] * 6
    assert "TooManyDeletes" in told.runner.client.outbox()[-1]["subject"]


def test_the_quarantine_notification_reaches_a_real_smtp_server(story):
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting, so it needs a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        told = story("token-invalid-revoked", smtp=f"127.0.0.1:{port}")
        deadline = time.monotonic() + 5
        while len(received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    assert len(received) == 2
    assert [e.rcpt_tos for e in received] == [["identity-team@contoso.com"]] * 2
    first = received[0].content.decode()
    assert "Subject: Provisioning for 'PureCloud by Genesys' is in quarantine" in first
    assert "Date: Mon, 05 Jan 2026" in first and "Unauthorized" in first
    assert told.runner.client.outbox()[0]["delivered"] == f"smtp://127.0.0.1:{port}"
