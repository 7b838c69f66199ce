"""What the plugins share about Pelican's content objects.

Where a generator keeps its articles and pages, how Pelican joins a content
object's URL to the site's, how to drop what Pelican memoized for a content
object whose text a plugin has just rewritten, and how to give back the room
its attribute dict was sized for once the plugins are done adding to it.
"""

from __future__ import annotations

import posixpath
import sys
from collections.abc import Iterable
from itertools import chain
from typing import Any
from urllib.parse import urljoin

PUBLISHED_ARTICLES = ("articles", "translations")
UNLISTED_ARTICLES = (
    "hidden_articles",
    "hidden_translations",
    "drafts",
    "drafts_translations",
)
ARTICLE_LISTS = PUBLISHED_ARTICLES + UNLISTED_ARTICLES
PAGE_LISTS = (
    "pages",
    "translations",
    "hidden_pages",
    "hidden_translations",
    "draft_pages",
    "draft_translations",
)


def contents_of(generator: Any, names: Iterable[str]) -> list[Any]:
    """Every content object in the generator's lists ``names``, once each."""
    unique: dict[int, Any] = {}
    for item in chain.from_iterable(getattr(generator, name, ()) for name in names):
        unique.setdefault(id(item), item)
    return list(unique.values())


def forget_memoized(content: Any, *methods: str) -> None:
    """Drop what Pelican memoized for ``content.<method>`` (made from old text).

    Pelican memoizes ``get_content``/``get_summary`` per (object, siteurl) in
    one cache shared by every object. Before the writers run only the site's
    own siteurls can be keys, so popping those is enough: no scan of the cache.
    """
    siteurls = {content.get_siteurl(), content.settings.get("SITEURL", ""), ""}
    for method in methods or ("get_content", "get_summary"):
        cache = getattr(getattr(content, method, None), "cache", None)
        if cache is None:
            continue
        for siteurl in siteurls:
            cache.pop((content, siteurl), None)


def join_url(siteurl: str, url: str, relative: bool = False) -> str:
    """``url`` below ``siteurl`` the way Pelican joins them (writer and links)."""
    if relative:
        return posixpath.join(siteurl, url)
    return urljoin(siteurl if siteurl.endswith("/") else siteurl + "/", url)


def compact_attributes(content: Any) -> None:
    """Rebuild ``content``'s attribute dict when a copy is smaller.

    CPython shares one table of attribute names among a class's instances, up
    to 30 names. Pelican's articles use about 23; the bundle's attributes take
    them past 30, and an article given one more name moves its attributes to a
    dict of its own, sized for growth (128 slots for some 30 names). A copy
    made when no more names are coming is sized for what it holds: about 1 KB
    less per article. A dict still sharing its names is kept (asking for it
    costs a 64-byte dict object, and its names stay shared).
    """
    attributes = vars(content)
    compact = dict(attributes)
    if sys.getsizeof(compact) < sys.getsizeof(attributes):
        content.__dict__ = compact
