"""Regression: the engine's SCIM traffic for the demo story, against the golden cassette.

`provsim demo --record-target cassettes/demo-target.yaml` wrote the golden file; a change in what
the engine sends to Genesys (a body, an order, a path) shows up here as a readable cassette diff.
Re-record it on purpose when the change is intended.
"""

from pathlib import Path

from simulator.cli import cli as provsim
from simulator.proxy.cli import cassette

GOLDEN = Path(__file__).resolve().parents[2] / "cassettes" / "demo-target.yaml"


def test_demo_target_traffic_matches_the_golden_cassette(cli, tmp_path):
    recorded = tmp_path / "demo-target.yaml"
    result = cli.invoke(provsim, ["demo", "--no-progress", "--record-target", str(recorded)])
    assert result.exit_code == 0, result.output
    if recorded.read_bytes() != GOLDEN.read_bytes():
        diff = cli.invoke(cassette, ["diff", str(GOLDEN), str(recorded)])
        raise AssertionError("the engine's SCIM traffic changed:\n" + diff.output)


def test_golden_cassette_holds_no_secret(cli):
    text = GOLDEN.read_text()
    assert "provsim-purecloud-secret" not in text
    assert "Bearer " not in text
    check = cli.invoke(cassette, ["check", str(GOLDEN)])
    assert check.exit_code == 0, check.output
