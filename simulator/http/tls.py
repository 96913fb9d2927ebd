"""The local certificate authority of ``provsim serve --tls`` and ``provsim proxy --tls``.

msal, azure-identity, ``@azure/msal-node`` and the Graph JavaScript client only talk to
``https://`` authorities and APIs, so provsim serves HTTPS with a certificate for ``localhost``,
``127.0.0.1`` and ``::1`` signed by a CA of its own, made on first use with trustme (python-trio's
library for test CAs, on top of ``cryptography``: no hand-rolled crypto) and kept in a folder::

    DIR/ca.pem           the CA certificate: the one file to trust (SSL_CERT_FILE, REQUESTS_CA_BUNDLE,
                         NODE_EXTRA_CA_CERTS, the Genesys SDK's ssl_ca_cert)
    DIR/ca-key.pem       its private key (mode 0600): reused on later starts, so ca.pem stays valid
    DIR/server.pem       this start's certificate chain (server certificate + CA)
    DIR/server-key.pem   its private key (mode 0600)

``DIR`` is ``--tls-dir`` or :func:`default_tls_dir` (a per-user folder).  Trust ``ca.pem`` per
process, through those variables, rather than system-wide: whoever holds ``ca-key.pem`` can sign a
certificate for any name.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import ssl
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.core import ProvsimError

__all__ = ["TlsFiles", "TlsError", "default_tls_dir", "ensure_tls", "LOCAL_NAMES", "tls_options", "tls_files",
           "tls_banner", "upstream_trust"]

#: The names every server certificate covers.
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


class TlsError(ProvsimError):
    """The TLS folder cannot be used (half a CA, unreadable files, no room)."""


@dataclass(frozen=True)
class TlsFiles:
    """Where a server's TLS material is: ``ca`` to trust, ``cert``/``key`` to serve with."""

    folder: Path
    ca: Path
    cert: Path
    key: Path
    created: bool  #: the CA was made by this call (first use of the folder)
    names: tuple[str, ...]

    @property
    def pair(self) -> tuple[str, str]:
        """``(certificate chain, private key)`` paths, as servers take them."""
        return str(self.cert), str(self.key)


def default_tls_dir() -> Path:
    """The per-user folder of the local CA: ``$XDG_DATA_HOME/provsim/tls`` (``~/.local/share/…``) on
    Linux, ``~/Library/Application Support/provsim/tls`` on macOS, ``%LOCALAPPDATA%\\provsim\\tls`` on Windows."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "provsim" / "tls"


def ensure_tls(folder: Path | None = None, names: Iterable[str] = ()) -> TlsFiles:
    """The CA in ``folder`` (made on first use, reused after) and a fresh server certificate for
    :data:`LOCAL_NAMES` plus ``names`` (e.g. the ``--host`` a server binds, when it is not a wildcard)."""
    import trustme

    folder = Path(folder) if folder is not None else default_tls_dir()
    wanted = tuple(dict.fromkeys((*LOCAL_NAMES, *(_clean(n) for n in names if _clean(n)))))
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        ca_path, ca_key = folder / "ca.pem", folder / "ca-key.pem"
        with _locked(folder / ".lock"):
            created = False
            if ca_path.exists() and ca_key.exists():
                try:
                    ca = trustme.CA.from_pem(ca_path.read_bytes(), ca_key.read_bytes())
                except ValueError as err:
                    raise TlsError(f"{ca_path} or {ca_key} is not a PEM certificate and key ({err}); "
                                   f"remove both to make a new CA (then trust the new {ca_path})") from err
            elif ca_path.exists() or ca_key.exists():
                present, missing = (ca_path, ca_key) if ca_path.exists() else (ca_key, ca_path)
                raise TlsError(f"{folder} has {present.name} but not {missing.name}: remove {present} to make a new CA "
                               f"(then trust the new {ca_path}), or put the missing file back")
            else:
                ca = trustme.CA(organization_name="provsim", organization_unit_name="provsim local CA")
                _write(ca_key, ca.private_key_pem.bytes(), secret=True)
                _write(ca_path, ca.cert_pem.bytes())
                created = True
            leaf = ca.issue_cert(*wanted, common_name="localhost", organization_name="provsim",
                                 organization_unit_name="provsim serve --tls")
            cert, key = folder / "server.pem", folder / "server-key.pem"
            _write(key, leaf.private_key_pem.bytes(), secret=True)
            _write(cert, b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    except OSError as err:
        raise TlsError(f"cannot use {folder} for the local CA: {err}") from err
    return TlsFiles(folder, ca_path, cert, key, created, wanted)


def upstream_trust(ca: Path) -> ssl.SSLContext:
    """A client context that trusts what httpx trusts by default (certifi's CAs) and the local CA."""
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=str(ca))
    return context


def _clean(name: str) -> str:
    """A name for the certificate: ``[::1]`` -> ``::1``; wildcards and empty names dropped."""
    name = name.strip().strip("[]").lower()
    if name in ("", "0.0.0.0", "::", "*"):
        return ""
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    """Atomically (a reader sees the old file or the new one), 0600 for keys."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One process at a time makes the CA (two servers started together must not make two)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; the first start is the one that makes the CA
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ------------------------------------------------------------- the command-line side (serve, proxy)
def tls_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--tls`` and ``--tls-dir DIR`` (serve and proxy): HTTPS with the local CA of :mod:`simulator.http.tls`."""
    import click

    command = click.option("--tls-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="Folder of the local CA (ca.pem, reused on later starts) [default: a per-user folder, "
                                "printed at start]. Implies --tls.")(command)
    return click.option("--tls", is_flag=True, help="Serve HTTPS on the same port with a certificate for localhost, "
                                                   "127.0.0.1 and ::1 signed by a local CA (trust DIR/ca.pem).")(command)


def tls_files(tls: bool, tls_dir: Path | None, host: str) -> TlsFiles | None:
    """The TLS material for ``--tls``/``--tls-dir`` (None when neither is given); errors are ClickExceptions."""
    if not tls and tls_dir is None:
        return None
    import click

    try:
        return ensure_tls(tls_dir, names=(host,))
    except TlsError as err:
        raise click.ClickException(str(err)) from err


def tls_banner(files: TlsFiles) -> str:
    """What a person needs to trust the CA, one line per kind of client."""
    state = "made now" if files.created else "reused"
    return "\n".join([
        f"  TLS: certificate for {', '.join(files.names)}; local CA {files.ca} ({state})",
        f"      trust it: SSL_CERT_FILE={files.ca} REQUESTS_CA_BUNDLE={files.ca} NODE_EXTRA_CA_CERTS={files.ca}",
    ])
