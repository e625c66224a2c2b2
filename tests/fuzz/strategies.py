"""Structure-aware Hypothesis generators of reader input, one per format.

Each generator makes whole input files (bytes) that are mostly well-formed, so that the readers
get past their first checks and into every field: a record's fields are drawn from the values
real files hold, from the edge of what is allowed, and from poison (``"v²"``, 5,000-digit
version numbers, dates that leave datetime's range in UTC, numbers from 2**63 up, NUL, lone
surrogates, wrong JSON types, text illegal in XML). A share of the files then has its bytes
mutated (flips, insertions, deletions, truncation, spliced tokens).

``SUBFORMATS`` names them; ``tests/fuzz/harness.py`` feeds them through the readers and the store,
the CI tests in this package run a few hundred seeded inputs of each, and
``bench/fuzz_readers.py`` runs 100,000 or more of each by hand.
"""

from __future__ import annotations

import functools
import gzip
import json
import random
import re
import string
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from papersift.model import MAX_VERSION

Draw = st.DrawFn


def rare(draw: Draw, odds: int) -> bool:
    """True about once in ``odds`` draws.

    Hypothesis favours the ends of a range (0 above all), so "== 0" would be true far more
    often than once in ``odds``; the middle of the range is drawn about as often as any value.
    """
    return bool(draw(_odds(odds)) == odds // 2)


@functools.cache
def _odds(odds: int) -> st.SearchStrategy[int]:
    return st.integers(0, odds - 1)


@st.composite
def _weighted(draw: Draw, valid: st.SearchStrategy[Any], poison: st.SearchStrategy[Any]) -> Any:
    return draw(poison) if rare(draw, POISON_ODDS) else draw(valid)


POISON_ODDS = 12  # about one field in this many is drawn from the poison values


def with_poison(valid: st.SearchStrategy[Any], *poison: st.SearchStrategy[Any]) -> Any:
    """Mostly ``valid`` values (11 in 12), else one of ``poison``."""
    return _weighted(valid, st.one_of(*poison))


# --- values -------------------------------------------------------------------------------------

HUGE_DIGITS = st.integers(4_290, 5_200).map(lambda n: "7" * n)  # around int()'s 4,300 limit
BIG_INTS = st.sampled_from(
    [0, -1, MAX_VERSION, MAX_VERSION + 1, 2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30]
)
NON_ASCII_DIGITS = st.sampled_from(["²", "١", "٣", "５", "Ⅳ", "߁", "𝟘", "¹²"])
SURROGATES = st.sampled_from(["\ud800", "a\udfffb", "\udc80"])
CONTROL = st.sampled_from(["\x00", "\x01", "\x0b", "\x1f", "\x7f", "\u2028", "\ufeff", "\ufffe"])

# Text a real file could hold: any character but lone surrogates.
PLAIN_CHARS = st.characters(exclude_categories=["Cs"])
# Text legal in XML 1.0: no control characters other than tab and line breaks.
XML_CHARS = st.characters(
    exclude_categories=["Cs", "Cc"], include_characters="\t\n\r", exclude_characters="\ufffe\uffff"
)
_WORD_LIST = ["neural", "Schr\\\"odinger", "$\\alpha$", "graph", "{\\em x}", "and", "(MIT)",
              "&", "--", "Jr.", "é", "日本", ",", ";", "\\&", "``q''", "x2013", "  ", "\n", "\t",
              "((1) MIT, (2) CMU)", "A. One, B. Two and C. Three", "\\'e", "<b>",
              "]]>"]  # fmt: skip


def _text_pool(size: int, *, xml: bool) -> list[str]:
    """``size`` varied strings made once (seeded): words, LaTeX, and characters from every
    plane. Drawing one of them is one choice for Hypothesis; drawing a string character by
    character is two choices a character, which made generation the bottleneck of a long run."""
    rng = random.Random(20_260_101 + xml)
    words = _WORD_LIST
    ranges = [
        (0x20, 0x7E),
        (0xA0, 0x24F),
        (0x370, 0x3FF),
        (0x400, 0x4FF),
        (0x590, 0x6FF),
        (0x2000, 0x206F),
        (0x3040, 0x30FF),
        (0x4E00, 0x4FFF),
        (0xAC00, 0xAC80),
        (0x1F300, 0x1F64F),
        (0x10000, 0x1007F),
        (0xE000, 0xE0FF),
        (0xF0000, 0xF00FF),
    ]
    if not xml:
        ranges += [(0x0, 0x1F), (0x7F, 0x9F)]
    pool = []
    for _ in range(size):
        pieces = []
        for _ in range(rng.randint(0, 6)):
            if rng.random() < 0.5:
                pieces.append(rng.choice(words))
            else:
                low, high = rng.choice(ranges)
                pieces.append(
                    "".join(chr(rng.randint(low, high)) for _ in range(rng.randint(1, 9)))
                )
        pool.append(rng.choice([" ", "", "  ", "\n"]).join(pieces))
    return pool


def _text(chars: st.SearchStrategy[str], *, xml: bool) -> st.SearchStrategy[str]:
    """Mostly a string from a pool made once, sometimes one Hypothesis makes."""
    return with_poison(st.sampled_from(_text_pool(4_000, xml=xml)), st.text(chars, max_size=40))


TEXT = _text(PLAIN_CHARS, xml=False)
XML_TEXT = _text(XML_CHARS, xml=True)
XML_POISON_TEXT = st.one_of(
    st.integers(1_990, 2_010).map(lambda n: "t" * n),  # around the title limit
    st.integers(0, 60).map(lambda n: "(" * n + "x" + ")" * n),
    st.sampled_from(["", "   ", "\u2028", "\ufeff"]),
)
POISON_TEXT = st.one_of(
    st.tuples(TEXT, CONTROL, TEXT).map("".join),
    st.tuples(TEXT, SURROGATES).map("".join),
    st.integers(1_990, 2_010).map(lambda n: "t" * n),  # around the title limit
    st.integers(0, 60).map(lambda n: "(" * n + "x" + ")" * n),
    st.integers(0, 60).map(lambda n: "(" * n),
    st.just(""),
    st.just("   "),
)


NEW_IDS = st.builds(
    lambda yy, mm, n: f"{yy:02d}{mm:02d}.{n:05d}" if yy >= 15 else f"{yy:02d}{mm:02d}.{n:04d}",
    st.integers(7, 26),
    st.integers(1, 12),
    st.integers(1, 40),  # a small pool, so the store merges records of the same paper
)
OLD_IDS = st.builds(
    lambda archive, yy, n: f"{archive}/{yy:02d}01{n:03d}",
    st.sampled_from(["hep-th", "math", "cond-mat", "cs", "math.GT", "astro-ph"]),
    st.sampled_from([91, 95, 99, 0, 6]),
    st.integers(1, 20),
)
VERSION_SUFFIX = st.one_of(st.just(""), st.integers(1, 12).map(lambda n: f"v{n}"))
ARXIV_IDS = st.one_of(
    st.tuples(st.one_of(NEW_IDS, OLD_IDS), VERSION_SUFFIX).map("".join),
    st.tuples(
        st.sampled_from(
            ["arXiv:", "oai:arXiv.org:", "https://arxiv.org/abs/", "http://arxiv.org/pdf/"]
        ),
        NEW_IDS,
        VERSION_SUFFIX,
    ).map("".join),
)
BAD_IDS = st.one_of(
    st.sampled_from(["0703.00001", "1413.0001", "2501.0001", "foo/0101001", "2501.00001v0",
                     "2501.00001v99999", "hep-th/9913001", "", " ", "2501.00001 extra"]),
    TEXT,
    st.tuples(NEW_IDS, st.just("v"), HUGE_DIGITS).map("".join),
)  # fmt: skip
IDS = with_poison(ARXIV_IDS, BAD_IDS)
ATOM_IDS = with_poison(st.tuples(st.one_of(NEW_IDS, OLD_IDS), VERSION_SUFFIX).map("".join), BAD_IDS)

VERSION_LABELS = with_poison(
    st.integers(1, 30).map(lambda n: f"v{n}"),
    st.sampled_from(["v0", "v", "", "v-1", "V3", " v3 ", "v 1", "3", "v03", f"v{MAX_VERSION}",
                     f"v{MAX_VERSION + 1}", f"v{2**63}", f"v{2**64}", "v1.5"]),
    st.tuples(st.just("v"), NON_ASCII_DIGITS).map("".join),
    st.tuples(st.just("v"), HUGE_DIGITS).map("".join),
    TEXT,
)  # fmt: skip

OFFSETS = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m)))
MOMENTS = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59))
RECENT = st.datetimes(datetime(1991, 1, 1), datetime(2026, 12, 31))


