"""German Credit (1,000 cases, 30 % bad): the reference protocol of the open-source scorecard
libraries — 70/30 stratified splits, bins and regression fitted on the training part only —
and proof that nothing of the test part reaches the fit."""

from __future__ import annotations

import statistics
from typing import Any

import numpy as np
import pytest

from fengkong.scoring.dataset import Sample, split
from fengkong.scoring.document import score_table
from fengkong.scoring.metrics import auc
from fengkong.scoring.train import Trained, TrainOptions, fit_and_measure, train

SEEDS = range(20)


@pytest.fixture(scope="module")
def runs(german_credit: Sample) -> list[Trained]:
    return [train(german_credit, TrainOptions(seed=seed)) for seed in SEEDS]


def test_the_data_set_is_the_reference_one(german_credit: Sample) -> None:
    assert len(german_credit) == 1000
    assert german_credit.y.sum() == 300
    assert german_credit.bad_value == "bad"


def test_mean_test_auc_over_twenty_seeded_70_30_splits_reaches_078(runs: list[Trained]) -> None:
    aucs = [r.test.auc for r in runs]
    print(f"test AUC over {len(aucs)} seeds: mean {statistics.fmean(aucs):.4f}, "
          f"min {min(aucs):.4f}, max {max(aucs):.4f}")
    assert statistics.fmean(aucs) >= 0.78
    assert all(len(r.test_rows) == 300 and r.test_y.sum() == 90 for r in runs)  # stratified
    assert len({tuple(r.test_rows[:10]) for r in runs}) == len(runs)          # seeds differ


def test_training_fit_is_better_than_test_but_not_absurdly(runs: list[Trained]) -> None:
    # A training AUC near 1 would mean the fit memorised the sample.
    gaps = [r.train.auc - r.test.auc for r in runs]
    assert 0 < statistics.fmean(gaps) < 0.08
    assert all(0.25 < r.test.ks < 0.75 for r in runs)


def _fitted_part(document: dict[str, Any]) -> dict[str, Any]:
    """Everything the fit decides: bins, points, base score and training figures."""
    development = {k: v for k, v in document["development"].items()
                   if not k.startswith("test_")}
    return {**document, "development": development}


def test_changing_the_test_target_changes_nothing_fitted(german_credit: Sample) -> None:
    train_rows, test_rows = split(german_credit, 0.3, seed=7)
    fit_part, test_part = german_credit.take(train_rows), german_credit.take(test_rows)
    rng = np.random.default_rng(7)
    shuffled = Sample(test_part.x, rng.permutation(test_part.y), test_part.target,
                      test_part.bad_value)
    flipped = Sample(test_part.x, 1 - test_part.y, test_part.target, test_part.bad_value)
    honest = fit_and_measure(fit_part, test_part, TrainOptions(seed=7))
    for other in (shuffled, flipped):
        leaked = fit_and_measure(fit_part, other, TrainOptions(seed=7))
        assert _fitted_part(leaked.document) == _fitted_part(honest.document)
        np.testing.assert_array_equal(leaked.model.coefficients, honest.model.coefficients)
        assert leaked.model.intercept == honest.model.intercept
        assert leaked.test.auc != honest.test.auc
    assert abs(fit_and_measure(fit_part, shuffled, TrainOptions()).test.auc - 0.5) < 0.1
    assert fit_and_measure(fit_part, flipped, TrainOptions()).test.auc == pytest.approx(
        1 - honest.test.auc)


def test_scrambling_the_test_rows_through_the_whole_pipeline_changes_nothing_fitted(
        german_credit: Sample) -> None:
    honest = train(german_credit, TrainOptions(seed=3))
    # Permuting whole feature rows among the test cases keeps the target column as it is (so
    # the stratified split is the same) while pairing each test target with another case.
    x = german_credit.x.copy()
    rows = honest.test_rows
    x.iloc[rows] = x.iloc[np.random.default_rng(3).permutation(rows)].to_numpy()
    scrambled = train(Sample(x, german_credit.y, german_credit.target,
                             german_credit.bad_value), TrainOptions(seed=3))
    np.testing.assert_array_equal(scrambled.test_rows, honest.test_rows)
    assert _fitted_part(scrambled.document) == _fitted_part(honest.document)
    assert scrambled.test.auc < honest.test.auc - 0.1


def test_points_reproduce_the_models_log_odds_on_training_rows(runs: list[Trained],
                                                               german_credit: Sample) -> None:
    run = runs[0]
    fit_part = german_credit.take(run.train_rows)
    scaling = TrainOptions().scaling
    raw = score_table(run.document, fit_part.x).raw
    log_odds_good = (raw - scaling.offset) / scaling.factor
    np.testing.assert_allclose(log_odds_good, -run.model.log_odds_bad(fit_part.x), atol=1e-5)
    # and therefore rank the training rows exactly as the model does
    assert auc(fit_part.y, -raw) == pytest.approx(run.train.auc, abs=1e-9)


def test_the_document_scores_every_seeds_test_part_as_the_model_does(
        runs: list[Trained], german_credit: Sample) -> None:
    for run in runs:
        test_part = german_credit.take(run.test_rows)
        raw = score_table(run.document, test_part.x).raw
        assert auc(test_part.y, -raw) == pytest.approx(run.test.auc, abs=1e-6)
