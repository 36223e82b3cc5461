"""The development sample: reading a table of cases, its binary target, and the seeded,
stratified train/test split."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fengkong.core.errors import InvalidInput

MIN_ROWS = 100
MIN_PER_CLASS = 10
# Target values read as "bad" when --bad-value is not given.
BAD_WORDS = ("bad", "1", "true", "yes", "default", "y")


@dataclass(frozen=True)
class Sample:
    """Features `x` and the target `y` (1 = bad, 0 = good), with the original bad value."""

    x: pd.DataFrame
    y: np.ndarray
    target: str
    bad_value: Any

    def __len__(self) -> int:
        return len(self.y)

    def take(self, rows: np.ndarray) -> Sample:
        return Sample(self.x.iloc[rows].reset_index(drop=True), self.y[rows], self.target,
                      self.bad_value)


def read_table(path: Path) -> pd.DataFrame:
    """A CSV file, or Parquet (`.parquet`/`.pq`, needs pyarrow)."""
    if not path.is_file():
        raise InvalidInput(f"no such data file: {path}", code="data_not_found", field="data")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except ImportError:
        raise InvalidInput("reading Parquet needs pyarrow; install it or give a CSV file",
                           code="data_unreadable", field="data") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}", code="data_unreadable",
                           field="data") from None


def sample(frame: pd.DataFrame, target: str, bad_value: str | None = None) -> Sample:
    """Split a table into features and a 0/1 target; the target must have exactly two classes
    and enough rows of each to fit and test."""
    if target not in frame.columns:
        raise InvalidInput(f"no column {target!r} in the data (columns: "
                           f"{', '.join(map(str, frame.columns))})", code="target_unknown",
                           field="target")
    labels = frame[target]
    if labels.isna().any():
        raise InvalidInput(f"the target {target!r} is empty in {int(labels.isna().sum())} rows",
                           code="target_missing", field="target")
    classes = sorted(labels.unique(), key=str)
    if len(classes) != 2:
        shown = ", ".join(map(repr, classes[:5])) + (" …" if len(classes) > 5 else "")
        raise InvalidInput(f"the target {target!r} must have exactly two classes; it has "
                           f"{len(classes)}: {shown}", code="target_not_binary", field="target")
    bad = _bad_class(classes, bad_value, target)
    y = (labels == bad).to_numpy(dtype=np.int64)
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise InvalidInput("the data has no columns besides the target", code="data_too_small",
                           field="data")
    if len(frame) < MIN_ROWS or min(y.sum(), len(y) - y.sum()) < MIN_PER_CLASS:
        raise InvalidInput(f"too few rows to build a scorecard: {len(frame)} rows, "
                           f"{int(y.sum())} bad; at least {MIN_ROWS} rows with "
                           f"{MIN_PER_CLASS} of each class are needed", code="data_too_small",
                           field="data")
    return Sample(features.reset_index(drop=True), y, target, bad)


def _bad_class(classes: list[Any], bad_value: str | None, target: str) -> Any:
    if bad_value is None:
        named = [c for c in classes if str(c).strip().lower() in BAD_WORDS or _same(c, "1")]
        if len(named) == 1:
            return named[0]
        raise InvalidInput(f"which value of {target!r} is bad? give --bad-value (one of "
                           f"{', '.join(map(repr, classes))})", code="bad_value_unknown",
                           field="bad_value")
    for c in classes:
        if _same(c, bad_value):
            return c
    raise InvalidInput(f"--bad-value {bad_value!r} is not a value of {target!r} (values: "
                       f"{', '.join(map(repr, classes))})", code="bad_value_unknown",
                       field="bad_value")


def _same(value: Any, text: str) -> bool:
    """A CSV's 1 is an int or 1.0 a float; the option is text."""
    if str(value) == text:
        return True
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return False
    try:
        return float(value) == float(text)
    except ValueError:
        return False


def split(data: Sample, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the training and test parts: stratified by the target, seeded."""
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise InvalidInput("test size must be between 0 and 1", code="test_size_invalid",
                           field="test_size")
    positions = np.arange(len(data))
    n_test = round(len(data) * test_size)
    if min(n_test, len(data) - n_test) < 2 * MIN_PER_CLASS:
        raise InvalidInput(f"a test size of {test_size} leaves too few rows on one side",
                           code="test_size_invalid", field="test_size")
    train, test = train_test_split(positions, test_size=test_size, random_state=seed,
                                   stratify=data.y)
    return np.sort(train), np.sort(test)
