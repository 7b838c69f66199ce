"""What the plugins share about Pelican's content objects.

Where a generator keeps its articles and pages, how Pelican joins a content
object's URL to the site's, how to drop what Pelican memoized for a content
object whose text a plugin has just rewritten, how to give back the room
its attribute dict was sized for once the plugins are done adding to it, and
how a plugin keeps what it derived from a file's text in Pelican's content
cache, in place of that text, so that the next build need not derive it again.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Iterable, Mapping
from functools import lru_cache
from itertools import chain
from typing import Any
from urllib.parse import urljoin

from pelican.generators import CachingGenerator
from pelican.utils import file_suffix

from pelican_sujianlin.cache import content_cache_on

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
    base = siteurl if siteurl.endswith("/") else siteurl + "/"
    if _is_plain_path(url) and _is_plain_base(base):
        return base + url  # what urljoin gives, several times faster
    return urljoin(base, url)


@lru_cache(maxsize=16)  # a build joins to a few bases (SITEURL, relative ones)
def _is_plain_base(base: str) -> bool:
    """A base urljoin keeps as it is: an http(s), scheme-relative or
    absolute path address (another scheme may not take relative paths)
    without what urljoin rewrites."""
    if base.startswith(("http://", "https://")):
        path = base.partition("://")[2]
    elif base.startswith("/"):
        path = base[2:] if base.startswith("//") else base[1:]
    else:
        return False
    return not _NOT_PLAIN_BASE.search("/" + path)


# What urljoin rewrites in a base (after its scheme): dot segments, empty
# segments (``//``), a query or a fragment.
_NOT_PLAIN_BASE = re.compile(r"/\.|//|[?#]")
_STRIPPED = re.compile(r"[\t\n\r]")


def _is_plain_path(url: str) -> bool:
    """A relative path urljoin adds to a base as it is: no scheme, no
    leading slash, no dot or empty segment, no query or fragment, nothing urlsplit
    strips (leading spaces and controls, tabs and line breaks)."""
    return (
        url[:1] > " "
        and url[0] not in "./"
        and not _STRIPPED.search(url)
        and "/." not in url
        and "//" not in url
        and ":" not in url.partition("/")[0]
        and "?" not in url
        and "#" not in url
    )


def pin_urls(content: Any) -> None:
    """Keep ``content``'s ``url`` and ``save_as`` as computed now.

    Pelican computes them anew at every read (a copy of the metadata, a
    relative path, a format), and a build reads each article's some twenty
    times: its page, every list page and feed that shows it, the plugins'
    partials. Once no plugin changes what they are made of, they are set as
    the overrides Pelican itself reads first (what ``URL:`` and ``Save_as:``
    metadata set), to the values Pelican computes. Equal values (Pelican's
    default ``ARTICLE_URL`` and ``ARTICLE_SAVE_AS``) are kept as one string.
    """
    if not hasattr(content, "override_url"):
        content.override_url = content.url
    if not hasattr(content, "override_save_as"):
        save_as = content.save_as
        same = save_as == content.override_url
        content.override_save_as = content.override_url if same else save_as


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


# Where remember_readers keeps the caching generators' Readers: in the build's
# context, which every content object of the build holds (``_context``).
READERS_KEY = "_sujianlin_readers"


def remember_readers(generator: Any) -> None:
    """``generator_init``: keep the Readers of a generator whose reader output
    Pelican's content cache keeps or gives (``CACHE_CONTENT`` or
    ``LOAD_CONTENT_CACHE`` with the default ``CONTENT_CACHING_LAYER =
    "reader"``), for :func:`replace_reader_output` and :func:`read_again`."""
    settings = generator.settings
    if not isinstance(generator, CachingGenerator):
        return
    if not content_cache_on(settings):
        return
    if settings.get("CONTENT_CACHING_LAYER", "reader") == "reader":
        generator.context.setdefault(READERS_KEY, []).append(generator.readers)


def replace_reader_output(
    content: Any, source: str, text: str, extra: Mapping[str, Any]
) -> bool:
    """Have the content cache give the next build ``text`` for ``content``'s
    file, with ``extra`` in its metadata (see :func:`take_cached_metadata`),
    instead of ``source``, what the reader returned this build.

    Done only when the cache holds ``source`` itself, not an equal string: a
    text typogrified, or rewritten by another plugin first, is not the
    reader's. Pelican writes the cache after the generator's content is read.
    """
    path = content.source_path
    for readers in content._context.get(READERS_KEY, ()):
        cached, metadata = readers.get_cached_data(path, (None, None))
        if cached is source:
            readers.cache_data(path, (text, {**metadata, **extra}))
            return True
    return False


def read_again(content: Any) -> str | None:
    """What the reader returns for ``content``'s file, read again past the
    content cache (None when no reader of the build can)."""
    suffix = file_suffix(content.source_path)
    for readers in content._context.get(READERS_KEY, ()):
        reader = readers.readers.get(suffix)
        if reader is not None:
            try:
                return reader.read(content.source_path)[0]
            except Exception:  # the file changed since; the next build reads it
                return None
    return None


def take_cached_metadata(content: Any, key: str) -> Any:
    """The value :func:`replace_reader_output` kept under ``key`` (lower case)
    for ``content``'s file, or None; it leaves the metadata and the attribute
    Pelican made of it."""
    value = content.metadata.pop(key, None)
    if value is not None:
        vars(content).pop(key, None)
    return value
