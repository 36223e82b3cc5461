"""Due dates and day counts: month-end anchoring, weeks and days, broken first periods."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from fengkong.loans.calendar import add_months, days_30, due_dates, periods
from fengkong.loans.parse import parse_terms
from fengkong.loans.terms import LoanTerms


def _terms(**overrides: Any) -> LoanTerms:
    return parse_terms({"principal": "1000.00", "annual_rate": "12", "term": 3,
                        "disbursement_date": "2024-01-01", **overrides})


def _dues(**overrides: Any) -> list[str]:
    return [d.isoformat() for d in due_dates(_terms(**overrides))]


def test_a_loan_disbursed_on_31_january_falls_due_on_29_february_then_31_march() -> None:
    assert _dues(disbursement_date="2024-01-31") == ["2024-02-29", "2024-03-31", "2024-04-30"]


def test_in_a_common_year_the_february_due_date_is_the_28th() -> None:
    assert _dues(disbursement_date="2023-01-31") == ["2023-02-28", "2023-03-31", "2023-04-30"]


def test_every_due_date_comes_from_the_anchor_not_from_the_previous_due_date() -> None:
    dues = _dues(disbursement_date="2023-12-31", term=14)
    assert dues[1] == "2024-02-29"
    assert dues[2] == "2024-03-31"
    assert dues[13] == "2025-02-28"


def test_a_loan_disbursed_on_29_february_falls_due_on_the_29th_of_each_month() -> None:
    assert _dues(disbursement_date="2024-02-29", term=12)[-1] == "2025-02-28"
    assert _dues(disbursement_date="2024-02-29")[:2] == ["2024-03-29", "2024-04-29"]


def test_a_first_repayment_date_sets_the_due_day_for_the_whole_loan() -> None:
    assert _dues(disbursement_date="2024-01-10", first_repayment_date="2024-02-29") == [
        "2024-02-29", "2024-03-29", "2024-04-29"]
    assert _dues(disbursement_date="2024-01-10", first_repayment_date="2024-01-31") == [
        "2024-01-31", "2024-02-29", "2024-03-31"]


@pytest.mark.parametrize(("frequency", "expected"), [
    ("weekly", ["2024-01-08", "2024-01-15", "2024-01-22"]),
    ("biweekly", ["2024-01-15", "2024-01-29", "2024-02-12"]),
    ("quarterly", ["2024-04-01", "2024-07-01", "2024-10-01"]),
    ("daily", ["2024-01-02", "2024-01-03", "2024-01-04"]),
    ({"every": 10, "unit": "days"}, ["2024-01-11", "2024-01-21", "2024-01-31"]),
    ({"every": 3, "unit": "weeks"}, ["2024-01-22", "2024-02-12", "2024-03-04"]),
    ({"every": 2, "unit": "months"}, ["2024-03-01", "2024-05-01", "2024-07-01"]),
])
def test_each_frequency_spaces_due_dates_by_its_interval(frequency: object,
                                                         expected: list[str]) -> None:
    assert _dues(frequency=frequency) == expected


def test_add_months_keeps_the_anchor_day_when_the_month_has_it() -> None:
    anchor = date(2024, 1, 31)
    assert [add_months(anchor, k) for k in (1, 2, 3, 13)] == [
        date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2025, 2, 28)]
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)


def test_a_whole_month_is_worth_a_twelfth_of_a_year_when_interest_follows_repayments() -> None:
    spans = periods(_terms(disbursement_date="2024-01-31"))
    assert all(span.regular for span in spans)
    assert {span.fraction for span in spans} == {Fraction(1, 12)}


def test_daily_interest_on_actual_365_counts_the_actual_days_of_each_month() -> None:
    spans = periods(_terms(interest_period="daily", days_in_year="365"))
    assert [span.fraction for span in spans] == [Fraction(31, 365), Fraction(29, 365),
                                                 Fraction(31, 365)]


def test_daily_interest_on_30_360_counts_each_whole_month_as_30_days() -> None:
    spans = periods(_terms(interest_period="daily", days_in_year="360", days_in_month="30",
                           disbursement_date="2024-01-31"))
    assert {span.fraction for span in spans} == {Fraction(30, 360)}


def test_actual_actual_splits_a_period_across_a_leap_year_boundary() -> None:
    spans = periods(_terms(interest_period="daily", disbursement_date="2023-12-15", term=1))
    assert spans[0].fraction == Fraction(17, 365) + Fraction(14, 366)


def test_a_broken_first_period_counts_its_actual_days() -> None:
    spans = periods(_terms(disbursement_date="2024-01-10", first_repayment_date="2024-02-01",
                           days_in_year="360"))
    assert not spans[0].regular
    assert spans[0].fraction == Fraction(22, 360)
    assert spans[1].regular and spans[1].fraction == Fraction(1, 12)


def test_thirty_day_months_count_whole_months_back_from_the_due_date() -> None:
    assert days_30(date(2024, 1, 10), date(2024, 3, 1)) == 30 + 22
    assert days_30(date(2023, 12, 15), date(2024, 2, 29)) == 60 + 14
    assert days_30(date(2024, 1, 1), date(2024, 1, 31)) == 30
