"""The ``recent_comments`` plugin: comment threads and a "最近评论" widget.

Sources, usable together: comment files in ``COMMENTS_PATH`` (the layout of
pelican-comment-system, see :mod:`.files`) and an Isso server's SQLite
database ``ISSO_DB`` (see :mod:`.isso`). The plugin puts ``recent_comments``
(newest first) in the template context and, for file comments,
``article.comments`` (threaded) and ``article.comments_count`` on articles.
The partials ``sujianlin/recent_comments.html`` and ``sujianlin/comments.html``
render them; with ``ISSO_URL`` set they embed Isso's client and refresh the
widget in the browser from Isso's ``/latest``.

Signals: ``initialized`` (keeps ``COMMENTS_PATH`` out of articles, pages and
static files), ``generator_init`` (makes the partials includable),
``article_generator_finalized`` (scans the comments, fills the context; a
thread is read again when its article's page shows it),
``article_writer_finalized`` (with ``ISSO_URL``: writes ``recent-comments.json``,
the article URLs and titles the widget's script needs for new comments).
With Pelican's ``CACHE_CONTENT`` on, the scan saves the comments it read, by
file, in ``CACHE_PATH/sujianlin-comments.pickle``, which the next build loads
with ``LOAD_CONTENT_CACHE`` and reads again only the files that changed.
"""

from __future__ import annotations

