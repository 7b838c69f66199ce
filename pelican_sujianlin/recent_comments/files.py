"""Comments kept as files, in the layout of pelican-comment-system.

``COMMENTS_PATH/<article-slug>/<name>.md``: one Markdown file per comment,
metadata lines first (``author``, ``date``, optional ``website``, ``email``,
``slug``, ``replyto``), then a blank line and the body. A comment's identifier
is its ``slug`` metadata, else its file name without the extension; ``replyto``
names the parent's identifier.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Container, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from pelican.utils import get_date, set_date_tzinfo

from pelican_sujianlin.recent_comments.comment import (
    Comment,
    avatar_hash,
    clean_line,
    safe_anchor,
    safe_website,
)

logger = logging.getLogger(__name__)

META_RE = re.compile(r"^([A-Za-z][\w-]*)[ \t]*:[ \t]*(.*)$")
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mkd", ".mdown"}
READ_SIZE = 1 << 16


def split_metadata(text: str) -> tuple[dict[str, str], str]:
    """Split a comment file into its metadata (keys lower-cased) and its body."""
    lines = text.lstrip("\ufeff").splitlines()
    start = 1 if lines and lines[0].strip() == "---" else 0
    meta: dict[str, str] = {}
    last = None
    body_start = len(lines)
    for number in range(start, len(lines)):
        line = lines[number]
        match = META_RE.match(line)
        if match:
            last = match[1].lower()
            meta[last] = match[2].strip()
        elif last and line[:1] in (" ", "\t") and line.strip():
            meta[last] = f"{meta[last]} {line.strip()}"
        else:
            skip = line.strip() in ("", "---", "...")
            body_start = number + 1 if skip else number
            break
    return meta, "\n".join(lines[body_start:])


def parse_date(value: str, timezone: str) -> datetime:
    """A comment date as an aware datetime; ValueError when it does not parse.

    ISO dates take the fast path; anything else goes to Pelican's parser."""
    try:
        date = datetime.fromisoformat(value)
    except ValueError:
        date = get_date(value)
    return set_date_tzinfo(date, timezone)


def read_text(path: str) -> str:
    """A UTF-8 file's text. Plain ``os.read`` costs half of ``open()``'s text
    layer on thousands of small files; line ends are normalised by
    :func:`split_metadata` (``splitlines``), as universal newlines would."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, READ_SIZE)
        if len(data) == READ_SIZE:  # a long comment: read the rest
            chunks = [data]
            while chunk := os.read(fd, READ_SIZE):
                chunks.append(chunk)
            data = b"".join(chunks)
    finally:
        os.close(fd)
    return data.decode("utf-8")


Report = Callable[..., None]  # logger.warning's signature


def quiet(*_args: Any) -> None:
    """A :data:`Report` for files read again: their problems were reported."""


def read_comment(
    path: str | os.PathLike[str],
    render: Callable[[str], str] | None,
    settings: Mapping[str, Any],
    report: Report = logger.warning,
) -> Comment | None:
    """One comment file as a :class:`Comment`, or None (with a warning).

    Without ``render``, only what a scan needs: the file is checked in full,
    but the comment keeps its date and identifiers alone (no author, body...).
    """
    path = os.fspath(path)
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as error:
        report("Comment %s cannot be read: %s", path, error)
        return None
    meta, body = split_metadata(text)
    missing = [key for key in ("author", "date") if not meta.get(key)]
    if missing:
        report("Comment %s has no %s: skipped", path, " and no ".join(missing))
        return None
    try:
        date = parse_date(meta["date"], settings.get("TIMEZONE") or "UTC")
    except (ValueError, OverflowError):
        report("Comment %s has a date that does not parse: %r", path, meta["date"])
        return None
    slug = safe_anchor(meta.get("slug") or stem(path))
    if not slug:
        report("Comment %s has an empty identifier: skipped", path)
        return None
    replyto = safe_anchor(meta.get("replyto", ""))
    if render is None:
        return Comment(author="", date=date, slug=slug, replyto=replyto)
    return Comment(
        author=clean_line(meta["author"]),
        date=date,
        body=render(body),
        website=safe_website(meta.get("website", "")),
        avatar=avatar_hash(meta.get("email", "")),
        source="file",
        slug=slug,
        replyto=replyto,
    )


def stem(path: str) -> str:
    """The file name without its extension (``Path.stem``)."""
    return os.path.splitext(os.path.basename(path))[0]


def read_folder(
    folder: str | os.PathLike[str],
    render: Callable[[str], str] | None,
    settings: Mapping[str, Any],
    report: Report = logger.warning,
) -> tuple[list[Comment], dict[str, str]]:
    """Every readable comment of one article's folder, in date order, and the
    file each came from, by identifier."""
    comments: list[Comment] = []
    paths: dict[str, str] = {}
    for entry in sorted_entries(folder):
        if entry.name.startswith("."):
            continue
        path = entry.path
        suffix = os.path.splitext(entry.name)[1].lower()
        if suffix not in MARKDOWN_SUFFIXES or not entry.is_file():
            report("Comment folder entry %s is not a Markdown file: skipped", path)
            continue
        comment = read_comment(path, render, settings, report)
        if comment is None:
            continue
        if comment.slug in paths:
            unique = unused_name(comment.slug, paths)
            report(
                "Comment %s repeats the identifier %r; it is renamed %r",
                path,
                comment.slug,
                unique,
            )
            comment.slug = unique
        paths[comment.slug] = path
        comments.append(comment)
    comments.sort(key=lambda c: (c.date, c.slug))
    return comments, paths


def sorted_entries(folder: str | os.PathLike[str]) -> list[os.DirEntry[str]]:
    """A folder's entries by name (``os.scandir``: types without a ``stat``)."""
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def unused_name(name: str, taken: Container[str]) -> str:
    """``name-2``, ``name-3``... the first not in ``taken``."""
    number = 2
    while f"{name}-{number}" in taken:
        number += 1
    return f"{name}-{number}"


