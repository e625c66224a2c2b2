"""Signed, URL-safe tokens naming a user for one purpose (the one-click unsubscribe link).

A token is ``v1.<user id>.<signature>``: the signature is HMAC-SHA256 over the version, the
purpose and the user id, base64url without padding. The version prefix lets a later format or
key take over while ``read_token`` still accepts the old tokens. Tokens never expire: an
unsubscribe link must work however old the email is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence

from papersift.errors import InvalidInputError

VERSION = "v1"
_MAX_USER_ID = 2**63 - 1
_TOKEN = re.compile(r"v1\.(0|[1-9][0-9]{0,18})\.([A-Za-z0-9_-]{43})")


def make_token(secret: bytes, purpose: str, user_id: int) -> str:
    """A token that ``read_token`` with the same secret and purpose turns back into ``user_id``."""
    _check(secret, purpose)
    if isinstance(user_id, bool) or not 0 <= user_id <= _MAX_USER_ID:
        raise ValueError("user_id must be an integer from 0 to 2**63 - 1")
    return f"{VERSION}.{user_id}.{_signature(secret, purpose, user_id)}"


def read_token(
    secret: bytes, purpose: str, token: str, *, previous_secrets: Sequence[bytes] = ()
) -> int:
    """The user id a token was made for; raises InvalidInputError unless it is genuine.

    ``previous_secrets`` are still accepted (for rotating the secret without breaking links in
    emails already sent). Signatures are compared in constant time.
    """
    _check(secret, purpose)
    match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
    if match is not None:
        user_id = int(match.group(1))
        if user_id <= _MAX_USER_ID:
            given = match.group(2).encode("ascii")
            for key in (secret, *previous_secrets):
                expected = _signature(key, purpose, user_id).encode("ascii")
                if hmac.compare_digest(expected, given):
                    return user_id
    raise InvalidInputError("this link is invalid or was changed; use the link from the email")


def _check(secret: bytes, purpose: str) -> None:
    if not secret:
        raise ValueError("the token secret must not be empty")
    if not purpose or "\x00" in purpose:
        raise ValueError("the token purpose must be a non-empty string without NUL")


def _signature(secret: bytes, purpose: str, user_id: int) -> str:
    parts = (b"papersift-token", VERSION.encode(), purpose.encode(), str(user_id).encode())
    message = b"\x00".join(parts)
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
