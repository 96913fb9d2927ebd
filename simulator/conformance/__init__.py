"""The engine against your own SCIM server: the target report.

    from simulator.conformance import run_target, render_text
    report = run_target("demo", my_wsgi_app, token="s3cret")        # or a URL, or an ASGI app
    print(render_text(report)); assert report.ok

``provsim scenario run NAME --target URL [--token ...] [--profile scim|genesys]`` is the same
from the command line (docs/target.md).
"""

from __future__ import annotations

from .capture import Exchange
from .patterns import PATTERNS, Check, Pattern
from .report import VERDICTS, PassSummary, PatternVerdict, TargetReport, render_json, render_text
from .run import PASSES, run_target
from .target import APP_BASE_URL, COMPLIANCE_FLAG, Target

__all__ = ["run_target", "Target", "TargetReport", "PatternVerdict", "PassSummary", "Exchange", "Check", "Pattern",
           "PATTERNS", "VERDICTS", "PASSES", "render_text", "render_json", "APP_BASE_URL", "COMPLIANCE_FLAG"]
