"""Comments kept as files, in the layout of pelican-comment-system.

``COMMENTS_PATH/<article-slug>/<name>.md``: one Markdown file per comment,
metadata lines first (``author``, ``date``, optional ``website``, ``email``,
``slug``, ``replyto``), then a blank line and the body. A comment's identifier
is its ``slug`` metadata, else its file name without the extension; ``replyto``
names the parent's identifier. A file that opens with ``---`` is YAML front
matter: quoted values (``date: "2024-01-03 10:00"``) lose their quotes.

Bounds: replies nest :data:`MAX_REPLY_DEPTH` deep at most (deeper replies are
shown at that depth, in date order); replies that go round in a cycle are
threaded from the oldest of them; a comment dated more than a day after the
build is shown in its thread but left out of the widget (with a warning).
"""

from __future__ import annotations

import logging
import os
import re
from collections import deque
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import fields
from datetime import datetime, timedelta, timezone
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
# How deep replies nest on a page: a reply to a reply at this depth is shown
# beside its parent. (Jinja renders each level in a few Python frames: a tree
# hundreds deep would exhaust the interpreter's recursion limit.)
MAX_REPLY_DEPTH = 20
# A comment dated later than this after the build is not listed in the widget:
# it would head the list of newest comments until its date came.
FUTURE_SLACK = timedelta(days=1)


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
            meta[last] = unquote(match[2].strip()) if start else match[2].strip()
        elif last and line[:1] in (" ", "\t") and line.strip():
            meta[last] = f"{meta[last]} {line.strip()}"
        else:
            skip = line.strip() in ("", "---", "...")
            body_start = number + 1 if skip else number
            break
    return meta, "\n".join(lines[body_start:])


