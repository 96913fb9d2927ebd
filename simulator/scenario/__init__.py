"""Scenarios: scripted provisioning stories, their format (a JSON Schema), expectations and reports."""

from .errors import ExpectationFailed, Problem, ScenarioError, ScenarioInvalid, StepFailed
from .model import Scenario, Step, list_scenarios, load_scenario
from .runner import ScenarioResult, ScenarioRunner

__all__ = ["Scenario", "ScenarioError", "ScenarioInvalid", "StepFailed", "ExpectationFailed", "Problem", "ScenarioResult",
           "ScenarioRunner", "Step", "list_scenarios", "load_scenario"]
