"""One provisioning cycle, as the Entra provisioning service runs it ("How Application Provisioning works in Microsoft Entra ID" (Microsoft Learn)).

Initial cycle: import every user and group in scope (assigned, or all), and for
each: scoping -> matching (``GET /Users?filter=userName eq "..."``) -> create
(POST) or update (PATCH with only what changed); store the target id.  Then a
separate reference pass sets managers and group memberships.  Incremental
cycles do the same for what the directory's change feed says changed since the
watermark, and deprovision what left scope (PATCH active false) or was deleted
for good (DELETE).

Group memberships: an initial cycle (and a group linked for the first time, or
retried from escrow) resolves a group's whole membership; an incremental cycle
applies only the membership changes the feed reports, member by member, as the
real service does.  So, as documented among its known issues, a member who
comes into scope later, or a user restored from soft delete, is added to the
group only after a restart.  Membership PATCHes are split so that none carries
more than ``members_per_patch`` members or ``max_request_bytes`` bytes.

Every object is processed inside an error boundary: whatever goes wrong with
one object (a target answer, an expression that fails on its values, an engine
error) becomes that object's failure (a provisioning-log entry, escrow) and the
cycle carries on.  Only :class:`QuarantineSignal` stops a cycle.

Target object actions (Create / Update / Delete of the object mapping) are
honoured: an action that is off is logged as Skipped and nothing is sent.

Decisions (scope, desired values, what changed) are pure functions in
``mappings`` and ``scoping``; this package sequences them and does the I/O
through :class:`~simulator.engine.target.ScimTarget`:

* ``driver``: :func:`run_cycle`: what the cycle imports, the accidental-deletion count, the passes;
* ``users`` and ``groups``: one object through a cycle, its manager, a group's memberships;
* ``scope``: is an object in scope, and the source object as the mapping expressions see it;
* ``steps``: what every object's step shares (the error boundary, outcomes, create/PATCH/delete);
* ``context``: :class:`CycleContext` and :class:`CycleResult`.
"""

from .context import DEFAULT_ACCESS_ROLE, CycleContext, CycleResult, QuarantineSignal
from .driver import run_cycle
from .groups import process_group, resolve_members
from .steps import guarded
from .users import process_user, resolve_manager

__all__ = ["CycleContext", "CycleResult", "run_cycle", "QuarantineSignal", "DEFAULT_ACCESS_ROLE",
           "process_user", "process_group", "resolve_manager", "resolve_members", "guarded"]
