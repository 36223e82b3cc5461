"""Static checks of decision tables: rows that overlap, rows no input can reach, and inputs no
row covers. Each column's line is cut at every boundary its cells mention, so one value per
piece (a boundary itself, or a point between two) stands for the whole piece: the checks are
exact for the cells the unary syntax allows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fengkong.decision.unary import Cell

OTHER = "\x00other"  # a text value no cell names: stands for every value not listed
MAX_VISITS = 200_000


def representatives(cells: Sequence[Cell], kind: str) -> list[Any]:
    """One value per piece of the column's domain (null left out: tables need not cover it)."""
    if kind == "boolean":
        return [True, False]
    if kind == "number":
        points = sorted({n for c in cells for n in c.numbers})
        if not points:
            return [0]
        reps: list[Any] = [points[0] - 1]
        for a, b in zip(points, points[1:], strict=False):
            reps += [a, (a + b) / 2]
        reps += [points[-1], points[-1] + 1]
        return [int(r) if float(r).is_integer() else r for r in reps]
    seen: list[Any] = []
    for c in cells:
        seen += [v for v in c.values if v not in seen]
    return [*seen, OTHER]


def _matches(cell: Cell, value: Any) -> bool:
    return cell.test is None or cell.test(value)


class Grid:
    """Rows of a table as bit masks over each column's representative values."""

    def __init__(self, rows: Sequence[Sequence[Cell]], kinds: Sequence[str]) -> None:
        self.columns = len(kinds)
        self.reps = [representatives([r[k] for r in rows], kinds[k]) for k in range(len(kinds))]
        self.masks = [[sum(1 << i for i, r in enumerate(rows) if _matches(r[k], v))
                       for v in self.reps[k]] for k in range(self.columns)]
        self.visits = 0

    def gap(self, rows_mask: int, within: int | None = None) -> list[Any] | None | bool:
        """A point (one value per column) that no row of `rows_mask` covers, restricted to the
        points row `within` covers; None when covered; False when the search was too big."""
        self.visits = 0
        return self._search(0, rows_mask, within, [])

    def _search(self, k: int, mask: int, within: int | None,
                point: list[Any]) -> list[Any] | None | bool:
        if mask == 0:
            return point + [None] * (self.columns - k)
        if k == self.columns:
            return None
        self.visits += 1
        if self.visits > MAX_VISITS:
            return False
        for j, value in enumerate(self.reps[k]):
            if within is not None and not (self.masks[k][j] >> within) & 1:
                continue
            found = self._search(k + 1, mask & self.masks[k][j], within, [*point, value])
            if found is not None:
                return found
        return None

    def overlap(self, a: int, b: int) -> bool:
        return all(any((m >> a) & 1 and (m >> b) & 1 for m in self.masks[k])
                   for k in range(self.columns))


def describe(point: Sequence[Any], names: Sequence[str]) -> str:
    parts = [f"{n}={'another value' if v == OTHER else v!r}"
             for n, v in zip(names, point, strict=True) if v is not None]
    return ", ".join(parts) or "any input"