def _email_date(moment: datetime, zone: timezone | None, note: str) -> str:
    aware = moment.replace(tzinfo=zone or UTC)
    text = format_datetime(aware, usegmt=zone is None)
    return f"{text}{note}"


SIZE_NOTES = st.sampled_from(["", "   (443kb)", " (12kb,D)", " ()", " (", "   (1kb)  "])
EMAIL_DATES = with_poison(
    st.builds(_email_date, RECENT, st.none(), SIZE_NOTES),
    st.builds(_email_date, MOMENTS, st.one_of(st.none(), OFFSETS), SIZE_NOTES),
    st.sampled_from(["Fri, 31 Dec 9999 23:59:59 -0100", "Mon, 1 Jan 0001 00:00:00 +0500",
                     "Tue, 24 Jul 2007 20:10:27", "Mon, 31 Feb 2007 19:18:42 GMT",
                     "Mon, 2 Apr 99999999999999999999 19:18:42 GMT", "2 Apr 2007", "GMT", ""]),
    TEXT,
)  # fmt: skip


def _iso(moment: datetime, zone: timezone | None, style: int) -> str:
    text = moment.replace(tzinfo=zone).isoformat()
    return text.replace("+00:00", "Z") if style == 1 else text


ISO_DATETIMES = with_poison(
    st.builds(_iso, RECENT, st.just(UTC), st.integers(0, 1)),
    st.builds(_iso, MOMENTS, st.one_of(st.none(), OFFSETS), st.integers(0, 1)),
    st.sampled_from(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-01:00", "2021-13-01T00:00Z",
                     "2021-01-12", "2021-01-12T25:00:00Z", "T", ""]),
    TEXT,
)  # fmt: skip
ISO_DATES = with_poison(
    st.dates(date(1991, 1, 1), date(2030, 12, 31)).map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2007-02-30", "0000-01-01", "2007-04-02T19:18:42Z", "20070402", "2007-W01-1",
                     "-2007-01-01", ""]),
    TEXT,
)  # fmt: skip
CATEGORIES = st.sampled_from(
    ["cs.CL", "cs.LG", "hep-th", "math.AP", "stat.ML", "physics.gen-ph", "q-bio.NC", "cs.AI"]
)
CATEGORY_LISTS = st.lists(CATEGORIES, max_size=4).map(" ".join)
NAMES = with_poison(
    st.sampled_from(["Ada Lovelace", "C. Bal\\'azs", "J. M\\\"uller", "Planck Collaboration",
                     "John Smith Jr", ":", "Ó Dálaigh", "李雷"]),
    TEXT,
    POISON_TEXT,
)  # fmt: skip
AUTHOR_STRINGS = with_poison(
    st.lists(NAMES, max_size=5).map(", ".join),
    st.lists(NAMES, max_size=5).map(" and ".join),
    st.tuples(NAMES, st.just(" (1), "), NAMES, st.just(" (2) ((1) MIT, (2) CMU)")).map("".join),
    POISON_TEXT,
)

