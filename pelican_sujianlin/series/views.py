"""Read-only windows on a series' list of parts, made in O(1).

Every part of a series of k parts gets ``all_previous`` and ``all_next``;
copying slices would cost O(k^2) per series. A :class:`Window` shares the one
list; :class:`WithExtra` shows the list with one more item inserted (a draft
previewing its place). Both behave as sequences in Jinja: ``|length``,
``for``, ``[0]``, ``|last``, ``in``, truthiness.
"""

from __future__ import annotations

from collections.abc import Sequence
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
