"""Group articles into series, order them, and give each its ``series`` mapping.

Everything here works on article-like objects (``title``, ``metadata``,
``lang``, ``date``, ``url``, ``relative_source_path``) and is O(n log n) in
the number of articles: one pass to find members, one sort per series, O(1)
per article for its mapping (see :mod:`.views`).
"""

from __future__ import annotations

import bisect
import html
import itertools
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pelican_sujianlin.series.numerals import parse_number
from pelican_sujianlin.series.titles import PARTS, parse_title, series_key
from pelican_sujianlin.series.views import SeriesMapping

logger = logging.getLogger(__name__)

_ENTITY_OR_AMP = re.compile(r"&(?!#?\w+;)")


def escape_text(text: str) -> str:
    """Escape author text for HTML, leaving entities already written alone.

    Markdown titles are plain text (``A & B``); reST titles arrive escaped
    (``A &amp; B``). Both come out right, and ``<`` never reaches a page raw.
    """
    text = _ENTITY_OR_AMP.sub("&amp;", str(text))
    return text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@dataclass
class Member:
    """One article's claim to a place in a series."""

    article: Any
    name: str
    index: int | None
    part: str | None
    subtitle: str
    declared: bool  # from Series: metadata, not only from the title

    @property
    def sort_key(self) -> tuple:
        return (
            self.index is None,
            self.index or 0,
            PARTS.get(self.part, -1),
            self.article.date,
            str(self.article.relative_source_path),
        )


@dataclass
class SeriesPart:
    """What the navigation shows of one part: escaped text and its URL."""

    article: Any
    title: str
    subtitle: str
    number: int | None
    part: str | None

    @cached_property
    def url(self) -> str:
        """The article's URL, made once (Pelican makes it anew on every read)."""
        return self.article.url

    @property
    def date(self):
        return self.article.date


@dataclass
class Series:
    """One series of one language, in order."""

    key: str
    lang: str
    raw_name: str
    name: str  # escaped
    members: list[Member]
    listed: bool = False  # has a part in the site's main article list
    slug: str = ""
    url: str | None = None
    save_as: str | None = None
    title: str = ""  # the series page's title, escaped
    count_text: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    articles: list = field(default_factory=list)
    parts: list[SeriesPart] = field(default_factory=list)

    def __str__(self) -> str:
        return self.name

    @property
    def count(self) -> int:
        return len(self.articles)

    @property
    def first(self):
        return self.articles[0]

    @property
    def latest(self):
        return max(self.articles, key=lambda article: article.date)

    @property
    def date(self):
        return self.latest.date


def find_member(
    article: Any, *, from_title: bool, patterns: Sequence[re.Pattern[str]]
) -> Member | None:
    """The series an article claims through metadata or its title, if any."""
    metadata = getattr(article, "metadata", {}) or {}
    declared = metadata.get("series")
    parsed = None
    if from_title or declared:
        # reST titles arrive HTML-escaped, Markdown ones do not: parse the text
        parsed = parse_title(
            html.unescape(str(getattr(article, "title", ""))), patterns
        )
    if isinstance(declared, str) and declared.strip():
        index = parsed.index if parsed else None
        raw_index = metadata.get("series_index")
        if raw_index is not None and str(raw_index).strip():
            index = parse_number(str(raw_index))
            if index is None:
                logger.warning(
                    "%s: Series_index %r of series %r is not a number; "
                    "placing the post by its date",
                    article.relative_source_path,
                    raw_index,
                    declared.strip(),
                )
        return Member(
            article,
            " ".join(declared.split()),
            index,
            parsed.part if parsed else None,
            parsed.subtitle if parsed else "",
            declared=True,
        )
    if parsed and from_title:
        return Member(
            article, parsed.name, parsed.index, parsed.part, parsed.subtitle, False
        )
    return None


def group_series(
    published: Iterable[Any],
    *,
    find: Callable[[Any], Member | None],
    min_title_parts: int,
    listed_ids: set[int],
) -> dict[tuple[str, str], Series]:
    """Series of published articles, keyed by (lang, normalised name), ordered.

    A series found only in titles needs ``min_title_parts`` parts; one that
    some post declares with ``Series:`` needs one.
    """
    groups: dict[tuple[str, str], list[Member]] = {}
    for article in published:
        member = find(article)
        if member is not None:
            key = (str(getattr(article, "lang", "")), series_key(member.name))
            groups.setdefault(key, []).append(member)
    found = {}
    for (lang, key), members in groups.items():
        if len(members) < min_title_parts and not any(m.declared for m in members):
            continue
        members.sort(key=lambda member: member.sort_key)
        raw_name = next((m.name for m in members if m.declared), members[0].name)
        series = Series(key, lang, raw_name, escape_text(raw_name), members)
        series.listed = any(id(m.article) in listed_ids for m in members)
        series.articles = [m.article for m in members]
        series.parts = [part_of(m) for m in members]
        warn_duplicates(series)
        found[(lang, key)] = series
    return found


def part_of(member: Member) -> SeriesPart:
    return SeriesPart(
        member.article,
        escape_text(member.article.title),
        escape_text(member.subtitle),
        member.index,
        member.part,
    )


def warn_duplicates(series: Series) -> None:
    """Warn about parts claiming the same number (they are sorted by date)."""
    for before, after in itertools.pairwise(series.members):
        same = (before.index, before.part) == (after.index, after.part)
        if same and (before.index is not None or before.part is not None):
            number = "" if before.index is None else str(before.index)
            logger.warning(
                "%s and %s both claim part %s of series %r; ordering them by date",
                before.article.relative_source_path,
                after.article.relative_source_path,
                number + (before.part or ""),
                series.raw_name,
            )


def attach(series: Series) -> None:
    """Give every part its ``series`` mapping (pelican-series' keys and more)."""
    for position, member in enumerate(series.members):
        part = series.parts[position]
        member.article.series = SeriesMapping(series, member, position, part, False)


def attach_preview(series: Series, member: Member) -> None:
    """A draft or hidden post sees the published series with itself in place.

    It never appears in the published parts' lists.
    """
    keys = [m.sort_key for m in series.members]
    position = bisect.bisect_left(keys, member.sort_key)
    preview = SeriesMapping(series, member, position, part_of(member), True)
    member.article.series = preview


def attach_alone(member: Member, labels: Mapping[str, str]) -> None:
    """A declared series with no published part: a draft is the only part."""
    lone = Series("", "", member.name, escape_text(member.name), [member])
    lone.labels = labels
    attach_preview(lone, member)
