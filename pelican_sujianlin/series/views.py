"""Read-only views of a series, made in O(1): an article's ``series``
mapping (:class:`SeriesMapping`) and windows on the list of parts.

Every part of a series of k parts gets ``all_previous`` and ``all_next``;
copying slices would cost O(k^2) per series. A :class:`Window` shares the one
list; :class:`WithExtra` shows the list with one more item inserted (a draft
previewing its place). Both behave as sequences in Jinja: ``|length``,
``for``, ``[0]``, ``|last``, ``in``, truthiness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class Window(Sequence):
    """``items[start:stop]`` without copying."""

    __slots__ = ("items", "start", "stop")

    def __init__(self, items: Sequence, start: int = 0, stop: int | None = None):
        self.items = items
        self.start = start
        self.stop = len(items) if stop is None else stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, position: Any) -> Any:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        return self.item_at(self.checked(position))

    def checked(self, position: int) -> int:
        """``position`` as a non-negative index, or IndexError."""
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        return position

    def item_at(self, position: int) -> Any:
        return self.items[self.start + position]

    def __iter__(self):
        for position in range(self.start, self.stop):
            yield self.items[position]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class WithExtra(Window):
    """``items`` with ``extra`` inserted at ``at``, without copying."""

    __slots__ = ("at", "extra")

    def __init__(self, items: Sequence, at: int, extra: Any):
        super().__init__(items)
        self.at = at
        self.extra = extra

    def __len__(self) -> int:
        return len(self.items) + 1

    def item_at(self, position: int) -> Any:
        if position == self.at:
            return self.extra
        return self.items[position if position < self.at else position - 1]

    def __iter__(self):
        for position in range(len(self)):
            yield self[position]


class SeriesMapping(Mapping):
    """``article.series``: the keys of pelican-series (``name``, ``index``
    1-based, ``all``, ``all_previous``, ``all_next``, ``previous``, ``next``)
    and this plugin's own, each also an attribute.

    A read-only view made of the series, the part and its position: every
    value is derived when read, so a part costs a few pointers (a dict of
    the sixteen values cost half a kilobyte). ``preview``: a draft or hidden
    post, shown in the published series at ``position`` without being in it.
    """

    __slots__ = ("_member", "_part", "_position", "_preview", "_series")

    KEYS = (
        "name",
        "index",
        "all",
        "all_previous",
        "all_next",
        "previous",
        "next",
        "url",
        "subtitle",
        "number",
        "part",
        "count",
        "parts",
        "labels",
        "slug",
        "lang",
    )

    def __init__(
        self, series: Any, member: Any, position: int, part: Any, preview: bool
    ) -> None:
        self._series = series
        self._member = member
        self._position = position
        self._part = part
        self._preview = preview

    def __getitem__(self, key: str) -> Any:
        if key not in self.KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(self.KEYS)

    def __len__(self) -> int:
        return len(self.KEYS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, index={self.index})"

    @property
    def _after(self) -> int:
        """Where the parts after this one start in the published list."""
        return self._position + (0 if self._preview else 1)

    @property
    def name(self) -> str:
        return self._series.name

    @property
    def index(self) -> int:
        return self._position + 1

    @property
    def all(self) -> Sequence:
        articles = self._series.articles
        if self._preview:
            return WithExtra(articles, self._position, self._member.article)
        return articles

    @property
    def all_previous(self) -> Window:
        return Window(self._series.articles, 0, self._position)

    @property
    def all_next(self) -> Window:
        return Window(self._series.articles, self._after)

    @property
    def previous(self) -> Any:
        return self._series.articles[self._position - 1] if self._position else None

    @property
    def next(self) -> Any:
        articles = self._series.articles
        return articles[self._after] if self._after < len(articles) else None

    @property
    def url(self) -> str | None:
        return self._series.url

    @property
    def subtitle(self) -> str:
        return self._part.subtitle

    @property
    def number(self) -> int | None:
        return self._member.index

    @property
    def part(self) -> str | None:
        return self._member.part

    @property
    def count(self) -> int:
        return len(self._series.articles) + (1 if self._preview else 0)

    @property
    def parts(self) -> Sequence:
        parts = self._series.parts
        return WithExtra(parts, self._position, self._part) if self._preview else parts

    @property
    def labels(self) -> Mapping[str, str]:
        return self._series.labels

    @property
    def slug(self) -> str:
        return self._series.slug

    @property
    def lang(self) -> str:
        return self._series.lang
