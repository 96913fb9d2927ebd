"""Who may drive the simulator: Host and Origin checks, and keys for shared servers.

The control API (``/_provsim``) and the dashboard change and reveal the whole
simulated tenant, so over a socket they answer only loopback peers (the peer
address, not the Host header a client chooses), and then only requests
addressed to a loopback name (or a host ``serve`` was told about), and refuse
state changes that a page on another origin sends (README.md, "Serve every fake on one port").  A DNS-rebound name such as
``attacker.example`` resolving to 127.0.0.1 fails the Host check; a form or
``fetch`` from another site fails the Origin check.

Pure functions over header values, so the WSGI middleware and the tests share
them.  :func:`random_key` is the one place provsim draws real randomness: a
signing key for ``serve --random-keys`` (never used unless asked for).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import secrets
from urllib.parse import urlsplit

__all__ = ["b64url_decode", "host_name", "is_loopback_name", "is_ip_literal", "peer_is_loopback", "host_allowed", "origin_allowed", "random_key", "random_token",
           "IN_PROCESS_HOSTS", "SERVED_KEY", "IN_PROCESS_MARK"]

#: The WSGI environ key a real server sets (``simulator.http.server``): the request came over a socket,
#: so the in-process host names are not accepted.
SERVED_KEY = "provsim.served"

#: The WSGI environ key set on every request that came through
#: :class:`~simulator.client.transport.InProcessTransport`: the app then knows the host it was called at
#: needs no socket (a tenant URL on it works in-process).
IN_PROCESS_MARK = "provsim.in_process"

#: Names that only in-process clients use (httpx WSGITransport, Flask's test client); never accepted from a socket.
IN_PROCESS_HOSTS = frozenset({"provsim.local", "provsim.test", "genesys.provsim.local", "localhost"})


def host_name(host_header: str) -> str:
    """``Host`` without its port, lower case, IPv6 brackets removed."""
    value = (host_header or "").strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value[1:]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def is_loopback_name(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_ip_literal(host_header: str | None) -> bool:
    """Does ``Host`` name an IP address (not a name a resolver could rebind)?"""
    try:
        ipaddress.ip_address(host_name(host_header or ""))
    except ValueError:
        return False
    return True


def peer_is_loopback(remote_addr: str | None) -> bool:
    """Is a socket peer (WSGI ``REMOTE_ADDR``) a loopback address?  IPv4-mapped IPv6 counts as its IPv4."""
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def host_allowed(host_header: str | None, *, allowed: tuple[str, ...] = (), served: bool = True) -> bool:
    """A loopback name, one of ``allowed``, or (in-process only) the in-process names."""
    name = host_name(host_header or "")
    if not name:
        return not served  # HTTP/1.1 requires Host; only an in-process caller may omit it
    if is_loopback_name(name) or name in {host_name(a) for a in allowed}:
        return True
    return not served and name in IN_PROCESS_HOSTS


def origin_allowed(origin: str | None, host_header: str | None, *, fetch_site: str | None = None) -> bool:
    """May a state-changing request with this ``Origin`` (and ``Sec-Fetch-Site``) proceed?

    No ``Origin`` (curl, SDKs, scripts): yes.  ``Origin`` present: only the
    request's own origin (same host and port).  ``Sec-Fetch-Site:
    cross-site``/``same-site`` from a browser: no.
    """
    if fetch_site and fetch_site.strip().lower() in ("cross-site", "same-site"):
        return False
    if origin is None:
        return True
    origin = origin.strip()
    if origin.lower() == "null":  # sandboxed frames, file:// pages, redirects across origins
        return False
    parts = urlsplit(origin)
    if not parts.netloc:
        return False
    return parts.netloc.lower() == (host_header or "").strip().lower()


def random_key(nbytes: int = 32) -> bytes:
    """A signing key nobody can derive from the seed (``serve --random-keys``)."""
    return secrets.token_bytes(nbytes)


def random_token(nbytes: int = 24) -> str:
    """An unguessable value for the dashboard's form cookie."""
    return secrets.token_urlsafe(nbytes)


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_decode(text: str) -> bytes:
    """Strict unpadded base64url (RFC 7515 §2, RFC 4648 §5), as JWT and Graph tokens use it.

    Python's ``urlsafe_b64decode`` skips characters outside the alphabet and
    accepts extra padding, so ``<signature>!!`` would decode to the same bytes as
    ``<signature>``; here anything but the alphabet, padding, or a length no
    encoder produces is a ``ValueError``, and so is a last character carrying
    bits the encoder would have left zero (the encoding is canonical).
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        raise ValueError(f"not base64url: {err}") from err
    if base64.urlsafe_b64encode(data).decode().rstrip("=") != text:
        raise ValueError("not canonical base64url")
    return data
