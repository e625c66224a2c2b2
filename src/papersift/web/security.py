"""Cookies and CSRF protection.

CSRF uses signed double-submit tokens: every visitor gets a random nonce in an HttpOnly cookie,
and pages embed ``HMAC(secret, nonce | session)``. A state-changing request must send that token
back (form field ``csrf_token`` or header ``X-CSRF-Token``); a page on another site can neither
read the cookie nor compute the token. Binding the token to the session means a token from
before a login is not valid after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

SESSION_COOKIE = "papersift_session"
CSRF_COOKIE = "papersift_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_header(name: str, value: str, *, max_age: int, secure: bool) -> str:
    """A Set-Cookie value with the flags every papersift cookie has."""
    flags = f"; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax"
    return f"{name}={value}{flags}{'; Secure' if secure else ''}"


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )


def csrf_nonce(request: Request) -> str:
    """The visitor's nonce: from the cookie, or a new one (the response then sets the cookie)."""
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if not (16 <= len(nonce) <= 64) or not nonce.isalnum():
        nonce = getattr(request.state, "new_csrf_nonce", None) or secrets.token_hex(16)
        request.state.new_csrf_nonce = nonce
    return nonce


def csrf_token(request: Request, secret: bytes) -> str:
    session = request.cookies.get(SESSION_COOKIE, "")
    message = f"{csrf_nonce(request)}|{session}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def csrf_valid(request: Request, secret: bytes, submitted: str | None) -> bool:
    if CSRF_COOKIE not in request.cookies or not submitted:
        return False
    return hmac.compare_digest(csrf_token(request, secret), submitted)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
