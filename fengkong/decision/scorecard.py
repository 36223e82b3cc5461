"""Scorecards in the shared document format: one bin per characteristic, points summed onto
the base score, reason codes ranked by points lost against each characteristic's best bin."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fengkong.decision.problems import Problems, is_obj

_NUM = (int, float)


class ScoringError(ValueError):
    """A value the scorecard has no bin for; names the characteristic."""

    def __init__(self, feature: str, message: str) -> None:
        super().__init__(f"characteristic {feature}: {message}")
        self.feature = feature


@dataclass(frozen=True)
class Characteristic:
    feature: str
    reason_code: str
    numeric: bool
    uppers: tuple[float, ...]  # upper bounds of the numeric bins but the last, ascending
    numeric_points: tuple[float, ...]  # one per numeric bin, in ascending order
    numeric_index: tuple[int, ...]  # each numeric bin's position in the document's bins
    categories: Mapping[Any, tuple[int, float]]  # value -> (bin index, points)
    other: tuple[int, float] | None
    missing: tuple[int, float] | None
    best: float

    def points(self, value: Any) -> tuple[int, float]:
        """(index of the bin hit in the document, its points)."""
        if value is None:
            if self.missing is None:
                raise ScoringError(self.feature, "missing value and no missing bin")
            return self.missing
        if self.numeric:
            if type(value) not in _NUM:
                raise ScoringError(self.feature, f"expected a number, got {value!r}")
            k = bisect.bisect_right(self.uppers, value)
            return self.numeric_index[k], self.numeric_points[k]
        hit = self.categories.get(value)
        if hit is not None:
            return hit
        if self.other is None:
            raise ScoringError(self.feature, f"no bin for {value!r} and no other bin")
        return self.other


@dataclass(frozen=True)
class Scorecard:
    name: str
    version: Any
    base_score: float
    characteristics: tuple[Characteristic, ...]

    @property
    def features(self) -> list[str]:
        return [c.feature for c in self.characteristics]


@dataclass(frozen=True)
class ScoreResult:
    score: float
    points: list[dict[str, Any]]  # per characteristic: feature, value, bin, points, lost
    reason_codes: list[str]


def evaluate(card: Scorecard, env: Mapping[str, Any]) -> ScoreResult:
    total = card.base_score
    points: list[dict[str, Any]] = []
    lost: list[tuple[float, int, str]] = []
    for order, ch in enumerate(card.characteristics):
        value = env.get(ch.feature)
        if ch.numeric and type(value) in _NUM:
            k = bisect.bisect_right(ch.uppers, value)  # type: ignore[type-var]
            index, pts = ch.numeric_index[k], ch.numeric_points[k]
        else:
            index, pts = ch.points(value)
        total += pts
        gap = ch.best - pts
        points.append({"feature": ch.feature, "value": value, "bin": index, "points": pts,
                       "lost": gap})
        if gap > 0:
            lost.append((-gap, order, ch.reason_code))
    lost.sort()
    return ScoreResult(round(total, 2), points, [code for _, _, code in lost])


def score_only(card: Scorecard, env: Mapping[str, Any]) -> float:
    """The score alone, without points or reason codes (simulation's lean path)."""
    total = card.base_score
    for ch in card.characteristics:
        value = env.get(ch.feature)
        if ch.numeric and type(value) in _NUM:
            total += ch.numeric_points[bisect.bisect_right(ch.uppers, value)]  # type: ignore[type-var]
        else:
            total += ch.points(value)[1]
    return round(total, 2)


def parse(doc: Any, problems: Problems, path: str = "$") -> Scorecard | None:
    """The scorecard of a document in the shared format, or None with problems added."""
    before = len(problems.items)
    if not is_obj(doc) or doc.get("kind") != "scorecard":
        problems.add(path, "invalid_scorecard", 'a scorecard is an object with "kind": '
                     '"scorecard"')
        return None
    base = doc.get("base_score")
    if type(base) not in _NUM:
        problems.add(f"{path}.base_score", "required", "base_score is a number")
    chars = doc.get("characteristics")
    if not isinstance(chars, list) or not chars:
        problems.add(f"{path}.characteristics", "required",
                     "characteristics is a non-empty list")
        return None
    parsed = [_characteristic(c, problems, f"{path}.characteristics[{i}]")
              for i, c in enumerate(chars)]
    seen: set[str] = set()
    for i, ch in enumerate(parsed):
        if ch is not None and ch.feature in seen:
            problems.add(f"{path}.characteristics[{i}].feature", "duplicate",
                         f"feature {ch.feature} appears twice")
        if ch is not None:
            seen.add(ch.feature)
    if len(problems.items) > before:
        return None
    return Scorecard(str(doc.get("name", "scorecard")), doc.get("version"), float(base),
                     tuple(c for c in parsed if c is not None))


def _characteristic(doc: Any, problems: Problems, path: str) -> Characteristic | None:
    if not is_obj(doc):
        problems.add(path, "invalid_type", "a characteristic is an object")
        return None
    feature, kind = doc.get("feature"), doc.get("type")
    if not isinstance(feature, str) or not feature:
        problems.add(f"{path}.feature", "required", "feature names the input")
        return None
    if kind not in ("number", "string"):
        problems.add(f"{path}.type", "invalid_choice", 'type is "number" or "string"')
        return None
    code = doc.get("reason_code")
    if not isinstance(code, str) or not code:
        problems.add(f"{path}.reason_code", "required", "reason_code is a non-empty text")
    bins = doc.get("bins")
    if not isinstance(bins, list) or not bins:
        problems.add(f"{path}.bins", "required", "bins is a non-empty list")
        return None
    before = len(problems.items)
    numeric: list[tuple[float | None, float | None, int, float]] = []
    categories: dict[Any, tuple[int, float]] = {}
    other = missing = None
    for i, b in enumerate(bins):
        where = f"{path}.bins[{i}]"
        if not is_obj(b) or type(b.get("points")) not in _NUM:
            problems.add(where, "invalid_bin", "a bin is an object with numeric points")
            continue
        pts = float(b["points"])
        if b.get("missing") is True:
            missing = (i, pts)
        elif b.get("other") is True:
            other = (i, pts)
        elif kind == "string":
            cats = b.get("categories")
            if not isinstance(cats, list) or not cats:
                problems.add(f"{where}.categories", "required", "categories is a list")
                continue
            for cat in cats:
                if cat in categories:
                    problems.add(f"{where}.categories", "bin_overlap",
                                 f"category {cat!r} is in two bins")
                categories[cat] = (i, pts)
        else:
            lo, hi = b.get("lower"), b.get("upper")
            if any(v is not None and type(v) not in _NUM for v in (lo, hi)) or (
                    lo is not None and hi is not None and lo >= hi):
                problems.add(where, "invalid_bin", "lower < upper, numbers or null")
                continue
            numeric.append((lo, hi, i, pts))
    if kind == "number":
        _check_line(numeric, problems, f"{path}.bins")
    if len(problems.items) > before or not isinstance(code, str):
        return None
    numeric.sort(key=lambda b: -float("inf") if b[0] is None else b[0])
    every = [b[3] for b in numeric] + [p for _, p in categories.values()] + [
        extra[1] for extra in (other, missing) if extra is not None]
    return Characteristic(
        feature=feature, reason_code=code, numeric=kind == "number",
        uppers=tuple(float(b[1]) for b in numeric[:-1]),  # type: ignore[arg-type]
        numeric_points=tuple(b[3] for b in numeric), numeric_index=tuple(b[2] for b in numeric),
        categories=categories, other=other, missing=missing, best=max(every))


def _check_line(bins: Sequence[tuple[float | None, float | None, int, float]],
                problems: Problems, path: str) -> None:
    """Numeric bins must tile the whole line: first unbounded below, each upper the next
    lower, last unbounded above."""
    if not bins:
        problems.add(path, "bins_incomplete", "a numeric characteristic needs numeric bins")
        return
    ordered = sorted(bins, key=lambda b: -float("inf") if b[0] is None else b[0])
    if ordered[0][0] is not None:
        problems.add(f"{path}[{ordered[0][2]}].lower", "bins_incomplete",
                     f"no bin below {ordered[0][0]}")
    if ordered[-1][1] is not None:
        problems.add(f"{path}[{ordered[-1][2]}].upper", "bins_incomplete",
                     f"no bin from {ordered[-1][1]} upwards")
    for a, b in zip(ordered, ordered[1:], strict=False):
        if a[1] is None or b[0] is None or a[1] > b[0]:
            problems.add(f"{path}[{b[2]}]", "bin_overlap",
                         f"bin overlaps the bin from {a[0]} to {a[1]}")
        elif a[1] < b[0]:
            problems.add(f"{path}[{b[2]}].lower", "bins_incomplete",
                         f"nothing covers {a[1]} to {b[0]}")