def thread(comments: list[Comment]) -> tuple[list[Comment], list[Comment]]:
    """Nest replies inside their parents.

    Returns the top-level comments and the orphans: replies whose ``replyto``
    names no comment of the folder (or forms a cycle). Orphans are kept at the
    top level, so nothing disappears; the caller warns about them.
    """
    by_slug = {c.slug: c for c in comments}
    top: list[Comment] = []
    orphans: list[Comment] = []
    for comment in comments:
        comment.replies = ()
    for comment in comments:
        parent = by_slug.get(comment.replyto) if comment.replyto else None
        if comment.replyto and (parent is None or forms_cycle(comment, by_slug)):
            orphans.append(comment)
            top.append(comment)
        elif parent is None:
            top.append(comment)
        elif parent.replies:
            parent.replies.append(comment)
        else:
            parent.replies = [comment]
    return top, orphans


def forms_cycle(comment: Comment, by_slug: Mapping[str, Comment]) -> bool:
    """True when following ``replyto`` from ``comment`` comes back to it."""
    seen: set[str] = set()
    current = comment
    while current.replyto:
        parent = by_slug.get(current.replyto)
        if parent is None or parent.slug in seen:
            return False
        if parent is comment:
            return True
        seen.add(parent.slug)
        current = parent
    return False


class ScannedFolder(NamedTuple):
    """One article's comment folder as a scan found it: its comments without
    their bodies, and the file of each (by identifier)."""

    path: str  # a str, not a Path: a build keeps one per article
    comments: list[Comment]
    paths: dict[str, str]


def scan(
    root: Path, slugs: Container[str], settings: Mapping[str, Any]
) -> Iterator[tuple[str, ScannedFolder]]:
    """Check every comment folder of ``root`` naming a known article slug, one
    at a time: each problem is reported here, once, with the file it is in.

    Bodies are not rendered (see :func:`read_folder`): a page that shows a
    thread reads its folder again, so a build never holds every comment.
    Folders naming no article and orphan replies are reported in warnings.
    """
    if not root.is_dir():
        return
    orphan_count = 0
    for entry in sorted_entries(root):
        if entry.name.startswith("."):
            continue
        folder = Path(entry.path)
        if not entry.is_dir():
            logger.warning(
                "Comment file %s is not inside an article's folder "
                "(%s/<slug>/): skipped",
                folder,
                root,
            )
            continue
        if folder.name not in slugs:
            files = [p for p in folder.iterdir() if not p.name.startswith(".")]
            logger.warning(
                "Comment folder %s names no article (slug %r): "
                "its %d comment(s) are not shown",
                folder,
                folder.name,
                len(files),
            )
            continue
        comments, paths = read_folder(folder, None, settings)
        _, orphans = thread(comments)
        for orphan in orphans:
            logger.warning(
                "Comment %s replies to %r, which is not a comment of this article: "
                "shown at the top level",
                paths[orphan.slug],
                orphan.replyto,
            )
        orphan_count += len(orphans)
        yield folder.name, ScannedFolder(entry.path, comments, paths)
    if orphan_count:
        logger.warning(
            "%d orphan comment(s) in %s replied to nothing "
            "and are shown at the top level",
            orphan_count,
            root,
        )
