"""The dashboard at ``/``: a page a trainer can put on a projector.

Virtual time with buttons to move it, each provisioning job's status and quarantine, the latest
provisioning log entries as the portal lists them, the Genesys org, fault rules and the outbox.
Server-rendered (no JavaScript framework); the page refreshes itself every few seconds.
"""

from .views import bp, init_app, watch

__all__ = ["bp", "init_app", "watch"]