# --- JSON ---------------------------------------------------------------------------------------

ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


def json_field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A JSON field: mostly ``valid``, else null, poison text or any other JSON value."""
    return with_poison(valid, st.none(), POISON_TEXT, ANY_JSON, BIG_INTS)


def _optional(**fields: st.SearchStrategy[Any]) -> dict[str, st.SearchStrategy[Any]]:
    return {key: json_field(value) for key, value in fields.items()}


TITLE = with_poison(TEXT.filter(lambda t: bool(t.strip())), POISON_TEXT)
ABSTRACT = with_poison(TEXT, POISON_TEXT)
OWN_VERSIONS = st.lists(
    st.fixed_dictionaries(
        {"version": json_field(with_poison(st.integers(1, 20), BIG_INTS))},
        optional={"created": json_field(ISO_DATETIMES)},
    ),
    max_size=4,
)


def own_record() -> st.SearchStrategy[dict[str, Any]]:
    """papersift's own export format (``Paper.to_dict()``)."""
    return st.fixed_dictionaries(
        {
            "id": json_field(IDS),
            "source": json_field(st.sampled_from(["arxiv", "arxiv", "generic", "beir:scifact"])),
            "version": json_field(with_poison(st.integers(1, 20), BIG_INTS)),
            "title": json_field(TITLE),
        },
        optional=_optional(
            abstract=ABSTRACT,
            authors=st.lists(NAMES, max_size=4),
            categories=st.lists(CATEGORIES, max_size=3),
            submitted=ISO_DATES,
            updated=ISO_DATES,
            listed=ISO_DATES,
            doi=TEXT,
            journal_ref=TEXT,
            comments=POISON_TEXT,
            license=TEXT,
            versions=OWN_VERSIONS,
        ),
    )


