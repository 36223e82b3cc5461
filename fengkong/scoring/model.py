"""Choosing characteristics and fitting the logistic regression on their WoE, on the training
part only.

Selection, in order: information value at least `min_iv`; of two characteristics whose WoE
correlate beyond `max_correlation`, the one with the lower IV goes; then the regression is
refitted without any characteristic whose coefficient has the sign against its WoE (WoE is
positive for safer bins, so its coefficient on the log-odds of bad must be negative), which
would make its points rise with risk.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fengkong.core.errors import InvalidInput
from fengkong.scoring.binning import FittedCharacteristic, fit_characteristic, kind_of
from fengkong.scoring.dataset import Sample

# A text column with more distinct values than this share of rows looks like an identifier.
ID_LIKE_SHARE = 0.5


@dataclass(frozen=True)
class Selection:
    min_iv: float = 0.02
    max_correlation: float = 0.7
    max_iter: int = 50                    # Newton steps: it converges in a handful
    c: float = 1.0                        # scikit-learn's inverse L2 strength


@dataclass(frozen=True)
class Candidate:
    """One column of the data, as the IV table shows it."""

    feature: str
    kind: str
    iv: float
    bins: int
    selected: bool
    note: str


@dataclass(frozen=True)
class Model:
    characteristics: tuple[FittedCharacteristic, ...]
    coefficients: np.ndarray              # per characteristic, on the log-odds of bad
    intercept: float
    candidates: tuple[Candidate, ...]

    def woe(self, x: pd.DataFrame) -> np.ndarray:
        return np.column_stack([c.transform(_column(x, c.feature))
                                for c in self.characteristics])

    def log_odds_bad(self, x: pd.DataFrame) -> np.ndarray:
        return self.woe(x) @ self.coefficients + self.intercept


def _column(x: pd.DataFrame, feature: str) -> pd.Series:
    return x[feature] if feature in x else pd.Series([None] * len(x), dtype=object)


def bin_all(train: Sample, on_feature: Callable[[str], None] | None = None,
            ) -> tuple[list[FittedCharacteristic], list[Candidate]]:
    """Optimal bins for every usable column; identifiers and constants are left out."""
    fitted: list[FittedCharacteristic] = []
    skipped: list[Candidate] = []
    for feature in map(str, train.x.columns):
        column = train.x[feature]
        kind = kind_of(column)
        if kind == "string" and column.nunique() > ID_LIKE_SHARE * len(column):
            skipped.append(Candidate(feature, kind, 0.0, 0, False, "looks like an identifier"))
        elif column.nunique() < 2:
            note = "a single value" if column.notna().any() else "empty"
            skipped.append(Candidate(feature, kind, 0.0, 1, False, note))
        else:
            fitted.append(fit_characteristic(feature, column, train.y))
        if on_feature is not None:
            on_feature(feature)
    return fitted, skipped


def fit_model(train: Sample, fitted: list[FittedCharacteristic], skipped: list[Candidate],
              selection: Selection = Selection()) -> Model:
    """Select among the binned characteristics and fit the regression on the training part."""
    notes: dict[str, str] = {}
    kept = [c for c in sorted(fitted, key=lambda c: -c.iv) if _strong(c, selection, notes)]
    kept = _decorrelate(kept, train.x, selection.max_correlation, notes)
    while kept:
        coefficients, intercept = _regression(kept, train, selection)
        wrong = int(np.argmax(coefficients))
        if coefficients[wrong] <= 0:
            break
        notes[kept[wrong].feature] = "its coefficient has the sign against its WoE"
        kept.pop(wrong)
    if not kept:
        raise InvalidInput(f"no characteristic reaches an information value of "
                           f"{selection.min_iv}; nothing to build a scorecard from",
                           code="data_uninformative", field="data")
    chosen = {c.feature for c in kept}
    order = {str(f): i for i, f in enumerate(train.x.columns)}
    candidates = [Candidate(c.feature, c.kind, c.iv, c.binning.size, c.feature in chosen,
                            notes.get(c.feature, "")) for c in fitted] + skipped
    candidates.sort(key=lambda c: (not c.selected, -c.iv, order[c.feature]))
    kept.sort(key=lambda c: order[c.feature])            # the document follows the data
    coefficients, intercept = _regression(kept, train, selection)
    return Model(tuple(kept), coefficients, intercept, tuple(candidates))


def _strong(c: FittedCharacteristic, selection: Selection, notes: dict[str, str]) -> bool:
    if c.iv >= selection.min_iv:
        return True
    notes[c.feature] = f"IV below {selection.min_iv:g}"
    return False


def _decorrelate(kept: list[FittedCharacteristic], x: pd.DataFrame, limit: float,
                 notes: dict[str, str]) -> list[FittedCharacteristic]:
    """Greedy, strongest first: keep a characteristic unless it tracks one already kept."""
    if len(kept) < 2:
        return kept
    woe = np.column_stack([c.transform(x[c.feature]) for c in kept])
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(woe, rowvar=False))
    chosen: list[int] = []
    for i, c in enumerate(kept):
        peer = next((j for j in chosen if abs(corr[i, j]) > limit), None)
        if peer is None:
            chosen.append(i)
        else:
            notes[c.feature] = (f"correlated with {kept[peer].feature} "
                                f"({corr[i, peer]:+.2f})")
    return [kept[i] for i in chosen]


def _regression(kept: list[FittedCharacteristic], train: Sample,
                selection: Selection) -> tuple[np.ndarray, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    woe = np.column_stack([c.transform(train.x[c.feature]) for c in kept])
    regression = LogisticRegression(C=selection.c, max_iter=selection.max_iter,
                                    solver="newton-cholesky")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        regression.fit(woe, train.y)
    return regression.coef_[0].astype(float), float(regression.intercept_[0])
