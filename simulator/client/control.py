"""``client.control``: provsim's own ``/_provsim`` control API (virtual clock, faults, traffic, outbox, tokens)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from simulator.client.base import ApiError, parsed

if TYPE_CHECKING:
    from simulator.client import ProvsimClient

__all__ = ["ControlApi"]


class ControlApi:
    """A ``/_provsim`` call is ``client.control(method, path, body)``; the rest are its common calls."""

    def __init__(self, client: ProvsimClient) -> None:
        self._c = client

    # ---- provsim control -----------------------------------------------------------------
    def __call__(self, method: str, path: str, body: Any = None, *, params: dict | None = None,
                ok: Iterable[int] = (200, 201, 204)) -> Any:
        """A ``/_provsim`` call (clock, faults, outbox, ...)."""
        return parsed(self._c._call(method, f"/_provsim{path}", body, params, {}, ok))

    def now(self) -> str:
        return self("GET", "/clock")["now"]

    def advance(self, duration: str) -> dict:
        """Move virtual time by an ISO-8601 duration; runs every cycle, retry and expiry due on the way."""
        return self("POST", "/clock/advance", {"duration": duration})

    def advance_to(self, when: str) -> dict:
        """Move virtual time to ``when`` (ISO-8601), running what falls due on the way."""
        return self("POST", "/clock/advance", {"to": when})

    def pending(self) -> list[dict]:
        """What the virtual clock will run next, in due order: ``[{"due", "job"}, ...]``."""
        return self("GET", "/clock").get("pending", [])

    def next_cycle(self, job_id: str) -> dict:
        """Move virtual time to the job's next scheduled cycle and run it (with anything due before).

        Raises :class:`ApiError` when no cycle of the job is scheduled (never started, paused,
        disabled)."""
        due = next((p["due"] for p in self.pending() if job_id in str(p.get("job", ""))), None)
        if due is None:
            raise ApiError("GET", "/_provsim/clock", 409, "NoCycleScheduled",
                           f"job {job_id} has no cycle scheduled (start it first; a paused or disabled job runs none)")
        return self.advance_to(due)

    def reset(self) -> dict:
        """Back to the fixture's first state (same seed): ``POST /_provsim/reset``."""
        self._c.forget()
        return self("POST", "/reset")

    def add_fault(self, **rule: Any) -> dict:
        return self("POST", "/faults", rule)

    def faults(self) -> list[dict]:
        return self("GET", "/faults").get("value", [])

    def remove_fault(self, rule_id: str) -> None:
        self("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> None:
        self("DELETE", "/faults")

    def traffic(self, *, surface: str | None = None, since: int = 0, until: int | None = None,
                limit: int | None = None) -> list[dict]:
        """The traffic log (scrubbed): every request the fakes answered, oldest first (after ``since``, up to
        ``until``)."""
        params: dict[str, Any] = {"since": since}
        if until is not None:
            params["until"] = until
        if surface:
            params["surface"] = surface
        if limit is not None:
            params["limit"] = limit
        return self("GET", "/traffic", params=params).get("value", [])

    def outbox(self, *, raw: bool = False) -> list[dict]:
        return self("GET", "/outbox", params={"raw": "1"} if raw else None).get("value", [])

    def revoke_genesys_tokens(self, *, token: str | None = None, client_id: str | None = None) -> int:
        """Revoke one Genesys token, or every token of an OAuth client (as an admin deleting the
        client's sessions would); returns how many were revoked."""
        body = {"token": token} if token is not None else {"client_id": client_id}
        return int(self("POST", "/purecloud/tokens/revoke", body, ok=(200,))["revoked"])

    def expire_genesys_tokens(self) -> int:
        """Every Genesys token expires now; returns how many did."""
        return int(self("POST", "/purecloud/tokens/expire", ok=(200,))["expired"])

    def quarantine_on_demand(self, job_id: str, message: str = "") -> dict:
        """What Microsoft support does by hand: quarantine the job (reason ``QuarantinedOnDemand``)."""
        return self("POST", f"/provisioning/jobs/{job_id}/quarantine", {"message": message}, ok=(200,))
