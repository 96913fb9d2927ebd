from datetime import timedelta

import pytest

from simulator.core import IdFactory, VirtualClock, format_duration, isoformat, parse_duration
from simulator.core.ids import export_state, import_state


def test_advance_runs_due_jobs_in_time_order_at_their_own_time():
    clock = VirtualClock()
    seen = []
    start = clock.now()
    clock.schedule(start + timedelta(minutes=40), lambda now: seen.append(("cycle", now)), name="cycle")
    clock.schedule(start + timedelta(minutes=10), lambda now: seen.append(("expiry", now)), name="expiry")
    clock.schedule(start + timedelta(hours=2), lambda now: seen.append(("late", now)), name="late")
    ran = clock.advance(parse_duration("PT1H"))
    assert [name for name, _ in seen] == ["expiry", "cycle"]
    assert seen[0][1] == start + timedelta(minutes=10)
    assert seen[1][1] == start + timedelta(minutes=40)
    assert [r["job"] for r in ran] == ["expiry", "cycle"]
    assert clock.now() == start + timedelta(hours=1)


def test_a_job_can_schedule_the_next_one_inside_the_window():
    clock = VirtualClock()
    times = []

    def cycle(now):
        times.append(now)
        clock.schedule(now + timedelta(minutes=40), cycle, name="cycle")

    clock.schedule(clock.now(), cycle, name="cycle")
    clock.advance(timedelta(hours=2))
    assert [isoformat(t) for t in times] == [
        "2026-01-05T09:00:00Z", "2026-01-05T09:40:00Z", "2026-01-05T10:20:00Z", "2026-01-05T11:00:00Z"]


def test_time_never_goes_back():
    with pytest.raises(ValueError):
        VirtualClock().advance(timedelta(seconds=-1))


@pytest.mark.parametrize("text,expected", [("PT40M", timedelta(minutes=40)), ("P1DT2H", timedelta(days=1, hours=2)),
                                           ("PT0.5S", timedelta(seconds=0.5)), ("P28D", timedelta(days=28))])
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["40M", "P", "PT", "", "P1Y", "soon"])
def test_parse_duration_rejects_garbage_with_the_input_named(bad):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_format_duration_round_trips():
    assert format_duration(timedelta(minutes=40)) == "PT40M"
    assert format_duration(timedelta(days=1, hours=6)) == "P1DT6H"


def test_ids_are_valid_guids_and_repeat_per_seed_and_stream():
    import uuid

    a, b = IdFactory(7), IdFactory(7)
    ga = [a.stream("scim").guid() for _ in range(5)]
    # another stream drawing in between does not shift the scim stream
    b.stream("graph").guid()
    gb = [b.stream("scim").guid() for _ in range(5)]
    assert ga == gb
    assert all(uuid.UUID(g).version == 4 for g in ga)
    assert IdFactory(8).stream("scim").guid() != ga[0]


def test_id_state_survives_a_restart():
    a = IdFactory(3)
    [a.stream("x").guid() for _ in range(3)]
    saved = export_state(a)
    expected = a.stream("x").guid()
    b = IdFactory(3)
    import_state(b, saved)
    assert b.stream("x").guid() == expected


def test_a_failing_job_does_not_stop_the_clock_or_the_jobs_after_it():
    clock = VirtualClock()
    seen = []
    start = clock.now()

    def broken(now):
        raise RuntimeError("boom")

    clock.schedule(start + timedelta(minutes=10), broken, name="broken")
    clock.schedule(start + timedelta(minutes=20), lambda now: seen.append(now), name="after")
    ran = clock.advance(timedelta(hours=1))
    assert [r["job"] for r in ran] == ["broken", "after"] and ran[0]["error"] == "RuntimeError: boom"
    assert seen == [start + timedelta(minutes=20)] and clock.now() == start + timedelta(hours=1)
    assert list(clock.failures) == [{"at": isoformat(start + timedelta(minutes=10)), "job": "broken",
                                     "error": "RuntimeError: boom"}]
    clock.reset(start)
    assert list(clock.failures) == []


def test_reset_starts_streams_over_in_place():
    ids = IdFactory(5)
    held = ids.stream("engine")  # a service keeps its stream object
    first = [held.guid() for _ in range(3)]
    ids.reset()
    assert [held.guid() for _ in range(3)] == first
    assert IdFactory(5).stream("engine").guid() == first[0]
