"""Every error papersift raises on purpose, under one base class.

Lower-level errors (SQLAlchemy, tantivy, HTTP) are caught at the boundary where they happen and
re-raised as one of these, so fronts (CLI, web) only ever need to handle ``PapersiftError``.
"""

from __future__ import annotations


class PapersiftError(Exception):
    """Base class of every error papersift raises on purpose."""


class SettingsError(PapersiftError):
    """A setting (environment variable or option) has an invalid value."""


class MissingDependencyError(PapersiftError):
    """An optional dependency is not installed; the message carries the exact install hint."""

    def __init__(self, package: str, extra: str | None = None) -> None:
        hint = f"pip install 'papersift[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"this feature needs the package {package!r}: {hint}")
        self.package = package


class MalformedRecordError(PapersiftError):
    """An input record could not be parsed (raised in --strict mode; otherwise counted)."""


class UnknownFormatError(PapersiftError):
    """An input file's format could not be recognised."""


class PaperNotFoundError(PapersiftError):
    """No paper with the given id is in the store."""


class InvalidIdError(PapersiftError):
    """A string is not a valid paper id."""


class HarvestError(PapersiftError):
    """Harvesting from an OAI-PMH endpoint failed after retries."""


class IndexError_(PapersiftError):
    """A search index is missing, corrupt, or inconsistent with the store."""


class CollectionError(PapersiftError):
    """An evaluation collection (BEIR layout) is missing files or malformed."""


class StoreError(PapersiftError):
    """The store could not be opened, migrated or written."""


class InvalidInputError(PapersiftError):
    """Input from outside (a form field, a parameter) is missing, malformed or too large."""


class AuthenticationError(PapersiftError):
    """Not logged in, or the credentials are wrong (the message never says which part)."""


class PermissionDeniedError(PapersiftError):
    """Logged in, but not allowed to see or change this (someone else's private collection)."""


class NotFoundError(PapersiftError):
    """A user-facing object (collection, page) does not exist."""


class ConflictError(PapersiftError):
    """The change clashes with what is stored (a taken email address or collection name)."""


class RateLimitedError(PapersiftError):
    """Too many attempts; ``retry_after`` says how many seconds to wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SubmissionRefusedError(PapersiftError):
    """A community submission cannot be accepted (too old, already submitted)."""


class MailError(PapersiftError):
    """Sending an email failed.

    ``temporary`` is True when trying again later may work (a 4xx reply, a refused or dropped
    connection, a timeout) and False when it will not (a 5xx reply: wrong credentials, a refused
    recipient or message). ``code`` is the SMTP reply code, when the server gave one.
    """

    def __init__(self, message: str, *, temporary: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code


class UpstreamRecordError(HarvestError):
    """An upstream service (the arXiv API) answered, but its record cannot be read; the message
    says why. A ``HarvestError``, so fronts answer it as the upstream's failure (HTTP 502)."""
