"""Notification e-mails: what the provisioning service sends when a job quarantines or is disabled.

Real RFC 5322 messages (``email.message.EmailMessage``), deterministic: the
Date is virtual time and the Message-ID comes from the id factory.  Every
message lands in the outbox (a store table, listed by ``provsim outbox``), is
written as a ``.eml`` file when an outbox folder is configured, and is sent to
an SMTP server when one is configured (``--smtp host:port``; stdlib smtplib).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from simulator.core import IdFactory, Index, Store, isoformat

from .job import Job, JobStatus
from .job_settings import NotificationSettings
from .source import ServicePrincipal

__all__ = ["Outbox", "SmtpTarget", "Notifier", "FROM_ADDRESS"]

log = logging.getLogger(__name__)

FROM_ADDRESS = "Microsoft Azure <azure-noreply@microsoft.com>"


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> SmtpTarget:
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"--smtp takes host:port, got {text!r}")
        return cls(host, int(port))


class Outbox:
    def __init__(self, store: Store, ids: IdFactory, *, folder: Path | None = None, smtp: SmtpTarget | None = None) -> None:
        self.table = store.table("outbox", [Index("id", unique=True)])
        self.store = store
        self.ids = ids
        self.folder = Path(folder) if folder else None
        self.smtp = smtp

    def compose(self, *, to: str, subject: str, body: str, at: datetime) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = FROM_ADDRESS
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(at)
        msg["Message-ID"] = f"<{self.ids.guid()}@provsim.invalid>"
        msg["X-Provsim"] = "simulated notification"
        msg.set_content(body)
        return msg

    def send(self, msg: EmailMessage, *, at: datetime, kind: str) -> dict[str, Any]:
        raw = msg.as_string()
        doc = {"id": msg["Message-ID"].strip("<>").split("@")[0], "at": isoformat(at), "kind": kind,
               "to": msg["To"], "subject": msg["Subject"], "eml": raw, "delivered": None}
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{isoformat(at).replace(':', '').replace('-', '')}-{doc['id'][:8]}.eml"
            (self.folder / name).write_text(raw, encoding="utf-8")
            doc["file"] = str(self.folder / name)
        if self.smtp is not None:
            try:
                with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=10) as client:
                    client.send_message(msg)
                doc["delivered"] = f"smtp://{self.smtp.host}:{self.smtp.port}"
            except (OSError, smtplib.SMTPException) as err:
                # The outbox keeps the message either way; delivery failures are reported, not fatal.
                log.warning("could not send notification to %s via %s:%s: %s", msg["To"], self.smtp.host, self.smtp.port, err)
                doc["delivered"] = f"failed: {err}"
        self.table.add(doc)
        return doc

    def messages(self) -> list[dict[str, Any]]:
        return [doc for _id, doc in self.table.docs()]


class Notifier:
    """The service's e-mails about a job: quarantine started (or its reason changed), job disabled.

    ``settings(sp_id)`` gives the job's ``SyncNotificationSettings``; nothing is sent without
    recipients, as the portal does.  The subject and body are provsim's wording (the real
    template is not public, docs/fidelity.md).
    """

    def __init__(self, outbox: Outbox | None, *, settings: Callable[[str], NotificationSettings],
                 service_principal: Callable[[str], ServicePrincipal | None], tenant_id: str) -> None:
        self.outbox = outbox
        self.settings = settings
        self.lookup_sp = service_principal
        self.tenant_id = tenant_id

    def send(self, job: Job, kind: str, status: JobStatus, *, at: datetime) -> None:
        if self.outbox is None:
            return
        settings = self.settings(job.service_principal_id)
        if not settings.sends:
            return
        subject, body = self.compose(job, kind, status)
        for recipient in settings.recipients:
            msg = self.outbox.compose(to=recipient, subject=subject, body=body, at=at)
            self.outbox.send(msg, at=at, kind=kind)

    def compose(self, job: Job, kind: str, status: JobStatus) -> tuple[str, str]:
        sp = self.lookup_sp(job.service_principal_id)
        app = (sp.display_name if sp else None) or "PureCloud by Genesys"
        quarantine = status.quarantine
        reason = quarantine.reason if quarantine else None
        error = quarantine.error if quarantine else None
        next_attempt = isoformat(quarantine.next_attempt) if quarantine and quarantine.next_attempt else None
        if kind == "disabled":
            subject = f"Provisioning for '{app}' was disabled after four weeks in quarantine"
            lead = (f"The provisioning job {job.id} for the application '{app}' has been in quarantine since "
                    f"{isoformat(quarantine.series_began) if quarantine else None} and was disabled. Fix the cause and "
                    "restart provisioning.")
        else:
            subject = f"Provisioning for '{app}' is in quarantine ({reason})"
            lead = (f"The provisioning job {job.id} for the application '{app}' was placed in quarantine at "
                    f"{isoformat(quarantine.current_began) if quarantine else None} because of {reason}.")
        body = "\n".join([
            lead, "",
            f"Error code:    {(error.code if error else None) or '-'}",
            f"Error message: {(error.message if error else None) or '-'}",
            f"Next attempt:  {next_attempt or 'none (disabled)'}",
            f"Tenant:        {self.tenant_id}",
            "",
            "While the job is in quarantine, provisioning runs once a day. After four weeks in quarantine the job is "
            "disabled. Restart provisioning once the cause is fixed (Graph: POST .../synchronization/jobs/"
            f"{job.id}/restart).",
            "",
            "This message was sent by the provsim simulator of the Microsoft Entra provisioning service.",
        ])
        return subject, body
