"""Published comments from an Isso server's SQLite database, read-only.

Isso keeps ``threads(id, uri, title)`` and ``comments(tid, id, parent,
created, mode, text, author, email, website, remote_addr, ...)``; ``mode`` is
1 for a published comment, 2 for one awaiting moderation, 4 for a deleted one.
Only ``mode = 1`` rows are read, and never ``email`` or ``remote_addr``.
Isso stores ``author`` and ``website`` HTML-escaped and ``text`` as the
Markdown typed: this module decodes authors and websites, and the plugin
escapes them once (:func:`~.comment.clean_line`, :func:`~.comment.safe_website`)
and renders texts the way Isso renders them (typed HTML shown as text).

A running Isso may hold the file: a write lock, ``BEGIN EXCLUSIVE``, or a
hot journal left by an Isso killed mid-write (which a read-only connection
cannot roll back). :func:`read_rows` then reads a private copy of the file
and its journal, and retries until a deadline; the original is never written.
A database that truly cannot be read raises :class:`IssoDatabaseError`.
"""

from __future__ import annotations

import html
import logging
import os
import shutil
import tempfile
import time
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


class IssoDatabaseError(SystemExit):
    """The Isso database cannot be read: the build stops with exit status 1
    (after one log line saying why), unless ``ISSO_DB_REQUIRED = False``.

    A ``SystemExit``, so that ``pelican`` ends with the message alone rather
    than a traceback; ``str(error)`` is the message.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = 1


#: How long (seconds) a build keeps trying a database that a writer holds.
READ_DEADLINE = 15.0
BUSY_TIMEOUT = 1.0  # per attempt, SQLite's own wait for a lock
RETRY_PAUSE = 0.2
TEMPORARY_ERRORS = ("locked", "busy", "readonly", "read-only", "unable to open")


def connect_read_only(path: Path, timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    """Open an SQLite file without any possibility of writing to it."""
    import sqlite3  # here: a site without ISSO_DB does not load SQLite

    uri = path.resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=timeout)


def query(connection: sqlite3.Connection) -> list[tuple]:
    try:
        return connection.execute(QUERY, (PUBLISHED,)).fetchall()
    finally:
        connection.close()


def read_copy(path: Path) -> list[tuple]:
    """The published rows of a private copy of the database and its journal.

    Opening the copy read-write lets SQLite roll back a hot journal (a writer
    killed mid-transaction) or ignore a half-written one in the copy, never in
    the original; the copy is taken again if a writer changed the files
    meanwhile.
    """
    import sqlite3

    with tempfile.TemporaryDirectory(prefix="isso-copy-") as folder:
        before = file_states(path)
        copy = Path(folder) / path.name
        for suffix in ("", "-journal", "-wal"):
            original = Path(f"{path}{suffix}")
            if original.is_file():
                shutil.copyfile(original, f"{copy}{suffix}")
        if file_states(path) != before:
            raise sqlite3.OperationalError("database is busy: changed while copied")
        connection = sqlite3.connect(copy, timeout=BUSY_TIMEOUT)
        if connection.execute("PRAGMA quick_check").fetchone() != ("ok",):
            connection.close()
            raise sqlite3.OperationalError("database is busy: copy is not consistent")
        return query(connection)


def file_states(path: Path) -> list[tuple[int, int] | None]:
    states = []
    for suffix in ("", "-journal", "-wal"):
        try:
            stat = os.stat(f"{path}{suffix}")
        except OSError:
            states.append(None)
        else:
            states.append((stat.st_size, stat.st_mtime_ns))
    return states


def is_temporary(error: Exception) -> bool:
    """A lock, a busy writer or a hot journal: worth reading a copy or retrying."""
    return any(word in str(error).lower() for word in TEMPORARY_ERRORS)


def read_rows(path: Path, deadline: float = READ_DEADLINE) -> list[tuple]:
    """Every published row, however a writer holds the file: read-only first,
    then from a copy (a lock, a hot journal), again until ``deadline``
    seconds have passed. IssoDatabaseError when it truly cannot be read."""
    import sqlite3

    if not path.is_file():
        raise IssoDatabaseError(f"Isso database {path} (ISSO_DB) does not exist")
    give_up = time.monotonic() + deadline
    while True:
        try:
            return query(connect_read_only(path))
        except sqlite3.Error as error:
            if not is_temporary(error):
                raise unreadable(path, error) from error
            first = error
        try:
            rows = read_copy(path)
        except (sqlite3.Error, OSError) as error:
            if not is_temporary(error):
                raise unreadable(path, error) from error
        else:
            logger.info("Isso database %s: read from a copy (%s)", path, first)
            return rows
        if time.monotonic() >= give_up:
            raise unreadable(path, first)
        time.sleep(RETRY_PAUSE)


def unreadable(path: Path, error: Exception) -> IssoDatabaseError:
    return IssoDatabaseError(f"Isso database {path} (ISSO_DB) cannot be read: {error}")


def read_published(path: Path, deadline: float = READ_DEADLINE) -> list[IssoRow]:
    """Every published comment, newest first (see :func:`read_rows`); a
    malformed row is skipped with a warning."""
    published = []
    for row in read_rows(path, deadline):
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
