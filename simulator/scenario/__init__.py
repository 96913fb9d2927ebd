"""Scenarios: scripted provisioning stories, their expectations and reports."""

from .model import Scenario, ScenarioError, Step, list_scenarios, load_scenario
from .runner import ScenarioResult, ScenarioRunner

__all__ = ["Scenario", "ScenarioError", "ScenarioResult", "ScenarioRunner", "Step", "list_scenarios", "load_scenario"]
