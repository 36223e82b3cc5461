"""Contracts from booked terms: the schedule, the penalty rule and the product's settings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from fengkong.loans.account.types import LoanContract, PenaltyRule, ScheduledInstallment
from fengkong.loans.products import ProductParams
from fengkong.loans.schedule import installments
from fengkong.loans.terms import DECIMALS, LoanTerms


def penalty_rule(terms: LoanTerms) -> PenaltyRule | None:
    """The terms' penalty rate (percent a day, to whole millionths, half even) and late fee;
    None when they have neither."""
    rate, late = terms.fees.penalty_rate, terms.fees.late_fee
    if rate is None and late is None:
        return None
    with localcontext(DECIMALS):
        ppm = 0 if rate is None else int((rate.daily_rate * 10_000).quantize(
            Decimal(1), rounding=ROUND_HALF_EVEN))
    zero = Decimal(0).scaleb(-terms.digits)
    return PenaltyRule(
        daily_rate_ppm=ppm,
        base="overdue_principal" if rate is None else rate.base,
        late_fee=zero if late is None else late.amount.quantize(zero),
        late_fee_grace_days=0 if late is None else late.grace_days,
    )


def contract_from_terms(terms: LoanTerms, *,
                        allocation: str | Sequence[str] = "penalties_fees_interest_principal",
                        prepayment_fee_percent: Decimal = Decimal(0),
                        annual_cost_cap: Decimal | None = None) -> LoanContract:
    """The contract of a loan booked on `terms`: its schedule is the quote's."""
    rows = installments(terms)
    schedule = tuple(ScheduledInstallment(row.number, row.due_date, row.principal, row.interest,
                                          row.fees) for row in rows)
    with localcontext(DECIMALS):
        principal = sum((row.principal for row in schedule), Decimal(0).scaleb(-terms.digits))
    return LoanContract(
        principal=principal, disbursement_date=terms.disbursement_date, terms=terms,
        schedule=schedule,
        allocation=allocation if isinstance(allocation, str) else tuple(allocation),
        penalty=penalty_rule(terms), prepayment_fee_percent=prepayment_fee_percent,
        digits=terms.digits, annual_cost_cap=annual_cost_cap)


def contract_for_product(params: ProductParams, terms: LoanTerms) -> LoanContract:
    """The contract of a loan of a product version: its allocation order, prepayment fee and
    annual cost cap."""
    return contract_from_terms(terms, allocation=params.allocation,
                               prepayment_fee_percent=params.prepayment_fee_percent,
                               annual_cost_cap=params.annual_cost_cap)
