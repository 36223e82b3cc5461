"""Apache Fineract's published schedules, reproduced to the fen."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from fengkong.loans import Quote, parse_terms, quote


def _quote(**terms: Any) -> Quote:
    return quote(parse_terms(terms))


def money(*values: str) -> list[Decimal]:
    return [Decimal(v) for v in values]


def test_a_small_annuity_at_9_4822_percent_on_30_360_matches_fineract() -> None:
    q = _quote(principal="100.00", annual_rate="9.4822", term=6, days_in_year="360",
               days_in_month="30", disbursement_date="2024-01-01")
    assert {row.total for row in q.installments} == {Decimal("17.13")}
    assert [row.interest for row in q.installments] == money(
        "0.79", "0.66", "0.53", "0.40", "0.27", "0.13")
    assert [row.balance for row in q.installments] == money(
        "83.66", "67.19", "50.59", "33.86", "17.00", "0.00")


LOAN_5000 = {"principal": "5000.00", "annual_rate": "12", "term": 18,
             "disbursement_date": "2022-11-01", "installment_multiple": "1"}


def test_a_flat_loan_rounds_the_installment_to_whole_yuan_and_the_last_absorbs_the_rest(
) -> None:
    q = _quote(**LOAN_5000, amortization="flat")
    *regular, last = q.installments
    assert len(regular) == 17
    assert {(row.principal, row.interest, row.total) for row in regular} == {
        (Decimal("278.00"), Decimal("50.00"), Decimal("328.00"))}
    assert [last.principal, last.interest, last.total] == money("274.00", "50.00", "324.00")
    assert q.total_interest == Decimal("900.00")


def test_equal_installments_with_period_interest_give_305_and_488_22_of_interest() -> None:
    q = _quote(**LOAN_5000, amortization="equal_installments",
               interest_period="same_as_repayment")
    first = q.installments[0]
    assert [first.total, first.principal, first.interest] == money("305.00", "255.00", "50.00")
    assert {row.total for row in q.installments[:-1]} == {Decimal("305.00")}
    assert q.total_interest == Decimal("488.22")


def test_equal_principal_repays_277_78_a_month_with_falling_interest() -> None:
    q = _quote(**LOAN_5000, amortization="equal_principal")
    assert {row.principal for row in q.installments[:-1]} == {Decimal("277.78")}
    assert [row.interest for row in q.installments[:4]] == money(
        "50.00", "47.22", "44.44", "41.67")
    assert q.total_interest == Decimal("475.00")
    assert q.total_principal == Decimal("5000.00")


@pytest.mark.parametrize("amortization", ["flat", "equal_installments", "equal_principal"])
def test_the_reference_loans_fall_due_on_the_first_of_each_month(amortization: str) -> None:
    q = _quote(**LOAN_5000, amortization=amortization)
    assert [row.due_date.isoformat() for row in q.installments][:3] == [
        "2022-12-01", "2023-01-01", "2023-02-01"]
    assert q.installments[-1].due_date.isoformat() == "2024-05-01"
