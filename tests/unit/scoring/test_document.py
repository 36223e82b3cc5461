"""The scorecard document: it reproduces the fitted model, and `score` / `reason_codes` follow
the shared format's rules."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from fengkong.core.errors import InvalidInput
from fengkong.scoring.dataset import Sample
from fengkong.scoring.document import parse_scorecard, reason_codes, score, score_table
from fengkong.scoring.metrics import auc
from fengkong.scoring.train import TrainOptions, train

# The example of the format's own text.
EXAMPLE: dict[str, Any] = {
    "kind": "scorecard", "name": "german_credit", "version": 1,
    "scaling": {"base_points": 600, "base_odds": 50, "pdo": 20},
    "base_score": 512.34,
    "characteristics": [
        {"feature": "duration_in_month", "type": "number", "reason_code": "DURATION",
         "description": "Duration of the credit in months",
         "bins": [{"lower": None, "upper": 12, "points": 45.1},
                  {"lower": 12, "upper": 24, "points": 30.0},
                  {"lower": 24, "upper": None, "points": 10.5},
                  {"missing": True, "points": 20.0}]},
        {"feature": "status_of_existing_checking_account", "type": "string",
         "reason_code": "CHECKING",
         "bins": [{"categories": ["A11", "A12"], "points": 12.0},
                  {"categories": ["A13", "A14"], "points": 40.0},
                  {"other": True, "points": 12.0},
                  {"missing": True, "points": 12.0}]},
    ],
    "development": {"target": "creditability", "bad_value": "bad", "rows": 700},
}


@pytest.fixture(scope="module")
def trained(german_credit: Sample) -> tuple[dict[str, Any], Any, Sample]:
    run = train(german_credit, TrainOptions(seed=11))
    # What a strategy will read is the written JSON, not the trainer's objects.
    document = json.loads(json.dumps(run.document))
    return document, run, german_credit.take(run.test_rows)


def test_scoring_rows_one_by_one_ranks_them_as_the_model_does(trained: Any) -> None:
    document, run, test_part = trained
    card = parse_scorecard(document)
    rows = test_part.x.to_dict(orient="records")
    raw = np.array([score(card, row).raw for row in rows])
    model_risk = run.model.log_odds_bad(test_part.x)
    assert auc(test_part.y, -raw) == pytest.approx(auc(test_part.y, model_risk), abs=1e-9)
    assert auc(test_part.y, -raw) == pytest.approx(run.test.auc, abs=1e-9)
    # Not only the AUC: the order of the cases is the model's, ties included.
    assert (pd.Series(raw).rank().to_numpy() == pd.Series(-model_risk).rank().to_numpy()).all()
    reported = np.array([score(card, row).score for row in rows])
    assert auc(test_part.y, -reported) == pytest.approx(run.test.auc, abs=1e-3)


def test_the_table_scorer_agrees_with_the_row_scorer(trained: Any) -> None:
    document, _, test_part = trained
    rows = test_part.x.to_dict(orient="records")
    table = score_table(document, test_part.x)
    assert table.raw.tolist() == [score(document, row).raw for row in rows]
    for feature, hits in table.bins.items():
        assert hits.tolist() == [score(document, row).bins[feature] for row in rows]


def test_a_trained_document_has_the_shared_shape(trained: Any) -> None:
    document, run, _ = trained
    assert set(document) == {"kind", "name", "version", "scaling", "base_score",
                             "characteristics", "development"}
    assert document["scaling"] == {"base_points": 600, "base_odds": 50, "pdo": 20}
    for c in document["characteristics"]:
        kinds = [next(k for k in ("missing", "other", "categories", "lower") if k in b)
                 for b in c["bins"]]
        assert kinds[-1] == "missing"
        if c["type"] == "string":
            assert kinds[-2] == "other" and set(kinds[:-2]) == {"categories"}
        dev = document["development"]
        assert len(dev["bin_shares"][c["feature"]]) == len(c["bins"])
        assert sum(dev["bin_shares"][c["feature"]]) == pytest.approx(1, abs=1e-5)
    bands = document["development"]["score_bands"]
    assert bands[0]["lower"] is None and bands[-1]["upper"] is None
    assert sum(b["share"] for b in bands) == pytest.approx(1, abs=1e-5)
    assert all(0.05 < b["share"] < 0.2 for b in bands)       # deciles, give or take ties
    assert document["development"]["rows"] == 700
    assert document["development"]["test_auc"] == pytest.approx(run.test.auc, abs=1e-6)


def test_a_low_score_explains_itself_with_the_characteristics_it_lost_most_on(
        trained: Any) -> None:
    document, _, test_part = trained
    card = parse_scorecard(document)
    rows = test_part.x.to_dict(orient="records")
    worst = min(rows, key=lambda row: score(card, row).raw)
    scored = score(card, worst)
    lost = [r.points_lost for r in scored.reasons]
    assert lost == sorted(lost, reverse=True) and all(v > 0 for v in lost)
    best_possible = card.base_score + sum(c.max_points for c in card.characteristics)
    assert scored.raw + sum(lost) == pytest.approx(best_possible)
    assert reason_codes(document, worst) == scored.reason_codes


# -- the format's rules on its own example ----------------------------------------------------


def test_score_is_base_plus_the_points_of_each_bin_hit() -> None:
    scored = score(EXAMPLE, {"duration_in_month": 12, "status_of_existing_checking_account":
                             "A14"})
    assert scored.points == {"duration_in_month": 30.0,
                             "status_of_existing_checking_account": 40.0}
    assert scored.score == round(512.34 + 70.0, 2)
    assert score(EXAMPLE, {"duration_in_month": 11.99,
                           "status_of_existing_checking_account": "A11"}).score == 569.44


def test_reason_codes_rank_by_points_lost_against_each_maximum() -> None:
    # duration 30 (lost 15.1), checking A11 12 (lost 28): checking first
    assert reason_codes(EXAMPLE, {"duration_in_month": 20,
                                  "status_of_existing_checking_account": "A11"}) == [
        "CHECKING", "DURATION"]
    # a bin at the maximum loses nothing and gives no code
    assert reason_codes(EXAMPLE, {"duration_in_month": 3,
                                  "status_of_existing_checking_account": "A13"}) == []


def test_equal_points_lost_keep_the_characteristics_order() -> None:
    document = copy.deepcopy(EXAMPLE)
    document["characteristics"][0]["bins"][2]["points"] = 17.1   # lost 28, as checking A11
    assert reason_codes(document, {"duration_in_month": 30,
                                   "status_of_existing_checking_account": "A12"}) == [
        "DURATION", "CHECKING"]


def test_missing_and_unlisted_values_take_their_bins() -> None:
    scored = score(EXAMPLE, {"status_of_existing_checking_account": "A99"})
    assert scored.points == {"duration_in_month": 20.0,
                             "status_of_existing_checking_account": 12.0}
    assert scored.bins == {"duration_in_month": 3, "status_of_existing_checking_account": 2}
    assert score(EXAMPLE, {"duration_in_month": float("nan"),
                           "status_of_existing_checking_account": None}).bins == {
        "duration_in_month": 3, "status_of_existing_checking_account": 3}


def test_without_a_missing_or_other_bin_the_error_names_the_characteristic() -> None:
    document = copy.deepcopy(EXAMPLE)
    del document["characteristics"][0]["bins"][3]
    del document["characteristics"][1]["bins"][2]
    with pytest.raises(InvalidInput) as missing:
        score(document, {"status_of_existing_checking_account": "A11"})
    assert missing.value.field == "duration_in_month"
    with pytest.raises(InvalidInput) as unlisted:
        score(document, {"duration_in_month": 5, "status_of_existing_checking_account": "A99"})
    assert unlisted.value.field == "status_of_existing_checking_account"
    assert "A99" in unlisted.value.detail
    with pytest.raises(InvalidInput, match="no missing bin"):
        score_table(document, pd.DataFrame({"duration_in_month": [5, None],
                                            "status_of_existing_checking_account": ["A11"] * 2}))


def test_a_value_of_the_wrong_type_is_an_error_not_a_guess() -> None:
    for value in ("12", True):
        with pytest.raises(InvalidInput, match="expects a number"):
            score(EXAMPLE, {"duration_in_month": value})
    with pytest.raises(InvalidInput, match="expects a string"):
        score(EXAMPLE, {"duration_in_month": 1, "status_of_existing_checking_account": 11})


@pytest.mark.parametrize(("path", "value", "field"), [
    (("kind",), "strategy", "kind"),
    (("base_score",), "512", "base_score"),
    (("scaling", "pdo"), 0, "pdo"),
    (("characteristics",), [], "characteristics"),
    (("characteristics", 0, "reason_code"), "", "characteristics[0].reason_code"),
    (("characteristics", 0, "type"), "date", "characteristics[0].type"),
    (("characteristics", 0, "bins", 1, "lower"), 13, "characteristics[0].bins[1]"),
    (("characteristics", 0, "bins", 2, "upper"), 99, "characteristics[0].bins"),
    (("characteristics", 0, "bins", 1, "points"), None, "characteristics[0].bins[1].points"),
    (("characteristics", 1, "bins", 1, "categories"), ["A12"],
     "characteristics[1].bins[1]"),
    (("characteristics", 1, "feature"), "duration_in_month", "characteristics[1].feature"),
])
def test_a_broken_document_is_rejected_at_the_field_at_fault(path: tuple[Any, ...], value: Any,
                                                            field: str) -> None:
    document = copy.deepcopy(EXAMPLE)
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidInput) as error:
        parse_scorecard(document)
    assert error.value.field == field


def test_bins_may_come_in_any_order() -> None:
    document = copy.deepcopy(EXAMPLE)
    document["characteristics"][0]["bins"].reverse()
    assert score(document, {"duration_in_month": 30,
                            "status_of_existing_checking_account": "A13"}).bins[
        "duration_in_month"] == 1
    assert score(document, {"duration_in_month": 30,
                            "status_of_existing_checking_account": "A13"}).score == 562.84
