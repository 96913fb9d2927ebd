"""Notification e-mails: what the provisioning service sends when a job quarantines.

Real RFC 5322 messages (``email.message.EmailMessage``), deterministic: the
Date is virtual time and the Message-ID comes from the id factory.  Every
message lands in the outbox (a store table, listed by ``provsim outbox``), is
written as a ``.eml`` file when an outbox folder is configured, and is sent to
an SMTP server when one is configured (``--smtp host:port``; stdlib smtplib).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from simulator.core import Index, Store, isoformat

__all__ = ["Outbox", "SmtpTarget", "FROM_ADDRESS"]

log = logging.getLogger(__name__)

FROM_ADDRESS = "Microsoft Azure <azure-noreply@microsoft.com>"


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> "SmtpTarget":
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"--smtp takes host:port, got {text!r}")
        return cls(host, int(port))


class Outbox:
    def __init__(self, store: Store, ids, *, folder: Path | None = None, smtp: SmtpTarget | None = None) -> None:
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

    def send(self, msg: EmailMessage, *, at: datetime, kind: str) -> dict:
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

    def messages(self) -> list[dict]:
        return [doc for _id, doc in self.table.docs()]
