"""Optimal binning of each candidate characteristic on the training part (optbinning), and the
weight of evidence and information value of its bins.

optbinning only chooses the cut points (numbers) and the groups (categories). The bins then
become the document's own `Binning`, and WoE is counted from the training rows through that
same `Binning`, so the model is fitted on exactly what the document will score:
WoE = ln((goods in bin / goods) / (bads in bin / bads)), positive = safer than average.
A bin without training rows (missing, other) gets WoE 0, the average risk; a bin with no
goods or no bads counts half a case instead of zero, so that its WoE stays finite.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fengkong.scoring.bins import Binning, number_bins, parse_bins


@dataclass(frozen=True)
class FittedCharacteristic:
    feature: str
    bins: list[dict[str, Any]]            # the document's shape, without points
    binning: Binning
    goods: np.ndarray                     # training goods per bin
    bads: np.ndarray                      # training bads per bin
    woe: np.ndarray
    iv: float

    @property
    def kind(self) -> str:
        return self.binning.kind

    @property
    def shares(self) -> np.ndarray:
        counts = self.goods + self.bads
        return counts / counts.sum()

    def transform(self, column: pd.Series) -> np.ndarray:
        return self.woe[self.binning.indices(column)]


def kind_of(column: pd.Series) -> str:
    """Numbers are binned on the line; everything else (text, booleans) as categories."""
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    return "number" if numeric else "string"


def fit_characteristic(feature: str, column: pd.Series, y: np.ndarray) -> FittedCharacteristic:
    """Bin one characteristic on training rows (`y`: 1 = bad)."""
    kind = kind_of(column)
    if kind == "number":
        bins = number_bins(_cut_points(column, y))
        bins.append({"missing": True})
    else:
        column = as_categories(column)
        groups = _groups(column, y)
        bins = [{"categories": g} for g in groups]
        bins += [{"other": True}, {"missing": True}]
    binning = parse_bins(feature, kind, bins, feature)
    hit = binning.indices(column)
    bads = np.bincount(hit, weights=y, minlength=binning.size)
    goods = np.bincount(hit, minlength=binning.size) - bads
    woe, iv = weight_of_evidence(goods, bads)
    return FittedCharacteristic(feature, bins, binning, goods, bads, woe, iv)


def as_categories(column: pd.Series) -> pd.Series:
    """Category values as text (a document lists them as strings), missing kept missing."""
    return column.astype(object).where(column.notna(), None).map(
        lambda v: v if v is None else str(v))


def weight_of_evidence(goods: np.ndarray, bads: np.ndarray) -> tuple[np.ndarray, float]:
    counts = goods + bads
    filled = counts > 0
    g = np.where(filled & (goods == 0), 0.5, goods)
    b = np.where(filled & (bads == 0), 0.5, bads)
    woe = np.zeros(len(counts))
    good_share = g[filled] / goods.sum()
    bad_share = b[filled] / bads.sum()
    woe[filled] = np.log(good_share / bad_share)
    iv = float(np.sum((good_share - bad_share) * woe[filled]))
    return woe, iv


def _optbinning(feature: str, kind: str, **params: Any) -> Any:
    from optbinning import OptimalBinning

    return OptimalBinning(name=feature, dtype="numerical" if kind == "number" else
                          "categorical", **params)


def _cut_points(column: pd.Series, y: np.ndarray) -> list[float]:
    # Risk usually rises or falls with a number (age, duration, amount); where it peaks
    # inside the range, "auto_asc_desc" lets the solver pick a peak or a valley instead.
    if not column.notna().any():
        return []
    binner = _optbinning(str(column.name), "number", monotonic_trend="auto_asc_desc")
    values = column.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return []
    # ±inf would stop the solver; at the ends of the range they fall in the end bins anyway.
    values = np.clip(values, finite.min(), finite.max())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        binner.fit(values, y)
    return [float(s) for s in binner.splits]


def _groups(column: pd.Series, y: np.ndarray) -> list[list[str]]:
    binner = _optbinning(str(column.name), "string")
    values = column.to_numpy(dtype=object)
    present = column.notna().to_numpy()
    if not present.any():
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        binner.fit(values[present], y[present])
    groups = [sorted(str(c) for c in group) for group in binner.splits]
    grouped = {c for g in groups for c in g}
    # Every category seen in training gets a bin of its own group, never "other".
    leftover = sorted(set(values[present]) - grouped)
    return groups + [[c] for c in leftover] if groups else [sorted(grouped | set(leftover))]
