"""PSI: zero for identical distributions, never negative, the same both ways round; the
status thresholds; scores and characteristics of live data against the development sample."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.core.errors import InvalidInput
from fengkong.scoring.stability import EPSILON, psi, score_shift, shares, stability, status

from .test_document import EXAMPLE


def _distribution(size: int) -> st.SearchStrategy[list[float]]:
    return st.lists(st.integers(0, 1000), min_size=size, max_size=size).filter(
        lambda counts: sum(counts) > 0).map(shares)


pairs = st.integers(1, 12).flatmap(lambda n: st.tuples(_distribution(n), _distribution(n)))


@settings(deadline=None)   # a loaded machine must not fail a property
@given(st.integers(1, 12).flatmap(_distribution))
def test_identical_distributions_have_zero_psi(p: list[float]) -> None:
    assert psi(p, p) == 0


@settings(deadline=None)   # a loaded machine must not fail a property
@given(pairs)
def test_psi_is_never_negative_and_the_same_both_ways(pair: tuple[list[float], list[float]],
                                                      ) -> None:
    expected, actual = pair
    assert psi(expected, actual) >= 0
    assert psi(expected, actual) == pytest.approx(psi(actual, expected), rel=1e-12, abs=1e-15)


@settings(deadline=None)   # a loaded machine must not fail a property
@given(pairs)
def test_psi_is_the_sum_of_both_kullback_leibler_divergences(
        pair: tuple[list[float], list[float]]) -> None:
    e, a = ([max(v, EPSILON) for v in p] for p in pair)
    kl = sum(x * math.log(x / y) for x, y in zip(a, e, strict=True))
    lk = sum(y * math.log(y / x) for x, y in zip(a, e, strict=True))
    assert psi(*pair) == pytest.approx(kl + lk, rel=1e-9, abs=1e-12)


def test_an_emptied_bin_is_a_large_but_finite_shift() -> None:
    value = psi([0.5, 0.5], [1.0, 0.0])
    assert math.isfinite(value)
    assert value == pytest.approx(0.5 * math.log(1 / 0.5) + (EPSILON - 0.5) *
                                  math.log(EPSILON / 0.5))


def test_a_textbook_shift() -> None:
    # 10 % moving from the first to the last of four equal bins
    assert psi([0.25] * 4, [0.15, 0.25, 0.25, 0.35]) == pytest.approx(
        -0.1 * math.log(0.6) + 0.1 * math.log(1.4))


@pytest.mark.parametrize(("value", "expected"), [
    (0, "stable"), (0.0999, "stable"), (0.1, "watch"), (0.2499, "watch"), (0.25, "alert"),
    (3, "alert")])
def test_status_thresholds(value: float, expected: str) -> None:
    assert status(value) == expected


BANDS = [{"lower": None, "upper": 500, "share": 0.5}, {"lower": 500, "upper": None, "share": 0.5}]


def test_scores_fall_in_bands_lower_inclusive() -> None:
    shift = score_shift(BANDS, np.array([499.99, 500, 510, 700]))
    assert shift.actual == [0.25, 0.75]
    assert shift.labels == ["[-inf, 500)", "[500, inf)"]


def _example_with_development() -> dict[str, object]:
    document = copy.deepcopy(EXAMPLE)
    document["development"] = {"score_bands": BANDS, "bin_shares": {
        "duration_in_month": [0.25, 0.25, 0.5, 0.0],
        "status_of_existing_checking_account": [0.5, 0.5, 0.0, 0.0]}}
    return document


def test_live_data_like_development_is_stable() -> None:
    # scores 569.44, 582.34, 534.84, 562.84 in turn: half of them from 565 up
    live = pd.DataFrame({"duration_in_month": [6, 18, 30, 30] * 25,
                         "status_of_existing_checking_account": ["A11", "A13"] * 50})
    document = _example_with_development()
    document["development"]["score_bands"] = [  # type: ignore[index]
        {"lower": None, "upper": 565, "share": 0.5}, {"lower": 565, "upper": None, "share": 0.5}]
    result = stability(document, live)
    assert [c.psi for c in result.characteristics] == [0, 0]
    assert result.score.actual == [0.5, 0.5] and not result.alert
    assert result.as_json()["characteristics"] == {"duration_in_month": 0,
                                                   "status_of_existing_checking_account": 0}


def test_a_moved_population_raises_the_alert() -> None:
    live = pd.DataFrame({"duration_in_month": [40] * 80 + [None] * 20,
                         "status_of_existing_checking_account": ["A11"] * 100})
    result = stability(_example_with_development(), live)
    by_name = {c.name: c for c in result.characteristics}
    assert by_name["duration_in_month"].actual == [0, 0, 0.8, 0.2]
    assert by_name["duration_in_month"].status == "alert" and result.alert


def test_scores_can_come_from_a_column() -> None:
    live = pd.DataFrame({"duration_in_month": [6] * 4,
                         "status_of_existing_checking_account": ["A11"] * 4,
                         "score": [450, 460, 550, 560]})
    assert stability(_example_with_development(), live, "score").score.psi == 0


@pytest.mark.parametrize(("change", "words"), [
    ("drop_column", "lacks the scorecard's columns: duration_in_month"),
    ("no_bands", "score_bands"),
    ("short_shares", "bin_shares"),
    ("no_rows", "no rows"),
])
def test_unusable_monitoring_inputs_are_refused(change: str, words: str) -> None:
    document = _example_with_development()
    live = pd.DataFrame({"duration_in_month": [6], "status_of_existing_checking_account": ["A11"]})
    if change == "drop_column":
        live = live.drop(columns=["duration_in_month"])
    elif change == "no_bands":
        del document["development"]["score_bands"]  # type: ignore[attr-defined]
    elif change == "short_shares":
        document["development"]["bin_shares"]["duration_in_month"] = [1.0]  # type: ignore[index]
    else:
        live = live.iloc[:0]
    with pytest.raises(InvalidInput, match=words):
        stability(document, live)