def kaggle_record() -> st.SearchStrategy[dict[str, Any]]:
    """The Kaggle arXiv snapshot."""
    versions = st.lists(
        st.fixed_dictionaries(
            {"version": json_field(VERSION_LABELS)}, optional={"created": json_field(EMAIL_DATES)}
        ),
        max_size=4,
    )
    parsed = st.lists(st.lists(NAMES, max_size=4), max_size=4)
    return st.fixed_dictionaries(
        {"id": json_field(IDS), "title": json_field(TITLE)},
        optional=_optional(
            submitter=NAMES,
            authors=AUTHOR_STRINGS,
            comments=TEXT,
            **{"journal-ref": TEXT},
            doi=TEXT,
            categories=st.lists(CATEGORIES, max_size=3).map(" ".join),
            license=TEXT,
            abstract=ABSTRACT,
            versions=versions,
            update_date=ISO_DATES,
            authors_parsed=parsed,
        ),
    ).map(lambda record: record | {"update_date": record.get("update_date", "2008-11-13")})


def sample_record() -> st.SearchStrategy[dict[str, Any]]:
    """The arXiv sample format of ../shared/data."""
    return st.fixed_dictionaries(
        {"id": json_field(IDS), "title": json_field(TITLE)},
        optional=_optional(
            abstract=ABSTRACT,
            authors=st.one_of(st.lists(NAMES, max_size=4), AUTHOR_STRINGS),
            categories=st.one_of(st.lists(CATEGORIES, max_size=3), CATEGORIES),
            date=ISO_DATES,
            doi=TEXT,
            comments=TEXT,
        ),
    )


def other_record() -> st.SearchStrategy[dict[str, Any]]:
    """BEIR corpus documents and generic ``{"id", "title", "abstract"}`` records."""
    plain_ids = with_poison(
        st.one_of(
            st.integers(0, 10**6), st.text(string.ascii_lowercase + "-:_0123456789", min_size=1)
        ),
        st.sampled_from(["", "a b", "x" * 201, "seed-fde0b046e9", "x:1"]),
        TEXT,
    )
    beir = st.one_of(
        st.fixed_dictionaries(
            {key: json_field(plain_ids), "text": json_field(ABSTRACT)},
            optional=_optional(title=TITLE),
        )
        for key in ("_id", "id")
    )
    generic = st.fixed_dictionaries(
        {"id": json_field(plain_ids), "title": json_field(TITLE)},
        optional=_optional(
            abstract=st.tuples(ABSTRACT, st.sampled_from(["", "x2013which", "ax2014b"])).map(
                "".join
            ),
            authors=st.one_of(st.lists(NAMES, max_size=3), AUTHOR_STRINGS),
        ),
    )
    return st.one_of(beir, generic)


@st.composite
def json_lines_file(draw: Draw, record: st.SearchStrategy[dict[str, Any]]) -> tuple[str, bytes]:
    """``(file name, bytes)``: a few records as JSON lines, a JSON array, maybe gzipped."""
    records = draw(st.lists(record, min_size=1, max_size=3))
    ascii_only = draw(st.booleans())
    array = rare(draw, 6)

    def encoded(value: Any) -> bytes:
        text = json.dumps(value, ensure_ascii=ascii_only)
        return text.encode("utf-8", "surrogatepass")  # a lone surrogate makes bad UTF-8

    if array:
        name, data = "fuzz.json", encoded(records)
    else:
        blank = draw(st.sampled_from([b"", b"", b"\n", b"  \n"]))
        name, data = "fuzz.jsonl", b"\n".join(encoded(r) for r in records) + b"\n" + blank
    if rare(draw, 10):
        data = b"\xef\xbb\xbf" + data
    return name, data


# --- XML ----------------------------------------------------------------------------------------


