"""Stability monitoring: the population stability index (PSI) of live scores against the
development score bands, and of each characteristic against its development bin shares.

PSI = sum over bins of (actual - expected) * ln(actual / expected), with shares of one.
A share of zero on either side is replaced by `EPSILON` (0.0001, one case in ten thousand)
before the sum, so that an empty bin counts as a large but finite shift instead of an
infinite one; the two sides are not renormalised, so identical distributions still give 0.
Status: below 0.1 stable, from 0.1 below 0.25 watch, 0.25 or more alert.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from fengkong.core.errors import InvalidInput
from fengkong.scoring.document import bin_labels, parse_scorecard, score_table

EPSILON = 1e-4
WATCH = 0.1
ALERT = 0.25
Status = Literal["stable", "watch", "alert"]


def psi(expected: Sequence[float], actual: Sequence[float], epsilon: float = EPSILON) -> float:
    """The PSI of `actual` shares against `expected` shares (same bins, same order)."""
    if len(expected) != len(actual):
        raise ValueError("expected and actual need the same bins")
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, epsilon), max(a, epsilon)
        total += (a - e) * math.log(a / e)
    return total


def status(value: float) -> Status:
    if value >= ALERT:
        return "alert"
    return "watch" if value >= WATCH else "stable"


def shares(counts: Sequence[float] | np.ndarray) -> list[float]:
    total = float(np.sum(counts))
    return [float(c) / total if total else 0.0 for c in counts]


@dataclass(frozen=True)
class Shift:
    """One distribution compared with its development one."""

    name: str
    labels: list[str]
    expected: list[float]
    actual: list[float]

    @property
    def psi(self) -> float:
        return psi(self.expected, self.actual)

    @property
    def status(self) -> Status:
        return status(self.psi)


@dataclass(frozen=True)
class Stability:
    rows: int
    score: Shift
    characteristics: tuple[Shift, ...]

    @property
    def alert(self) -> bool:
        return any(s.status == "alert" for s in (self.score, *self.characteristics))

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "score_psi": round(self.score.psi, 6),
                "score_status": self.score.status,
                "characteristics": {c.name: round(c.psi, 6) for c in self.characteristics},
                "alert": self.alert}


def score_shift(bands: Sequence[Mapping[str, Any]], scores: np.ndarray) -> Shift:
    """Live `scores` against the development `score_bands` (lower inclusive, upper exclusive)."""
    lowers = [b.get("lower") for b in bands]
    if not bands or lowers[0] is not None or bands[-1].get("upper") is not None:
        raise InvalidInput("development.score_bands must run from null to null",
                           code="scorecard_invalid", field="development.score_bands")
    edges = np.asarray(lowers[1:], dtype=float)
    counts = np.bincount(np.searchsorted(edges, scores, side="right"), minlength=len(bands))
    labels = [_band_label(b) for b in bands]
    return Shift("score", labels, [float(b["share"]) for b in bands], shares(counts))


def _band_label(band: Mapping[str, Any]) -> str:
    lo = "-inf" if band.get("lower") is None else f"{band['lower']:g}"
    hi = "inf" if band.get("upper") is None else f"{band['upper']:g}"
    return f"[{lo}, {hi})"


def stability(document: Mapping[str, Any], frame: pd.DataFrame,
              score_column: str | None = None) -> Stability:
    """Live applications (one row each, the characteristics' columns) against the development
    sample; `score_column` takes the scores from the data instead of scoring the rows."""
    card = parse_scorecard(document)
    development = card.development
    absent = [c.feature for c in card.characteristics if c.feature not in frame.columns]
    if absent:
        raise InvalidInput(f"the data lacks the scorecard's columns: {', '.join(absent)}",
                           code="data_columns_missing", field="data")
    if score_column is not None and score_column not in frame.columns:
        raise InvalidInput(f"no column {score_column!r} in the data", code="data_columns_missing",
                           field="score_column")
    if len(frame) == 0:
        raise InvalidInput("the data has no rows", code="data_too_small", field="data")
    table = score_table(card, frame)
    scores = (pd.to_numeric(frame[score_column]).to_numpy(dtype=float) if score_column
              else table.scores)
    bin_shares = development.get("bin_shares") or {}
    characteristics = []
    raw_characteristics = document["characteristics"]
    for raw, c in zip(raw_characteristics, card.characteristics, strict=True):
        expected = bin_shares.get(c.feature)
        if not isinstance(expected, list) or len(expected) != len(c.points):
            raise InvalidInput(f"development.bin_shares has no shares for each bin of "
                               f"{c.feature!r}", code="scorecard_invalid",
                               field=f"development.bin_shares.{c.feature}")
        counts = np.bincount(table.bins[c.feature], minlength=len(c.points))
        characteristics.append(Shift(c.feature, bin_labels(c, raw["bins"]),
                                     [float(s) for s in expected], shares(counts)))
    return Stability(len(frame), score_shift(development.get("score_bands") or [], scores),
                     tuple(characteristics))
