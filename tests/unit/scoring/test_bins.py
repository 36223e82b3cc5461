"""Bins: one value and a whole column land in the same bin, and that bin holds the value."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.core.errors import InvalidInput
from fengkong.scoring.bins import number_bins, parse_bins

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@settings(deadline=None)   # a loaded machine must not fail a property
@given(edges=st.lists(finite, min_size=0, max_size=8, unique=True),
       values=st.lists(st.one_of(finite, st.none(), st.integers(-10**6, 10**6)),
                       min_size=1, max_size=40),
       reverse=st.booleans())
def test_a_number_falls_in_the_one_bin_whose_bounds_hold_it(edges: list[float],
                                                            values: list[float | None],
                                                            reverse: bool) -> None:
    bins = [*number_bins(sorted(edges)), {"missing": True}]
    if reverse:
        bins.reverse()
    binning = parse_bins("x", "number", bins, "c")
    column = binning.indices(pd.Series(values, dtype=float))
    for value, hit in zip(values, column, strict=True):
        assert binning.index_of(value) == hit
        spec = bins[hit]
        if value is None:
            assert spec == {"missing": True}
        else:
            lower = -math.inf if spec["lower"] is None else spec["lower"]
            upper = math.inf if spec["upper"] is None else spec["upper"]
            assert lower <= value < upper


@settings(deadline=None)   # a loaded machine must not fail a property
@given(groups=st.lists(st.lists(st.text(max_size=3), min_size=1, max_size=3), max_size=4),
       values=st.lists(st.one_of(st.text(max_size=3), st.none()), min_size=1, max_size=30))
def test_a_category_falls_in_its_group_or_else_other(groups: list[list[str]],
                                                     values: list[str | None]) -> None:
    seen: set[str] = set()
    unique = []
    for group in groups:
        kept = [c for c in dict.fromkeys(group) if c not in seen]
        seen.update(kept)
        if kept:
            unique.append(kept)
    bins = [*({"categories": g} for g in unique), {"other": True}, {"missing": True}]
    binning = parse_bins("x", "string", bins, "c")
    column = binning.indices(pd.Series(values, dtype=object))
    for value, hit in zip(values, column, strict=True):
        assert binning.index_of(value) == hit
        if value is None:
            assert bins[hit] == {"missing": True}
        elif value in seen:
            assert value in bins[hit]["categories"]
        else:
            assert bins[hit] == {"other": True}


def test_a_column_of_text_in_a_number_characteristic_is_an_error() -> None:
    binning = parse_bins("age", "number", number_bins([30]), "c")
    with pytest.raises(InvalidInput, match="'thirty'") as error:
        binning.indices(pd.Series([20, "thirty"], dtype=object))
    assert error.value.field == "age"


@pytest.mark.parametrize(("bins", "problem"), [
    ([{"lower": None, "upper": 5}, {"lower": 6, "upper": None}], "gap or overlap at 5"),
    ([{"lower": None, "upper": 5}, {"lower": 4, "upper": None}], "gap or overlap at 5"),
    ([{"lower": 0, "upper": None}], "both ends"),
    ([{"lower": None, "upper": None}, {"missing": True}, {"missing": True}], "second missing"),
    ([{"lower": None, "upper": None}, {"other": True}], "only a string"),
    ([{"lower": 5, "upper": 5}], "below upper"),
    ([{"lower": None, "upper": float("inf")}], "finite"),
    ([{"upper": 3}], "needs lower and upper"),
    ([], "non-empty"),
])
def test_numeric_bins_must_tile_the_line(bins: list[dict[str, object]], problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        parse_bins("x", "number", bins, "c")


@pytest.mark.parametrize(("bins", "problem"), [
    ([{"categories": ["a"]}, {"categories": ["a", "b"]}], "'a' is in two bins"),
    ([{"categories": []}], "lists its categories"),
    ([{"categories": [1]}], "lists its categories"),
])
def test_categorical_bins_list_each_category_once(bins: list[dict[str, object]],
                                                  problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        parse_bins("x", "string", bins, "c")
