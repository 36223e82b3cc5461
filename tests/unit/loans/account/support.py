"""Shared builders for the loan-account tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fengkong.loans import parse_terms
from fengkong.loans.account import (
    AccountState,
    LoanContract,
    PenaltyRule,
    ScheduledInstallment,
    Txn,
    contract_from_terms,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def money(text: str) -> Decimal:
    return Decimal(text)


def loan(**overrides: Any) -> LoanContract:
    """A loan booked on terms (1,200.00 at 12 %, 12 months, equal principal, from 2024-01-15
    unless overridden); contract options ride along as keywords."""
    options = {key: overrides.pop(key) for key in
               ("allocation", "prepayment_fee_percent", "annual_cost_cap") if key in overrides}
    terms = {"principal": "1200.00", "annual_rate": "12", "term": 12,
             "amortization": "equal_principal", "disbursement_date": "2024-01-15", **overrides}
    return contract_from_terms(parse_terms(terms), **options)


def three_installments(allocation: str | tuple[str, ...] = "penalties_fees_interest_principal",
                       penalty: PenaltyRule | None = None) -> LoanContract:
    """3,000.00 in three installments of 1,000.00 principal, interest 30/20/10 and a 5.00
    fee, due on the first of February, March and April 2024."""
    terms = parse_terms({"principal": "3000.00", "annual_rate": "12", "term": 3,
                         "disbursement_date": "2024-01-01"})
    schedule = tuple(
        ScheduledInstallment(n, d(due), money("1000.00"), money(interest), money("5.00"))
        for n, due, interest in ((1, "2024-02-01", "30.00"), (2, "2024-03-01", "20.00"),
                                 (3, "2024-04-01", "10.00")))
    return LoanContract(principal=money("3000.00"), disbursement_date=d("2024-01-01"),
                        terms=terms, schedule=schedule, allocation=allocation, penalty=penalty,
                        prepayment_fee_percent=Decimal(0))


def txn(id: str, kind: str, on: str, amount: str = "0", **fields: Any) -> Txn:
    return Txn(id=id, kind=kind, value_date=d(on), amount=Decimal(amount),  # type: ignore[arg-type]
               **fields)


def rows_of(state: AccountState) -> list[tuple[Any, ...]]:
    """Each installment as (due date, principal, interest, fee) — the schedule's shape."""
    return [(r.due_date, r.principal, r.interest, r.fee) for r in state.installments]
