"""The typed, frozen configuration every part of provsim is built from.

Only the CLI reads the environment; everything else gets a :class:`ProvsimConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int):
            raise ConfigError(f"seed must be an integer, got {self.seed!r}")
        if self.clock_scale <= 0:
            raise ConfigError("clock_scale must be positive")

    def with_(self, **changes: Any) -> ProvsimConfig:
        return replace(self, **changes)
