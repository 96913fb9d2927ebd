"""provsim's recording proxy: record, scrub, replay, diff, verify.

One front door (httpx's habit): everything other packages and users may use is
re-exported here; the modules behind it may move.

    modes       ProxyMode, OnMiss
    forward     Forwarder, Upstream           (httpx; hop-by-hop, 502/504 translation)
    cassette    CassetteFile, Interaction      (vcrpy Cassette/persister/serializers)
    scrub       Scrubber and its filters       (secrets out before anything is written)
    matchers    method, path, query, body      ((matched, reason) functions)
    replay      Replayer                       (ordered replay, explained misses)
    app         ProxyApp, ProxyConfig          (the WSGI proxy)
    transports  RecordingTransport, ReplayTransport  (in-process, no proxy process)
    diff/check/verify                          (the cassette commands' library code)

Importing this package has no side effects: no server, no client, no file is opened.
"""

from .app import REPLAY_HEADER, SOURCE_HEADER, ProxyApp, ProxyConfig, ProxyTrafficLog
from .cassette import CassetteFile, CassetteFormat, Interaction, load_interactions, save_interactions
from .check import CheckReport, Finding, check_cassette
from .diff import CassetteDiff, DiffOptions, compare_interactions, diff_interactions
from .errors import (
    CassetteError,
    CassetteFormatError,
    CassetteNotFoundError,
    ForbiddenTarget,
    ProxyError,
    ReplayMiss,
    UpstreamError,
    UpstreamTimeout,
    UpstreamUnavailable,
    VerifyError,
)
from .forward import Forwarder, Upstream
from .matchers import Matcher, default_matchers
from .modes import OnMiss, ProxyMode, validate_mode
from .replay import Replayer
from .scrub import Scrubber
from .transports import RecordingTransport, ReplayTransport
from .verify import VerifyReport, verify_cassette

__all__ = [
    "REPLAY_HEADER",
    "SOURCE_HEADER",
    "CassetteDiff",
    "CassetteError",
    "CassetteFile",
    "CassetteFormat",
    "CassetteFormatError",
    "CassetteNotFoundError",
    "CheckReport",
    "DiffOptions",
    "Finding",
    "ForbiddenTarget",
    "Forwarder",
    "Interaction",
    "Matcher",
    "OnMiss",
    "ProxyApp",
    "ProxyConfig",
    "ProxyError",
    "ProxyMode",
    "RecordingTransport",
    "ReplayMiss",
    "ReplayTransport",
    "Replayer",
    "Scrubber",
    "ProxyTrafficLog",
    "Upstream",
    "UpstreamError",
    "UpstreamTimeout",
    "UpstreamUnavailable",
    "VerifyError",
    "VerifyReport",
    "check_cassette",
    "compare_interactions",
    "default_matchers",
    "diff_interactions",
    "load_interactions",
    "save_interactions",
    "validate_mode",
    "verify_cassette",
]
