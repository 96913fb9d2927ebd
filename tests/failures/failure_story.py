"""A small driver for failure stories: the demo tenant, a job, faults, and virtual time.

Everything goes through the HTTP APIs a real script would use (Graph, Genesys SCIM,
/_provsim), in-process over httpx; the helpers only shorten the test code.
"""

from __future__ import annotations

from simulator import create_app
from simulator.client import ProvsimClient
from simulator.core import ProvsimConfig, parse_datetime


class Story:
    def __init__(self, *, extra: dict | None = None) -> None:
        self.app = create_app(ProvsimConfig(seed=0, fixture="contoso", extra=dict(extra or {})))
        self.runtime = self.app.extensions["provsim"]
        self.client = ProvsimClient.in_process(self.app)
        self.http = self.client.http
        self.service = self.runtime.services["provisioning"]
        self.job_id: str | None = None
        self.token: str | None = None

    # -- setup
    def configure(self, **args) -> "Story":
        self.token = self.client.genesys_token()
        self.job_id = self.client.configure(secret_token=self.token, **args)
        return self

    def sync(self, suffix: str) -> str:
        return self.client.sync_path(suffix)

    def settings(self, **values) -> None:
        self.client.set_settings(self.job_id, **values)

    def start(self) -> None:
        self.client.start(self.job_id)

    def restart(self, reset_scope=None) -> None:
        self.client.restart(self.job_id, reset_scope)

    # -- calls
    def graph(self, method, path, body=None, ok=(200, 201, 204)):
        return self.client.graph_response(method, path, body, ok=ok)

    def genesys(self, method, path, body=None, ok=(200, 201, 204)):
        return self.client.genesys_response(method, path, body, ok=ok)

    def user_id(self, key: str) -> str:
        return self.runtime.services["directory"].fixture_id(key)

    def group_id(self, key: str) -> str:
        return self.runtime.services["directory"].fixture_id(key)

    def fault(self, **rule) -> dict:
        return self.client.add_fault(**rule)

    def clear_faults(self) -> None:
        self.client.clear_faults()

    def advance(self, duration: str) -> list[dict]:
        return [r for r in self.client.advance(duration)["ran"] if r.get("jobId")]

    @property
    def now(self):
        return self.runtime.clock.now()

    # -- what a user looks at
    def status(self) -> dict:
        return self.client.job(self.job_id)["status"]

    def schedule(self) -> dict:
        return self.client.job(self.job_id)["schedule"]

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
