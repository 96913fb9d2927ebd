"""A small driver for failure stories: the demo tenant, a job, faults, and virtual time.

Everything goes through the HTTP APIs a real script would use (Graph, Genesys SCIM,
/_provsim), in-process over httpx; the helpers only shorten the test code.
"""

from __future__ import annotations

from simulator.core import parse_datetime
from simulator.scenario.model import Scenario, Step
from simulator.scenario.runner import ScenarioRunner, StepOutcome


class Story:
    def __init__(self, *, extra: dict | None = None) -> None:
        scenario = Scenario(name="failure story", description="", tenant="contoso", seed=0, steps=[Step("say", "-")])
        self.runner = ScenarioRunner(scenario, extra=extra)
        self.runtime = self.runner.runtime
        self.http = self.runner.http
        self.service = self.runtime.services["provisioning"]

    # -- setup
    def configure(self, **args) -> "Story":
        self.runner.do_genesys_token(Step("genesys_token", {}), StepOutcome(Step("x", {}), ""))
        self.runner.do_configure(Step("configure", args), StepOutcome(Step("x", {}), ""))
        return self

    @property
    def job_id(self) -> str:
        return self.runner.job_id

    def sync(self, suffix: str) -> str:
        return self.runner._sync(suffix)

    def settings(self, **values) -> None:
        self.graph("PATCH", self.sync(f"/jobs/{self.job_id}"),
                   {"synchronizationJobSettings": [{"name": k, "value": str(v)} for k, v in values.items()]})

    def start(self) -> None:
        self.graph("POST", self.sync(f"/jobs/{self.job_id}/start"))

    def restart(self, reset_scope=None) -> None:
        body = {"criteria": {"resetScope": reset_scope}} if reset_scope is not None else {}
        self.graph("POST", self.sync(f"/jobs/{self.job_id}/restart"), body)

    # -- calls
    def graph(self, method, path, body=None, ok=(200, 201, 204)):
        return self.runner.graph(method, path, body, ok=ok)

    def genesys(self, method, path, body=None, ok=(200, 201, 204)):
        return self.runner.genesys(method, path, body, ok=ok)

    def user_id(self, key: str) -> str:
        return self.runner._lookup("user", key)

    def group_id(self, key: str) -> str:
        return self.runner._lookup("group", key)

    def fault(self, **rule) -> dict:
        resp = self.http.post("/_provsim/faults", json=rule)
        assert resp.status_code == 201, resp.text
        return resp.json()

    def clear_faults(self) -> None:
        self.http.delete("/_provsim/faults")

    def advance(self, duration: str) -> list[dict]:
        resp = self.http.post("/_provsim/clock/advance", json={"duration": duration})
        assert resp.status_code == 200, resp.text
        return [r for r in resp.json()["ran"] if r.get("jobId")]

    @property
    def now(self):
        return self.runtime.clock.now()

    # -- what a user looks at
    def status(self) -> dict:
        return self.graph("GET", self.sync(f"/jobs/{self.job_id}")).json()["status"]

    def schedule(self) -> dict:
        return self.graph("GET", self.sync(f"/jobs/{self.job_id}")).json()["schedule"]

    def logs(self, **match) -> list[dict]:
        out = []
        for e in self.service.logs():
            if "action" in match and e["provisioningAction"] != match["action"]:
                continue
            if "status" in match and e["provisioningStatusInfo"]["status"] != match["status"]:
                continue
            if "error" in match and (e["provisioningStatusInfo"].get("errorInformation") or {}).get("errorCode") != match["error"]:
                continue
            out.append(e)
        return out

    def genesys_users(self) -> list[dict]:
        return self.runtime.services["purecloud"].export_state("Users")

    def user_named(self, user_name: str) -> dict | None:
        return next((u for u in self.genesys_users() if u["userName"] == user_name), None)

    def scim_traffic(self, method: str | None = None, path_part: str = "") -> list[dict]:
        return [e for e in self.runtime.traffic.entries(surface="purecloud")
                if (method is None or e["method"] == method) and path_part in e["path"]]

    def escrows(self) -> list[dict]:
        from simulator.engine.escrow import EscrowBook

        return EscrowBook(self.runtime.store, self.runtime.clock, self.job_id).entries()

    def outbox(self) -> list[dict]:
        return self.service.outbox.messages()


def at(iso: str):
    return parse_datetime(iso)
