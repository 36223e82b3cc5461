"""PDO scaling: pdo more points double the odds of good; base odds sit at base points."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.core.errors import InvalidInput
from fengkong.scoring.scaling import Scaling

scalings = st.builds(Scaling, base_points=st.floats(-1e4, 1e4),
                     base_odds=st.floats(1e-3, 1e4), pdo=st.floats(0.1, 500))
log_odds = st.floats(-50, 50)


@settings(deadline=None)   # a loaded machine must not fail a property
@given(scalings, log_odds)
def test_pdo_points_more_double_the_odds(scaling: Scaling, x: float) -> None:
    assert scaling.score(x + math.log(2)) - scaling.score(x) == pytest.approx(scaling.pdo)
    doubled = scaling.log_odds(scaling.score(x) + scaling.pdo)
    assert math.exp(doubled - x) == pytest.approx(2)


@settings(deadline=None)   # a loaded machine must not fail a property
@given(scalings)
def test_the_base_odds_score_the_base_points(scaling: Scaling) -> None:
    assert scaling.score(math.log(scaling.base_odds)) == pytest.approx(scaling.base_points,
                                                                       abs=1e-6)


@settings(deadline=None)   # a loaded machine must not fail a property
@given(scalings, log_odds)
def test_log_odds_inverts_score(scaling: Scaling, x: float) -> None:
    assert scaling.log_odds(scaling.score(x)) == pytest.approx(x, abs=1e-6)


def test_the_reference_scaling() -> None:
    # 600 points at 50:1, 20 points to double: 620 at 100:1, 580 at 25:1
    scaling = Scaling(600, 50, 20)
    assert scaling.factor == pytest.approx(28.8539, abs=1e-4)
    assert scaling.offset == pytest.approx(487.1229, abs=1e-4)
    assert scaling.score(math.log(100)) == pytest.approx(620)
    assert scaling.score(math.log(25)) == pytest.approx(580)


@pytest.mark.parametrize("bad", [{"pdo": 0}, {"pdo": -20}, {"base_odds": 0},
                                 {"base_points": math.inf}, {"pdo": math.nan}])
def test_scaling_needs_positive_pdo_and_odds(bad: dict[str, float]) -> None:
    with pytest.raises(InvalidInput) as error:
        Scaling(**bad)
    assert error.value.field == next(iter(bad))
