"""The site's addresses that leave it (in emails and feed readers) and the purposes their signed
tokens are made for. Features build links with these and the web routes are declared with the
same templates, so an emailed link and the route that answers it cannot drift apart.
"""

from __future__ import annotations

from urllib.parse import quote

# Route templates (FastAPI path syntax); ``path(TEMPLATE, name=value)`` fills one in.
PAPER = "/papers/{paper_id}"
AUTHOR = "/authors/{name}"
CATEGORY = "/categories/{category}"
TRENDING = "/trending"
VERIFY = "/verify/{token}"
RESET_PASSWORD = "/reset-password/{token}"
UNSUBSCRIBE = "/unsubscribe/{token}"
DIGEST_SETTINGS = "/settings/digest"
SAVED_SEARCH = "/saved-searches/{search_id}"
FOR_YOU_FEED = "/feeds/for-you/{token}.{kind}"
SAVED_SEARCH_FEED = "/feeds/saved-searches/{token}.{kind}"
STREAM_FEED = "/feeds/streams/{token}.{kind}"


def path(template: str, **values: object) -> str:
    """``template`` with each ``{name}`` replaced by its value, escaped for a URL path."""
    return template.format(**{name: quote(str(value), safe="") for name, value in values.items()})


def paper_path(paper_id: str) -> str:
    return PAPER.format(paper_id=paper_id)  # ids keep their slash (hep-th/9901001)


def author_path(name: str) -> str:
    return path(AUTHOR, name=name)


def category_path(category: str) -> str:
    return CATEGORY.format(category=category)


class Purpose:
    """What a signed token was made for (``features.tokens``): a token made for one purpose
    is refused for any other."""

    UNSUBSCRIBE = "unsubscribe"
    FOR_YOU_FEED = "for-you-feed"
    STREAM_FEED = "collection-stream-feed"

    @staticmethod
    def saved_search_feed(search_id: int) -> str:
        """Names the search as well as its owner, so a token cannot be moved to another search,
        and a search id reused after a deletion does not open another reader's search."""
        return f"saved-search:{search_id}"
