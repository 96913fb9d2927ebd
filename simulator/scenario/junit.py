"""JUnit XML for CI (``provsim scenario run NAME --junit FILE``): one testcase per ``expect`` step.

The shape Jenkins, GitLab and pytest's own junitxml use (Ant's)::

    <testsuites name="provsim scenarios" tests= failures= errors= skipped= time="0">
      <testsuite name=SCENARIO ...>
        <properties> tenant, seed, virtual start and end </properties>
        <testcase classname="provsim.scenario.SCENARIO" name="step 5: What Genesys has now" time="0">
          <failure message=... type="ExpectationFailed">one problem a line</failure>      (a check did not hold)
          <system-out>expect genesys_users: ok ...</system-out>

A step that could not be carried out (a Graph call refused, ...) is a testcase with
``<error>``, and the ``expect`` steps after it are ``<skipped>``; an invalid file is one
testcase with ``<error>`` listing every problem.  Every ``time`` is 0: an expectation takes
no virtual time, and wall time would make two runs differ (the virtual start and end are
properties).  Same scenario and seed, same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from .errors import Problem
from .runner import ScenarioResult, StepOutcome

__all__ = ["render_junit", "render_invalid_junit"]

# XML 1.0 cannot carry most control characters, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("?", value)


def _case_name(index: int, title: str | None, verb: str) -> str:
    return f"step {index}: {title or verb.replace('_', ' ')}"


def _suite(root: ET.Element, name: str, properties: Iterable[tuple[str, str]]) -> ET.Element:
    suite = ET.SubElement(root, "testsuite", {"name": name, "tests": "0", "failures": "0", "errors": "0",
                                              "skipped": "0", "time": "0"})
    properties = list(properties)
    if properties:
        props = ET.SubElement(suite, "properties")
        for key, value in properties:
            ET.SubElement(props, "property", {"name": key, "value": _text(value)})
    return suite


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", {"classname": classname, "name": _text(name), "time": "0"})


def _result(case: ET.Element, tag: str, kind: str, problems: list[str]) -> None:
    element = ET.SubElement(case, tag, {"message": _text("; ".join(problems)), "type": kind})
    element.text = _text("\n".join(problems))


def _serialize(root: ET.Element) -> str:
    for suite in [root, *root.iter("testsuite")]:
        cases = list(suite.iter("testcase"))
        for tag, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            suite.set(attr, str(sum(1 for c in cases if c.find(tag) is not None)))
        suite.set("tests", str(len(cases)))
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _root() -> ET.Element:
    return ET.Element("testsuites", {"name": "provsim scenarios", "tests": "0", "failures": "0", "errors": "0",
                                     "skipped": "0", "time": "0"})


def render_junit(result: ScenarioResult) -> str:
    s = result.scenario
    classname = f"provsim.scenario.{s.name}"
    root = _root()
    suite = _suite(root, s.name, [("tenant", s.tenant), ("seed", str(s.seed)),
                                  ("virtualStart", result.started), ("virtualEnd", result.ended)])
    outcome: StepOutcome
    for outcome in result.outcomes:
        step = outcome.step
        if step.verb != "expect" and outcome.failure != "error":
            continue
        case = _case(suite, classname, _case_name(step.index, step.title, step.verb))
        if outcome.failure == "failed":
            _result(case, "failure", "ExpectationFailed", outcome.problems)
        elif outcome.failure == "error":
            _result(case, "error", "StepFailed", outcome.problems)
        if outcome.lines:
            ET.SubElement(case, "system-out").text = _text("\n".join(outcome.lines))
    for step in result.not_run:
        if step.verb == "expect":
            case = _case(suite, classname, _case_name(step.index, step.title, step.verb))
            ET.SubElement(case, "skipped", {"message": f"not run: step {result.outcomes[-1].step.index} could not be carried out"})
    return _serialize(root)


def render_invalid_junit(name: str, problems: list[Problem]) -> str:
    """The JUnit of a scenario file that could not run: one testcase, its error listing every problem."""
    root = _root()
    suite = _suite(root, name, [])
    case = _case(suite, f"provsim.scenario.{name}", "scenario file")
    _result(case, "error", "ScenarioInvalid", [str(p) for p in problems])
    return _serialize(root)