# How a value is written into an element: escaped mostly (index 0 is Hypothesis' favourite).
_XML_MODES = st.sampled_from(["escape"] * 36 + ["raw", "cdata", "cdata", "extras"])


@functools.cache
def _with_xml_poison(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return with_poison(valid, XML_TEXT, XML_POISON_TEXT)  # type: ignore[no-any-return]


def xml_value(draw: Draw, valid: st.SearchStrategy[str]) -> str:
    """Element text: escaped (mostly), in CDATA, or raw (maybe breaking the XML)."""
    value = draw(_with_xml_poison(valid))
    if rare(draw, 200):
        value += draw(POISON_TEXT)  # control characters are not allowed in XML
    else:
        value = _NOT_XML.sub("", value)
    mode = draw(_XML_MODES)
    if mode == "raw":
        return value  # "<" or "&" make the document not well-formed
    if mode == "cdata" and "]]>" not in value:
        return f"<![CDATA[{value}]]>"
    if mode == "extras":
        return escape(value) + "&#233;&#x1F600;<!-- c --><?pi x?>"
    return escape(value)


def attribute(value: str) -> str:
    return quoteattr(_NOT_XML.sub("", value))


def element(name: str, text: str | None) -> str:
    return "" if text is None else f"<{name}>{text}</{name}>"


def maybe(draw: Draw, valid: st.SearchStrategy[str]) -> str | None:
    """An element's text (``xml_value``), or sometimes None: the element is left out."""
    return None if rare(draw, 12) else xml_value(draw, valid)


@st.composite
def xml_document(draw: Draw, body: str) -> bytes:
    """An XML declaration (or none) and ``body``, in the encoding the declaration names."""
    encoding: str | None = "UTF-8"
    if rare(draw, 4):
        encoding = draw(st.sampled_from([None, "utf-16", "ISO-8859-1", "foo"]))
    declaration = "" if encoding is None else f'<?xml version="1.0" encoding="{encoding}"?>\n'
    text = declaration + body
    if encoding == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if encoding == "ISO-8859-1":
        return text.encode("latin-1", "xmlcharrefreplace")
    return text.encode("utf-8", "surrogatepass")


OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@st.composite
def oai_arxiv_record(draw: Draw) -> str:
    """One ``<record>`` in the ``arXiv`` metadata format."""
    if rare(draw, 16):
        return '<record><header status="deleted"><identifier>x</identifier></header></record>'
    authors = []
    for _ in range(draw(st.integers(0, 3))):
        parts = [
            element(name, maybe(draw, NAMES))
            for name in ("keyname", "forenames", "suffix", "affiliation")
        ]
        authors.append(f"<author>{''.join(parts)}</author>")
    namespace = draw(st.sampled_from([' xmlns="http://arxiv.org/OAI/arXiv/"', ""]))
    fields = [
        element("id", maybe(draw, IDS)),
        element("created", maybe(draw, ISO_DATES)),
        element("updated", maybe(draw, ISO_DATES)),
        f"<authors>{''.join(authors)}</authors>",
        element("title", maybe(draw, TITLE)),
        element("categories", maybe(draw, CATEGORY_LISTS)),
        element("abstract", maybe(draw, ABSTRACT)),
        element("doi", maybe(draw, TEXT)),
        element("journal-ref", maybe(draw, TEXT)),
        element("comments", maybe(draw, TEXT)),
        element("license", maybe(draw, TEXT)),
    ]
    fields = draw(st.permutations(fields)) if rare(draw, 10) else fields
    metadata = f"<arXiv{namespace}>{''.join(fields)}</arXiv>"
    if rare(draw, 20):
        metadata = draw(st.sampled_from(["", "<oai_dc/>", "<arXiv/>"]))
    header = "<header><identifier>x</identifier></header>"
    return f"<record>{header}<metadata>{metadata}</metadata></record>"


@st.composite
def oai_arxiv_raw_record(draw: Draw) -> str:
    """One ``<record>`` in the ``arXivRaw`` metadata format."""
    versions = []
    for _ in range(draw(st.integers(0, 4))):
        label = draw(VERSION_LABELS)
        date = element("date", maybe(draw, EMAIL_DATES))
        versions.append(f"<version version={attribute(label)}>{date}<size>1kb</size></version>")
    fields = [
        element("id", maybe(draw, IDS)),
        element("submitter", maybe(draw, NAMES)),
        "".join(versions),
        element("title", maybe(draw, TITLE)),
        element("authors", maybe(draw, AUTHOR_STRINGS)),
        element("categories", maybe(draw, CATEGORY_LISTS)),
        element("abstract", maybe(draw, ABSTRACT)),
        element("doi", maybe(draw, TEXT)),
        element("comments", maybe(draw, TEXT)),
    ]
    body = f'<arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">{"".join(fields)}</arXivRaw>'
    return (
        f"<record><header><identifier>x</identifier></header><metadata>{body}</metadata></record>"
    )


@st.composite
def oai_page(draw: Draw, record: st.SearchStrategy[str]) -> tuple[str, bytes]:
    """A ListRecords response: records, maybe a resumption token, maybe an OAI error."""
    records = "".join(draw(st.lists(record, max_size=3)))
    token = ""
    if draw(st.booleans()):
        size = draw(st.one_of(st.integers(0, 10**6).map(str), NON_ASCII_DIGITS, HUGE_DIGITS, TEXT))
        value = draw(st.one_of(st.just(""), st.just("6960524|1001"), XML_TEXT))
        token = (
            f"<resumptionToken completeListSize={attribute(size)}>{escape(value)}</resumptionToken>"
        )
    error = ""
    if rare(draw, 10):
        code = draw(st.sampled_from(["noRecordsMatch", "badResumptionToken", "badArgument", ""]))
        error = f"<error code={attribute(code)}>{escape(draw(XML_TEXT))}</error>"
    root = "html" if rare(draw, 30) else "OAI-PMH"
    body = (
        f'<{root} xmlns="{OAI_NS}"><responseDate>2024-01-01T00:00:00Z</responseDate>'
        f"{error}<ListRecords>{records}{token}</ListRecords></{root}>"
    )
    return "fuzz.xml", draw(xml_document(body))


@st.composite
def atom_feed(draw: Draw) -> tuple[str, bytes]:
    """An arXiv API answer: entries (some API errors), in an Atom feed."""
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        if rare(draw, 12):
            entries.append(
                "<entry><id>http://arxiv.org/api/errors#bad</id><title>Error</title>"
                f"<summary>{escape(draw(XML_TEXT))}</summary></entry>"
            )
            continue
        prefix = draw(st.sampled_from(["http://arxiv.org/abs/", "https://arxiv.org/abs/", ""]))
        authors = "".join(
            f"<author>{element('name', maybe(draw, NAMES))}</author>"
            for _ in range(draw(st.integers(0, 3)))
        )
        terms = draw(st.lists(st.one_of(CATEGORIES, XML_TEXT), max_size=3))
        categories = "".join(f"<category term={attribute(t)}/>" for t in terms)
        primary = draw(st.one_of(CATEGORIES, XML_TEXT))
        fields = [
            element(
                "id", None if (entry_id := maybe(draw, ATOM_IDS)) is None else prefix + entry_id
            ),
            element("published", maybe(draw, ISO_DATETIMES)),
            element("updated", maybe(draw, ISO_DATETIMES)),
            element("title", maybe(draw, TITLE)),
            element("summary", maybe(draw, ABSTRACT)),
            authors,
            element("arxiv:doi", maybe(draw, TEXT)),
            element("arxiv:journal_ref", maybe(draw, TEXT)),
            element("arxiv:comment", maybe(draw, TEXT)),
            f"<arxiv:primary_category term={attribute(primary)}/>",
            categories,
        ]
        entries.append(f"<entry>{''.join(fields)}</entry>")
    root = "OAI-PMH" if rare(draw, 30) else "feed"
    body = (
        f'<{root} xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"<title>ArXiv Query</title>{''.join(entries)}</{root}>"
    )
    return "fuzz.xml", draw(xml_document(body))


# --- .abs ---------------------------------------------------------------------------------------

ABS_KEYS = st.sampled_from(["Title", "Authors", "Categories", "Comments", "Journal-ref", "DOI",
                            "License", "Report-no", "MSC-class", "From"])  # fmt: skip


@st.composite
def abs_file(draw: Draw) -> tuple[str, bytes]:
    """An arXiv ``.abs`` file: header lines between ``\\\\`` separators, then the abstract."""
    id_key = draw(st.sampled_from(["arXiv", "Paper"])) if not rare(draw, 20) else "Id"
    lines = [f"{id_key}: {draw(IDS)}", f"From: {draw(NAMES)} <someone@example.org>"]
    lines.append(f"Date: {draw(EMAIL_DATES)}")
    for _ in range(draw(st.integers(0, 3))):
        label = draw(st.one_of(VERSION_LABELS, st.just("")))
        key = f"Date (revised {label})" if label else "Date (revised)"
        lines.append(f"{key}: {draw(EMAIL_DATES)}")
    values = {
        "Title": TITLE, "Authors": AUTHOR_STRINGS, "Categories": CATEGORY_LISTS,
    }  # fmt: skip
    keys = ["Title", "Authors", "Categories"] if not rare(draw, 10) else []
    for key in keys + draw(st.lists(ABS_KEYS, max_size=4)):
        value = draw(values.get(key, TEXT))
        lines.append(f"{key}: {value}")
        if rare(draw, 5):
            lines.append(f"  {draw(TEXT)}")  # a continuation line
    lines = draw(st.permutations(lines)) if rare(draw, 10) else lines
    separator = "\\\\" if not rare(draw, 20) else draw(st.sampled_from(["\\\\ \t", "\\"]))
    abstract = draw(ABSTRACT)
    parts = ["-" * 78, separator, *lines, separator, f"  {abstract}", separator, ""]
    if rare(draw, 16):
        parts = parts[: draw(st.integers(0, len(parts)))]
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = newline.join(parts)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "latin-1"]))
    return "fuzz.abs", text.encode(encoding, "surrogatepass" if encoding == "utf-8" else "replace")


