"""The Flask and WSGI glue between a socket and the surfaces.

This module holds the Flask-side helpers every surface shares: the runtime accessor, JSON
responses with a fixed key order and a case-insensitive URL converter.  Beside it:

* :mod:`simulator.http.middleware` - the WSGI middleware around the whole app (limits, guard,
  fault rules, traffic log, the last-resort error answer);
* :mod:`simulator.http.server` - the HTTP server (waitress) and its housekeeping thread;
* :mod:`simulator.http.tls` - the local certificate authority of ``--tls``;
* :mod:`simulator.http.openapi` - the OpenAPI documents built from the app's URL map.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Response, current_app
from werkzeug.routing import BaseConverter

from simulator.core import Runtime

__all__ = ["runtime", "json_response", "CaseInsensitive", "dumps"]


def runtime() -> Runtime:
    """The :class:`Runtime` of the app handling the current request."""
    return current_app.extensions["provsim"]


#: json.dumps builds an encoder for every call with non-default options; one is enough (it keeps no state)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(data: Any) -> str:
    """JSON as every surface emits it: keys in the order built, no extra spaces, UTF-8."""
    return _ENCODER.encode(data)


def json_response(data: Any, status: int = 200, *, content_type: str = "application/json", headers: dict | None = None) -> Response:
    resp = Response(dumps(data), status=status, content_type=content_type)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


class CaseInsensitive(BaseConverter):
    """``<ci("users"):segment>`` matches ``users``, ``Users``, ``USERS``.

    Entra appends ``/Users`` while Genesys documents ``/users``; the real
    service accepts both, so the fake routes resource segments this way.
    """

    part_isolating = True

    def __init__(self, url_map, *words: str) -> None:
        super().__init__(url_map)
        self.regex = "(?i:" + "|".join(re.escape(w) for w in words) + ")"

    def to_python(self, value: str) -> str:
        return value.lower()
