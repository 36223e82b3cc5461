"""The development sample: a clear error for every input that cannot make a scorecard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fengkong.core.errors import InvalidInput
from fengkong.scoring.dataset import read_table, sample, split


def _frame(n: int = 200, target: list[object] | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    labels = target if target is not None else list(rng.choice(["good", "bad"], n))
    return pd.DataFrame({"age": rng.integers(18, 70, len(labels)), "flag": labels})


def test_good_and_bad_or_zero_and_one_need_no_bad_value() -> None:
    assert sample(_frame(), "flag").bad_value == "bad"
    zero_one = _frame(target=[0, 1] * 100)
    data = sample(zero_one, "flag")
    assert data.bad_value == 1 and data.y.tolist() == [0, 1] * 100
    assert list(data.x.columns) == ["age"]


def test_a_bad_value_given_as_text_matches_a_numeric_target() -> None:
    data = sample(_frame(target=[3, 7] * 100), "flag", bad_value="7")
    assert data.y.sum() == 100 and data.bad_value == 7
    floats = _frame(target=[0.0, 1.0] * 100)
    assert sample(floats, "flag").bad_value == 1.0
    assert sample(floats, "flag", bad_value="0").y.sum() == 100
    assert sample(_frame(target=[True, False] * 100), "flag").y.tolist() == [1, 0] * 100


@pytest.mark.parametrize(("frame", "target", "bad", "code", "words"), [
    (_frame(), "nope", None, "target_unknown", "no column 'nope'"),
    (_frame(target=["a", "b", "c"] * 70), "flag", None, "target_not_binary", "3: 'a', 'b'"),
    (_frame(target=["a"] * 200), "flag", None, "target_not_binary", "has 1"),
    (_frame(target=["p", "q"] * 100), "flag", None, "bad_value_unknown", "--bad-value"),
    (_frame(), "flag", "ugly", "bad_value_unknown", "'ugly' is not a value"),
    (_frame(40), "flag", None, "data_too_small", "40 rows"),
    (_frame(target=["bad"] * 5 + ["good"] * 195), "flag", None, "data_too_small", "5 bad"),
    (_frame(target=["bad", None] * 100), "flag", None, "target_missing", "100 rows"),
])
def test_unusable_samples_are_refused(frame: pd.DataFrame, target: str, bad: str | None,
                                      code: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words) as error:
        sample(frame, target, bad)
    assert error.value.code == code


def test_the_split_is_stratified_and_follows_the_seed() -> None:
    data = sample(_frame(target=["bad"] * 60 + ["good"] * 140), "flag")
    train, test = split(data, 0.3, seed=5)
    assert len(test) == 60 and data.y[test].sum() == 18
    assert sorted([*train, *test]) == list(range(200))
    assert (split(data, 0.3, seed=5)[1] == test).all()
    assert not (split(data, 0.3, seed=6)[1] == test).all()
    for size in (0, 1, 0.01):
        with pytest.raises(InvalidInput, match="test size"):
            split(data, size, seed=5)


def test_files_are_read_as_csv_or_parquet(tmp_path: Path) -> None:
    frame = _frame(20)
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_parquet(tmp_path / "a.parquet")
    for name in ("a.csv", "a.parquet"):
        pd.testing.assert_frame_equal(read_table(tmp_path / name), frame, check_dtype=False)
    with pytest.raises(InvalidInput, match="no such data file") as error:
        read_table(tmp_path / "none.csv")
    assert error.value.field == "data"
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(InvalidInput, match="cannot read"):
        read_table(tmp_path / "bad.parquet")