# --- byte mutations -----------------------------------------------------------------------------

TOKENS = [b"\x00", b"\xff", b"\xc3", b'"', b"\\", b"{", b"}", b"[", b"]", b"<", b">", b"&",
          b"]]>", b"&#0;", b"&#xD800;", b"\\u0000", b"\\ud800", b"\n", b"\r", b"\\\\\n",
          b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", b"&e;", b"9" * 40,
          b"\x1f\x8b", b"\xef\xbb\xbf", b"\xfe\xff", "²".encode(), b"-0100", b"+05:00"]  # fmt: skip


@st.composite
def mutated(draw: Draw, files: st.SearchStrategy[tuple[str, bytes]]) -> tuple[str, bytes]:
    """A generated file, its bytes mutated one time in four (up to 4 mutations), maybe gzipped."""
    name, data = draw(files)
    if rare(draw, 4):
        for _ in range(draw(st.integers(1, 4))):
            data = _mutate(draw, data)
    if rare(draw, 12):
        data = gzip.compress(data, mtime=0)
        if rare(draw, 4):
            data = data[: draw(st.integers(0, len(data)))]  # a truncated .gz
        name += ".gz"
    return name, data


def _mutate(draw: Draw, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    kind = draw(st.integers(0, 5))
    if kind == 0 and data:  # flip a byte
        at = min(at, len(data) - 1)
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if kind == 1:  # insert random bytes
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if kind == 2:  # delete a range
        return data[:at] + data[at + draw(st.integers(1, 16)) :]
    if kind == 3:  # truncate
        return data[:at]
    if kind == 4:  # duplicate a range
        end = min(len(data), at + draw(st.integers(1, 64)))
        return data[:end] + data[at:end] + data[end:]
    return data[:at] + draw(st.sampled_from(TOKENS)) + data[at:]


# --- the formats --------------------------------------------------------------------------------

SUBFORMATS: dict[str, Callable[[], st.SearchStrategy[tuple[str, bytes]]]] = {
    "jsonl-own": lambda: mutated(json_lines_file(own_record())),
    "jsonl-kaggle": lambda: mutated(json_lines_file(kaggle_record())),
    "jsonl-sample": lambda: mutated(json_lines_file(sample_record())),
    "jsonl-beir-generic": lambda: mutated(json_lines_file(other_record())),
    "oai-arXiv": lambda: mutated(oai_page(oai_arxiv_record())),
    "oai-arXivRaw": lambda: mutated(oai_page(oai_arxiv_raw_record())),
    "atom": lambda: mutated(atom_feed()),
    "abs": lambda: mutated(abs_file()),
}
# The reader each generator is for (its name's first part): jsonl, oai, atom, abs.
READER_OF = {name: name.split("-")[0] for name in SUBFORMATS}
