"""In-process recording and replay (no proxy process), and the golden cassette."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from simulator.proxy import RecordingTransport, ReplayMiss, ReplayTransport, load_interactions
from simulator.proxy.check import check_cassette

from proxy_helpers import ACCESS_TOKEN, CLIENT_SECRET, make_upstream, scim_session

GOLDEN = Path(__file__).resolve().parents[2] / "cassettes" / "proxy" / "mini-scim-session.yaml"
BASE = "https://api.mypurecloud.test"


def record_session(path: Path) -> list[httpx.Response]:
    inner = httpx.WSGITransport(app=make_upstream())
    # Fixed client headers: the golden file must not change when httpx (its User-Agent) does.
    headers = {"User-Agent": "provsim-tests", "Accept-Encoding": "identity"}
    with httpx.Client(transport=RecordingTransport(inner, path), base_url=BASE, headers=headers) as client:
        return scim_session(client)


def test_recording_transport_records_scrubbed_and_returns_real(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    live = record_session(path)
    assert live[0].json()["access_token"] == ACCESS_TOKEN
    raw = path.read_text()
    assert ACCESS_TOKEN not in raw and CLIENT_SECRET not in raw
    assert len(load_interactions(path)) == len(live)
    assert check_cassette(path).errors == []


def test_replay_transport_answers_offline_and_reports_unused(tmp_path: Path, no_network) -> None:
    path = tmp_path / "run.yaml"
    live = record_session(path)
    transport = ReplayTransport(path)
    with no_network, httpx.Client(transport=transport, base_url="https://elsewhere.test") as client:
        replayed = scim_session(client)
        with pytest.raises(ReplayMiss, match="closest"):
            client.get("/api/v2/scim/v2/Groups")
    assert [r.status_code for r in replayed] == [r.status_code for r in live]
    assert [r.content for r in replayed[1:]] == [r.content for r in live[1:]]
    assert transport.unused() == []
    partial = ReplayTransport(path)
    with no_network, httpx.Client(transport=partial, base_url=BASE) as client:
        client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert partial.unused() == list(range(1, len(live)))


def test_same_traffic_same_bytes_golden_cassette(tmp_path: Path) -> None:
    """Recording the same conversation twice, or on another machine, gives the same file."""
    path = tmp_path / "again.yaml"
    record_session(path)
    if os.environ.get("PROVSIM_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_bytes(path.read_bytes())
    assert GOLDEN.is_file(), "golden cassette missing: run with PROVSIM_UPDATE_GOLDEN=1"
    assert path.read_bytes() == GOLDEN.read_bytes()
