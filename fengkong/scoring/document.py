"""The scorecard document (the shared format of /briefs/scorecard-format.md): reading it, and
scoring inputs with it, one application or a whole table.

score = base_score + the points of the one bin each characteristic's value falls in.
Reason codes: per characteristic, points lost = max points over its bins - points of the bin
hit; ranked by points lost, largest first, ties in the characteristics' order; 0 lost gives
none. The decision engine evaluates documents in production; these functions are the small
reference the trainer and its tests use, and a cross-check for the engine.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fengkong.core.errors import InvalidInput
from fengkong.scoring.bins import Binning, parse_bins
from fengkong.scoring.scaling import Scaling


@dataclass(frozen=True, slots=True)
class Characteristic:
    feature: str
    reason_code: str
    binning: Binning
    points: tuple[float, ...]             # in the order of the document's bins

    @property
    def kind(self) -> str:
        return self.binning.kind

    @property
    def max_points(self) -> float:
        return max(self.points)


@dataclass(frozen=True, slots=True)
class Scorecard:
    name: str
    version: int
    scaling: Scaling
    base_score: float
    characteristics: tuple[Characteristic, ...]
    development: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    feature: str
    points_lost: float


@dataclass(frozen=True, slots=True)
class Scored:
    score: float                          # rounded to 2 places, as reported
    raw: float                            # the unrounded sum
    points: dict[str, float]              # per characteristic, in the document's order
    bins: dict[str, int]                  # the bin hit, as a position in the document's list
    reasons: tuple[Reason, ...]

    @property
    def reason_codes(self) -> list[str]:
        return [r.code for r in self.reasons]


# -- reading -----------------------------------------------------------------------------------


def load_document(path: Path) -> dict[str, Any]:
    """A scorecard document from a JSON (or, with PyYAML installed, YAML) file, checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read the scorecard {path}: {exc.strerror or exc}",
                           code="scorecard_unreadable", field="scorecard") from None
    document = _decode(text, path)
    if not isinstance(document, dict):
        raise InvalidInput("a scorecard document is an object", code="scorecard_invalid",
                           field="scorecard")
    parse_scorecard(document)
    return document


def _decode(text: str, path: Path) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise InvalidInput("reading YAML needs PyYAML; give the scorecard as JSON",
                               code="scorecard_unreadable", field="scorecard") from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"the scorecard is not valid YAML: {exc}",
                               code="scorecard_invalid", field="scorecard") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"the scorecard is not valid JSON: {exc}", code="scorecard_invalid",
                           field="scorecard") from None


def parse_scorecard(document: Mapping[str, Any] | Scorecard) -> Scorecard:
    """The checked, ready-to-evaluate form of a document; errors name the field at fault."""
    if isinstance(document, Scorecard):
        return document
    if not isinstance(document, Mapping) or document.get("kind") != "scorecard":
        raise _invalid('a scorecard document has "kind": "scorecard"', "kind")
    scaling = document.get("scaling")
    if not isinstance(scaling, Mapping):
        raise _invalid("scaling needs base_points, base_odds and pdo", "scaling")
    parsed_scaling = Scaling(**{k: _number(scaling.get(k), f"scaling.{k}")
                                for k in ("base_points", "base_odds", "pdo")})
    version = document.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise _invalid("version must be an integer", "version")
    raw = document.get("characteristics")
    if not isinstance(raw, list) or not raw:
        raise _invalid("characteristics must be a non-empty list", "characteristics")
    characteristics = tuple(_characteristic(c, f"characteristics[{i}]")
                            for i, c in enumerate(raw))
    seen: set[str] = set()
    for i, c in enumerate(characteristics):
        if c.feature in seen:
            raise _invalid(f"feature {c.feature!r} is scored twice",
                           f"characteristics[{i}].feature")
        seen.add(c.feature)
    development = document.get("development") or {}
    return Scorecard(name=str(document.get("name", "")), version=version,
                     scaling=parsed_scaling,
                     base_score=_number(document.get("base_score"), "base_score"),
                     characteristics=characteristics,
                     development=development if isinstance(development, Mapping) else {})


