"""``import simulator``: the names users need, each typed and documented; the package ships ``py.typed``."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import simulator

REPO = Path(__file__).resolve().parents[2]

PUBLIC = ["create_app", "ProvsimConfig", "InProcessTransport", "ProvsimClient", "run_scenario", "ScenarioResult", "intercept",
          "Runtime", "FaultRule", "ProvsimError"]


def test_all_is_exactly_the_public_names():
    assert isinstance(simulator.__all__, list) and all(isinstance(n, str) for n in simulator.__all__)
    assert sorted(simulator.__all__) == sorted(PUBLIC)
    assert len(set(simulator.__all__)) == len(simulator.__all__)


@pytest.mark.parametrize("name", PUBLIC)
def test_each_name_resolves_is_documented_and_in_the_package_doc(name):
    value = getattr(simulator, name)
    assert value.__module__ == "simulator" or value.__module__.startswith("simulator.")
    assert (inspect.getdoc(value) or "").strip(), f"{name} has no docstring"
    assert f"{name}`" in (simulator.__doc__ or ""), f"simulator's docstring does not present {name}"


def _own_callable(value):
    """What a user calls: the function itself, or the class's own ``__init__`` (dataclasses included)."""
    if not inspect.isclass(value):
        return value
    init = value.__dict__.get("__init__")
    return init if init is not None else None


@pytest.mark.parametrize("name", PUBLIC)
def test_each_callable_is_fully_annotated(name):
    value = getattr(simulator, name)
    target = _own_callable(value)
    if target is None:  # an exception class with Exception's own __init__
        assert issubclass(value, Exception)
        return
    signature = inspect.signature(target)
    untyped = [p.name for p in signature.parameters.values()
               if p.name != "self" and p.annotation is inspect.Parameter.empty]
    assert not untyped, f"{name}: parameters without a type: {untyped}"
    assert signature.return_annotation is not inspect.Signature.empty, f"{name}: no return type"


def test_unknown_names_raise_attribute_error_and_dir_lists_the_public_names():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        simulator.nope  # noqa: B018
    assert set(PUBLIC) <= set(dir(simulator))


def test_importing_simulator_loads_neither_flask_nor_the_exports():
    code = ("import sys, simulator; import simulator.engine; "
            "print(sorted(m for m in ('flask', 'simulator.app', 'simulator.client', 'simulator.scenario', 'simulator.interception') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_the_package_ships_py_typed_and_names_it_as_package_data():
    import tomllib

    assert (Path(simulator.__file__).parent / "py.typed").is_file()
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "py.typed" in data["tool"]["setuptools"]["package-data"]["simulator"]


def test_run_scenario_runs_a_story_by_path_with_a_typed_result(tmp_path):
    story = tmp_path / "tiny.yaml"
    story.write_text("name: tiny\ntenant: contoso\nseed: 3\nsteps:\n"
                     "  - genesys_token: {}\n"
                     "  - configure: {scope: assigned}\n"
                     "  - start: {}\n"
                     "  - advance: PT40M\n"
                     "  - expect: {genesys_users: {active: 23, inactive: 0}}\n")
    result = simulator.run_scenario(story)
    assert isinstance(result, simulator.ScenarioResult)
    assert result.ok, result.failures
    assert result.scenario.name == "tiny" and len(result.outcomes) == 5
    assert sum(1 for u in result.genesys_users if u.get("active")) == 23


def test_run_scenario_refuses_an_invalid_story_before_running(tmp_path):
    from simulator.scenario import ScenarioInvalid

    story = tmp_path / "bad.yaml"
    story.write_text("name: bad\ntenant: contoso\nsteps:\n  - advance: 40\n")
    with pytest.raises(ScenarioInvalid, match=r"bad\.yaml:4:14: step 1 \(advance\)"):
        simulator.run_scenario(str(story))
