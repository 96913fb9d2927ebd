"""Throttling, outages, the accidental-deletion guard and notification delivery."""

from collections import Counter
from datetime import timedelta

from failure_story import Story, at


def test_429_storm_honours_retry_after_sends_nothing_early_and_loses_nothing(started):
    story = started
    story.fault(method="PATCH", path="/api/v2/scim/v2/users/*", status=429, headers={"Retry-After": "120"}, times=4,
                note="Genesys throttling")
    for key in ("alex", "lidia", "diego"):
        story.graph("PATCH", f"/users/{story.user_id(key)}", {"jobTitle": "Account Director"})
    story.advance("PT40M")
    patches = story.scim_traffic("PATCH", "/Users/")
    throttled = [i for i, e in enumerate(patches) if e["status"] == 429]
    assert len(throttled) == 4
    for i in throttled:  # the request after each 429 waited the full Retry-After (virtual seconds)
        assert at(patches[i + 1]["at"]) - at(patches[i]["at"]) >= timedelta(seconds=120)
    assert story.logs(status="failure") == [] and story.escrows() == []
    for name in ("alex.wilber", "lidia.holloway", "diego.siciliani"):
        assert story.user_named(f"{name}@contoso.com")["title"] == "Account Director"


def test_genesys_rate_limit_is_waited_out_within_the_initial_cycle(story):
    story.runtime.services["purecloud"].limiter.limit = 20  # the org's 300/min, scaled to the demo tenant
    story.service.latency = 0  # requests back to back: the limit is hit
    story.configure(scope="assigned")
    story.start()
    story.advance("PT1M")
    traffic = story.scim_traffic(path_part="/api/v2/scim/")  # /oauth/token is not rate limited
    assert any(e["status"] == 429 for e in traffic)
    accepted = [at(e["at"]) for e in traffic if e["status"] != 429]
    for i, t in enumerate(accepted):  # never more than 20 accepted in any 60 s window
        assert sum(1 for u in accepted[i:] if u - t < timedelta(seconds=60)) <= 20
    assert story.status()["code"] == "Active"
    assert sum(1 for u in story.genesys_users() if u["active"]) == 23


def test_outage_in_the_middle_of_the_initial_cycle_leaves_no_duplicates_after_recovery(story):
    story.configure(scope="assigned")
    # After 12 calls, Genesys processes requests but the answers are lost (dropped connections), then it is down.
    story.fault(path="/api/v2/scim/v2/*", after=12, times=3, drop="after", note="load balancer resets")
    story.fault(path="/api/v2/scim/v2/*", after=15, times=8, status=503, note="Genesys outage")
    story.start()
    story.advance("PT1M")
    failed = story.logs(status="failure")
    assert failed and {e["provisioningStatusInfo"]["errorInformation"]["errorCode"] for e in failed} <= {
        "WebExceptionProtocolError", "InternalServerError"}
    # Both codes are documented as "automatically retried in 40 minutes": due with the next cycle.
    assert {e["nextRetry"] for e in story.escrows()} == {"2026-01-05T09:40:00Z"}
    assert story.status()["code"] == "Active"  # a few failures among many calls: not an outage
    story.advance("PT40M")
    counts = Counter(u["userName"] for u in story.genesys_users())
    assert all(n == 1 for n in counts.values()), counts
    expected = {"nestor.wilke", "megan.bowen", "alex.wilber", "lidia.holloway", "diego.siciliani", "joni.sherman",
                "lynne.robbins", "pradeep.gupta", "isaiah.langer", "grady.archie", "henrietta.mueller", "johanna.lorenz",
                "miriam.graham", "patti.fernandez", "adele.vance", "irvin.sayers", "debra.berger", "enrico.cattaneo",
                "christie.cline", "nina.diaz", "sam.oneil", "zoe.ostergaard"}
    assert {u.split("@")[0] for u, n in counts.items()} >= expected
    assert story.escrows() == [] and story.status()["code"] == "Active"
    sales = next(g for g in story.runtime.services["purecloud"].export_state("Groups") if g["displayName"] == "Sales")
    assert len(sales["members"]) == 6


def _unassign_group(story, display_name):
    sp = story.client.service_principal_id()
    assignments = story.graph("GET", f"/servicePrincipals/{sp}/appRoleAssignedTo").json()["value"]
    target = next(a for a in assignments if a["principalDisplayName"] == display_name)
    story.graph("DELETE", f"/servicePrincipals/{sp}/appRoleAssignedTo/{target['id']}")


def test_accidental_deletion_guard_stages_deletes_until_force_deletes(story):
    story.configure(scope="assigned", notify="identity-team@contoso.com", delete_threshold=3)
    story.start()
    story.advance("PT1M")
    _unassign_group(story, "Sales")  # six users fall out of scope at once
    story.advance("PT40M")
    status = story.status()
    assert status["code"] == "Quarantine" and status["quarantine"]["reason"] == "TooManyDeletes"
    staged = story.logs(action="stagedDelete")
    assert len(staged) == 6 and all(e["provisioningStatusInfo"]["status"] == "skipped" for e in staged)
    assert all(e["provisioningStatusInfo"]["errorInformation"]["errorCode"] == "TooManyDeletes" for e in staged)
    assert story.user_named("alex.wilber@contoso.com")["active"] is True  # nothing was disabled
    assert "TooManyDeletes" in story.outbox()[-1]["subject"]
    story.restart("ForceDeletes")
    story.advance("PT1M")
    assert story.status()["code"] == "Active"
    disabled = story.logs(action="disable", status="success")
    assert len(disabled) == 6
    assert story.user_named("alex.wilber@contoso.com")["active"] is False
    import json

    ops = [op for e in story.scim_traffic("PATCH", "/Users/") for op in json.loads(e["request"]["body"])["Operations"]
           if op.get("path") == "active"]
    assert len(ops) == 6 and all(op == {"op": "Replace", "path": "active", "value": "False"} for op in ops)


def test_below_the_threshold_deletes_flow_without_quarantine(story):
    story.configure(scope="assigned", delete_threshold=10)
    story.start()
    story.advance("PT1M")
    _unassign_group(story, "Sales")
    story.advance("PT40M")
    assert story.status()["code"] == "Active" and len(story.logs(action="disable")) == 6


def test_notification_reaches_a_real_smtp_server():
    import time

    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    import socket

    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting, so it needs a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        story = Story(extra={"smtp": f"127.0.0.1:{port}"})
        story.configure(scope="assigned", notify="oncall@contoso.com")
        story.start()
        story.advance("PT1M")
        story.http.post("/_provsim/purecloud/tokens/expire")
        story.graph("PATCH", f"/users/{story.user_id('alex')}", {"jobTitle": "x"})
        story.advance("PT40M")
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        controller.stop()
    assert len(received) == 1
    envelope = received[0]
    assert envelope.rcpt_tos == ["oncall@contoso.com"]
    text = envelope.content.decode()
    assert "Subject: Provisioning for 'PureCloud by Genesys' is in quarantine" in text
    assert "Date: Mon, 05 Jan 2026" in text and "Unauthorized" in text
    assert story.outbox()[0]["delivered"] == f"smtp://127.0.0.1:{port}"
