"""The failure stories: library stories run once per module (helpers in told.py)."""

from __future__ import annotations

import pytest
from told import Told

from simulator.app import scenario_runner
from simulator.scenario.model import load_scenario
from simulator.scenario.runner import TargetTape


@pytest.fixture(scope="module")
def story():
    """``story(name, **extra)``: the library story run once per module (with ``extra`` ProvsimConfig
    settings), every expectation held."""
    told: dict[tuple, Told] = {}

    def run(name: str, **extra) -> Told:
        key = (name, tuple(sorted(extra.items())))
        if key not in told:
            runner = scenario_runner(load_scenario(name), record_target=TargetTape(), extra=extra or None)
            result = runner.run()
            assert result.ok, "\n".join(result.failures)
            told[key] = Told(runner, result)
        return told[key]

    return run
