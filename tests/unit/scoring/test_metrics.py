"""AUC against scikit-learn's and KS against its definition, on random scores with ties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from fengkong.scoring.metrics import auc, ks, separation

cases = st.lists(st.tuples(st.integers(0, 1), st.integers(-20, 20)), min_size=2, max_size=200
                 ).filter(lambda rows: len({y for y, _ in rows}) == 2)


@settings(max_examples=200, deadline=None)
@given(cases)
def test_auc_is_scikit_learns(rows: list[tuple[int, int]]) -> None:
    y, risk = np.array(rows).T
    assert auc(y, risk) == pytest.approx(roc_auc_score(y, risk), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(cases)
def test_ks_is_the_widest_gap_between_the_two_distribution_functions(
        rows: list[tuple[int, int]]) -> None:
    y, risk = np.array(rows).T
    bads, goods = risk[y == 1], risk[y == 0]
    widest = max(abs((bads <= t).mean() - (goods <= t).mean()) for t in np.unique(risk))
    assert ks(y, risk) == pytest.approx(widest, abs=1e-12)


def test_perfect_and_reversed_separation() -> None:
    y = np.array([0, 0, 1, 1])
    assert separation(y, np.array([1, 2, 3, 4])).gini == 1
    assert separation(y, np.array([4, 3, 2, 1])).auc == 0
    assert separation(y, np.array([4, 3, 2, 1])).ks == 1
    assert separation(y, np.array([1, 1, 1, 1])).auc == 0.5
