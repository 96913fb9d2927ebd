"""``client.jobs``: the PureCloud app's provisioning jobs through Graph's synchronization API (and the
provisioning logs), as the portal's provisioning page drives them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from simulator.client.base import SCIM_PATH, TEMPLATE_ID, ApiError, job_secrets

if TYPE_CHECKING:
    from simulator.client import ProvsimClient

__all__ = ["JobsApi"]


class JobsApi:
    """``client.jobs()`` lists the app's jobs; the rest are what the provisioning page does."""

    def __init__(self, client: ProvsimClient) -> None:
        self._c = client

    def sync_path(self, suffix: str = "") -> str:
        return f"/servicePrincipals/{self._c.graph.service_principal_id()}/synchronization{suffix}"

    def path(self, job_id: str, suffix: str = "") -> str:
        return self.sync_path(f"/jobs/{job_id}{suffix}")

    def __call__(self) -> list[dict]:
        """The app's provisioning jobs."""
        return self._c.graph("GET", self.sync_path("/jobs")).get("value", [])

    def id_of(self, job: str | None = None) -> str:
        """``job`` as given, or the app's only job."""
        if job:
            return job
        jobs = self()
        if not jobs:
            raise ApiError("GET", "/jobs", 404, "Request_ResourceNotFound", "the PureCloud app has no provisioning job yet")
        if len(jobs) > 1:
            raise ApiError("GET", "/jobs", 409, "AmbiguousJob",
                           "the app has several jobs; name one: " + ", ".join(j["id"] for j in jobs))
        return jobs[0]["id"]

    def create(self, template_id: str = TEMPLATE_ID) -> dict:
        return self._c.graph("POST", self.sync_path("/jobs"), {"templateId": template_id}, ok=(201,))

    def get(self, job_id: str) -> dict:
        data = self._c.graph("GET", self.path(job_id))
        data.pop("@odata.context", None)
        return data

    status = get  # the synchronizationJob carries its synchronizationStatus

    def delete(self, job_id: str) -> None:
        self._c.graph("DELETE", self.path(job_id), ok=(204,))

    def secrets(self) -> list[dict]:
        return self._c.graph("GET", self.sync_path("/secrets")).get("value", [])

    def put_secrets(self, values: list[dict]) -> None:
        self._c.graph("PUT", self.sync_path("/secrets"), {"value": values}, ok=(204,))

    def replace_secret_token(self, job_id: str, token: str | None = None, *, client_id: str | None = None,
                             client_secret: str | None = None, test_connection: bool = True) -> str:
        """Re-enter the Secret Token (Admin Credentials), as an admin does after the Genesys token
        expired or was revoked: ``token``, or a new one from the Genesys login of the job's tenant
        URL; then Test Connection.  The other secrets stay as saved.  Returns the saved token.

        Raises :class:`ApiError` (``NotConfigured``) when the job has no tenant URL yet."""
        tenant_url = next((s.get("value") for s in self.secrets() if s.get("key") == "BaseAddress"), None)
        if not tenant_url:
            raise ApiError("GET", self.sync_path("/secrets"), 409, "NotConfigured",
                           f"job {job_id} has no tenant URL yet: set up its admin credentials first")
        if token is None:
            token = self._c.genesys.token(client_id, client_secret, base=tenant_url.split("/api/v2/scim", 1)[0])
        self.put_secrets([{"key": "SecretToken", "value": token}])
        if test_connection:
            self.validate_credentials(job_id)
        return token

    def validate_credentials(self, job_id: str, credentials: list[dict] | None = None) -> None:
        """Test connection: with ``credentials`` as the portal sends them, or the saved ones."""
        body = ({"useSavedCredentials": False, "credentials": credentials} if credentials is not None
                else {"useSavedCredentials": True, "credentials": []})
        self._c.graph("POST", self.path(job_id, "/validateCredentials"), body, ok=(204,))

    def start(self, job_id: str) -> None:
        self._c.graph("POST", self.path(job_id, "/start"), ok=(204,))

    def pause(self, job_id: str) -> None:
        self._c.graph("POST", self.path(job_id, "/pause"), ok=(204,))

    def restart(self, job_id: str, reset_scope: str | list[str] | None = None) -> None:
        body = {"criteria": {"resetScope": reset_scope}} if reset_scope is not None else {}
        self._c.graph("POST", self.path(job_id, "/restart"), body, ok=(204,))

    def schema(self, job_id: str) -> dict:
        data = self._c.graph("GET", self.path(job_id, "/schema"))
        data.pop("@odata.context", None)
        return data

    def put_schema(self, job_id: str, schema: dict) -> None:
        self._c.graph("PUT", self.path(job_id, "/schema"), schema, ok=(204,))

    def parse_expression(self, job_id: str, expression: str, properties: dict[str, Any] | None = None,
                         object_name: str = "User") -> dict:
        """The portal's Test expression (``…/schema/parseExpression``): ``expression`` evaluated on a test
        object whose source attributes are ``properties`` (strings or lists of strings); Graph's
        ``parseExpressionResponse``."""
        body: dict[str, Any] = {"expression": expression}
        if properties is not None:
            body["testInputObject"] = {"definition": {"name": object_name}, "properties": [
                {"key": k, "value": v} for k, v in properties.items()]}
        data = self._c.graph("POST", self.path(job_id, "/schema/parseExpression"), body, ok=(200,))
        data.pop("@odata.context", None)
        return data

    def set_settings(self, job_id: str, **values: Any) -> None:
        """``synchronizationJobSettings`` by name (e.g. ``QuarantineTooManyDeletesThreshold=5``)."""
        self._c.graph("PATCH", self.path(job_id),
                   {"synchronizationJobSettings": [{"name": k, "value": str(v)} for k, v in values.items()]})

    def provision_on_demand(self, job_id: str, object_id: str, object_type: str = "User",
                            rule_id: str | None = None) -> dict:
        """``provisionOnDemand`` for one object; Graph's key/value pair with both JSON strings parsed."""
        if rule_id is None:
            rules = self.schema(job_id).get("synchronizationRules") or [{}]
            rule_id = rules[0].get("id")
        data = self._c.graph("POST", self.path(job_id, "/provisionOnDemand"), {"parameters": [{
            "ruleId": rule_id, "subjects": [{"objectId": object_id, "objectTypeName": object_type}]}]}, ok=(200,))
        return {"key": json.loads(data["key"]), "value": json.loads(data["value"])}

    def configure(self, *, tenant_url: str | None = None, secret_token: str | None = None, scope: str = "assigned",
                  notify: str | None = None, delete_threshold: int | None = None,
                  skip_out_of_scope_deletions: bool = False, test_connection: bool = True, start: bool = False,
                  template_id: str = TEMPLATE_ID, settings: dict[str, Any] | None = None) -> str:
        """What an admin does on the provisioning page: a job from the PureCloud template, its secrets
        (tenant URL, secret token, scope, notifications), Test Connection, and optionally Start.

        ``tenant_url`` defaults to this provsim's own SCIM base; ``secret_token`` to a token from
        the Genesys login behind it with the demo client (``""``: no token, no Authorization header).
        ``settings``: synchronizationJobSettings saved before Test Connection (e.g. the target
        profile).  Returns the job id."""
        tenant_url = (tenant_url or f"{self._c.base_url}{SCIM_PATH}").rstrip("/")
        job_id = self.create(template_id)["id"]
        token = (secret_token if secret_token is not None
                 else self._c.genesys.token(base=tenant_url.split("/api/v2/scim", 1)[0]))
        self.put_secrets(job_secrets(tenant_url, token, scope=scope, notify=notify, delete_threshold=delete_threshold,
                                     skip_out_of_scope_deletions=skip_out_of_scope_deletions))
        if settings:
            self.set_settings(job_id, **settings)
        if test_connection:
            self.validate_credentials(job_id)
        if start:
            self.start(job_id)
        return job_id

    def logs(self, *, filter: str | None = None, top: int | None = None, all_pages: bool = False) -> list[dict]:
        """``GET /auditLogs/provisioning`` (newest first), optionally every page."""
        params: dict[str, str] = {}
        if filter:
            params["$filter"] = filter
        if top:
            params["$top"] = str(top)
        if all_pages:
            return self._c.graph.pages("/auditLogs/provisioning", params=params)
        return self._c.graph("GET", "/auditLogs/provisioning", params=params).get("value", [])
