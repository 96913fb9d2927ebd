"""The typed, frozen configuration every part of provsim is built from.

Only the CLI reads the environment; everything else gets a :class:`ProvsimConfig`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["ProvsimConfig", "FIXTURES_DIR", "resolve_fixture"]


def _fixtures_dir() -> Path:
    """Where the shipped tenants/ and scenarios/ are: the package's own ``fixtures`` folder in a wheel
    (pyproject maps the repository's ``fixtures/`` there), else the checkout's own ``fixtures/``."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "fixtures"
    return installed if installed.is_dir() else package.parent / "fixtures"


#: The shipped fixtures folder (tenants/ and scenarios/).
FIXTURES_DIR = _fixtures_dir()


def resolve_fixture(name_or_path: str | Path) -> Path:
    """``contoso`` -> fixtures/tenants/contoso.yaml; a path is taken as it is."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml", ".json") and candidate.exists():
        return candidate
    named = FIXTURES_DIR / "tenants" / f"{name_or_path}.yaml"
    if named.exists():
        return named
    known = sorted(p.stem for p in (FIXTURES_DIR / "tenants").glob("*.yaml"))
    raise ConfigError(f"no tenant fixture {str(name_or_path)!r}; known: {', '.join(known) or 'none'} (or give a path to a .yaml file)")


@dataclass(frozen=True)
class ProvsimConfig:
    """How to build a simulator.

    seed: drives every id, token and probability; same seed, same bytes.
    fixture: tenant fixture name (``contoso``, ``blank``) or path.
    state_path: persist the store to this JSON file (None: memory only).
    start: virtual time at start (default: the fixture's ``start`` or 2026-01-05T09:00Z).
    wall_clock / clock_scale: let time pass by itself (``serve`` for demos).
    base_url: the public base URL used for absolute links when no request is at hand.
    rate_limits: enforce Genesys' 300 requests/minute per token (and other limits).

    The rest are ``serve``'s options and the wiring tests and the pytest plugin use:

    fsync: fsync the journal on every write (survives power loss, not only a killed process).
    signing_key: sign Graph tokens and derive Genesys tokens from this key (``serve --random-keys``).
    smtp / outbox_dir: where notification e-mails go besides the outbox (``HOST:PORT``; a folder of .eml files).
    allowed_hosts / allow_remote_control: the Host names and peers the control API and dashboard answer.
    outbound_restricted / allowed_targets: a server bound beyond loopback reaches only these targets.
    target_routes / target_transport_wrapper: where the provisioning service's requests go, and a wrapper
        around its transport (scenario tapes, the pytest plugin's recorder).
    graph_remove_non_member_status: 404 (the documented answer) or 400 for removing a group member that
        is not one (docs/fidelity.md).
    extra: the same settings by name, as provsim took them before these fields (``"graph.remove_non_member_status"``
        for the last); an entry fills a field left at its default.  Kept for one release.
    """

    seed: int = 0
    fixture: str | Path = "contoso"
    state_path: Path | None = None
    start: datetime | None = None
    wall_clock: bool = False
    clock_scale: float = 1.0
    base_url: str = "http://127.0.0.1:8080"
    rate_limits: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # Like ``extra`` before them, these do not take part in equality: two configs that build the same
    # tenant from the same seed compare equal.
    fsync: bool = field(default=False, compare=False)
    signing_key: bytes | None = field(default=None, compare=False)
    smtp: str | None = field(default=None, compare=False)
    outbox_dir: Path | None = field(default=None, compare=False)
    allowed_hosts: tuple[str, ...] = field(default=(), compare=False)
    allow_remote_control: bool = field(default=False, compare=False)
    outbound_restricted: bool = field(default=False, compare=False)
    allowed_targets: tuple[str, ...] = field(default=(), compare=False)
    target_routes: Mapping[str, Any] = field(default_factory=dict, compare=False)
    target_transport_wrapper: Callable[[Any], Any] | None = field(default=None, compare=False)
    graph_remove_non_member_status: int = field(default=404, compare=False)

    def __post_init__(self) -> None:
        defaults = {f.name: f.default for f in fields(self)}
        for key, value in self.extra.items():
            name = _EXTRA_NAMES.get(key, key)
            if name in _TYPED_EXTRA and value is not None and getattr(self, name) in (defaults[name], {}):
                object.__setattr__(self, name, _EXTRA_TYPES.get(name, _same)(value))
        if not isinstance(self.seed, int):
            raise ConfigError(f"seed must be an integer, got {self.seed!r}")
        if self.clock_scale <= 0:
            raise ConfigError("clock_scale must be positive")

    def with_(self, **changes: Any) -> ProvsimConfig:
        return replace(self, **changes)


#: ``extra`` names that differ from their field's.
_EXTRA_NAMES = {"graph.remove_non_member_status": "graph_remove_non_member_status"}
#: The fields an ``extra`` entry may fill.
_TYPED_EXTRA = frozenset({"fsync", "signing_key", "smtp", "outbox_dir", "allowed_hosts", "allow_remote_control",
                          "outbound_restricted", "allowed_targets", "target_routes", "target_transport_wrapper",
                          "graph_remove_non_member_status"})
#: How an ``extra`` value becomes its field's type.
_EXTRA_TYPES: dict[str, Callable[[Any], Any]] = {"allowed_hosts": tuple, "allowed_targets": tuple, "outbox_dir": Path}


def _same(value: Any) -> Any:
    return value
