"""The bins of one characteristic: which bin a value falls in, one value or a whole column.

A characteristic's bins are read from (and written to) the scorecard document's shape:
numeric bins `{"lower", "upper"}` (lower inclusive, upper exclusive, null unbounded) covering
the whole line; categorical bins `{"categories": [...]}`; `{"other": true}` for any value not
listed; `{"missing": true}` for null/absent values. Bin numbers are positions in the
document's list, so points and shares stay in the document's order whatever it is.
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from fengkong.core.errors import InvalidInput

Kind = Literal["number", "string"]
KINDS: tuple[Kind, ...] = ("number", "string")


@dataclass(frozen=True, slots=True)
class Binning:
    """Where each value goes. `edges` are the lower bounds of the numeric bins after the first
    (sorted); `numeric_order[k]` is the document position of the k-th numeric bin from the left."""

    feature: str
    kind: Kind
    size: int
    edges: tuple[float, ...] = ()
    numeric_order: tuple[int, ...] = ()
    categories: Mapping[str, int] | None = None
    other: int | None = None
    missing: int | None = None

    # -- one value -------------------------------------------------------------------------

    def index_of(self, value: Any) -> int:
        """The document position of the bin `value` falls in; `InvalidInput` naming the
        characteristic when no bin takes it."""
        if _is_missing(value):
            if self.missing is None:
                raise self._error("is missing and the characteristic has no missing bin")
            return self.missing
        if self.kind == "number":
            # numbers.Real takes numpy's scalars too; bool is an int but no amount
            if isinstance(value, bool | np.bool_) or not isinstance(value,
                                                                   numbers.Real | Decimal):
                raise self._error(f"expects a number, got {type(value).__name__}")
            return self.numeric_order[bisect.bisect_right(self.edges, float(value))]
        if not isinstance(value, str):
            raise self._error(f"expects a string, got {type(value).__name__}")
        assert self.categories is not None
        found = self.categories.get(value, self.other)
        if found is None:
            raise self._error(f"has no bin for {value!r} and no other bin")
        return found

    # -- a column --------------------------------------------------------------------------

    def indices(self, column: pd.Series) -> np.ndarray:
        """`index_of` for every value of a column at once (an int64 array)."""
        missing = column.isna().to_numpy()
        out = np.empty(len(column), dtype=np.int64)
        if missing.any():
            if self.missing is None:
                raise self._error(f"is missing in {int(missing.sum())} rows and the "
                                  "characteristic has no missing bin")
            out[missing] = self.missing
        present = ~missing
        if self.kind == "number":
            out[present] = self._numeric_indices(column[present])
        else:
            out[present] = self._category_indices(column[present])
        return out

    def _numeric_indices(self, column: pd.Series) -> np.ndarray:
        if pd.api.types.is_bool_dtype(column):
            raise self._error("expects numbers, got booleans")
        values = pd.to_numeric(column, errors="coerce")
        if values.isna().any():
            bad = column[values.isna()].iloc[0]
            raise self._error(f"expects numbers, got {bad!r}")
        positions = np.searchsorted(np.asarray(self.edges, dtype=float),
                                    values.to_numpy(dtype=float), side="right")
        return np.asarray(self.numeric_order, dtype=np.int64)[positions]

    def _category_indices(self, column: pd.Series) -> np.ndarray:
        assert self.categories is not None
        # Look each distinct value up once: a column has far fewer values than rows.
        codes, values = pd.factorize(column)
        unknown = -1 if self.other is None else self.other
        lookup = np.array([self.categories.get(str(v), unknown) for v in values],
                          dtype=np.int64)
        if self.other is None and (lookup == -1).any():
            bad = values[int(np.argmax(lookup == -1))]
            raise self._error(f"has no bin for {bad!r} and no other bin")
        return lookup[codes]

    def _error(self, problem: str) -> InvalidInput:
        return InvalidInput(f"characteristic {self.feature!r} {problem}",
                            code="scorecard_no_bin", field=self.feature)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# -- the document's shape ----------------------------------------------------------------------


def parse_bins(feature: str, kind: str, bins: Sequence[Mapping[str, Any]],
               where: str) -> Binning:
    """A `Binning` from a characteristic's `bins` list; `where` is the characteristic's path in
    the document, for error fields."""
    if kind not in KINDS:
        raise InvalidInput(f"type must be one of {', '.join(KINDS)}", code="scorecard_invalid",
                           field=f"{where}.type")
    if not isinstance(bins, Sequence) or not bins:
        raise InvalidInput("bins must be a non-empty list", code="scorecard_invalid",
                           field=f"{where}.bins")
    numeric: list[tuple[float, float, int]] = []
    categories: dict[str, int] = {}
    other = missing = None
    for i, spec in enumerate(bins):
        path = f"{where}.bins[{i}]"
        if not isinstance(spec, Mapping):
            raise InvalidInput("a bin must be an object", code="scorecard_invalid", field=path)
        if spec.get("missing") is True:
            missing = _once(missing, i, path, "missing")
        elif spec.get("other") is True:
            if kind != "string":
                raise InvalidInput("only a string characteristic has an other bin",
                                   code="scorecard_invalid", field=path)
            other = _once(other, i, path, "other")
        elif kind == "number":
            numeric.append((*_bounds(spec, path), i))
        else:
            for category in _categories(spec, path):
                if category in categories:
                    raise InvalidInput(f"category {category!r} is in two bins",
                                       code="scorecard_invalid", field=path)
                categories[category] = i
    if kind == "number":
        edges, order = _cover(numeric, f"{where}.bins")
        return Binning(feature, "number", len(bins), edges=edges, numeric_order=order,
                       missing=missing)
    return Binning(feature, "string", len(bins), categories=categories, other=other,
                   missing=missing)


def _once(seen: int | None, i: int, path: str, what: str) -> int:
    if seen is not None:
        raise InvalidInput(f"a second {what} bin", code="scorecard_invalid", field=path)
    return i


def _bounds(spec: Mapping[str, Any], path: str) -> tuple[float, float]:
    if "lower" not in spec or "upper" not in spec:
        raise InvalidInput("a numeric bin needs lower and upper (null = unbounded)",
                           code="scorecard_invalid", field=path)
    lower = _bound(spec["lower"], -math.inf, f"{path}.lower")
    upper = _bound(spec["upper"], math.inf, f"{path}.upper")
    if not lower < upper:
        raise InvalidInput("lower must be below upper", code="scorecard_invalid", field=path)
    return lower, upper


def _bound(value: Any, unbounded: float, path: str) -> float:
    if value is None:
        return unbounded
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidInput("a bound must be a number or null", code="scorecard_invalid",
                           field=path)
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput("a bound must be finite (null = unbounded)",
                           code="scorecard_invalid", field=path)
    return number


def _categories(spec: Mapping[str, Any], path: str) -> list[str]:
    listed = spec.get("categories")
    if not isinstance(listed, list) or not listed or not all(isinstance(c, str) for c in listed):
        raise InvalidInput("a categorical bin lists its categories as strings",
                           code="scorecard_invalid", field=f"{path}.categories")
    return listed


def _cover(numeric: list[tuple[float, float, int]],
           path: str) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Check the numeric bins tile the line (no gap, no overlap) and return the edges."""
    if not numeric:
        raise InvalidInput("a number characteristic needs numeric bins",
                           code="scorecard_invalid", field=path)
    numeric.sort()
    if numeric[0][0] != -math.inf or numeric[-1][1] != math.inf:
        raise InvalidInput("the numeric bins must reach both ends (lower and upper null)",
                           code="scorecard_invalid", field=path)
    for (_, upper, _), (lower, _, j) in zip(numeric, numeric[1:], strict=False):
        if upper != lower:
            raise InvalidInput(f"numeric bins leave a gap or overlap at {upper:g}",
                               code="scorecard_invalid", field=f"{path}[{j}]")
    return tuple(lo for lo, _, _ in numeric[1:]), tuple(i for _, _, i in numeric)


def number_bins(edges: Sequence[float]) -> list[dict[str, Any]]:
    """Numeric bins in the document's shape for split points `edges` (ascending)."""
    bounds: list[float | None] = [None, *(_plain(e) for e in edges), None]
    return [{"lower": lo, "upper": hi} for lo, hi in zip(bounds, bounds[1:], strict=False)]


def _plain(edge: float) -> float:
    """12.0 reads better as 12 in a document a strategist edits."""
    number = float(edge)
    return int(number) if number.is_integer() else number
