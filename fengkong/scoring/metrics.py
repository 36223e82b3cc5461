"""How well scores separate bads from goods: AUC, Gini and the Kolmogorov-Smirnov statistic.
`risk` is any number that is higher for riskier cases (a probability of bad, or minus a score);
`y` is 1 for bad."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Separation:
    auc: float
    ks: float

    @property
    def gini(self) -> float:
        return 2 * self.auc - 1

    def as_json(self, prefix: str) -> dict[str, float]:
        return {f"{prefix}_auc": round(self.auc, 6), f"{prefix}_ks": round(self.ks, 6),
                f"{prefix}_gini": round(self.gini, 6)}


def auc(y: np.ndarray, risk: np.ndarray) -> float:
    """The probability that a random bad is riskier than a random good (ties count half):
    the Mann-Whitney statistic over midranks."""
    y = np.asarray(y)
    bads = int(y.sum())
    goods = len(y) - bads
    ranks = _midranks(np.asarray(risk, dtype=float))
    return float((ranks[y == 1].sum() - bads * (bads + 1) / 2) / (bads * goods))


def ks(y: np.ndarray, risk: np.ndarray) -> float:
    """The largest gap between the bads' and the goods' cumulative shares, over thresholds
    between distinct values."""
    y = np.asarray(y)
    order = np.argsort(-np.asarray(risk, dtype=float), kind="mergesort")
    sorted_risk = np.asarray(risk, dtype=float)[order]
    sorted_y = y[order]
    bad_share = np.cumsum(sorted_y) / sorted_y.sum()
    good_share = np.cumsum(1 - sorted_y) / (len(sorted_y) - sorted_y.sum())
    # Only the last row of a run of equal values is a threshold.
    last = np.append(sorted_risk[1:] != sorted_risk[:-1], True)
    return float(np.max(np.abs(bad_share - good_share)[last]))


def separation(y: np.ndarray, risk: np.ndarray) -> Separation:
    return Separation(auc=auc(y, risk), ks=ks(y, risk))


def _midranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.append(True, sorted_values[1:] != sorted_values[:-1]))
    ends = np.append(starts[1:], len(values))
    midrank = (starts + ends + 1) / 2                  # ranks are 1-based
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(midrank, ends - starts)
    return ranks
