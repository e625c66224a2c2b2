"""A digest as one email: plain text and HTML alternatives, with one-click unsubscribe headers.

The HTML is built for mail clients: tables and inline styles only, no scripts, no images, no
fonts or style sheets from elsewhere; Jinja2 autoescaping is on for it. Both parts carry the same
content: every non-empty section, each paper's readable title, first authors, links to the
paper's page on this site and on arXiv, and why it is there; then links to manage subscriptions
and to unsubscribe.

``List-Unsubscribe`` carries the unsubscribe URL. ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058) is added when that URL is https, as the RFC requires:
mail clients then POST ``List-Unsubscribe=One-Click`` to it, so it must unsubscribe on a POST
without a login or CSRF token (the signed token in the URL is the proof). Receivers only honour
one-click for DKIM-signed mail, which the sending relay does.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from papersift.errors import InvalidInputError
from papersift.features.digest_model import Digest, DigestItem
from papersift.model import Paper
from papersift.sources.arxiv_ids import arxiv_abs_url
from papersift.text import has_control_characters, plain_text, strip_control_characters

TEMPLATES = Path(__file__).resolve().parent / "email_templates"
AUTHORS_SHOWN = 3
TEXT_WIDTH = 76
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>")


@dataclass(frozen=True, slots=True)
class _ItemView:
    title: str
    url: str
    arxiv_url: str | None
    authors: str
    meta: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _SectionView:
    key: str
    title: str
    items: tuple[_ItemView, ...]


def render_digest(
    digest: Digest,
    *,
    site_url: str,
    unsubscribe_url: str,
    manage_url: str,
    sender: str,
    message_id: str,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """The digest as a ready-to-send multipart/alternative message (text/plain, then text/html).

    ``message_id`` may be given with or without angle brackets (``email.utils.make_msgid``
    makes one). ``sent_at`` (default: now) becomes the Date header. Raises InvalidInputError
    when the recipient address cannot be put in a header, ValueError for a URL that is not
    http(s) or a malformed Message-ID.
    """
    site_url = _http_url(site_url, "site_url").rstrip("/")
    unsubscribe_url = _http_url(unsubscribe_url, "unsubscribe_url")
    manage_url = _http_url(manage_url, "manage_url")
    subject = digest_subject(digest)
    sections = tuple(
        _SectionView(
            section.key, _clean(section.title), tuple(_item(i, site_url) for i in section.items)
        )
        for section in digest.nonempty_sections
    )
    context = {
        "subject": subject,
        "name": _clean(digest.display_name) or "there",
        "intro": _intro(digest),
        "preheader": _preheader(sections),
        "frequency": digest.frequency,
        "sections": sections,
        "site_url": site_url,
        "site_host": urlsplit(site_url).netloc,
        "unsubscribe_url": unsubscribe_url,
        "manage_url": manage_url,
    }
    environment = _environment()
    text = environment.get_template("digest.txt").render(context)
    html = environment.get_template("digest.html").render(context)

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    try:
        message["To"] = Address(_clean(digest.display_name), addr_spec=digest.email)
    except (ValueError, IndexError, MessageError) as exc:
        raise InvalidInputError(f"cannot send email to {digest.email!r}: {exc}") from None
    message["Date"] = format_datetime((sent_at or datetime.now(UTC)).astimezone(UTC))
    message["Message-ID"] = _message_id(message_id)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    if unsubscribe_url.startswith("https://"):
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def digest_subject(digest: Digest) -> str:
    """``papersift — 3 papers for you, Tue 12 Mar`` (weekly: ``... for you this week``)."""
    count = digest.paper_count
    papers = f"{count} paper{'' if count == 1 else 's'} for you"
    if digest.frequency == "weekly":
        return f"papersift — {papers} this week"
    return f"papersift — {papers}, {short_day(digest.day)}"


def short_day(day: date) -> str:
    """``Tue 12 Mar``, in English whatever the process locale."""
    return f"{_DAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]}"


def paper_url(site_url: str, paper: Paper) -> str:
    return f"{site_url.rstrip('/')}/papers/{quote(paper.id, safe='/:')}"


def arxiv_url(paper: Paper) -> str | None:
    """The paper's arXiv abstract page (arXiv papers only)."""
    if paper.source != "arxiv" or ":" in paper.id:
        return None
    return arxiv_abs_url(paper.id)


def _item(item: DigestItem, site_url: str) -> _ItemView:
    paper = item.paper
    meta = [paper.primary_category or ""]
    day = paper.display_date
    if day is not None:
        meta.append(f"{day.day} {_MONTHS[day.month - 1]} {day.year}")
    if item.upvotes > 0:
        meta.append(f"{item.upvotes} upvote{'' if item.upvotes == 1 else 's'}")
    return _ItemView(
        title=_clean(paper.title) or paper.id,
        url=paper_url(site_url, paper),
        arxiv_url=arxiv_url(paper),
        authors=_authors(paper.authors),
        meta=" · ".join(part for part in meta if part),
        reasons=tuple(reason for reason in map(_clean, item.reasons) if reason),
    )


def _authors(authors: tuple[str, ...]) -> str:
    names = [name for name in map(_clean, authors) if name]
    if len(names) <= AUTHORS_SHOWN:
        return ", ".join(names)
    return ", ".join(names[:AUTHORS_SHOWN]) + " et al."


def _intro(digest: Digest) -> str:
    if digest.frequency == "weekly":
        return f"here are this week's papers for you (week to {short_day(digest.day)})."
    return f"here are today's papers for you ({short_day(digest.day)})."


def _preheader(sections: tuple[_SectionView, ...]) -> str:
    titles = [item.title for section in sections for item in section.items]
    return " · ".join(titles[:3])


def _clean(value: str) -> str:
    """Readable one-line text (LaTeX accents resolved), without control characters."""
    return strip_control_characters(plain_text(value))


def _http_url(value: str, name: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or has_control_characters(value):
        raise ValueError(f"{name} must be an http:// or https:// URL, got {value!r}")
    if any(c.isspace() for c in value):
        raise ValueError(f"{name} must not contain spaces")
    return value


def _message_id(value: str) -> str:
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if not _MESSAGE_ID.fullmatch(value):
        raise ValueError(f"malformed Message-ID {value!r} (want <local@domain>)")
    return value


def _wrap(text: str, first: str = "", rest: str | None = None, width: int = TEXT_WIDTH) -> str:
    """``text`` wrapped for plain-text mail: the first line starts with ``first``, the others
    with ``rest`` (default: as many spaces)."""
    return textwrap.fill(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=" " * len(first) if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["wrap"] = _wrap
    return environment