def unquote(value: str) -> str:
    """A YAML scalar in quotes, without them: ``"a"`` and ``'a'`` -> ``a``."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def parse_date(value: str, zone: str) -> datetime:
    """A comment date as an aware datetime; ValueError when it does not parse.

    ISO dates take the fast path; anything else goes to Pelican's parser.
    Quotes around the date (YAML's) are dropped."""
    value = unquote(value.strip())
    try:
        date = datetime.fromisoformat(value)
    except ValueError:
        date = get_date(value)
    return set_date_tzinfo(date, zone)


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


Stamp = tuple[int, int]  # a file's modification time (ns) and size
BUILD_FIELDS = ("article", "replies")


class CommentCache:
    """Comments read by an earlier build, by file, with the stamp of the file
    they were read from (Pelican's content cache, for comment files).

    Only comments read in full (bodies rendered) are kept, so a file with a
    problem is read, and reported, again by every build. A comment is kept
    as the tuple of what was read from its file; each ``get`` makes a new
    :class:`Comment` of it, which the build renames, threads and links.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        entries: dict[str, tuple[Stamp, tuple]] | None = None,
        digest: str = "",
    ) -> None:
        self.root = os.path.join(os.fspath(root), "")
        self.digest = digest  # what the entries were read with (code, zone)
        self.entries = entries or {}  # by path inside ``root``
        self.used: set[str] = set()  # the files this build read
        self.added = 0

    def key(self, path: str) -> str:
        return path[len(self.root) :] if path.startswith(self.root) else path

    def get(self, path: str, stamp: Stamp) -> Comment | None:
        key = self.key(path)
        found = self.entries.get(key)
        if found is None or found[0] != stamp:
            return None
        self.used.add(key)
        return Comment(*found[1])

    def put(self, path: str, stamp: Stamp, comment: Comment) -> None:
        key = self.key(path)
        self.entries[key] = (stamp, tuple(getattr(comment, n) for n in FILE_FIELDS))
        self.used.add(key)
        self.added += 1

    def kept(self) -> dict[str, tuple[Stamp, tuple]] | None:
        """What to save: the files this build read; None when that is what
        was loaded (nothing to write)."""
        if not self.added and len(self.used) == len(self.entries):
            return None
        return {path: self.entries[path] for path in self.used}


# The fields of a Comment read from its file, in order (a build sets the rest).
FILE_FIELDS = tuple(
    f.name for f in fields(Comment) if f.init and f.name not in BUILD_FIELDS
)


def file_stamp(path: str | os.DirEntry[str]) -> Stamp | None:
    try:
        status = path.stat() if isinstance(path, os.DirEntry) else os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def read_cached(
    entry: str | os.DirEntry[str],
    render: Callable[[str], str] | None,
    settings: Mapping[str, Any],
    report: Report = logger.warning,
    cache: CommentCache | None = None,
) -> Comment | None:
    """:func:`read_comment`, from ``cache`` when the file has not changed
    since; a comment read in full goes into ``cache``."""
    path = os.fspath(entry.path if isinstance(entry, os.DirEntry) else entry)
    stamp = file_stamp(entry) if cache is not None else None
    if stamp is not None:
        found = cache.get(path, stamp)
        if found is not None:
            return found
    comment = read_comment(path, render, settings, report)
    if stamp is not None and comment is not None and render is not None:
        cache.put(path, stamp, comment)
    return comment


def stem(path: str) -> str:
    """The file name without its extension (``Path.stem``)."""
    return os.path.splitext(os.path.basename(path))[0]


def read_folder(
    folder: str | os.PathLike[str],
    render: Callable[[str], str] | None,
    settings: Mapping[str, Any],
    report: Report = logger.warning,
    cache: CommentCache | None = None,
) -> tuple[list[Comment], dict[str, str]]:
    """Every readable comment of one article's folder, in date order, and the
    file each came from, by identifier (through ``cache``, see
    :func:`read_cached`)."""
    comments: list[Comment] = []
    paths: dict[str, str] = {}
    for entry in sorted_entries(folder):
        if entry.name.startswith("."):
            continue
        path = entry.path
        suffix = os.path.splitext(entry.name)[1].lower()
        if suffix not in MARKDOWN_SUFFIXES or not entry_is(entry, "file"):
            report("Comment folder entry %s is not a Markdown file: skipped", path)
            continue
        comment = read_cached(entry, render, settings, report, cache)
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


def entry_is(entry: os.DirEntry[str], kind: str) -> bool:
    """Whether ``entry`` is a file (``kind="file"``) or a folder; False for
    what cannot be followed (a symbolic link loop raises, unlike a broken link)."""
    try:
        return entry.is_file() if kind == "file" else entry.is_dir()
    except OSError:
        return False


def unused_name(name: str, taken: Container[str]) -> str:
    """``name-2``, ``name-3``... the first not in ``taken``."""
    number = 2
    while f"{name}-{number}" in taken:
        number += 1
    return f"{name}-{number}"


class Thread(NamedTuple):
    """A folder's comments threaded: see :func:`thread`."""

    top: list[Comment]
    orphans: list[Comment]
    cycles: list[list[Comment]]


def thread(comments: list[Comment], max_depth: int = MAX_REPLY_DEPTH) -> Thread:
    """Nest replies inside their parents, ``max_depth`` levels at most.

    ``comments`` come in date order; every reply list keeps that order.
    Orphans (a ``replyto`` that names no comment of the folder) are kept at
    the top level, so nothing disappears. Replies that go round in a cycle
    (a replies to b, b to a) are threaded from the oldest of them, which is
    shown at the top level. The caller warns about orphans and cycles.
    """
    by_slug = {c.slug: c for c in comments}
    children: dict[str, list[Comment]] = {}
    top: list[Comment] = []
    orphans: list[Comment] = []
    for comment in comments:
        comment.replies = ()
        parent = by_slug.get(comment.replyto) if comment.replyto else None
        if parent is None:
            top.append(comment)
            if comment.replyto:
                orphans.append(comment)
        else:
            children.setdefault(parent.slug, []).append(comment)
    placed: set[int] = set()
    nest(top, children, max_depth, placed)
    cycles = []
    if len(placed) == len(comments):
        return Thread(top, orphans, cycles)
    order = {id(c): number for number, c in enumerate(comments)}
    for comment in comments:  # anything not placed hangs from a cycle
        if id(comment) not in placed:
            ring = sorted(find_cycle(comment, by_slug), key=lambda c: order[id(c)])
            cycles.append(ring)
            top.append(ring[0])
            nest([ring[0]], children, max_depth, placed)
    top.sort(key=lambda c: order[id(c)])
    return Thread(top, orphans, cycles)


def nest(
    roots: list[Comment],
    children: Mapping[str, list[Comment]],
    max_depth: int,
    placed: set[int],
) -> None:
    """Put the replies below ``roots`` into their parents' ``replies``,
    breadth first (no recursion); below ``max_depth``, beside their parent."""
    queue = deque((root, 0, root) for root in roots)
    placed.update(id(root) for root in roots)
    flattened: dict[int, Comment] = {}
    while queue:
        comment, depth, holder = queue.popleft()
        for reply in children.get(comment.slug, ()):
            if id(reply) in placed:  # the start of a cycle
                continue
            placed.add(id(reply))
            if depth < max_depth:
                target = comment
                queue.append((reply, depth + 1, comment))
            else:
                target = flattened[id(holder)] = holder
                queue.append((reply, depth, holder))
            if target.replies:
                target.replies.append(reply)
            else:
                target.replies = [reply]
    for holder in flattened.values():  # back into date order
        holder.replies.sort(key=lambda c: (c.date, c.slug))


def find_cycle(comment: Comment, by_slug: Mapping[str, Comment]) -> list[Comment]:
    """The cycle of replies that following ``replyto`` from ``comment`` enters."""
    seen: dict[int, int] = {}
    path: list[Comment] = []
    current: Comment | None = comment
    while current is not None and id(current) not in seen:
        seen[id(current)] = len(path)
        path.append(current)
        current = by_slug.get(current.replyto) if current.replyto else None
    if current is None:  # pragma: no cover - thread only asks inside a cycle
        return [comment]
    return path[seen[id(current)] :]


class ScannedFolder(NamedTuple):
    """One article's comment folder as a scan found it: its comments without
    their bodies, the file of each (by identifier), and the identifiers of
    the comments the widget must not list (dated after the build)."""

    path: str  # a str, not a Path: a build keeps one per article
    comments: list[Comment]
    paths: dict[str, str]
    unlisted: frozenset[str] = frozenset()
    top: list[Comment] | tuple[()] = ()  # threaded (see :func:`thread`)


def scan(
    root: Path,
    slugs: Container[str],
    settings: Mapping[str, Any],
    cache: CommentCache | None = None,
    render: Callable[[str], str] | None = None,
) -> Iterator[tuple[str, ScannedFolder]]:
    """Check every comment folder of ``root`` naming a known article slug, one
    at a time: each problem is reported here, once, with the file it is in.

    Without a ``cache``, bodies are not rendered (see :func:`read_folder`): a
    page that shows a thread reads its folder again, so a build never holds
    every comment. With one, comments are read in full (with ``render``) into
    it, once, and pages take them from there.
    Folders naming no article, orphan replies, cycles of replies and comments
    dated in the future are reported in warnings.
    """
    if not root.is_dir():
        return
    orphan_count = 0
    latest = datetime.now(timezone.utc) + FUTURE_SLACK
    for entry in sorted_entries(root):
        if entry.name.startswith("."):
            continue
        if not entry_is(entry, "dir"):
            logger.warning(
                "Comment file %s is not inside an article's folder "
                "(%s/<slug>/): skipped",
                entry.path,
                root,
            )
            continue
        if entry.name not in slugs:
            files = [name for name in os.listdir(entry.path) if name[:1] != "."]
            logger.warning(
                "Comment folder %s names no article (slug %r): "
                "its %d comment(s) are not shown",
                entry.path,
                entry.name,
                len(files),
            )
            continue
        comments, paths = read_folder(entry.path, render, settings, cache=cache)
        threaded = thread(comments)
        report_thread(threaded, paths)
        orphan_count += len(threaded.orphans)
        unlisted = future_comments(comments, paths, latest)
        yield (
            entry.name,
            ScannedFolder(entry.path, comments, paths, unlisted, threaded.top),
        )
    if orphan_count:
        logger.warning(
            "%d orphan comment(s) in %s replied to nothing "
            "and are shown at the top level",
            orphan_count,
            root,
        )


def report_thread(threaded: Thread, paths: Mapping[str, str]) -> None:
    """Warn about each orphan and each cycle of replies, naming their files."""
    for orphan in threaded.orphans:
        logger.warning(
            "Comment %s replies to %r, which is not a comment of this article: "
            "shown at the top level",
            paths[orphan.slug],
            orphan.replyto,
        )
    for ring in threaded.cycles:
        first = paths[ring[0].slug]
        if len(ring) == 1:
            logger.warning(
                "Comment %s replies to itself: shown at the top level", first
            )
            continue
        logger.warning(
            "Comments %s reply to each other in a cycle: the oldest, %s, "
            "is shown at the top level",
            ", ".join(paths[c.slug] for c in ring),
            first,
        )


def future_comments(
    comments: list[Comment], paths: Mapping[str, str], latest: datetime
) -> frozenset[str]:
    """The identifiers of comments dated after ``latest`` (with a warning)."""
    future = [c for c in comments if c.date > latest]
    for comment in future:
        logger.warning(
            "Comment %s is dated %s, after this build: shown in its thread, "
            "not listed among the recent comments",
            paths[comment.slug],
            comment.date.isoformat(),
        )
    return frozenset(c.slug for c in future)
