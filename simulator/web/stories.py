"""The Scenarios panel: a library story stepped on the served app, one step per click.

A :class:`StorySession` holds a :class:`~simulator.scenario.runner.ScenarioRunner` built on
the dashboard's own app (``ScenarioRunner(scenario, app=...)``), so each step is the same
request a ``provsim scenario run`` would send, and the page shows what it led to: the
step's lines (``expect`` says ok or FAILED per check), the cycles that ran and the
provisioning log entries written during it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from simulator.core import ProvsimError
from simulator.scenario import ScenarioError, list_scenarios, load_scenario
from simulator.scenario.model import scenario_paths
from simulator.scenario.runner import ScenarioRunner

from .plain import account, cycle_words, step_words
from .portal import ActionError, Portal

__all__ = ["StorySession", "library", "warm_library"]


#: The library as last read, keyed by every story file's path and modification time
_library: tuple[tuple[tuple[str, int], ...], list[dict]] | None = None
_library_lock = threading.Lock()
log = logging.getLogger(__name__)


def library() -> list[dict]:
    """The shipped stories: name, description, tenant and steps (titles).  Read again only when a story
    file changed: checking 34 stories takes seconds on a busy machine, and the page asks on every visit."""
    global _library
    key = tuple((str(p), p.stat().st_mtime_ns) for p in scenario_paths())
    with _library_lock:  # one reader at a time: a visit during warm_library() waits for it, never reads twice
        if _library is None or _library[0] != key:
            _library = (key, [{"name": s.name, "description": s.description, "tenant": s.tenant, "seed": s.seed,
                               "steps": len(s.steps), "generated": s.generate is not None} for s in list_scenarios()])
        return [dict(story) for story in _library[1]]


def warm_library() -> None:
    """Read the library in the background when the page is opened, so the Scenarios page finds it ready."""
    if _library is not None:
        return

    def read() -> None:
        try:
            library()
        except Exception:  # a broken story file: the Scenarios page says so when it asks; never stop the server
            log.exception("reading the story library failed")

    threading.Thread(target=read, name="provsim-story-library", daemon=True).start()


def _step_text(step: Any, args: Any = None, name_of: Any = None) -> str:
    """A step as one line: its title, or what it does in words (``args`` substituted when known)."""
    if step.title:
        return step.title
    return step_words(step.verb, step.args if args is None else args, name_of or (lambda ident: ident))


class StorySession:
    def __init__(self, portal: Portal, scenario: Any) -> None:
        self.portal = portal
        self.scenario = scenario
        self.runner = ScenarioRunner(scenario, app=portal.app)
        self.position = 0
        self.started = portal.runtime.now_iso()
        self.results: list[Any] = []  # the runner's StepOutcomes, for the report
        self.outcomes: list[dict] = []
        self.version = 1
        self.stopped = False
        self.names: dict[str, str] = {}
        self._refresh_names()

    def _refresh_names(self) -> None:
        """Object id -> display name, for steps told in words (read through Graph, like the page)."""
        obs = self.portal.observer
        names: dict[str, str] = {}
        for path in ("/users", "/groups"):
            for item in obs.graph("GET", path, params={"$select": "id,displayName", "$top": "999"}).get("value", []):
                names[str(item["id"]).lower()] = item.get("displayName") or item["id"]
        self.names = names

    def name_of(self, ident: str) -> str:
        return self.names.get(str(ident).lower(), ident)

    def text(self, step: Any) -> str:
        if step.title:
            return step.title
        try:
            args = self.runner.subst(step.args if step.args is not None else {})
        except ProvsimError:  # a ${saved} value not set yet: tell the step as written
            args = step.args
        return _step_text(step, args, self.name_of)

    @classmethod
    def load(cls, portal: Portal, name: str) -> StorySession:
        """Reset the simulator and start the story ``name`` from the library (its tenant must be this one's)."""
        try:
            scenario = load_scenario(name) if name in {s["name"] for s in library()} else None
        except ScenarioError as err:
            raise ActionError(400, "badRequest", str(err)) from err
        if scenario is None:
            raise ActionError(404, "notFound", f"no story {name!r} in the library")
        if scenario.generate is not None:
            raise ActionError(409, "otherTenant", f"the story '{scenario.name}' runs on a generated tenant "
                                                  f"({scenario.tenant}), not on the one this simulator serves: "
                                                  f"run it with provsim scenario run {scenario.name}")
        served = Path(portal.runtime.fixture.get("_path") or "").resolve()
        wanted = Path(scenario.tenant_path).resolve() if scenario.tenant_path else None
        if wanted is not None and wanted != served:
            raise ActionError(409, "otherTenant", f"the story '{scenario.name}' runs on the '{scenario.tenant}' tenant; "
                                                  f"this simulator serves '{served.stem}': start it with "
                                                  f"provsim serve --fixture {scenario.tenant}")
        if portal.story is not None:
            portal.story.close()
            portal.story = None
        portal.actor.control.reset()
        portal.observer.forget()
        portal.wire.forget()
        session = cls(portal, scenario)
        portal.story = session
        return session

    def step(self) -> dict:
        """Carry out the next step; what it led to, as the page lists it."""
        if self.position >= len(self.scenario.steps):
            raise ActionError(409, "storyOver", "the story has no steps left: load it again to replay it")
        if self.stopped:
            raise ActionError(409, "storyStopped", "the story stopped at a step that could not be carried out: "
                                                   "load it again to replay it")
        step = self.scenario.steps[self.position]
        outcome = self.runner.run_step(step)
        self.results.append(outcome)
        self.position += 1
        self.version += 1
        self.stopped = outcome.failure == "error"
        actions: dict[str, int] = {}
        for entry in outcome.entries:
            key = f"{entry.get('provisioningAction')} {((entry.get('provisioningStatusInfo') or {}).get('status'))}"
            actions[key] = actions.get(key, 0) + 1
        state = "ok" if outcome.ok else outcome.failure or "failed"
        text = self.text(step)
        self._refresh_names()
        view = {"index": step.index, "at": outcome.at, "state": state, "lines": list(outcome.lines),
                "problems": list(outcome.problems), "cycles": len(outcome.cycles),
                "entries": [{"what": k, "count": v} for k, v in sorted(actions.items())],
                "account": self._account(step, outcome, state),
                "headline": f"Step {step.index} of {len(self.scenario.steps)}: {text}: "
                            + ("done" if outcome.ok else "an expectation did not hold" if state == "failed"
                               else "could not be carried out")}
        self.outcomes.append(view)
        return view

    def report(self) -> str:
        """The steps carried out so far as ``provsim scenario run`` reports them (the same text for the same
        story and seed, once every step has run)."""
        from simulator.scenario.report import render_text

        return render_text(self.runner.result(self.results, self.started))

    @staticmethod
    def _account(step: Any, outcome: Any, state: str) -> str:
        """The step in plain words, from what it led to: the cycles that ran, their log entries, the checks."""
        parts = []
        if outcome.cycles:
            parts.append(cycle_words(outcome.cycles))
        if outcome.entries:
            parts.append(account(outcome.entries))
        elif outcome.cycles:
            parts.append("Nothing needed to change, so nothing was sent to Genesys.")
        if step.verb == "expect":
            parts.append("Every check held." if state == "ok" else
                         "A check did not hold: " + "; ".join(outcome.problems) + ".")
        elif state == "error":
            parts.append("The step could not be carried out: " + "; ".join(outcome.problems) + ".")
        return " ".join(p for p in parts if p)

    def close(self) -> None:
        self.runner.close()

    def view(self) -> dict:
        done = {o["index"]: o for o in self.outcomes}
        return {"name": self.scenario.name, "description": self.scenario.description,
                "tenant": self.scenario.tenant, "seed": self.scenario.seed, "position": self.position,
                "total": len(self.scenario.steps), "stopped": self.stopped,
                "finished": self.position >= len(self.scenario.steps),
                "steps": [{"index": s.index, "verb": s.verb, "text": self.text(s), "outcome": done.get(s.index)}
                          for s in self.scenario.steps]}