import heapq
import html
import itertools
import json
import logging
import os
from collections.abc import (
    Container,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup
from pelican import signals

from pelican_sujianlin import math_markdown
from pelican_sujianlin import settings as settings_module
from pelican_sujianlin.cache import (
    cache_file,
    content_cache_on,
    load_state,
    opener,
    save_state,
    source_digest,
)
from pelican_sujianlin.contents import (
    ARTICLE_LISTS,
    PUBLISHED_ARTICLES,
    contents_of,
    join_url,
)
from pelican_sujianlin.language import pick
from pelican_sujianlin.recent_comments import comment as comment_module
from pelican_sujianlin.recent_comments import files, tex_safety
from pelican_sujianlin.recent_comments.comment import (
    MATH_OPEN,
    BodyRenderer,
    Comment,
    clean_line,
    safe_website,
)
from pelican_sujianlin.recent_comments.excerpt import excerpt
from pelican_sujianlin.settings import Check, checked, with_defaults
from pelican_sujianlin.theme import SharedItems, add_template_loader

if TYPE_CHECKING:
    from pelican_sujianlin.recent_comments.isso import IssoRow

logger = logging.getLogger(__name__)

THREADS_FILE = "recent-comments.json"  # written only when ISSO_URL is set

DEFAULTS: dict[str, Any] = {
    "COMMENTS_PATH": "comments",  # inside the content folder
    "ISSO_DB": None,  # path of an Isso SQLite database
    "ISSO_URL": None,  # public URL of the Isso server (embeds its client)
    "ISSO_DB_REQUIRED": True,  # an unreadable ISSO_DB fails the build
    "RECENT_COMMENTS_COUNT": 10,
    "RECENT_COMMENTS_EXCERPT": 35,  # characters of plain text, then …
    "COMMENTS_AVATAR_URL": "",  # e.g. "https://www.gravatar.com/avatar/{hash}?d=identicon"
}
PATH_TYPES = (str, os.PathLike)
CHECKS: dict[str, Check] = {
    "COMMENTS_PATH": Check(types=PATH_TYPES, none=True),
    "ISSO_DB": Check(types=PATH_TYPES, none=True),
    "ISSO_URL": Check(types=str, none=True),
    "ISSO_DB_REQUIRED": Check(types=bool),
    "RECENT_COMMENTS_COUNT": Check(types=int, minimum=1),
    "RECENT_COMMENTS_EXCERPT": Check(types=int, minimum=1),
    "COMMENTS_AVATAR_URL": Check(types=str, none=True),
}


@dataclass(frozen=True)
class Options:
    """This plugin's settings, read once per build."""

    comments_path: Path | None  # None unless the folder exists
    isso_db: Path | None
    isso_url: str
    isso_required: bool
    count: int
    excerpt: int
    avatar_url: str  # escaped; "{hash}" stands for the MD5 of the email
    zone: tzinfo | None  # TIMEZONE, for Isso's UTC dates
    site_path: str

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Options:
        value = with_defaults(settings, DEFAULTS, CHECKS)
        isso_db = value["ISSO_DB"]
        return cls(
            comments_path=comments_path(settings, value["COMMENTS_PATH"]),
            isso_db=Path(isso_db) if isso_db else None,
            isso_url=(value["ISSO_URL"] or "").rstrip("/"),
            isso_required=value["ISSO_DB_REQUIRED"],
            count=value["RECENT_COMMENTS_COUNT"],
            excerpt=value["RECENT_COMMENTS_EXCERPT"],
            avatar_url=html.escape(value["COMMENTS_AVATAR_URL"] or ""),
            zone=zone_of(str(settings.get("TIMEZONE") or "UTC")),
            site_path=urlsplit(str(settings.get("SITEURL") or "")).path.rstrip("/"),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.comments_path or self.isso_db or self.isso_url)


def zone_of(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def labels(settings: Mapping[str, Any]) -> dict[str, str]:
    """The partials' words, in the site's language."""
    return {
        "recent": pick(settings, "最近评论", "Recent comments"),
        "comments": pick(settings, "评论", "Comments"),
        "anonymous": pick(settings, "匿名", "Anonymous"),
    }


def comments_folder(value: str | os.PathLike[str] | None) -> str:
    """``COMMENTS_PATH`` relative to the content folder, "" for none."""
    folder = DEFAULTS["COMMENTS_PATH"] if value is None else value
    return str(folder).strip().strip("/")


def comments_path(settings: Mapping[str, Any], value: Any) -> Path | None:
    """The comment folder, or None (with a warning when the site named one
    that is a file or does not exist: its files would be read as articles)."""
    folder = comments_folder(value)
    if not folder:
        if value and str(value).strip():  # "/": no folder, not "off"
            logger.warning(
                "COMMENTS_PATH = %r names no folder inside the content folder; "
                "no file comments",
                value,
            )
        return None
    path = Path(settings.get("PATH") or ".") / folder
    if path.is_dir():
        return path
    if settings.get("COMMENTS_PATH") is not None or path.exists():
        logger.warning(
            "COMMENTS_PATH = %r: %s %s; no file comments",
            value,
            path,
            "is not a folder" if path.exists() else "does not exist",
        )
    return None


def exclude_comments_path(pelican) -> None:
    """Check ``COMMENTS_PATH`` (a bad value becomes the default, for every
    later reader) and add it to the article, page and static excludes, once."""
    settings = pelican.settings
    key = "COMMENTS_PATH"
    value = settings.get(key)
    if checked(key, value, DEFAULTS[key], CHECKS[key]) is not value:
        settings[key] = DEFAULTS[key]
    folder = comments_folder(settings.get(key))
    if not folder:
        return
    for key in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES", "STATIC_EXCLUDES"):
        excludes = list(settings.get(key) or [])
        if folder not in excludes:
            settings[key] = [*excludes, folder]


def index_by_slug(articles: Iterable[Any]) -> dict[str, list[Any]]:
    by_slug: dict[str, list[Any]] = {}
    for article in articles:
        by_slug.setdefault(article.slug, []).append(article)
    return by_slug


def index_by_uri(articles: Iterable[Any], site_path: str) -> dict[str, Any]:
    """Every way an Isso thread URI may name an article, first article wins."""
    from pelican_sujianlin.recent_comments import isso

    by_uri: dict[str, Any] = {}
    for article in articles:
        for uri in (f"{site_path}/{article.url}", article.url):
            by_uri.setdefault(isso.uri_key(uri), article)
    return by_uri


class ThreadReader:
    """Reads an article's comment folder when a page shows its thread.

    One per build, with the build's one Markdown instance; it keeps only the
    thread it read last (a page asks for it more than once), so a build holds
    one article's comments at a time, however many the site has.
    """

    def __init__(
        self,
        options: Options,
        settings: Mapping[str, Any],
        cache: files.CommentCache | None = None,
    ) -> None:
        self.options = options
        self.settings = settings
        self.cache = cache
        self.render = BodyRenderer(raw_html=True, math=True)
        self.last: tuple[str, list[Comment]] | None = None

    def read(
        self, name: str, article: Any, scanned: files.ScannedFolder | None = None
    ) -> list[Comment]:
        """The top-level comments of the folder ``name`` (in COMMENTS_PATH),
        replies nested, oldest first; ``scanned``: the folder as the scan read
        it in full (from the cache) and threaded."""
        if self.last is not None and self.last[0] == name:
            return self.last[1]
        if scanned is not None:
            comments, top = scanned.comments, list(scanned.top)
        else:
            folder = os.path.join(self.options.comments_path, name)
            self.render.where = f"A comment in {folder}"
            comments, _ = files.read_folder(
                folder, self.render, self.settings, files.quiet, self.cache
            )
            top = files.thread(comments).top
        for comment in comments:
            self.finish(comment, article)
        self.last = (name, top)
        return top

    def finish(self, comment: Comment, article: Any) -> None:
        """Link ``comment`` to its article; its avatar hash becomes a URL."""
        comment.article = article
        if self.options.avatar_url and comment.avatar:
            comment.avatar = self.options.avatar_url.replace("{hash}", comment.avatar)
        else:
            comment.avatar = ""


class CommentThread(Sequence):
    """``article.comments``: the article's top-level file comments (replies in
    their ``replies``), oldest first, read from its folder when first used on
    a page (see :class:`ThreadReader`)."""

    __slots__ = ("_article", "_count", "_folder", "_kept", "_reader", "_scanned")

    def __init__(
        self,
        reader: ThreadReader,
        folder: str,
        article: Any,
        count: int,
        scanned: files.ScannedFolder | None = None,
    ) -> None:
        self._reader = reader
        self._folder = folder  # its name in COMMENTS_PATH: the article's slug
        self._article = article
        self._count = count
        self._scanned = scanned  # read in full by the scan: no second reading
        self._kept: list[Comment] | None = None  # an unpickled thread's comments

    def _comments(self) -> list[Comment]:
        if self._kept is not None:
            return self._kept
        comments = self._reader.read(self._folder, self._article, self._scanned)
        self._scanned = None  # read again from the folder if asked again
        return comments

    def __getitem__(self, index):
        return self._comments()[index]

    def __len__(self) -> int:
        return len(self._comments())

    def __iter__(self) -> Iterator[Comment]:
        return iter(self._comments())

    def __bool__(self) -> bool:
        return self._count > 0  # without reading the folder

    @property
    def has_math(self) -> bool:
        """True when a comment of the thread has a formula (for mathjax.html)."""
        pending = list(self._comments()) if self._count else []
        while pending:
            comment = pending.pop()
            if MATH_OPEN in comment.body:
                return True
            pending.extend(comment.replies)
        return False

    def __getstate__(self) -> dict[str, Any]:
        """A pickled thread (Pelican's content cache) keeps its comments."""
        return {"kept": list(self._comments()), "count": self._count}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._reader = self._folder = self._article = self._scanned = None
        self._kept, self._count = state["kept"], state["count"]


def attach_file_comments(
    options: Options,
    generator,
    by_slug: Mapping[str, list[Any]],
    listed_ids: Container[int],
) -> list[Comment]:
    """Scan the comment files; give each article its thread (read when shown)
    and count; return the newest comments of listed articles, newest
    ``options.count`` at most, in scan order, bodies rendered (for the widget).
    """
    cache = comment_cache(generator.settings, options.comments_path)
    reader = ThreadReader(options, generator.settings, cache)
    newest: list[tuple[float, int, Comment, str, Any]] = []  # a min-heap
    order = itertools.count()
    render = reader.render if cache is not None else None
    folders = files.scan(
        options.comments_path, by_slug, generator.settings, cache, render
    )
    for slug, folder in folders:
        primary = by_slug[slug][0]
        count = len(folder.comments)
        scanned = folder if cache is not None else None
        thread = CommentThread(reader, primary.slug, primary, count, scanned)
        for article in by_slug[slug]:
            article.comments = thread
            article.comments_count = count
        if id(primary) not in listed_ids:
            continue
        for comment in folder.comments:
            if comment.slug in folder.unlisted:
                continue
            # ties: the comment scanned first ranks higher, as in a stable sort
            rank = (comment.timestamp, -next(order))
            item = (*rank, comment, folder.paths[comment.slug], primary)
            if len(newest) < options.count:
                heapq.heappush(newest, item)
            elif rank > newest[0][:2]:
                heapq.heapreplace(newest, item)
    chosen = []
    settings = generator.settings
    for _, _, scanned, path, primary in sorted(newest, key=lambda item: -item[1]):
        reader.render.where = f"Comment {path}"
        comment = files.read_cached(path, reader.render, settings, cache=cache)
        if comment is not None:  # None: changed since the scan (and reported)
            comment.slug = scanned.slug  # as renamed if its identifier repeats
            reader.finish(comment, primary)
            chosen.append(comment)
    if cache is not None:
        # Every comment file was read: the cache is saved now and let go, and
        # each thread lets go of its comments once its page is written.
        save_comment_cache(cache, settings)
        reader.cache = None
    return chosen


CACHE_FILE = "sujianlin-comments.pickle"
CACHE_FORMAT = "1"


def comment_cache(settings: Mapping[str, Any], root: Path) -> files.CommentCache | None:
    """The comments of ``root`` earlier builds read, when Pelican's content
    cache is on (``LOAD_CONTENT_CACHE`` loads them, ``CACHE_CONTENT`` saves
    them; compressed as Pelican's own files are, see ``GZIP_CACHE``)."""
    if not content_cache_on(settings):
        return None
    digest = cache_digest(settings)
    entries = None
    if settings.get("LOAD_CONTENT_CACHE"):
        entries = load_state(cache_file(settings, CACHE_FILE), digest, opener(settings))
    if not isinstance(entries, dict):
        entries = None
    return files.CommentCache(root, entries, digest)


def cache_digest(settings: Mapping[str, Any]) -> str:
    """What a cached comment depends on: the code that read it, the zone
    its date is in."""
    zone = str(settings.get("TIMEZONE") or "UTC")
    code = (files, comment_module, tex_safety, math_markdown, settings_module)
    return source_digest(CACHE_FORMAT, zone, modules=code)


def save_comment_cache(cache: files.CommentCache, settings: Mapping[str, Any]) -> None:
    """Keep the comments this build read (with ``CACHE_CONTENT``)."""
    kept = cache.kept() if settings.get("CACHE_CONTENT") else None
    if kept is not None:
        path = cache_file(settings, CACHE_FILE)
        save_state(path, cache.digest, kept, opener(settings), shared=True)


def isso_comments(options: Options, articles: list[Any]) -> list[tuple[Any, Any]]:
    """Published Isso comments that belong to an article, newest first.

    A database that cannot be read stops the build (one log line, exit
    status 1), or with ``ISSO_DB_REQUIRED = False`` gives a warning. (The
    Isso module is imported here: a site without Isso does not load it.)"""
    from pelican_sujianlin.recent_comments import isso

    try:
        rows = isso.read_published(options.isso_db)
    except isso.IssoDatabaseError as error:
        if options.isso_required:
            logger.critical("%s (set ISSO_DB_REQUIRED = False to build without)", error)
            raise
        logger.warning("%s: no Isso comments", error)
        return []
    if not rows:
        return []
    by_uri = index_by_uri(articles, options.site_path)
    matched, unmatched = [], {}
    for row in rows:
        article = by_uri.get(isso.uri_key(row.uri))
        if article is None:
            unmatched[row.uri] = unmatched.get(row.uri, 0) + 1
        else:
            matched.append((row, article))
    if unmatched:
        logger.warning(
            "Isso database %s: %d published comment(s) in %d thread(s) "
            "match no article and are not listed: %s",
            options.isso_db,
            sum(unmatched.values()),
            len(unmatched),
            ", ".join(sorted(unmatched)[:10]),
        )
    return matched


def comment_from_isso(
    row: IssoRow, article: Any, options: Options, render, words
) -> Comment:
    render.where = f"Isso comment {row.id}"
    short = excerpt(render(row.text), options.excerpt)
    return Comment(
        author=clean_line(row.author) or words["anonymous"],
        date=row.created.astimezone(options.zone) if options.zone else row.created,
        excerpt=short.html,
        excerpt_text=short.text,
        website=safe_website(row.website),
        source="isso",
        slug=str(row.id),
        article=article,
    )


def newest(
    file_comments: list[Comment], isso_rows: list[tuple[Any, Any]], count: int
) -> list[Any]:
    entries = [(c.timestamp, c) for c in file_comments]
    entries += [(row.created.timestamp(), (row, article)) for row, article in isso_rows]
    return [item for _, item in heapq.nlargest(count, entries, key=lambda e: e[0])]


def collect(generator) -> None:
    """``article_generator_finalized``: read every source, fill the context."""
    options = Options.from_settings(generator.settings)
    if not options.enabled:
        return
    # Threads go on every article (hidden ones and drafts too); the widget and
    # the browser's thread map list only published articles and translations,
    # so a hidden post or a draft is never linked from other pages.
    articles = contents_of(generator, ARTICLE_LISTS)
    words = labels(generator.settings)
    listed = contents_of(generator, PUBLISHED_ARTICLES)
    listed_ids = {id(article) for article in listed}
    file_comments: list[Comment] = []
    if options.comments_path is not None:
        file_comments = attach_file_comments(
            options, generator, index_by_slug(articles), listed_ids
        )
    isso_rows = isso_comments(options, articles) if options.isso_db else []
    isso_rows = [(row, a) for row, a in isso_rows if id(a) in listed_ids]
    recent: list[Comment] = []
    isso_render = None
    for item in newest(file_comments, isso_rows, options.count):
        if isinstance(item, Comment):
            item.excerpt, item.excerpt_text = excerpt(item.body, options.excerpt)
            recent.append(item)
        else:
            isso_render = isso_render or BodyRenderer(raw_html=False, math=True)
            recent.append(comment_from_isso(*item, options, isso_render, words))
    if options.isso_url:
        for article in articles:
            article.isso_uri = f"{options.site_path}/{article.url}"
        generator.recent_comments_threads = thread_map(
            listed, generator.settings, options.site_path
        )
    generator.context["recent_comments"] = recent
    generator.context["recent_comments_items"] = SharedItems(recent)
    generator.context["recent_comments_labels"] = words
    generator.context["recent_comments_isso"] = {
        "url": options.isso_url,
        "count": options.count,
        "excerpt": options.excerpt,
        "threads": f"{options.site_path}/{THREADS_FILE}",
    }


def thread_map(
    articles: list[Any], settings: Mapping[str, Any], site_path: str
) -> dict[str, Any]:
    """Isso thread key -> the article's URL and plain title, for the browser,
    with the keys the build matches threads by."""
    siteurl = str(settings.get("SITEURL") or "")
    return {
        key: {"url": join_url(siteurl, a.url), "title": Markup(a.title).striptags()}
        for key, a in index_by_uri(articles, site_path).items()
    }


def write_thread_map(generator, writer=None) -> None:
    """``article_writer_finalized``: write the map the widget's script reads."""
    threads = getattr(generator, "recent_comments_threads", None)
    if threads is None:
        return
    path = Path(generator.output_path) / THREADS_FILE
    path.write_text(json.dumps(threads, ensure_ascii=False), encoding="utf-8")


def register() -> None:
    """Connect this plugin to Pelican's signals."""
    signals.initialized.connect(exclude_comments_path)
    signals.generator_init.connect(add_template_loader)
    signals.article_generator_finalized.connect(collect)
    signals.article_writer_finalized.connect(write_thread_map)