def _characteristic(raw: Any, where: str) -> Characteristic:
    if not isinstance(raw, Mapping):
        raise _invalid("a characteristic must be an object", where)
    feature = raw.get("feature")
    if not isinstance(feature, str) or not feature:
        raise _invalid("feature must be a non-empty string", f"{where}.feature")
    code = raw.get("reason_code")
    if not isinstance(code, str) or not code:
        raise _invalid("reason_code must be a non-empty string", f"{where}.reason_code")
    bins = raw.get("bins")
    if not isinstance(bins, list):
        raise _invalid("bins must be a non-empty list", f"{where}.bins")
    binning = parse_bins(feature, str(raw.get("type")), bins, where)
    points = tuple(_number(b.get("points"), f"{where}.bins[{j}].points")
                   for j, b in enumerate(bins))
    return Characteristic(feature, code, binning, points)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _invalid("must be a number", where)
    number = float(value)
    if not math.isfinite(number):
        raise _invalid("must be a finite number", where)
    return number


def _invalid(detail: str, where: str) -> InvalidInput:
    return InvalidInput(detail, code="scorecard_invalid", field=where)


# -- scoring -----------------------------------------------------------------------------------


def score(document: Mapping[str, Any] | Scorecard, inputs: Mapping[str, Any]) -> Scored:
    """Score one application's inputs (feature name -> value; absent = missing)."""
    card = parse_scorecard(document)
    points: dict[str, float] = {}
    bins: dict[str, int] = {}
    lost: list[tuple[float, int, Characteristic]] = []
    for order, c in enumerate(card.characteristics):
        hit = c.binning.index_of(inputs.get(c.feature))
        bins[c.feature] = hit
        points[c.feature] = c.points[hit]
        if (gap := c.max_points - c.points[hit]) > 0:
            lost.append((-gap, order, c))
    raw = card.base_score
    for value in points.values():      # summed in the order `score_table` sums, bit for bit
        raw += value
    reasons = tuple(Reason(c.reason_code, c.feature, -gap) for gap, _, c in sorted(lost))
    return Scored(score=round(raw, 2), raw=raw, points=points, bins=bins, reasons=reasons)


def reason_codes(document: Mapping[str, Any] | Scorecard,
                 inputs: Mapping[str, Any]) -> list[str]:
    """The reason codes of one application, most points lost first."""
    return score(document, inputs).reason_codes


@dataclass(frozen=True, slots=True)
class TableScores:
    raw: np.ndarray                       # unrounded scores, one per row
    bins: dict[str, np.ndarray]           # per characteristic: the bin hit by each row

    @property
    def scores(self) -> np.ndarray:
        return np.round(self.raw, 2)


def score_table(document: Mapping[str, Any] | Scorecard, frame: pd.DataFrame) -> TableScores:
    """`score` for every row of a table at once (a column absent from it = missing)."""
    card = parse_scorecard(document)
    raw = np.full(len(frame), card.base_score, dtype=float)
    bins: dict[str, np.ndarray] = {}
    for c in card.characteristics:
        column = frame[c.feature] if c.feature in frame else pd.Series([None] * len(frame))
        hit = c.binning.indices(column.reset_index(drop=True))
        bins[c.feature] = hit
        raw += np.asarray(c.points, dtype=float)[hit]
    return TableScores(raw=raw, bins=bins)


def bin_labels(characteristic: Characteristic, bins: Sequence[Mapping[str, Any]]) -> list[str]:
    """Short human labels of a characteristic's bins, for tables and charts."""
    labels = []
    for b in bins:
        if b.get("missing") is True:
            labels.append("missing")
        elif b.get("other") is True:
            labels.append("other")
        elif characteristic.kind == "number":
            lo = "-inf" if b.get("lower") is None else f"{b['lower']:g}"
            hi = "inf" if b.get("upper") is None else f"{b['upper']:g}"
            labels.append(f"[{lo}, {hi})")
        else:
            labels.append(", ".join(b.get("categories", [])))
    return labels
