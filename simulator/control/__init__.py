"""``/_provsim``: the simulator's own control API (clock, faults, reset, snapshot, health, traffic)."""

from .views import bp, init_app

__all__ = ["bp", "init_app"]
