from datetime import timedelta
from email import message_from_string

import pytest

from simulator.core import IdFactory, Store, VirtualClock
from simulator.engine.escrow import EscrowBook, retry_schedule
from simulator.engine.notify import Outbox, SmtpTarget
from simulator.engine.service import ProvisioningService, SyncApiError


def test_retry_schedule_is_6h_12h_24h_then_daily_until_28_days():
    clock = VirtualClock()
    t0 = clock.now()
    offsets = []
    attempt = 1
    while (due := retry_schedule(t0, attempt)) is not None:
        offsets.append(due - t0)
        attempt += 1
    assert offsets[:4] == [timedelta(hours=6), timedelta(hours=12), timedelta(hours=24), timedelta(hours=48)]
    assert offsets[-1] == timedelta(days=28)
    assert len(offsets) == 3 + 27


def test_escrow_book_due_and_prune():
    clock = VirtualClock()
    book = EscrowBook(Store(), clock, "job")
    book.put("u1", "User", "BadRequest", "boom")
    assert book.due() == [] and book.waiting("u1")
    clock.advance(timedelta(hours=6))
    assert book.due() == [("u1", "User")]
    for _ in range(29):  # attempts 2..30 are still inside 28 days
        book.put("u1", "User", "BadRequest", "boom")
    assert book.get("u1").attempts == 30 and book.pruned == 0
    book.put("u1", "User", "BadRequest", "boom")  # the 31st failure is past 28 days: pruned
    assert book.get("u1") is None and book.pruned == 1


def test_outbox_writes_a_real_rfc5322_message(tmp_path):
    clock = VirtualClock()
    outbox = Outbox(Store(), IdFactory(1), folder=tmp_path)
    msg = outbox.compose(to="ops@contoso.com", subject="Provisioning quarantined", body="Because.", at=clock.now())
    doc = outbox.send(msg, at=clock.now(), kind="quarantine")
    parsed = message_from_string((tmp_path / doc["file"].split("/")[-1]).read_text())
    assert parsed["To"] == "ops@contoso.com"
    assert parsed["Date"] == "Mon, 05 Jan 2026 09:00:00 +0000"
    assert parsed["From"].endswith("<azure-noreply@microsoft.com>")
    assert parsed.get_payload().strip() == "Because."
    assert outbox.messages()[0]["subject"] == "Provisioning quarantined"


def test_smtp_target_parsing():
    assert SmtpTarget.parse("127.0.0.1:2525") == SmtpTarget("127.0.0.1", 2525)
    with pytest.raises(ValueError):
        SmtpTarget.parse("nohost")


@pytest.mark.parametrize("raw,expected", [
    (None, {"Watermark", "Escrows", "QuarantineState"}),
    ("", {"Watermark", "Escrows", "QuarantineState"}),
    ("Watermark, Escrows", {"Watermark", "Escrows"}),
    (["ForceDeletes"], {"ForceDeletes"}),
    ("full", {"Full"}),
    ("None", set()),
])
def test_reset_scope_accepts_string_list_or_absent(raw, expected):
    assert ProvisioningService.parse_reset_scope(raw) == expected


def test_unknown_reset_scope_names_the_valid_ones():
    with pytest.raises(SyncApiError) as err:
        ProvisioningService.parse_reset_scope("Watermark,Everything")
    assert "Everything" in err.value.message and "QuarantineState" in err.value.message
