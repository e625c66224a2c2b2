"""Harvest arXiv metadata over OAI-PMH (``ListRecords``), one page at a time.

``OAIHarvester.pages`` yields one ``HarvestPage`` per response. It waits at least ``delay``
seconds between the starts of consecutive requests (arXiv asks for 3 s), honours ``503`` /
``429`` with ``Retry-After``, retries dropped connections, timeouts, 5xx responses and
truncated (not well-formed) bodies with exponential backoff, and fails at once on other 4xx
answers and OAI-PMH protocol errors. Parsing each page is the job of
``papersift.sources.oai.parse_oai_response``.

Resuming after a crash
----------------------
Each page carries the resumption token of the *next* page (``None`` on the last page). The
caller stores a page's records and that token in one transaction; to carry on after a crash it
calls ``pages(request, resume_token=<last stored token>)``, which starts with the page after the
last stored one, so every record is stored exactly once. Servers expire their tokens; resuming
with a stale one raises ``ExpiredResumptionToken`` and the harvest must start over (a
``from_date`` keeps the restart short).

Why not sickle
--------------
sickle's iterators hide page boundaries, so the caller cannot checkpoint a token per page; its
retries cover only HTTP status codes (not dropped connections, timeouts or truncated bodies),
read ``Retry-After`` only as whole seconds, and call ``time.sleep`` directly, so neither the
politeness delay nor the waits could be injected and tested. The protocol needed here is
small (one verb, two kinds of query), so this module speaks it with ``requests``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests

from papersift.errors import HarvestError, SettingsError
from papersift.sources import Record
from papersift.sources._http import plain_reason
from papersift.sources._xml import XMLError, local_name, parse_xml
from papersift.sources.oai import OAIPage, parse_oai_response

_log = logging.getLogger(__name__)

METADATA_PREFIXES = frozenset({"arXiv", "arXivRaw"})
DEFAULT_USER_AGENT = "papersift/0.1 (+https://github.com/papersift)"

MAX_WAIT = 600.0  # seconds; no single wait is longer, whatever the server asks for
DEFAULT_RETRY_AFTER = 30.0  # seconds; for a 503/429 without a usable Retry-After header
BACKOFF_BASE = 5.0  # seconds; the first wait after other transient failures, doubled each time

_TRANSIENT_REQUEST_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class ExpiredResumptionToken(HarvestError):
    """The server rejected a resumption token (``badResumptionToken``); restart the harvest."""

    def __init__(self, token: str, url: str, detail: str | None) -> None:
        super().__init__(
            f"the OAI-PMH server rejected resumption token {token!r} ({detail or 'no detail'});"
            f" it has probably expired, so the harvest must restart from the first page"
            f" (request: {url})"
        )
        self.token = token


@dataclass(frozen=True)
class HarvestRequest:
    """What to harvest: an endpoint, an optional set and date range, and a metadata format."""

    endpoint: str
    set_spec: str | None
    from_date: date | None
    until_date: date | None
    metadata_prefix: str = "arXiv"

    def __post_init__(self) -> None:
        url = urlsplit(self.endpoint)
        if url.scheme not in {"http", "https"} or not url.netloc:
            raise SettingsError(f"OAI-PMH endpoint must be an http(s) URL, got {self.endpoint!r}")
        if self.metadata_prefix not in METADATA_PREFIXES:
            raise SettingsError(
                f"metadata prefix must be one of {sorted(METADATA_PREFIXES)},"
                f" got {self.metadata_prefix!r}"
            )
        if self.set_spec == "":
            raise SettingsError("set_spec must be None (all sets) or a non-empty set name")
        if self.from_date and self.until_date and self.from_date > self.until_date:
            raise SettingsError(f"from date {self.from_date} is after until date {self.until_date}")

    def first_page_params(self) -> dict[str, str]:
        """Query parameters of the first ``ListRecords`` request."""
        params = {"verb": "ListRecords", "metadataPrefix": self.metadata_prefix}
        if self.set_spec is not None:
            params["set"] = self.set_spec
        if self.from_date is not None:
            params["from"] = self.from_date.isoformat()
        if self.until_date is not None:
            params["until"] = self.until_date.isoformat()
        return params


@dataclass(frozen=True)
class HarvestPage:
    """The records of one response and the token that fetches the next one."""

    records: list[Record]
    resumption_token: str | None  # token for the NEXT page; None when the list is complete
    complete_list_size: int | None  # as reported by the server, when it does
    page_number: int  # 1-based, counted within one call of ``pages`` (a resumed run restarts at 1)


class _Transient(Exception):
    """A failure worth retrying; ``wait`` is the server's requested wait, if it asked for one."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class OAIHarvester:
    """A polite, retrying OAI-PMH ``ListRecords`` client; see the module docstring.

    Retries are counted per page: a page whose request fails ``max_retries + 1`` times in a row
    (a ``503`` with ``Retry-After`` included) ends the harvest with ``HarvestError``. ``sleep``
    and ``clock`` are injectable so tests can run without waiting and can check the waits. One
    harvester keeps the politeness delay across all its ``pages`` calls.
    """

    def __init__(
        self,
        *,
        delay: float = 3.0,
        max_retries: int = 5,
        timeout: float = 60.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        if delay < 0 or max_retries < 0 or timeout <= 0:
            raise SettingsError(
                f"need delay >= 0, max_retries >= 0 and timeout > 0;"
                f" got delay={delay}, max_retries={max_retries}, timeout={timeout}"
            )
        self._delay = delay
        self._max_retries = max_retries
        self._timeout = timeout
        self._owns_session = session is None
        self._session = session or requests.Session()
        self._sleep = sleep
        self._clock = clock
        self._headers = {"User-Agent": user_agent}
        self._last_start: float | None = None

    def close(self) -> None:
        """Close the HTTP session if this harvester created it."""
        if self._owns_session:
            self._session.close()

    def pages(
        self, request: HarvestRequest, *, resume_token: str | None = None
    ) -> Iterator[HarvestPage]:
        """Yield the pages of ``request``'s record list, first to last.

        With ``resume_token`` (a page's stored ``resumption_token``) the harvest starts at the
        page that token names and ``request`` supplies only the endpoint: OAI-PMH carries the
        set, dates and format inside the token. Nothing is fetched before the first ``next``,
        and each page is fetched only when the previous one has been consumed. A list with no
        records (``noRecordsMatch``) yields nothing.

        Raises ``ExpiredResumptionToken`` when the server rejects a token and ``HarvestError``
        on any other failure that retries did not fix.
        """
        if resume_token == "":
            raise SettingsError("resume_token is empty; pass None to start from the first page")
        params = request.first_page_params() if resume_token is None else _resume(resume_token)
        page_number = 1
        while True:
            url = _request_url(request.endpoint, params)
            oai_page = self._fetch(request.endpoint, params, url)
            if oai_page.error_code == "noRecordsMatch":
                return
            _raise_for_oai_error(oai_page, params, url)
            token = oai_page.resumption_token or None
            if token is not None and token == params.get("resumptionToken"):
                raise HarvestError(
                    f"{url} answered with the resumption token it was sent ({token!r});"
                    " stopping rather than looping forever"
                )
            yield HarvestPage(oai_page.records, token, oai_page.complete_list_size, page_number)
            if token is None:
                return
            params = _resume(token)
            page_number += 1

    def _fetch(self, endpoint: str, params: dict[str, str], url: str) -> OAIPage:
        """One page, retrying transient failures up to ``max_retries`` times."""
        failures = 0
        while True:
            try:
                return self._attempt(endpoint, params, url)
            except _Transient as problem:
                failures += 1
                if failures > self._max_retries:
                    raise HarvestError(
                        f"giving up on {url} after {failures} failed attempts;"
                        f" last error: {problem}"
                    ) from problem
                wait = problem.wait if problem.wait is not None else _backoff(failures)
                _log.warning("retrying %s in %.0f s: %s", url, wait, problem)
                self._sleep(wait)

    def _attempt(self, endpoint: str, params: dict[str, str], url: str) -> OAIPage:
        """One request; raises ``_Transient`` for failures worth retrying."""
        self._wait_for_turn()
        try:
            response = self._session.get(
                endpoint, params=params, headers=self._headers, timeout=self._timeout
            )
        except _TRANSIENT_REQUEST_ERRORS as error:
            raise _Transient(plain_reason(error)) from error
        except requests.RequestException as error:
            raise HarvestError(f"request to {url} failed: {plain_reason(error)}") from error
        _check_status(response, url)
        return _parse_page(response.content, url)

    def _wait_for_turn(self) -> None:
        """Sleep until ``delay`` seconds have passed since the previous request started."""
        if self._last_start is not None:
            remaining = self._delay - (self._clock() - self._last_start)
            if remaining > 0:
                self._sleep(remaining)
        self._last_start = self._clock()


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait per a ``Retry-After`` header value, capped at ``MAX_WAIT``.

    The value is either whole seconds or an HTTP date; ``None`` when it is missing or garbled.
    ``now`` (aware, UTC by default) is what an HTTP date is measured from.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
            if when.tzinfo is None:  # "-0000" zone: UTC by RFC 5322
                when = when.replace(tzinfo=UTC)
            seconds = (when - (now or datetime.now(UTC))).total_seconds()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return min(max(seconds, 0.0), MAX_WAIT)


def _check_status(response: requests.Response, url: str) -> None:
    """Raise ``_Transient`` for statuses worth retrying, ``HarvestError`` for other non-2xx."""
    status = response.status_code
    if status in (429, 503):  # the server asks us to slow down
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        raise _Transient(f"HTTP {status}", DEFAULT_RETRY_AFTER if wait is None else wait)
    if status >= 500:
        raise _Transient(f"HTTP {status} {response.reason}")
    if not 200 <= status < 300:
        raise HarvestError(f"{url} answered HTTP {status} {response.reason}")


def _parse_page(body: bytes, url: str) -> OAIPage:
    """Parse a response body; one that is not an OAI-PMH document is a transient failure.

    ``parse_oai_response`` reports such a body as a ``Malformed`` record, which suits saved
    files; from the network it usually means a truncated transfer or a proxy's error page, which
    are worth retrying. Checking first parses the body twice: milliseconds per page.
    """
    try:
        root = parse_xml(body)
    except XMLError as error:
        raise _Transient(f"response is {error}") from error
    if local_name(root) != "OAI-PMH":
        raise _Transient(f"response is not OAI-PMH (root element <{local_name(root)}>)")
    return parse_oai_response(body, url)


def _raise_for_oai_error(page: OAIPage, params: dict[str, str], url: str) -> None:
    """Turn an OAI-PMH error in ``page`` (other than ``noRecordsMatch``) into an exception."""
    if page.error_code is None:
        return
    token = params.get("resumptionToken")
    if page.error_code == "badResumptionToken" and token is not None:
        raise ExpiredResumptionToken(token, url, page.error_message)
    raise HarvestError(
        f"{url} answered with OAI-PMH error {page.error_code}: {page.error_message or ''}"
    )


def _resume(token: str) -> dict[str, str]:
    """Query parameters of a follow-up request: the protocol allows only the token."""
    return {"verb": "ListRecords", "resumptionToken": token}


def _request_url(endpoint: str, params: dict[str, str]) -> str:
    """The full URL of a request, for messages and record labels."""
    return requests.Request("GET", endpoint, params=params).prepare().url or endpoint


def _backoff(failures: int) -> float:
    """Exponential backoff after the ``failures``-th consecutive failure."""
    return min(BACKOFF_BASE * 2.0 ** (failures - 1), MAX_WAIT)
