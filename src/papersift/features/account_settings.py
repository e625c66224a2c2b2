"""What a person does with their own account beyond logging in: verify the address, reset a
forgotten password, change the password or the address, see and end sessions, delete the
account. Passwords must pass ``papersift.features.passwords`` (NIST SP 800-63B).

**Verified addresses.** A new account's address is unverified until the single-use link mailed
to it is opened; until then it gets no mail but verification and reset links (digests skip it),
while the account can read, vote and save. Links of one kind are sent at most ``RESEND_LIMIT``
times an hour per account, and ``RESEND_GAP`` apart to one address. Whoever owns an address
registered by someone else reclaims the account through "forgot password": the reset link reaches
only the owner, and using it sets the owner's password, logs every session out, confirms the
address and switches off the digest the other person may have chosen.

**Links** hold a random token; the store keeps only its SHA-256, and using a link deletes it
(``UserStore.use_link``), so each works once. Verification links last ``VERIFY_LIFETIME``, reset
links ``PAPERSIFT_RESET_LINK_MINUTES``. "Forgot password" answers the same, as quickly, whether
the address has an account or not: the email leaves from a background thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from papersift.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    RateLimitedError,
)
from papersift.features import passwords
from papersift.features.account_mail import AccountMail
from papersift.features.accounts import normalise_email
from papersift.store.users import LinkUse, SessionInfo, User, UserStore

VERIFY_LIFETIME = timedelta(days=7)
RESEND_GAP = timedelta(minutes=1)
RESEND_LIMIT = 5
RESEND_WINDOW = timedelta(hours=1)
CONFIRM_FAILURES = 5  # wrong current passwords per account in CONFIRM_WINDOW
CONFIRM_WINDOW = timedelta(minutes=15)
VERIFY, RESET = "verify", "reset"
BAD_LINK = (
    "this link does not work: it was used already, it expired, or it was copied incompletely; "
    "ask for a new one"
)


class AccountSettings:
    def __init__(
        self,
        users: UserStore,
        *,
        hasher: Callable[[], PasswordHasher],
        mail: AccountMail,
        clock: Callable[[], datetime],
        reset_lifetime: timedelta,
        forget_mail_choices: Callable[[int], None],
        limit_email: Callable[[str, str], None] = lambda _client, _address: None,
    ) -> None:
        """``limit_email(client, address)`` counts a request from ``client`` (a web client's
        address) that mails ``address``, raising RateLimitedError over the site's limits."""
        self.users = users
        self.hasher = hasher
        self.mail = mail
        self.clock = clock
        self.reset_lifetime = reset_lifetime
        self.forget_mail_choices = forget_mail_choices
        self.limit_email = limit_email

    # verified addresses ------------------------------------------------------------------------

    def signed_up(self, user: User) -> None:
        """Mail a new account its verification link."""
        if not user.verified:
            self._mail_link(user, VERIFY, user.email)

    def resend_verification(self, user: User, *, client: str | None = None) -> None:
        """Mail a new verification link (RateLimitedError says when to ask again)."""
        if user.verified:
            raise ConflictError("your email address is confirmed already")
        if client is not None:
            self.limit_email(client, user.email)
        self._check_resend(user.id, VERIFY, user.email)
        self._mail_link(user, VERIFY, user.email)

    def check_link(self, token: str, *purposes: str) -> LinkUse:
        """What an unused, unexpired link is for (it stays unused); InvalidInputError if none."""
        found = self.users.peek_link(_clean(token), purposes, now=self.clock())
        if found is None:
            raise InvalidInputError(BAD_LINK)
        return found

    def verify(self, token: str) -> User:
        """Use a verification link: its address becomes the account's, verified."""
        used = self.users.use_link(_clean(token), (VERIFY,), now=self.clock())
        if used is None:
            raise InvalidInputError(BAD_LINK)
        if not self.users.mark_verified(used.user_id, used.email, now=self.clock()):
            raise ConflictError(f"another account uses {used.email} now; your address is unchanged")
        user = self.users.by_id(used.user_id)
        assert user is not None  # a link's row goes with its user
        return user

    # password reset ----------------------------------------------------------------------------

    def request_reset(self, email: str, *, client: str | None = None) -> None:
        """Mail a reset link to the account of ``email``, if there is one. Does the same either
        way, as far as the caller can tell; a request over the account's re-send limits sends
        nothing. ``client``'s requests count towards the site's email limits for the address,
        whether it has an account or not (RateLimitedError over them)."""
        if client is not None:
            self.limit_email(client, email.strip().lower()[:320])
        try:
            address = normalise_email(email)
        except InvalidInputError:
            return
        user = self.users.by_email(address)
        if user is None:
            return
        try:
            self._check_resend(user.id, RESET, user.email)
        except RateLimitedError:
            return
        self._mail_link(user, RESET, user.email)

    def reset_password(self, token: str, password: str) -> User:
        """Use a reset link: set the password, end every session, confirm the address."""
        link = self.check_link(token, RESET)
        user = self.users.by_id(link.user_id)
        if user is None:
            raise InvalidInputError(BAD_LINK)
        passwords.check(password, email=user.email, display_name=user.display_name)
        used = self.users.use_link(_clean(token), (RESET,), now=self.clock())
        if used is None:
            raise InvalidInputError(BAD_LINK)
        self.users.set_password_hash(user.id, self.hasher().hash(password))
        self.users.end_sessions(user.id)
        self.users.forget_links(user.id, RESET)
        if not user.verified and user.email == used.email:
            self.forget_mail_choices(user.id)  # made by whoever registered the address, maybe
            self.users.mark_verified(user.id, user.email, now=self.clock())
        refreshed = self.users.by_id(user.id)
        assert refreshed is not None
        return refreshed

    # the account page --------------------------------------------------------------------------

    def change_password(self, user: User, current: str, new: str, *, keep: str | None) -> int:
        """Set a new password (the current one must be right); every other session ends.
        Returns how many sessions ended."""
        self._confirm_password(user, current)
        passwords.check(new, email=user.email, display_name=user.display_name)
        self.users.set_password_hash(user.id, self.hasher().hash(new))
        self.users.forget_links(user.id, RESET)
        return self.users.end_sessions(user.id, keep=keep)

    def change_email(
        self, user: User, password: str, new_email: str, *, client: str | None = None
    ) -> str:
        """Start changing the address: a verification link goes to the new one (the change
        happens when it is opened) and the old one, if verified, is told. Returns the new one."""
        self._confirm_password(user, password)
        address = normalise_email(new_email)
        if address == user.email:
            raise InvalidInputError("this is your address already")
        if self.users.by_email(address) is not None:
            raise ConflictError("another account uses this email address")
        if client is not None:
            self.limit_email(client, address)
        self._check_resend(user.id, VERIFY, address)
        self._mail_link(user, VERIFY, address, new=True)
        if user.verified:
            self.mail.email_changing(user.email, user.display_name, address)
        return address

    def describe_session(self, token: str, user_agent: str) -> None:
        """Note the browser of a new session (its User-Agent), for the list of sessions."""
        self.users.describe_session(token, user_agent)

    def sessions(self, user: User, *, current: str | None) -> list[SessionInfo]:
        return self.users.sessions_of(user.id, now=self.clock(), current=current)

    def log_out_everywhere(self, user: User) -> int:
        """End every session of the user, this one too; returns how many ended."""
        return self.users.end_sessions(user.id)

    def delete_account(self, user: User, password: str) -> None:
        """Delete the account (the password must be right) and every row that names it: votes,
        dismissals, saved searches and their matches, follows, collections (public ones too),
        submissions, digest settings and log, sessions, links, counters keyed by the address."""
        self._confirm_password(user, password)
        self.users.delete(user.id, user.email)

    # ------------------------------------------------------------------------------------------

    def _confirm_password(self, user: User, password: str) -> None:
        """Check a logged-in user's password; a few wrong ones in a row block it for a while."""
        key = f"confirm:{user.email}"
        now = self.clock()
        failures, oldest = self.users.failures_since(key, now - CONFIRM_WINDOW)
        if failures >= CONFIRM_FAILURES and oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
            wait = max(1, math.ceil((oldest + CONFIRM_WINDOW - now).total_seconds()))
            raise RateLimitedError(
                f"too many wrong passwords; try again in {math.ceil(wait / 60)} minute(s)", wait
            )
        current = self.users.by_id(user.id)
        try:
            right = current is not None and self.hasher().verify(
                current.password_hash, password[: passwords.MAX_LENGTH]
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            right = False
        if not right:
            self.users.record_failure([key], now=now)
            raise AuthenticationError("the password is not right")
        self.users.clear_failures(key)

    def _check_resend(self, user_id: int, purpose: str, to: str) -> None:
        now = self.clock()
        made = self.users.links_since(user_id, purpose, now - RESEND_WINDOW)
        wait = 0.0
        same = [at for at, address in made if address == to]
        if same and same[-1] + RESEND_GAP > now:
            wait = (same[-1] + RESEND_GAP - now).total_seconds()
        if len(made) >= RESEND_LIMIT:
            wait = max(wait, (made[-RESEND_LIMIT][0] + RESEND_WINDOW - now).total_seconds())
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            when = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
            raise RateLimitedError(
                "a link was sent a moment ago: look for it in your inbox (and spam folder), or "
                f"ask again in {when}",
                seconds,
            )

    def _mail_link(self, user: User, purpose: str, to: str, *, new: bool = False) -> None:
        lifetime = VERIFY_LIFETIME if purpose == VERIFY else self.reset_lifetime
        token = self.users.new_link(user.id, purpose, to, now=self.clock(), lifetime=lifetime)
        if purpose == VERIFY:
            self.mail.verification(to, user.display_name, token, lifetime, new=new)
        else:
            self.mail.reset(to, user.display_name, token, lifetime)


def _clean(token: str) -> str:
    return token.strip()[:200]
