"""Contracts from booked terms and from a product version."""

from __future__ import annotations

from decimal import Decimal

from fengkong.loans import parse_terms
from fengkong.loans.account import (
    PenaltyRule,
    contract_for_product,
    contract_from_terms,
    penalty_rule,
)
from fengkong.loans.products import parse_product

from .support import money

TERMS = {"principal": "1000.00", "annual_rate": "12", "term": 3,
         "disbursement_date": "2024-01-31",
         "fees": {"upfront": {"percent": "2", "mode": "financed"}, "per_installment": "5",
                  "penalty_rate": {"daily_rate": "0.05", "base": "overdue_installment"},
                  "late_fee": {"amount": "20", "grace_days": 3}}}


def test_the_contract_carries_the_quotes_schedule_and_the_financed_principal() -> None:
    contract = contract_from_terms(parse_terms(TERMS))
    assert contract.principal == money("1020.00")
    assert sum(row.principal for row in contract.schedule) == contract.principal
    assert [row.due_date.isoformat() for row in contract.schedule] == [
        "2024-02-29", "2024-03-31", "2024-04-30"]
    assert {row.fee for row in contract.schedule} == {money("5.00")}


def test_the_penalty_rule_comes_from_the_terms_in_millionths_a_day() -> None:
    assert penalty_rule(parse_terms(TERMS)) == PenaltyRule(
        daily_rate_ppm=500, base="overdue_installment", late_fee=money("20.00"),
        late_fee_grace_days=3)
    bare = {key: value for key, value in TERMS.items() if key != "fees"}
    assert penalty_rule(parse_terms(bare)) is None
    only_fee = {**bare, "fees": {"late_fee": {"amount": "15"}}}
    assert penalty_rule(parse_terms(only_fee)) == PenaltyRule(0, "overdue_principal",
                                                              money("15.00"), 0)


def test_a_products_allocation_prepayment_fee_and_cap_ride_on_the_contract() -> None:
    params = parse_product({
        "principal_min": "500", "principal_max": "5000", "term_min": 1, "term_max": 12,
        "annual_rate_min": "5", "annual_rate_max": "24", "annual_cost_cap": "36",
        "allocation": "rbi", "prepayment_fee_percent": "1.5", "terms": {}})
    contract = contract_for_product(params, parse_terms(TERMS))
    assert (contract.allocation, contract.prepayment_fee_percent, contract.annual_cost_cap) == (
        "rbi", Decimal("1.5"), Decimal(36))
