"""``provsim tour``: a guided tour of the Genesys Cloud fake, in-process.

At this stage it walks the SCIM calls Entra's provisioning service makes
(token, find, create, patch, group member add) and the errors a real org
answers, printing each request and what came back.  Deterministic: same
seed, same output, byte for byte.  The engine later replaces this with the
full provisioning story.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import click

from simulator.cli import Context, emit, pass_context

__all__ = ["tour_command", "run_tour"]

SCIM = "/api/v2/scim/v2"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_SHOWN_HEADERS = ("content-type", "etag", "location", "retry-after", "allow")


@dataclass
class Step:
    title: str
    method: str
    path: str
    request_body: Any = None
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    skipped: str | None = None  # why the step was not made (the org lacks what it needs)

    def to_dict(self) -> dict[str, Any]:
        if self.skipped:
            return {"title": self.title, "skipped": self.skipped}
        return {"title": self.title, "request": {"method": self.method, "path": self.path, "body": self.request_body},
                "response": {"status": self.status, "headers": self.headers, "body": self.body}}


class _Tour:
    def __init__(self, http) -> None:
        self.http = http
        self.steps: list[Step] = []
        self.token = ""

    def call(self, title: str, method: str, path: str, *, body: Any = None, form: dict | None = None,
             auth: tuple[str, str] | None = None, token: str | None = None, params: dict | None = None) -> Any:
        headers = {}
        bearer = self.token if token is None else token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        resp = self.http.request(method, path, json=body, data=form, auth=auth, headers=headers, params=params)
        shown_path = unquote_plus(resp.request.url.raw_path.decode())
        try:
            payload = resp.json() if resp.content else None
        except ValueError:
            payload = resp.text
        step = Step(title, method, shown_path, body if body is not None else form, resp.status_code,
                    {k: v for k, v in resp.headers.items() if k.lower() in _SHOWN_HEADERS}, payload)
        self.steps.append(step)
        return payload


def run_tour(*, seed: int = 0, fixture: str = "contoso") -> list[Step]:
    """Run the tour against a fresh in-process app; returns every step."""
    import httpx

    from simulator.app import create_app
    from simulator.client.transport import InProcessTransport
    from simulator.core import ProvsimConfig

    app = create_app(ProvsimConfig(seed=seed, fixture=fixture))
    with httpx.Client(transport=InProcessTransport(app=app), base_url="http://provsim.local") as http:
        t = _Tour(http)
        tok = t.call("Get a token (client credentials, HTTP Basic)", "POST", "/oauth/token",
                     form={"grant_type": "client_credentials"},
                     auth=("provsim-purecloud-client", "provsim-purecloud-secret"), token="")
        t.token = tok["access_token"]
        t.call("Entra looks the user up by userName first", "GET", f"{SCIM}/Users",
               params={"filter": 'userName eq "alex.wilber@contoso.com"'})
        user = t.call("Not there: create it", "POST", f"{SCIM}/Users", body={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
            "userName": "alex.wilber@contoso.com", "displayName": "Alex Wilber", "active": True,
            "title": "Marketing assistant", "externalId": "alexw",
            "emails": [{"type": "work", "value": "alex.wilber@contoso.com", "primary": True}],
            "phoneNumbers": [{"type": "mobile", "value": "+14255550109"}],
            ENTERPRISE: {"department": "Marketing"}})
        t.call("Find it again (unquoted value, as in Genesys' docs)", "GET", f"{SCIM}/Users",
               params={"filter": "userName eq alex.wilber@contoso.com", "attributes": "userName,displayName"})
        t.call("Update the way Entra does: capitalised ops, filtered paths, \"False\" as a string", "PATCH",
               f"{SCIM}/Users/{user['id']}", body={"schemas": [PATCH_URN], "Operations": [
                   {"op": "Replace", "path": "title", "value": "Marketing lead"},
                   {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+14255550100"},
                   {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": "Sales"}]})
        groups = t.call("Find the Genesys group by name", "GET", f"{SCIM}/Groups",
                        params={"filter": 'displayName eq "Sales"', "excludedAttributes": "members"})
        title = "Add the user to the group (200 with the group, as Genesys documents)"
        if groups.get("Resources"):
            t.call(title, "PATCH", f"{SCIM}/Groups/{groups['Resources'][0]['id']}", body={
                "schemas": [PATCH_URN], "Operations": [
                    {"op": "Add", "path": "members", "value": [{"$ref": None, "value": user["id"]}]}]})
        else:  # the blank tenant's org starts empty; Entra never creates Genesys groups
            t.steps.append(Step(title, "PATCH", f"{SCIM}/Groups/{{id}}", skipped=(
                "this org has no group Sales (Genesys groups are created in Genesys, never over SCIM); "
                "the contoso tenant has it")))
        t.call("Disable (unassigned in Entra)", "PATCH", f"{SCIM}/Users/{user['id']}",
               body={"schemas": [PATCH_URN], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})
        t.call("Error: the same userName again", "POST", f"{SCIM}/Users",
               body={"userName": "alex.wilber@contoso.com", "displayName": "Alex again"})
        t.call("Error: an operator Genesys does not support", "GET", f"{SCIM}/Users",
               params={"filter": 'userName sw "alex"'})
        t.call("Error: a phone number that is not E.164", "PATCH", f"{SCIM}/Users/{user['id']}",
               body={"schemas": [PATCH_URN], "Operations": [
                   {"op": "Add", "path": 'phoneNumbers[type eq "home"].value', "value": "425 555 0100"}]})
        t.call("Error: groups cannot be created through SCIM", "POST", f"{SCIM}/Groups", body={"displayName": "Marketing"})
        t.call("Error: no bearer token", "GET", f"{SCIM}/Users", token="")
        t.call("Error: unknown user", "GET", f"{SCIM}/Users/00000000-0000-4000-8000-000000000000")
        t.call("Delete (hard delete in Entra after 30 days)", "DELETE", f"{SCIM}/Users/{user['id']}")
        t.call("Gone", "GET", f"{SCIM}/Users/{user['id']}")
        return t.steps


def _human(steps: list[Step]) -> str:
    lines = ["provsim tour: a tour of the Genesys Cloud SCIM fake (in-process, seed-stable)", ""]
    for n, step in enumerate(steps, 1):
        lines.append(f"{n:2}. {step.title}")
        if step.skipped:
            lines.extend([f"    (skipped: {step.skipped})", ""])
            continue
        lines.append(f"    -> {step.method} {step.path}")
        if step.request_body is not None:
            lines.append("       " + json.dumps(step.request_body, ensure_ascii=False))
        headers = "  ".join(f"{k}: {v}" for k, v in step.headers.items() if k.lower() != "content-type")
        lines.append(f"    <- {step.status}" + (f"  ({headers})" if headers else ""))
        if step.body is not None:
            text = json.dumps(step.body, indent=2, ensure_ascii=False)
            lines.extend("       " + line for line in text.splitlines())
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


@click.command("tour")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for ids and tokens.")
@click.option("--fixture", default="contoso", show_default=True, help="Tenant fixture name or path.")
@pass_context
def tour_command(ctx: Context, seed: int, fixture: str) -> None:
    """Walk through the Genesys Cloud SCIM fake: token, create, find, patch, groups, errors."""
    steps = run_tour(seed=seed, fixture=fixture)  # a fixture that does not load: the root group's readable error
    emit(ctx, {"steps": [s.to_dict() for s in steps]}, _human(steps))
