"""The emails of accounts: verify an address, reset a password, an address being changed.

Every link is built from ``PAPERSIFT_PUBLIC_URL``. Messages are handed to an ``Outbox``, which
sends them over SMTP (the digest's settings) from a background thread: a request never waits for
the mail server, and "forgot password" answers in the same time whether a message goes out or
not. A message the server refuses is logged; the person can ask for another.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from papersift.errors import MailError
from papersift.features.addresses import RESET_PASSWORD, VERIFY, path

log = logging.getLogger("papersift.mail")


class Outbox:
    """Sends messages in order on one background thread (started by the first message)."""

    def __init__(self, send: Callable[[EmailMessage], None]) -> None:
        self._send = send
        self._queue: queue.Queue[EmailMessage | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0

    def put(self, message: EmailMessage) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
                self._thread.start()
        self._queue.put(message)

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait until every message handed in so far was sent (or failed); False on timeout."""
        done = threading.Event()

        def join() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=join, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (for at most ``timeout`` seconds), then stop the thread."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            if message is None:
                self._queue.task_done()
                return
            try:
                self._send(message)
                self.sent += 1
            except MailError as error:
                self.failed += 1
                log.warning("could not send %r to %s: %s", message["Subject"], message["To"], error)
            except Exception:  # a bug must not stop every later message
                self.failed += 1
                log.exception("could not send %r to %s", message["Subject"], message["To"])
            finally:
                self._queue.task_done()


class AccountMail:
    """Composes the account emails and hands them to the outbox."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        site_url: str,
        sender: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.outbox = outbox
        self.site_url = site_url.rstrip("/")
        self.sender = sender
        self.clock = clock

    def link(self, path: str) -> str:
        return f"{self.site_url}{path}"

    def verification(
        self, to: str, name: str, token: str, valid_for: timedelta, *, new: bool
    ) -> None:
        what = "your new email address" if new else "your email address"
        self._send(
            to,
            "Confirm your email address for papersift",
            f"Hello {name},\n\n"
            f"Please confirm {what} for papersift by opening this link:\n\n"
            f"  {self.link(path(VERIFY, token=token))}\n\n"
            f"The link works once and expires in {_duration(valid_for)}. Until the address is "
            "confirmed, papersift sends it no digest or alert.\n\n"
            "If you did not ask for this, ignore this email: nothing is sent to this address "
            "unless it is confirmed.\n",
        )

    def reset(self, to: str, name: str, token: str, valid_for: timedelta) -> None:
        self._send(
            to,
            "Reset your papersift password",
            f"Hello {name},\n\n"
            "Someone (we hope you) asked to reset the password of the papersift account of this "
            "address. Choose a new password here:\n\n"
            f"  {self.link(path(RESET_PASSWORD, token=token))}\n\n"
            f"The link works once and expires in {_duration(valid_for)}. Using it logs the "
            "account out everywhere and confirms this address.\n\n"
            "If you did not ask for this, ignore this email: your password stays as it is.\n",
        )

    def email_changing(self, to: str, name: str, new_email: str) -> None:
        self._send(
            to,
            "Your papersift email address is being changed",
            f"Hello {name},\n\n"
            f"The email address of your papersift account is being changed to {new_email}; the "
            "change takes effect when a link sent there is opened.\n\n"
            "If this was not you, reset your password now (it logs everyone out):\n\n"
            f"  {self.link('/forgot-password')}\n",
        )

    def _send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(self.clock())
        host = urlsplit(self.site_url).hostname or "papersift.invalid"
        message["Message-ID"] = make_msgid("account", domain=host)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        self.outbox.put(message)


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
