"""Building a scorecard from a development sample: split, bin and fit on the training part,
scale into points, and measure on both parts. The test part is only ever scored."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fengkong.scoring.dataset import Sample, split
from fengkong.scoring.document import score_table
from fengkong.scoring.metrics import Separation, separation
from fengkong.scoring.model import Model, Selection, bin_all, fit_model
from fengkong.scoring.scaling import Scaling

STEPS = ("split the sample", "bin the characteristics", "select and fit", "scale into points",
         "score both parts")
POINT_PLACES = 6      # far finer than the 2 places reported: no two cases swap ranks
SCORE_BANDS = 10      # development score bands for PSI: deciles of the training scores


@dataclass(frozen=True)
class TrainOptions:
    name: str = "scorecard"
    test_size: float = 0.3
    seed: int = 0
    scaling: Scaling = field(default_factory=Scaling)
    selection: Selection = field(default_factory=Selection)


@dataclass(frozen=True)
class Trained:
    document: dict[str, Any]
    model: Model
    train_rows: np.ndarray
    test_rows: np.ndarray
    train: Separation
    test: Separation
    train_scores: np.ndarray              # document scores, as reported (2 places)
    test_scores: np.ndarray
    train_y: np.ndarray
    test_y: np.ndarray

    def summary(self) -> dict[str, Any]:
        return {**self.train.as_json("train"), **self.test.as_json("test"),
                "characteristics": len(self.model.characteristics),
                "train_rows": len(self.train_rows), "test_rows": len(self.test_rows)}


def train(data: Sample, options: TrainOptions = TrainOptions(),
          on_step: Callable[[str], None] | None = None) -> Trained:
    """The whole pipeline; `on_step` hears each of `STEPS` as it starts."""
    step = on_step or (lambda _: None)
    step(STEPS[0])
    train_rows, test_rows = split(data, options.test_size, options.seed)
    return fit_and_measure(data.take(train_rows), data.take(test_rows), options, step,
                           rows=(train_rows, test_rows))


def fit_and_measure(fit_part: Sample, test_part: Sample, options: TrainOptions,
                    step: Callable[[str], None] = lambda _: None,
                    rows: tuple[np.ndarray, np.ndarray] | None = None) -> Trained:
    """Fit on `fit_part` alone, then score both parts with the written document."""
    step(STEPS[1])
    fitted, skipped = bin_all(fit_part)
    step(STEPS[2])
    model = fit_model(fit_part, fitted, skipped, options.selection)
    step(STEPS[3])
    document = scorecard_document(model, fit_part, options)
    step(STEPS[4])
    train_scores = score_table(document, fit_part.x).raw
    test_scores = score_table(document, test_part.x).raw
    train_fit = separation(fit_part.y, model.log_odds_bad(fit_part.x))
    test_fit = separation(test_part.y, model.log_odds_bad(test_part.x))
    document["development"].update({**train_fit.as_json("train"), **test_fit.as_json("test"),
                                    "test_rows": len(test_part)})
    train_rows, test_rows = rows or (np.arange(len(fit_part)), np.arange(len(test_part)))
    return Trained(document, model, train_rows, test_rows, train_fit, test_fit,
                   np.round(train_scores, 2), np.round(test_scores, 2), fit_part.y,
                   test_part.y)


def scorecard_document(model: Model, fit_part: Sample, options: TrainOptions) -> dict[str, Any]:
    """The model in the shared document shape. With WoE w and coefficient b on the log-odds of
    bad, a bin's points are -factor * b * w and base_score = offset - factor * intercept, so
    that base_score + points = offset + factor * ln(odds of good)."""
    scaling = options.scaling
    characteristics = []
    codes = _reason_codes([c.feature for c in model.characteristics])
    for c, b, code in zip(model.characteristics, model.coefficients, codes, strict=True):
        points = -scaling.factor * b * c.woe
        bins = [{**spec, "points": round(float(p), POINT_PLACES)}
                for spec, p in zip(c.bins, points, strict=True)]
        characteristics.append({"feature": c.feature, "type": c.kind, "reason_code": code,
                                "description": f"{c.feature} (IV {c.iv:.3f})", "bins": bins})
    document: dict[str, Any] = {
        "kind": "scorecard", "name": options.name, "version": 1,
        "scaling": scaling.as_json(),
        "base_score": round(scaling.offset - scaling.factor * model.intercept, POINT_PLACES),
        "characteristics": characteristics,
        "development": {
            "target": fit_part.target, "bad_value": _plain(fit_part.bad_value),
            "rows": len(fit_part), "bad_rate": round(float(fit_part.y.mean()), 6),
            "seed": options.seed, "test_size": options.test_size,
            "iv": {c.feature: round(c.iv, 6) for c in model.characteristics},
            "bin_shares": {c.feature: [round(float(s), 6) for s in c.shares]
                           for c in model.characteristics},
        },
    }
    scores = np.round(score_table(document, fit_part.x).raw, 2)
    document["development"]["score_bands"] = score_bands(scores)
    return document


def score_bands(scores: np.ndarray, bands: int = SCORE_BANDS) -> list[dict[str, Any]]:
    """Bands at the deciles of `scores` (lower inclusive, upper exclusive, open at the ends),
    with the share of scores in each; equal scores never straddle an edge."""
    cuts = np.quantile(scores, np.linspace(0, 1, bands + 1)[1:-1])
    edges = sorted({round(float(e), 2) for e in cuts} - {round(float(scores.min()), 2)})
    counts = np.bincount(np.searchsorted(edges, scores, side="right"),
                         minlength=len(edges) + 1)
    bounds: list[float | None] = [None, *edges, None]
    return [{"lower": lo, "upper": hi, "share": round(int(n) / len(scores), 6)}
            for lo, hi, n in zip(bounds, bounds[1:], counts, strict=False)]


def _reason_codes(features: list[str]) -> list[str]:
    codes: list[str] = []
    for feature in features:
        code = re.sub(r"[^A-Z0-9]+", "_", feature.upper()).strip("_") or "CHARACTERISTIC"
        while code in codes:
            code += "_"
        codes.append(code)
    return codes


def _plain(value: Any) -> Any:
    """A numpy scalar as the JSON value it stands for."""
    return value.item() if isinstance(value, np.generic) else value
