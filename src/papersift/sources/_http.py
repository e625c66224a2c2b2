"""Why an HTTP request failed, in plain words rather than the HTTP library's exception text.

``requests`` reports a refused connection as ``HTTPConnectionPool(host=..., port=...): Max
retries exceeded with url: ... (Caused by NewConnectionError(...))``; people reading papersift's
messages need "the connection was refused".
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import requests

_CAUSES: list[tuple[type[BaseException], str]] = [
    (socket.gaierror, "its host name could not be resolved"),
    (ConnectionRefusedError, "the connection was refused"),
    (ConnectionResetError, "the connection was reset"),
    (ssl.SSLError, "the secure (TLS) connection failed"),
    (TimeoutError, "it did not answer in time"),
]
_KINDS: list[tuple[type[requests.RequestException], str]] = [
    (requests.exceptions.SSLError, "the secure (TLS) connection failed"),
    (requests.exceptions.ConnectTimeout, "the connection timed out"),
    (requests.exceptions.ReadTimeout, "it did not answer in time"),
    (requests.exceptions.ChunkedEncodingError, "the answer was cut off"),
    (requests.exceptions.ContentDecodingError, "the answer could not be decompressed"),
    (requests.exceptions.TooManyRedirects, "it redirected too many times"),
    (requests.exceptions.InvalidSchema, "the address is not an http(s) URL"),
    (requests.exceptions.MissingSchema, "the address is not an http(s) URL"),
    (requests.exceptions.InvalidURL, "the address is not a valid URL"),
]


def plain_reason(error: BaseException) -> str:
    """Why ``error`` (raised by ``requests``) happened, in a few plain words."""
    for request_kind, words in _KINDS:
        if isinstance(error, request_kind):
            return words
    for cause in _causes(error):
        for kind, words in _CAUSES:
            if isinstance(cause, kind):
                return words
    if isinstance(error, requests.ConnectionError):
        return "the connection failed"
    return "the request failed"


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error``'s causes, depth first: chained exceptions and urllib3's ``reason``."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        linked += [arg for arg in current.args if isinstance(arg, BaseException)]
        stack.extend(item for item in linked if isinstance(item, BaseException))
