"""The daily (or weekly) email digest: composing each subscriber's email and sending it once.

**What is new.** A digest for day D covers the papers listed after the subscriber's previous
delivered digest, up to D (a first digest: D alone, or the 7 days to D for weekly ones; never
more than ``MAX_SPAN_DAYS``). Sections, each as the subscriber chose:

* trending: the covered papers with the most upvotes (at least one);
* for you: recommendations (``papersift.features.recommendations``) among the covered papers,
  with their explanations;
* saved searches: alert matches found since the previous digest;
* followed authors: covered papers by authors the subscriber follows.

Only verified addresses get a digest: a subscriber who has not opened the verification link
mailed to the address is skipped (and counted). Digests are refused while the site's public URL
is a local one or the sender a local address (``local_mail_problem``): links would lead nowhere
and mail from a local sender is rejected; ``--dry-run`` composes them all the same.

No email goes out when every section is empty (weekends, holidays): the day is logged ``empty``.
Weekly subscribers get their digest on Mondays.

**Exactly once.** Each (user, day) has a row in the digest log. A run skips delivered days,
claims a digest (marks it ``sending``, with its Message-ID) before handing it to the SMTP server
and marks it ``sent`` after the server accepted it. The claim is one atomic statement: of runs
racing for a digest (several machines may share the store) exactly one wins; the others count it
as done. An SMTP failure leaves ``failed`` and the next run sends that digest again; a crash
leaves ``sending``, which any run after the claim's lease (``DigestLog.claim``, 15 minutes) sends
again, so none is skipped. The only ways to get one twice are a crash in the moment between the
server's acceptance and the ``sent`` commit, or a run taking longer than the lease to hand one
message over; the copy then has the same Message-ID, which mail systems use to drop duplicates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as email_policy
from ipaddress import ip_address
from urllib.parse import urlsplit

from papersift.errors import MailError, SettingsError
from papersift.features.addresses import DIGEST_SETTINGS, UNSUBSCRIBE, Purpose, path
from papersift.features.digest_model import SECTION_TITLES, Digest, DigestItem, DigestSection
from papersift.features.email_render import render_digest
from papersift.features.reasons import TRENDING, Reason
from papersift.features.recommendations import Candidates, Recommender
from papersift.features.tokens import make_token
from papersift.model import Paper
from papersift.store.digests import DigestLog
from papersift.store.interests import InterestStore, Subscription
from papersift.store.listings import ListingStore
from papersift.store.users import User, UserStore
from papersift.text import fold_name

SECTIONS = tuple(SECTION_TITLES)
ITEMS_PER_SECTION = 5
MAX_SPAN_DAYS = 14
WEEKLY_ON = 0  # Monday
MAX_COVERED = 20_000


@dataclass
class DigestReport:
    day: date
    sent: int = 0
    empty: int = 0
    already_done: int = 0
    not_due: int = 0
    failed: int = 0
    unverified: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0


@dataclass(frozen=True, slots=True)
class _Day:
    """What every subscriber's digest of one day shares, computed once per run."""

    day: date
    candidates: Candidates | None
    listed: dict[date, list[tuple[Paper, int]]]  # covered days -> (paper, upvotes)


