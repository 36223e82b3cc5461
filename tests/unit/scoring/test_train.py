"""The trainer on made-up data with known structure: missing values, unseen categories,
identifiers, constants, a duplicated column and a suppressor variable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fengkong.core.errors import InvalidInput
from fengkong.scoring.dataset import sample
from fengkong.scoring.document import score
from fengkong.scoring.model import Selection
from fengkong.scoring.train import TrainOptions, train


def _cases(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    e = rng.normal(scale=np.sqrt(2), size=n)
    region = rng.choice(["north", "south", "east", "west"], n)
    # x = z + e carries the risk; z alone looks risky (+0.5) but, beside x, it is the
    # opposite (risk = x - 0.5 z): a suppressor whose coefficient takes the wrong sign.
    risk = e + 0.5 * z + np.where(region == "south", 0.8, 0.0) - 1.0
    bad = rng.random(n) < 1 / (1 + np.exp(-risk))
    frame = pd.DataFrame({
        "x": z + e, "z": z, "region": region, "constant": 1,
        "application_id": [f"A{i:06d}" for i in range(n)],
        "noise": rng.normal(size=n),
        "outcome": np.where(bad, "bad", "good")})
    frame.loc[rng.random(n) < 0.1, "x"] = np.nan           # 10 % missing
    frame.loc[rng.random(n) < 0.05, "region"] = None
    frame.insert(5, "x_again", frame["x"])
    return frame


@pytest.fixture(scope="module")
def trained() -> object:
    return train(sample(_cases(), "outcome"), TrainOptions(seed=1))


def test_selection_keeps_the_risk_and_explains_every_drop(trained: object) -> None:
    candidates = {c.feature: c for c in trained.model.candidates}  # type: ignore[attr-defined]
    assert {f for f, c in candidates.items() if c.selected} == {"x", "region"}
    assert candidates["application_id"].note == "looks like an identifier"
    assert candidates["constant"].note == "a single value"
    assert candidates["noise"].note == "IV below 0.02"
    assert candidates["z"].note == "its coefficient has the sign against its WoE"
    # the copy ties with the original on IV; the one first in the data stays
    assert candidates["x_again"].note.startswith("correlated with x (+1.00)")


def test_missing_values_seen_in_training_get_their_own_points(trained: object) -> None:
    document = trained.document  # type: ignore[attr-defined]
    x = next(c for c in document["characteristics"] if c["feature"] == "x")
    missing = x["bins"][-1]
    assert missing["missing"] is True and missing["points"] != 0
    assert document["development"]["bin_shares"]["x"][-1] == pytest.approx(0.1, abs=0.02)
    region = next(c for c in document["characteristics"] if c["feature"] == "region")
    assert region["bins"][-2] == {"other": True, "points": 0.0}
    # every region seen in training has a bin of its own group
    assert sorted(c for b in region["bins"][:-2] for c in b["categories"]) == [
        "east", "north", "south", "west"]


def test_an_unseen_category_scores_as_average_risk(trained: object) -> None:
    document = trained.document  # type: ignore[attr-defined]
    unseen = score(document, {"x": 0.0, "region": "atlantis"})
    assert unseen.points["region"] == 0.0


def test_riskier_values_get_fewer_points(trained: object) -> None:
    document = trained.document  # type: ignore[attr-defined]
    low = score(document, {"x": -3.0, "region": "north"})
    high = score(document, {"x": 3.0, "region": "south"})
    assert high.score < low.score
    assert high.reason_codes[:1] == ["X"] and "REGION" in high.reason_codes


def test_data_without_signal_is_refused() -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"noise": rng.normal(size=600),
                          "flag": rng.choice(["good", "bad"], 600)})
    with pytest.raises(InvalidInput, match="no characteristic reaches"):
        train(sample(frame, "flag"), TrainOptions(selection=Selection(min_iv=0.5)))


def test_infinite_and_empty_columns_do_not_stop_the_fit() -> None:
    frame = _cases(1500, seed=2)[["x", "outcome"]]
    frame["x"] = frame["x"].where(frame.index % 40 != 0, np.inf)   # 2.5 % +inf
    frame["nothing"] = np.nan
    run = train(sample(frame, "outcome"), TrainOptions(seed=2))
    notes = {c.feature: c.note for c in run.model.candidates}
    assert notes == {"x": "", "nothing": "empty"}
    x = run.document["characteristics"][0]
    assert score(run.document, {"x": np.inf}).points["x"] == x["bins"][-2]["points"]
    assert score(run.document, {"x": -np.inf}).points["x"] == x["bins"][0]["points"]
