"""provsim's pytest plugin (registered through the ``pytest11`` entry point; docs/pytest-plugin.md).

    def test_new_hire_reaches_genesys(provsim, provsim_job, provsim_graph, provsim_genesys):
        user = provsim_graph.post("users", json={...}).json()
        provsim_job.assign(user["id"])
        cycle = provsim_job.run_cycle()
        assert cycle["exported"] == 1

Fixtures (each test gets a fresh simulator):

- ``provsim_config``: the :class:`~simulator.core.ProvsimConfig` (tenant and seed from the
  ``provsim`` marker, else the ``provsim_tenant``/``provsim_seed`` ini options; override it freely);
- ``provsim_app`` (the WSGI app), ``provsim_runtime``, ``provsim_server`` (the app on a loopback
  socket, ``.url``);
- ``provsim``: a :class:`~simulator.client.ProvsimClient` of that simulator, in-process at
  ``http://provsim.test`` or, with ``@pytest.mark.provsim(served=True)`` / ``provsim_served = true``,
  over the socket; ``provsim_http``: a plain ``httpx.Client`` to the same place;
- ``provsim_graph`` / ``provsim_genesys``: ``httpx.Client`` for Graph v1.0 and Genesys SCIM v2 with
  valid tokens (renewed when virtual time expires them);
- ``provsim_job``: a started provisioning job of the PureCloud app (:class:`ProvisioningJob`);
- ``provsim_faults`` (:class:`Faults`), ``provsim_traffic`` (:class:`Traffic`);
- ``provsim_intercept``: the same simulator answering ``graph.microsoft.com``,
  ``login.microsoftonline.com`` and every Genesys Cloud region's hosts for httpx, requests/urllib3
  and aiohttp during the test (:func:`simulator.intercept`); yields ``provsim``;
- ``assert_matches_cassette``: compares the SCIM traffic the engine sent to Genesys during the test
  with a golden cassette; ``pytest --provsim-record`` writes (or refreshes) the goldens instead.

Without pytest installed this module still imports (the helpers are plain classes); it only
defines no fixtures.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from simulator.client import ProvsimClient

if TYPE_CHECKING:
    from simulator.proxy.transports import RecordingTransport

try:  # the plugin loads where pytest is installed; provsim itself does not need it
    import pytest
except ImportError:  # pragma: no cover - exercised by the wheel check in a venv without pytest
    pytest = None  # type: ignore[assignment]  # a module or None: the plugin checks before use

__all__ = ["ProvisioningJob", "Faults", "Traffic", "TargetTap", "BearerAuth", "IN_PROCESS_URL"]

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

#: The base URL of in-process fixtures (any host of a reserved domain works as a tenant URL).
IN_PROCESS_URL = "http://provsim.test"


# ------------------------------------------------------------------------------------ helpers
class BearerAuth(httpx.Auth):
    """A bearer token from ``fetch()``; fetched again once when the server answers 401
    (virtual time moved past the token's lifetime, or it was revoked)."""

    def __init__(self, fetch: Callable[[], str]) -> None:
        self.fetch = fetch
        self.token: str | None = None

    def auth_flow(self, request: httpx.Request):
        if self.token is None:
            self.token = self.fetch()
        request.headers["Authorization"] = f"Bearer {self.token}"
        response = yield request
        if response.status_code == 401:
            self.token = self.fetch()
            request.headers["Authorization"] = f"Bearer {self.token}"
            yield request


class ProvisioningJob:
    """A provisioning job of the PureCloud by Genesys app, as the portal's provisioning page drives it.

    ``run_cycle()`` moves virtual time to the job's next cycle and returns that cycle's summary;
    ``advance("PT2H")`` moves it by a duration; the rest are the portal's buttons and pages."""

    def __init__(self, client: ProvsimClient, job_id: str) -> None:
        self.client = client
        self.id = job_id

    def __repr__(self) -> str:
        return f"<ProvisioningJob {self.id}>"

    @property
    def service_principal_id(self) -> str:
        return self.client.graph.service_principal_id()

    # the clock
    def advance(self, duration: str) -> dict:
        """Move virtual time by an ISO-8601 duration (``PT40M``); every cycle due on the way runs."""
        return self.client.control.advance(duration)

    def next_cycle(self) -> dict:
        """Move virtual time to this job's next scheduled cycle; the clock's answer (``now``, ``ran``)."""
        return self.client.control.next_cycle(self.id)

    def run_cycle(self) -> dict:
        """Run this job's next cycle (moving virtual time to it); its summary: ``initial``,
        ``imported``, ``exported``, ``failed``, ``skipped``, ``quarantined``..."""
        answer = self.next_cycle()
        runs = [r for r in answer.get("ran", []) if r.get("jobId") == self.id]
        if not runs or runs[-1].get("skipped") is True:
            raise AssertionError(f"no cycle of job {self.id} ran at {answer.get('now')}: {answer.get('ran')}")
        return runs[-1]

    # the portal's buttons
    def start(self) -> None:
        self.client.jobs.start(self.id)

    def pause(self) -> None:
        self.client.jobs.pause(self.id)

    def restart(self, reset_scope: str | list[str] | None = None) -> None:
        self.client.jobs.restart(self.id, reset_scope)

    def provision_on_demand(self, object_id: str, object_type: str = "User") -> dict:
        """Provision one user or group now; Graph's answer with ``key`` and ``value`` parsed."""
        return self.client.jobs.provision_on_demand(self.id, object_id, object_type)

    def assign(self, principal_id: str, role: str | None = None) -> dict:
        """Assign a user or group to the app (``User`` role by default)."""
        return self.client.graph.assign(principal_id, role)

    # what the portal shows
    def status(self) -> dict:
        """The synchronizationJob with its status (``status()["status"]["code"]``)."""
        return self.client.jobs.get(self.id)

    def logs(self, *, action: str | None = None, status: str | None = None) -> list[dict]:
        """This job's provisioning log entries, newest first (``action``: create, update, disable,
        delete, other; ``status``: success, failure, skipped, warning)."""
        clauses = [f"jobId eq '{self.id}'"]
        if action:
            clauses.append(f"provisioningAction eq '{action}'")
        if status:
            clauses.append(f"provisioningStatusInfo/status eq '{status}'")
        return self.client.jobs.logs(filter=" and ".join(clauses), all_pages=True)


class Faults:
    """Fault rules of ``/_provsim/faults`` (the same fields: method, path, nth, times, status, drop, ...)."""

    def __init__(self, client: ProvsimClient) -> None:
        self.client = client

    def add(self, **rule: Any) -> dict:
        return self.client.control.add_fault(**rule)

    def list(self) -> list[dict]:
        return self.client.control.faults()

    def remove(self, rule: dict | str) -> None:
        self.client.control.remove_fault(rule["id"] if isinstance(rule, dict) else rule)

    def clear(self) -> None:
        self.client.control.clear_faults()

    @contextmanager
    def active(self, **rule: Any) -> Iterator[dict]:
        """The rule holds inside the ``with`` block only."""
        added = self.add(**rule)
        try:
            yield added
        finally:
            self.remove(added)


class Traffic:
    """Assertions over the traffic log: every request the simulator answered (scrubbed).

    ``path`` is a glob (``/api/v2/scim/v2/Users*``), compared case-insensitively as Genesys does."""

    def __init__(self, client: ProvsimClient) -> None:
        self.client = client
        self.since = 0

    def reset(self) -> None:
        """Count only what comes after this call."""
        entries = self.client.control.traffic()
        self.since = entries[-1]["seq"] if entries else self.since

    def requests(self, method: str | None = None, path: str | None = None, *, surface: str | None = None,
                 status: int | None = None) -> list[dict]:
        out = []
        for entry in self.client.control.traffic(surface=surface, since=self.since):
            if method and entry["method"].upper() != method.upper():
                continue
            if path and not fnmatch.fnmatchcase(entry["path"].lower(), path.lower()):
                continue
            if status is not None and entry["status"] != status:
                continue
            out.append(entry)
        return out

    def assert_called(self, method: str, path: str, *, times: int | None = None, status: int | None = None) -> list[dict]:
        found = self.requests(method, path, status=status)
        if (times is None and not found) or (times is not None and len(found) != times):
            wanted = f"{method.upper()} {path}" + (f" -> {status}" if status is not None else "")
            expected = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(f"expected {wanted} {expected}, saw it {len(found)} time(s)\n{self._summary()}")
        return found

    def assert_not_called(self, method: str, path: str) -> None:
        found = self.requests(method, path)
        if found:
            raise AssertionError(f"expected no {method.upper()} {path}, saw it {len(found)} time(s)\n{self._summary()}")

    def _summary(self) -> str:
        """What was called instead: one line per method, path shape (ids as ``{id}``) and status."""
        entries = self.client.control.traffic(since=self.since)
        if not entries:
            return "traffic: no request at all"
        counts: dict[str, int] = {}
        for e in entries:
            line = f"{e['method']} {_GUID.sub('{id}', e['path'])} -> {e['status']}" + (f" (fault {e['fault']})" if e.get("fault") else "")
            counts[line] = counts.get(line, 0) + 1
        return "\n".join([f"traffic ({len(entries)} request(s)):", *(f"  {n:>4} x {line}" for line, n in counts.items())])


class TargetTap:
    """Wraps the transport of every engine -> tenant URL client; records into a cassette while on."""

    def __init__(self, inner_wrapper: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None) -> None:
        self.inner_wrapper = inner_wrapper
        self.path: Path | None = None

    def __call__(self, transport: httpx.BaseTransport) -> httpx.BaseTransport:
        if self.inner_wrapper is not None:
            transport = self.inner_wrapper(transport)
        return _Tapped(transport, self)

    def record_to(self, path: Path) -> None:
        self.path = path


class _Tapped(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, tap: TargetTap) -> None:
        self.inner, self.tap = inner, tap
        self._recorder: RecordingTransport | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.tap.path is None:
            return self.inner.handle_request(request)
        if self._recorder is None:
            from simulator.proxy.transports import RecordingTransport

            self._recorder = RecordingTransport(self.inner, self.tap.path, append=True)
        return self._recorder.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _compare_cassettes(recorded: Path, golden: Path, *, ignore_fields=(), ignore_headers=()) -> str | None:
    """None when the recording matches the golden cassette, else the readable difference."""
    from simulator.proxy.cassette import load_interactions
    from simulator.proxy.diff import DiffOptions, diff_interactions

    options = DiffOptions.build(ignore_fields=ignore_fields, ignore_headers=ignore_headers)
    result = diff_interactions(load_interactions(golden) if golden.exists() else [],
                               load_interactions(recorded) if recorded.exists() else [],
                               name_a=str(golden), name_b="this run", options=options)
    return None if result.equal else result.render()


# ----------------------------------------------------------------------------------- fixtures
if pytest is not None:

    def pytest_addoption(parser) -> None:
        group = parser.getgroup("provsim", "provsim (Entra provisioning into Genesys Cloud, simulated)")
        group.addoption("--provsim-record", action="store_true", default=False,
                        help="assert_matches_cassette writes (refreshes) the golden cassettes instead of comparing.")
        parser.addini("provsim_tenant", "provsim tenant fixture name or path (default: contoso)", default="contoso")
        parser.addini("provsim_seed", "provsim seed for ids and tokens (default: 0)", default="0")
        parser.addini("provsim_served", "provsim fixtures talk over a loopback socket instead of in-process",
                      type="bool", default=False)

    def pytest_configure(config) -> None:
        config.addinivalue_line("markers", "provsim(tenant=None, seed=None, served=None, job=None): pick the provsim "
                                           "tenant, seed, served or in-process, and provsim_job's configure() arguments.")

    def _marker(request) -> dict:
        merged: dict = {}
        for mark in reversed(list(request.node.iter_markers("provsim"))):  # closest marker wins
            merged.update(mark.kwargs)
        return merged

    def _setting(request, name: str) -> Any:
        mark = _marker(request)
        if mark.get(name) is not None:
            return mark[name]
        return request.config.getini(f"provsim_{name}")

    @pytest.fixture
    def provsim_config(request):
        """The simulator's configuration: tenant and seed from the marker or the ini file."""
        from simulator.core import ProvsimConfig

        seed = _setting(request, "seed")
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise pytest.UsageError(f"provsim seed must be an integer, got {seed!r}") from None
        return ProvsimConfig(seed=seed, fixture=_setting(request, "tenant"))

    @pytest.fixture
    def _provsim_tap(provsim_config) -> TargetTap:
        return TargetTap(provsim_config.target_transport_wrapper)

    @pytest.fixture
    def provsim_app(provsim_config, _provsim_tap):
        """The simulator as a WSGI app (every surface; its own runtime)."""
        from simulator.app import create_app

        return create_app(provsim_config.with_(target_transport_wrapper=_provsim_tap))

    @pytest.fixture
    def provsim_runtime(provsim_app):
        return provsim_app.extensions["provsim"]

    @pytest.fixture
    def provsim_server(provsim_app):
        """The simulator on a loopback socket (``.url``), stopped after the test."""
        from simulator.http.server import ServerThread

        server = ServerThread(provsim_app, "127.0.0.1", 0)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    @pytest.fixture
    def provsim_base_url(request, provsim_app) -> str:
        """Where the fixtures reach the simulator: ``http://provsim.test`` in-process, else the server's URL."""
        if bool(_setting(request, "served")):
            return request.getfixturevalue("provsim_server").url
        return IN_PROCESS_URL

    def _http(app, base_url: str, path: str = "", **kwargs) -> httpx.Client:
        """An httpx client of the simulator at ``base_url`` (+ ``path``): in-process or over the socket."""
        if base_url == IN_PROCESS_URL:
            from simulator.client.transport import InProcessTransport

            return httpx.Client(transport=InProcessTransport(app=app), base_url=base_url + path, **kwargs)
        from simulator.client.transport import default_ssl_context

        kwargs.setdefault("verify", default_ssl_context())
        return httpx.Client(base_url=base_url.rstrip("/") + path, timeout=30, **kwargs)

    @pytest.fixture
    def provsim_http(provsim_app, provsim_base_url):
        """A plain ``httpx.Client`` to the simulator (no token)."""
        with _http(provsim_app, provsim_base_url) as client:
            yield client

    @pytest.fixture
    def provsim(provsim_app, provsim_base_url):
        """A :class:`~simulator.client.ProvsimClient` of the simulator (Graph, Genesys, jobs, clock, faults)."""
        if provsim_base_url == IN_PROCESS_URL:
            client = ProvsimClient.in_process(provsim_app, base_url=IN_PROCESS_URL)
        else:
            from simulator.client import _fixture_domain

            client = ProvsimClient.connect(provsim_base_url, tenant=_fixture_domain(provsim_app.extensions["provsim"]))
        with client:
            yield client

    @pytest.fixture
    def provsim_graph(provsim_app, provsim_base_url, provsim):
        """``httpx.Client`` for Microsoft Graph: base ``/v1.0/``, an Entra token from the demo app."""
        with _http(provsim_app, provsim_base_url, "/v1.0/",
                   auth=BearerAuth(lambda: provsim.graph.token(fresh=True))) as client:
            yield client

    @pytest.fixture
    def provsim_genesys(provsim_app, provsim_base_url, provsim):
        """``httpx.Client`` for Genesys SCIM: base ``/api/v2/scim/v2/``, a token from the demo OAuth client."""
        with _http(provsim_app, provsim_base_url, "/api/v2/scim/v2/",
                   auth=BearerAuth(provsim.genesys.token)) as client:
            yield client

    @pytest.fixture
    def provsim_job(request, provsim) -> ProvisioningJob:
        """A provisioning job of the PureCloud app: tenant URL (this simulator), secret token, scope,
        test connection passed, started. ``@pytest.mark.provsim(job={...})`` passes
        ``ProvsimClient.configure`` arguments (``scope="all"``, ``notify=...``, ``start=False``)."""
        options = {"start": True, **(_marker(request).get("job") or {})}
        return ProvisioningJob(provsim, provsim.jobs.configure(**options))

    @pytest.fixture
    def provsim_intercept(provsim_config, provsim_app, provsim):
        """Your code unchanged: requests to Microsoft Graph, the Entra login and Genesys Cloud's hosts
        (httpx, requests/urllib3, aiohttp) reach this test's simulator, no socket; any other host raises
        :class:`~simulator.interception.InterceptError`. Yields ``provsim`` (docs/intercept.md)."""
        from simulator.interception import Intercept

        with Intercept(provsim_config, app=provsim_app):
            yield provsim

    @pytest.fixture
    def provsim_faults(provsim) -> Faults:
        return Faults(provsim)

    @pytest.fixture
    def provsim_traffic(provsim) -> Traffic:
        return Traffic(provsim)

    @pytest.fixture
    def assert_matches_cassette(request, _provsim_tap, tmp_path):
        """``assert_matches_cassette(name=None)``: the engine's SCIM traffic of this test against the
        golden cassette ``cassettes/<module>/<test>.yaml`` beside the test file (or ``name``, relative
        to it). Ids, meta timestamps and versions, Date and ETag are ignored, as in ``cassette diff``."""
        recording = tmp_path / "provsim-target.yaml"
        _provsim_tap.record_to(recording)
        record = request.config.getoption("provsim_record")
        folder = Path(request.node.path).parent
        default = folder / "cassettes" / request.node.module.__name__.rsplit(".", 1)[-1] / f"{_safe(request.node.name)}.yaml"

        def check(name: str | Path | None = None, *, ignore_fields=(), ignore_headers=()) -> None:
            golden = default if name is None else folder / name
            if record:
                golden.parent.mkdir(parents=True, exist_ok=True)
                if recording.exists():
                    shutil.copyfile(recording, golden)
                else:
                    golden.write_text("interactions: []\nversion: 1\n", encoding="utf-8")
                return
            if not golden.exists():
                pytest.fail(f"no golden cassette {golden}: run `pytest --provsim-record` to write it", pytrace=False)
            difference = _compare_cassettes(recording, golden, ignore_fields=ignore_fields, ignore_headers=ignore_headers)
            if difference is not None:
                pytest.fail(f"the engine's SCIM traffic differs from {golden}:\n{difference}\n"
                            "(if the change is intended: pytest --provsim-record)", pytrace=False)

        return check

    def _safe(name: str) -> str:
        return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        if report.failed and report.when == "call" and "provsim_config" in getattr(item, "fixturenames", ()):
            config = item.funcargs.get("provsim_config")
            if config is not None:  # how to reproduce: the same tenant and seed give the same bytes
                report.sections.append(("provsim", f"tenant {config.fixture}, seed {config.seed}"))

