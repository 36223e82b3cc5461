"""The engine's values as table rows and back: contracts from stored terms, transactions
from stored rows, and a replayed state as column values in integer fen."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fengkong.core.money import from_minor, to_minor
from fengkong.loans.account import (
    AccountState,
    LoanContract,
    Txn,
    capped_ppm,
    contract_for_product,
)
from fengkong.loans.models import LoanTransaction
from fengkong.loans.parse import parse_terms
from fengkong.loans.products import ProductParams


def contract_of(terms_input: Mapping[str, Any], params: ProductParams) -> LoanContract:
    """The contract of stored terms. The schedule is derived from the terms every time: the
    same terms give the same schedule, so it is never stored twice."""
    return contract_for_product(params, parse_terms(terms_input))


def penalty_columns(contract: LoanContract) -> dict[str, Any]:
    """The penalty settings the set-based close of business reads from the loan row."""
    rule = contract.penalty
    if rule is None:
        return {"penalty_ppm": 0, "penalty_base": "overdue_principal", "late_fee_fen": 0,
                "late_fee_grace_days": 0}
    return {"penalty_ppm": capped_ppm(rule.daily_rate_ppm, contract.terms.annual_rate,
                                      contract.annual_cost_cap),
            "penalty_base": rule.base, "late_fee_fen": to_minor(rule.late_fee),
            "late_fee_grace_days": rule.late_fee_grace_days}


def txn_of(row: LoanTransaction) -> Txn:
    return Txn(id=row.id, kind=row.kind, value_date=row.value_date,  # type: ignore[arg-type]
               amount=from_minor(row.amount_fen), component=row.component, mode=row.mode,
               new_terms=row.new_terms, reversed=row.reversed_at is not None)


def installment_rows(state: AccountState) -> list[dict[str, Any]]:
    return [{
        "number": i.number, "due_date": i.due_date,
        "principal_fen": to_minor(i.principal), "interest_fen": to_minor(i.interest),
        "fee_fen": to_minor(i.fee), "penalty_fen": to_minor(i.penalty),
        "principal_paid_fen": to_minor(i.principal_paid),
        "interest_paid_fen": to_minor(i.interest_paid), "fee_paid_fen": to_minor(i.fee_paid),
        "penalty_paid_fen": to_minor(i.penalty_paid),
        "interest_waived_fen": to_minor(i.interest_waived),
        "fee_waived_fen": to_minor(i.fee_waived),
        "penalty_waived_fen": to_minor(i.penalty_waived),
        "completed_on": i.completed_on,
    } for i in state.installments]


_ALLOCATION = ("principal", "interest", "fee", "penalty", "overpayment", "prepayment_fee",
               "credit_used", "released")


def allocation_columns(state: AccountState, txn_id: str) -> dict[str, int]:
    alloc = state.allocations.get(txn_id)
    return {f"{name}_fen": 0 if alloc is None else to_minor(getattr(alloc, name))
            for name in _ALLOCATION}


def summary_columns(state: AccountState) -> dict[str, Any]:
    """The loan row's summary of a replayed state."""
    return {
        "status": state.status,
        "closed_on": state.closed_on,
        "maturity_date": state.installments[-1].due_date if state.installments else None,
        "principal_outstanding_fen": to_minor(state.principal_outstanding),
        "interest_due_fen": to_minor(state.interest_due),
        "fee_due_fen": to_minor(state.fees_due),
        "penalty_due_fen": to_minor(state.penalties_due),
        "penalty_charged_fen": to_minor(sum((i.penalty for i in state.installments),
                                            from_minor(0))),
        "credit_balance_fen": to_minor(state.credit_balance),
        "written_off_fen": to_minor(state.written_off),
        "days_past_due": state.days_past_due,
        "oldest_unpaid_due_date": state.oldest_unpaid_due_date,
        "penalty_ppm": state.penalty_rate_ppm,
    }


def bucket_for(days_past_due: int, params: ProductParams) -> str:
    for bucket in params.delinquency_buckets:
        if days_past_due >= bucket.min_days and (bucket.max_days is None
                                                 or days_past_due <= bucket.max_days):
            return bucket.code
    return params.delinquency_buckets[-1].code


def as_of_date(*dates: date | None) -> date:
    return max(d for d in dates if d is not None)
