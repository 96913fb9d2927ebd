"""SCIM 2.0 notation shared by both ends of the wire, with no web framework.

:mod:`.path` is the one grammar of attribute paths (RFC 7644 §3.10, and the
value-path filters of §3.5.2): the Genesys fake's PATCH, filter and projection
(:mod:`simulator.purecloud`) and the engine's ``scim_get``/``scim_set``
(:mod:`simulator.engine.scim_paths`) both parse paths here; each keeps its own
semantics where the real systems differ.  :mod:`.urns` names the schema and message URNs.
"""

from __future__ import annotations

from .path import PathSyntaxError, ScimPath, eq_pairs, parse_path, split_urn

__all__ = ["ScimPath", "PathSyntaxError", "parse_path", "split_urn", "eq_pairs"]
