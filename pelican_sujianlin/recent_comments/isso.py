"""Published comments from an Isso server's SQLite database, read-only.

Isso keeps ``threads(id, uri, title)`` and ``comments(tid, id, parent,
created, mode, text, author, email, website, remote_addr, ...)``; ``mode`` is
1 for a published comment, 2 for one awaiting moderation, 4 for a deleted one.
Only ``mode = 1`` rows are read, and never ``email`` or ``remote_addr``.
Isso stores ``author`` and ``website`` HTML-escaped and ``text`` as the
Markdown typed: this module decodes authors and websites, and the plugin
escapes them once (:func:`~.comment.clean_line`, :func:`~.comment.safe_website`)
and renders texts the way Isso renders them (typed HTML shown as text).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    import sqlite3

logger = logging.getLogger(__name__)

PUBLISHED = 1
QUERY = """
    SELECT comments.id, comments.created, comments.text, comments.author,
           comments.website, threads.uri
    FROM comments JOIN threads ON comments.tid = threads.id
    WHERE comments.mode = ?
    ORDER BY comments.created DESC, comments.id DESC
"""


@dataclass(frozen=True)
class IssoRow:
    """A published comment; ``author`` and ``website`` decoded, NOT escaped."""

    id: int
    created: datetime
    text: str
    author: str
    website: str
    uri: str


def uri_key(uri: str) -> str:
    """A thread URI reduced to a comparable path.

    ``https://host/a%20b/``, ``/a b``, ``a b/index.html`` all give ``/a b``.
    """
    parts = urlsplit(uri.strip())
    path = unquote(parts.path)
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return "/" + path.strip("/")


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Open an SQLite file without any possibility of writing to it."""
    import sqlite3  # here: a site without ISSO_DB does not load SQLite

    uri = path.resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True)


def read_published(path: Path) -> list[IssoRow] | None:
    """Every published comment, newest first; None (with a warning) on failure."""
    if not path.is_file():
        logger.warning(
            "Isso database %s (ISSO_DB) does not exist: no Isso comments", path
        )
        return None
    import sqlite3

    try:
        connection = connect_read_only(path)
        try:
            rows = connection.execute(QUERY, (PUBLISHED,)).fetchall()
        finally:
            connection.close()
    except sqlite3.Error as error:
        logger.warning(
            "Isso database %s (ISSO_DB) cannot be read: %s: no Isso comments",
            path,
            error,
        )
        return None
    published = []
    for row in rows:
        try:
            published.append(row_from_sql(row))
        except (TypeError, ValueError, OverflowError, OSError) as error:
            logger.warning(
                "Isso database %s: comment %r is malformed (%s): skipped",
                path,
                row[0],
                error,
            )
    return published


def row_from_sql(row: tuple) -> IssoRow:
    id_, created, text, author, website, uri = row
    return IssoRow(
        id=int(id_),
        created=datetime.fromtimestamp(float(created), tz=timezone.utc),
        text=str(text or ""),
        author=html.unescape(str(author or "")),
        website=html.unescape(str(website or "")),
        uri=str(uri or ""),
    )
