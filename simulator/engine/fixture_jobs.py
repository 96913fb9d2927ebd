"""Provisioning jobs that a tenant fixture brings with it.

A fixture's application may carry a ``provisioning`` section (``provsim snapshot`` writes
one; a hand-made fixture can too)::

    directory:
      applications:
      - key: purecloud
        ...
        provisioning:
          templateId: purecloud
          secrets:            # synchronization secrets, never the Secret Token
          - {key: BaseAddress, value: http://provsim.local/api/v2/scim/v2}
          - {key: SyncAll, value: "False"}
          settings:           # synchronizationJobSettings
          - {name: QuarantineTooManyDeletesThreshold, value: "500"}
          schema: {...}       # the job's synchronizationSchema (mappings, scoping filters, object actions)

Seeding saves them through the synchronization API's own checks (a schema the service
would refuse is a fixture error naming the application), exactly as an admin's Save
would: the job exists, configured, not started; entering the Secret Token and starting
it is all that is left.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from simulator.core.errors import FixtureError

from .job import TEMPLATE_ID

if TYPE_CHECKING:
    from .service import ProvisioningService

__all__ = ["seed_jobs"]


def seed_jobs(service: ProvisioningService, fixture: Mapping[str, Any],
              service_principal_for: Callable[[str], str | None]) -> None:
    """Create the job of every fixture application that has a ``provisioning`` section.

    ``service_principal_for(key)`` is the service principal id of the application with that
    fixture ``key`` (the directory's fixture keys)."""
    from .service import SyncApiError

    for app in (fixture.get("directory") or {}).get("applications") or []:
        if not isinstance(app, Mapping) or not app.get("provisioning"):
            continue
        name = app.get("displayName") or app.get("key")
        section = app["provisioning"]
        if not isinstance(section, Mapping):
            raise FixtureError(f"fixture application {name!r}: provisioning must be a mapping")
        sp_id = service_principal_for(str(app["key"])) if app.get("key") else None
        if sp_id is None:
            raise FixtureError(f"fixture application {name!r}: a provisioning section needs the application's key")
        try:
            job = service.create_job(sp_id, str(section.get("templateId") or TEMPLATE_ID))
            secrets = list(section.get("secrets") or [])
            if secrets:
                service.put_secrets(sp_id, secrets)
            settings = list(section.get("settings") or [])
            if settings:
                service.update_settings(sp_id, job["id"], settings)
            schema = section.get("schema")
            if schema:
                service.put_schema(sp_id, job["id"], {**dict(schema), "id": job["id"]})
        except SyncApiError as err:
            raise FixtureError(f"fixture application {name!r}, provisioning: {err.message}") from err