class DigestService:
    def __init__(
        self,
        users: UserStore,
        interests: InterestStore,
        listings: ListingStore,
        recommender: Recommender,
        log: DigestLog,
        *,
        secret: Callable[[], bytes],
        site_url: str,
        sender: str,
        clock: Callable[[], datetime],
        discussion_news: Callable[[User, datetime], list[tuple[str, str]]] | None = None,
        known_papers: Callable[[int], set[str]] | None = None,
        on_sent: Callable[[int, list[str]], None] | None = None,
    ) -> None:
        self.discussion_news = discussion_news or (lambda user, since: [])
        # Papers the reader has seen (in an earlier digest, or marked) or read: never sent again.
        self.known_papers = known_papers or (lambda user_id: set())
        self.on_sent = on_sent or (lambda user_id, paper_ids: None)
        self.users = users
        self.interests = interests
        self.listings = listings
        self.recommender = recommender
        self.log = log
        self.secret = secret
        self.site_url = site_url.rstrip("/")
        self.sender = sender
        self.clock = clock

    # composing ---------------------------------------------------------------------------------

    def prepare(self, day: date) -> _Day:
        first = day - timedelta(days=MAX_SPAN_DAYS - 1)
        listed, _ = self.listings.page(
            first=first, last=day, category=None, order="upvotes", limit=MAX_COVERED, offset=0
        )
        by_day: dict[date, list[tuple[Paper, int]]] = {}
        for item in listed:
            shown = item.paper.display_date or day
            by_day.setdefault(shown, []).append((item.paper, item.upvotes))
        return _Day(day, self.recommender.candidates(as_of=day), by_day)

    def compose(self, user: User, subscription: Subscription, shared: _Day) -> Digest:
        day = shared.day
        previous = self.log.last_delivered(user.id, day)
        first_day = _covered_from(day, subscription.frequency, previous.day if previous else None)
        covered = [
            (paper, votes)
            for covered_day, items in shared.listed.items()
            if first_day <= covered_day <= day
            for paper, votes in items
        ]
        covered_ids = {paper.id for paper, _ in covered}
        upvotes = {paper.id: votes for paper, votes in covered}
        since = previous.updated_at if previous else self.clock() - timedelta(days=7)
        builders = {
            "trending": lambda: _trending(covered),
            "for_you": lambda: self._for_you(user, shared.candidates, covered_ids, upvotes),
            "saved_searches": lambda: self._saved_searches(user, since),
            "followed_authors": lambda: self._followed_authors(user, covered),
            "collection_streams": lambda: self._streams(user, shared.candidates, covered_ids),
            "discussion": lambda: self._discussion(user, since),
        }
        sent = self.known_papers(user.id)  # and, section by section, what this digest holds
        sections = []
        for key in SECTIONS:
            if key in subscription.sections:
                items = [item for item in builders[key]() if item.paper.id not in sent]
                sent.update(item.paper.id for item in items)
                sections.append(DigestSection.of(key, items))
        return Digest(
            user.id, user.email, user.display_name, day, subscription.frequency, tuple(sections)
        )

    def _for_you(
        self,
        user: User,
        candidates: Candidates | None,
        covered: set[str],
        upvotes: dict[str, int],
    ) -> list[DigestItem]:
        if candidates is None:
            return []
        ranked = self.recommender.for_user(user, limit=4 * ITEMS_PER_SECTION, candidates=candidates)
        return [
            DigestItem(r.paper, upvotes.get(r.paper.id, 0), _texts(r.reasons))
            for r in ranked
            if r.paper.id in covered and r.reasons != (TRENDING,)
        ][:ITEMS_PER_SECTION]

    def _saved_searches(self, user: User, since: datetime) -> list[DigestItem]:
        items: list[DigestItem] = []
        for search in self.interests.searches_of(user.id):
            matched = self.interests.matches(search.id, since=since, limit=ITEMS_PER_SECTION)
            papers = self.recommender.sources.papers([paper_id for paper_id, _ in matched])
            reason = f"Matches your saved search “{search.name}”"
            items += [DigestItem(papers[i], 0, (reason,)) for i, _ in matched if i in papers]
        return _unique(items)[: 2 * ITEMS_PER_SECTION]

    def _streams(
        self, user: User, candidates: Candidates | None, covered: set[str]
    ) -> list[DigestItem]:
        """The best new papers of each of the user's collections' streams, two per collection."""
        if candidates is None:
            return []
        items: list[DigestItem] = []
        for collection in self.recommender.collections.of_user(user.id):
            ranked = self.recommender.for_collection(
                user, collection, limit=4 * ITEMS_PER_SECTION, candidates=candidates
            )
            items += [
                DigestItem(r.paper, 0, _texts(r.reasons)) for r in ranked if r.paper.id in covered
            ][:2]
        return _unique(items)[: 2 * ITEMS_PER_SECTION]

    def _discussion(self, user: User, since: datetime) -> list[DigestItem]:
        """Papers with new replies to the user's comments or new comments, when in the user's
        collections (hidden and deleted comments never count)."""
        news = self.discussion_news(user, since)
        papers = self.recommender.sources.papers(list(dict.fromkeys(pid for pid, _ in news)))
        reasons: dict[str, list[str]] = {}
        for paper_id, reason in news:
            if paper_id in papers and reason not in reasons.setdefault(paper_id, []):
                reasons[paper_id].append(reason)
        return [DigestItem(papers[pid], 0, tuple(why)) for pid, why in reasons.items()][
            : 2 * ITEMS_PER_SECTION
        ]

    def _followed_authors(self, user: User, covered: list[tuple[Paper, int]]) -> list[DigestItem]:
        authors = [value for kind, value in self.interests.follows_of(user.id) if kind == "author"]
        items = []
        for paper, votes in covered:
            names = [fold_name(a) for a in paper.authors]
            matched = [a for a in authors if any(fold_name(a) in name for name in names)]
            if matched:
                items.append(
                    DigestItem(paper, votes, tuple(f"By {a}, whom you follow" for a in matched))
                )
        return items[: 2 * ITEMS_PER_SECTION]

    # sending -----------------------------------------------------------------------------------

    def due(self, subscription: Subscription, day: date) -> bool:
        if subscription.frequency == "daily":
            return True
        return subscription.frequency == "weekly" and day.weekday() == WEEKLY_ON

    def subscribers(
        self, only_email: str | None = None, *, unverified: list[User] | None = None
    ) -> Iterator[tuple[User, Subscription]]:
        """Subscribers with a verified address (the others go to ``unverified``)."""
        for subscription in self.interests.subscribers():
            user = self.users.by_id(subscription.user_id)
            if user is None or (only_email and user.email != only_email.strip().lower()):
                continue
            if not user.verified:
                if unverified is not None:
                    unverified.append(user)
                continue
            yield user, subscription

    def message(self, digest: Digest) -> EmailMessage:
        token = make_token(self.secret(), Purpose.UNSUBSCRIBE, digest.user_id)
        return render_digest(
            digest,
            site_url=self.site_url,
            unsubscribe_url=self.site_url + path(UNSUBSCRIBE, token=token),
            manage_url=self.site_url + DIGEST_SETTINGS,
            sender=self.sender,
            message_id=self.message_id(digest.user_id, digest.day),
        )

    def message_id(self, user_id: int, day: date) -> str:
        """The same for every attempt at one digest, unguessable from outside."""
        tag = hashlib.blake2b(
            f"{user_id}:{day.isoformat()}".encode(), key=self.secret()[:64], digest_size=8
        ).hexdigest()
        host = urlsplit(self.site_url).hostname or "papersift.invalid"
        return f"<digest-{day.isoformat()}-{user_id}-{tag}@{host}>"

    def run(
        self,
        day: date,
        send: Callable[[EmailMessage], None] | None,
        *,
        only_email: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> DigestReport:
        """Compose and send the digests of ``day``; ``send=None`` is a dry run (nothing logged)."""
        report = DigestReport(day)
        shared = self.prepare(day)
        skipped: list[User] = []
        for user, subscription in self.subscribers(only_email, unverified=skipped):
            self._deliver(user, subscription, shared, send, report)
            if progress:
                progress(1)
        report.unverified = len(skipped)
        return report

    def _deliver(
        self,
        user: User,
        subscription: Subscription,
        shared: _Day,
        send: Callable[[EmailMessage], None] | None,
        report: DigestReport,
    ) -> None:
        day = shared.day
        if not self.due(subscription, day):
            report.not_due += 1
            return
        entry = self.log.entry(user.id, day)
        if entry is not None and entry.status in ("sent", "empty"):
            report.already_done += 1
            return
        digest = self.compose(user, subscription, shared)
        if digest.is_empty:
            again = self.log.entry(user.id, day) if send is not None else None
            if again is not None and again.status in ("sent", "sending"):
                # Another run sent it meanwhile (and marked its papers seen, so none are left).
                report.already_done += 1
                return
            if send is not None:
                self.log.mark(user.id, day, "empty", None, now=self.clock())
            report.empty += 1
            return
        message = self.message(digest)
        if send is None:
            report.sent += 1
            return
        problem = local_mail_problem(self.site_url, self.sender)
        if problem is not None:
            raise SettingsError(problem)
        message_id = str(message["Message-ID"])
        if not self.log.claim(user.id, day, message_id, now=self.clock()):
            report.already_done += 1  # by another run (or one that crashed, within the lease)
            return
        try:
            send(message)
        except MailError as error:
            self.log.mark(user.id, day, "failed", message_id, now=self.clock())
            report.failed += 1
            report.problems.append(f"{user.email}: {error}")
            return
        self.log.mark(user.id, day, "sent", message_id, now=self.clock())
        self.on_sent(user.id, [item.paper.id for s in digest.sections for item in s.items])
        report.sent += 1


def _covered_from(day: date, frequency: str, previous: date | None) -> date:
    earliest = day - timedelta(days=MAX_SPAN_DAYS - 1)
    if previous is not None:
        return max(previous + timedelta(days=1), earliest)
    return day - timedelta(days=6) if frequency == "weekly" else day


def _trending(covered: list[tuple[Paper, int]]) -> list[DigestItem]:
    voted = sorted((item for item in covered if item[1] > 0), key=lambda item: -item[1])
    return [DigestItem(paper, votes) for paper, votes in voted[:ITEMS_PER_SECTION]]


def _unique(items: list[DigestItem]) -> list[DigestItem]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.paper.id not in seen:
            seen.add(item.paper.id)
            unique.append(item)
    return unique


def local_mail_problem(site_url: str, sender: str) -> str | None:
    """Why digests cannot go out with these settings (their links would point at this machine,
    or their sender is a local address that receiving servers reject), or None."""
    host = (urlsplit(site_url).hostname or "").lower()
    if _local(host):
        return (
            f"digests are not sent while PAPERSIFT_PUBLIC_URL is {site_url}: every link in them "
            "would lead to this machine. Set it to the address readers open the site at "
            "(https://papers.example.org), or use --dry-run to compose them without sending"
        )
    addresses = email_policy.header_factory("From", sender).addresses
    domain = addresses[0].domain.lower() if addresses else ""
    if _local(domain) or "." not in domain.strip("[]"):
        address = addresses[0].addr_spec if addresses else sender
        return (
            f"digests are not sent while PAPERSIFT_MAIL_FROM is {address}, a local address that "
            "mail servers reject; set it to an address of the site's domain "
            "(papersift <digest@papers.example.org>), or use --dry-run"
        )
    return None


def _local(host: str) -> bool:
    host = host.strip("[]").rstrip(".")
    if host in ("", "localhost") or host.endswith((".localhost", ".local", ".localdomain")):
        return True
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_link_local


def _texts(reasons: tuple[Reason, ...]) -> tuple[str, ...]:
    return tuple(reason.text for reason in reasons)
