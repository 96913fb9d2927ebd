"""One provisioning cycle (see :mod:`simulator.engine.cycle.driver`)."""

from .driver import (
    DEFAULT_ACCESS_ROLE,
    CycleContext,
    CycleResult,
    QuarantineSignal,
    guarded,
    process_group,
    process_user,
    resolve_manager,
    resolve_members,
    run_cycle,
)

__all__ = ["CycleContext", "CycleResult", "run_cycle", "QuarantineSignal", "DEFAULT_ACCESS_ROLE",
           "process_user", "process_group", "resolve_manager", "resolve_members", "guarded"]
