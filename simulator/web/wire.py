"""The wire: which requests to Genesys each provisioning log entry stands for.

The service works through a cycle one object at a time and writes an object's log entry once it
is done with it, so the requests it sent between two entries of a cycle are the second entry's:
its lookup (``GET /Users?filter=userName eq …``), its ``POST`` or ``PATCH``, a retry after a 429.
:class:`WireWatch` listens to the provisioning service's events, as the scenario runner does, and
notes for each entry the traffic-log numbers it covers (two integers: no body is read or scrubbed
while a cycle runs).  The Details pane then reads those exchanges, scrubbed, through
``GET /_provsim/traffic?since=…&until=…`` and keeps the engine's SCIM requests among them.

What it cannot show, and says so: entries written before the dashboard started (a served state
file), and exchanges the traffic log has already dropped (it keeps the newest 10,000 requests).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from simulator.core.services import PROVISIONING

__all__ = ["WireWatch", "KEPT"]

log = logging.getLogger(__name__)

#: How many entries' ranges are remembered (the traffic log drops older exchanges anyway).
KEPT = 50_000


class WireWatch:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.ranges: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._mark = runtime.traffic.seq
        self._lock = threading.Lock()
        service = runtime.find(PROVISIONING)
        if service is not None:
            service.listeners.append(self.on_event)

    def on_event(self, event: str, data: dict) -> None:
        """Called inside the provisioning service's cycle: whatever goes wrong here must not stop the cycle."""
        if event not in ("cycleStarted", "log"):
            return
        try:
            self._note(event, data)
        except Exception:  # the boundary between the engine and the page: log it, let the cycle carry on
            log.exception("the dashboard could not note the requests of a provisioning log entry")

    def _note(self, event: str, data: dict) -> None:
        now = self.runtime.traffic.seq
        with self._lock:
            if now < self._mark:  # the simulator was reset: the numbers start again, and so do the entries
                self.ranges.clear()
                self._mark = 0
            if event == "cycleStarted":
                self._mark = now
                return
            entry_id = data.get("id")
            if entry_id:
                self.ranges[str(entry_id)] = (self._mark, now)
                while len(self.ranges) > KEPT:
                    self.ranges.popitem(last=False)
            self._mark = now

    def forget(self) -> None:
        """After a reset made from the page: nothing noted before it applies."""
        with self._lock:
            self.ranges.clear()
            self._mark = self.runtime.traffic.seq

    def window(self, entry_id: str) -> tuple[int, int] | None:
        with self._lock:
            return self.ranges.get(entry_id)


def engine_exchanges(exchanges: list[dict], *, agent: str, scim_path: str) -> list[dict]:
    """The provisioning service's own SCIM requests among ``exchanges`` (the traffic log's scrubbed views),
    as the Details pane lists them."""
    out = []
    for e in exchanges:
        headers = e.get("request", {}).get("headers") or []
        ua = next((v for k, v in headers if str(k).lower() == "user-agent"), "")
        if e.get("surface") != "purecloud" or ua != agent or not str(e.get("path", "")).lower().startswith(scim_path):
            continue
        out.append({"seq": e["seq"], "at": e.get("at"), "method": e.get("method"),
                    "path": e["path"][len(scim_path):] or "/", "query": e.get("query") or "",
                    "status": e.get("status"), "fault": e.get("fault"),
                    "request": (e.get("request") or {}).get("body"), "response": (e.get("response") or {}).get("body")})
    return out
