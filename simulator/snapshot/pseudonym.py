"""Deterministic pseudonyms that keep shapes and never equal an original.

A value is cut into tokens (runs of letters and digits) and separators (everything
else: ``.``, ``@``, spaces, ``+``, ``-``...).  Separators stay; each token is replaced
character by character, a letter by a letter (ASCII) and a digit by a digit, keeping
the length and the upper/lower case of each position.  So an e-mail stays an e-mail
(``megan.bowen@contoso.com`` -> ``kivol.tarun@xqwplaz.yfr``), a phone number a phone
number (a leading digit stays zero or non-zero, so ``+14255550101`` stays E.164), ``E1002`` an employee-id-shaped ``Q8370``, and a GUID (ids, externalIds) a
valid GUID.

* **The same token, the same pseudonym** (case-insensitively, the case pattern kept):
  ``Megan`` in givenName, ``Megan Bowen`` in displayName and ``megan.bowen@...`` in
  mail and UPN all become the same word, so a mapping that joins, lower-cases or
  compares them behaves on the snapshot as on the tenant, and matching on userName
  still finds the Genesys user Entra provisioned.  A re-snapshot gives the same
  pseudonyms (the key is derived from the tenant, or given).
* **Never an original:** a token's pseudonym is never any original token of the
  tenant, so no pseudonymised value can equal an original value.
* **One original, one pseudonym:** two tokens never share a pseudonym (userNames stay
  unique).
* **Configuration stays verbatim:** tokens that the job's mappings and scoping filters
  name (``keep``) are not replaced, so ``department EQUALS "Sales"`` or
  ``Replace([mail], "@contoso.com", ...)`` still mean what they meant.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import string
import uuid
from collections.abc import Iterable
from typing import Final

__all__ = ["Pseudonymizer", "tokens", "GUID_RE", "STRUCTURAL_TOKENS"]

_TOKEN: Final = re.compile(r"[^\W_]+")
GUID_RE: Final = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

#: Tokens that carry no personal data and give values their shape: address prefixes, the guest
#: marker, Microsoft's domains, top-level domains, Genesys' default division.
STRUCTURAL_TOKENS: Final = frozenset({
    "smtp", "sip", "x500", "ext", "onmicrosoft", "mail", "home",
    "com", "net", "org", "edu", "gov", "io", "co", "uk", "nl", "de", "fr", "be", "eu", "us", "ie", "dk", "se",
    "no", "fi", "ch", "at", "es", "pl", "au", "nz", "ca", "jp", "br", "mx", "za", "cloud",
})
#: Candidate pseudonyms tried per token before one that is another original token is accepted
#: (only a tiny token space, such as every two-digit number, can run out).
_ATTEMPTS: Final = 64


def tokens(value: str) -> list[str]:
    """The letter/digit runs of ``value`` (lower case)."""
    return [t.lower() for t in _TOKEN.findall(value)]


class Pseudonymizer:
    """Pseudonyms for one tenant.

    ``key``: the secret the pseudonyms derive from (same key, same pseudonyms).
    ``originals``: every token of every personal value of the tenant (lower case);
    ``keep``: tokens kept verbatim (the configuration's constants, :data:`STRUCTURAL_TOKENS`).
    """

    def __init__(self, key: bytes, *, originals: Iterable[str], keep: Iterable[str] = ()) -> None:
        self._key = key
        self.keep = frozenset(k.lower() for k in keep) | STRUCTURAL_TOKENS
        self._originals = frozenset(originals)
        self._tokens: dict[str, str] = {}  # original token (lower) -> pseudonym (lower)
        self._taken: dict[str, str] = {}  # pseudonym (lower) -> original token (lower)
        self._guids: dict[str, str] = {}

    # ---------------------------------------------------------------- values
    def text(self, value: str) -> str:
        """``value`` with every token replaced (kept tokens stay)."""
        out: list[str] = []
        last = 0
        for found in _TOKEN.finditer(value):
            out.append(value[last:found.start()])
            out.append(self._token(found.group(0)))
            last = found.end()
        out.append(value[last:])
        return "".join(out)

    def guid(self, value: str) -> str:
        """A GUID for a GUID: the same one for the same original, never the original."""
        lower = value.lower()
        if lower not in self._guids:
            counter = 0
            while True:
                digest = hmac.new(self._key, f"guid:{lower}:{counter}".encode(), hashlib.sha256).digest()
                made = str(uuid.UUID(bytes=digest[:16], version=4))
                if made != lower and made not in self._guids.values():
                    break
                counter += 1
            self._guids[lower] = made
        return self._guids[lower]

    def value(self, value: str) -> str:
        """A GUID-shaped value becomes a GUID, anything else :meth:`text`."""
        return self.guid(value) if GUID_RE.match(value) else self.text(value)

    # ---------------------------------------------------------------- tokens
    def _token(self, token: str) -> str:
        lower = token.lower()
        if lower in self.keep:
            return token
        pseudo = self._tokens.get(lower)
        if pseudo is None:
            pseudo = self._derive(token, lower)
            self._tokens[lower] = pseudo
            self._taken[pseudo] = lower
        if len(pseudo) != len(token):  # a token whose lower case has another length (U+0130 and friends)
            return pseudo
        # The case pattern of this occurrence: "Megan", "MEGAN" and "megan" stay distinguishable.
        return "".join(p.upper() if o.isupper() else p for o, p in zip(token, pseudo, strict=True))

    def _derive(self, token: str, lower: str) -> str:
        fallback: str | None = None
        for attempt in range(_ATTEMPTS * 4):
            digest = hmac.new(self._key, f"token:{lower}:{attempt}".encode(), hashlib.sha512).digest()
            candidate = "".join(_replace(ch, digest[i % len(digest)] + i // len(digest), leading=i == 0)
                                for i, ch in enumerate(token))
            if candidate == lower or self._taken.get(candidate, lower) != lower:
                continue  # the original itself, or another token's pseudonym
            if candidate not in self._originals:
                return candidate
            if fallback is None and attempt >= _ATTEMPTS:
                fallback = candidate
            if fallback is not None and attempt >= _ATTEMPTS * 2:
                return fallback
        if fallback is not None:
            return fallback
        raise ValueError(f"no pseudonym left for a token of {len(token)} characters")  # pragma: no cover

    def mapping(self) -> dict[str, str]:
        """original token -> pseudonym (for a test or a debugging session; never written out)."""
        return dict(self._tokens)


def _replace(ch: str, byte: int, *, leading: bool) -> str:
    if ch.isdigit():
        if leading:  # a leading zero stays one and no other digit becomes one: E.164 numbers stay valid
            return "0" if ch == "0" else string.digits[1 + byte % 9]
        return string.digits[byte % 10]
    if ch.isalpha():
        return string.ascii_lowercase[byte % 26]
    return ch.lower()  # other alphanumerics (marks, letter-like symbols): kept
