"""Repayment schedules: how each installment splits into principal, interest and fees.

Conventions, as in Apache Fineract's cumulative schedules:

- Each period's interest is rounded on its own to `digits` with the loan's rounding mode
  (a flat loan's last period takes whatever makes its interest exactly principal × rate ×
  term, rounded once).
- A fixed installment (equal installments, flat, balloon) is rounded to `digits`, or to
  `installment_multiple` when one is set; its principal part is the installment less the
  period's interest.
- The last installment repays whatever balance is left, so principal parts sum exactly to
  the principal lent and rounding residue never survives the schedule.
- Grace on principal: the first periods repay no principal; the installment is worked out
  over the periods that remain. Grace on interest: interest is still charged for the first
  periods but paid with the first installment after the grace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from fengkong.core.money import ROUNDING_MODES
from fengkong.loans.calendar import Period, nominal_fraction, periods
from fengkong.loans.terms import DECIMALS, FIXED_INSTALLMENT, LoanTerms

ZERO = Decimal(0)
ONE = Decimal(1)

# (principal, interest) of one installment, before fees.
Split = tuple[Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    total: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True)
class Rounder:
    """Rounds money to the loan's digits, and installments to its multiple when it has one."""

    exponent: Decimal
    mode: str
    multiple: Decimal | None

    @classmethod
    def of(cls, terms: LoanTerms) -> Rounder:
        multiple = terms.installment_multiple if terms.amortization in FIXED_INSTALLMENT else None
        return cls(Decimal(1).scaleb(-terms.digits), ROUNDING_MODES[terms.rounding], multiple)

    @property
    def zero(self) -> Decimal:
        return self.exponent * 0   # 0 with the loan's decimal places

    def money(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.exponent, rounding=self.mode)

    def installment(self, amount: Decimal) -> Decimal:
        if self.multiple is None:
            return self.money(amount)
        units = (amount / self.multiple).quantize(ONE, rounding=self.mode)
        return self.money(units * self.multiple)


def installments(terms: LoanTerms) -> tuple[Installment, ...]:
    """The schedule of a loan: one row per installment, with the balance left after it."""
    with localcontext(DECIMALS):
        return _installments(terms)


def _installments(terms: LoanTerms) -> tuple[Installment, ...]:
    spans = periods(terms)
    rounder = Rounder.of(terms)
    if terms.amortization == "bullet":
        splits = [_bullet(terms, spans, rounder)]
        dues = [spans[-1].end]
    else:
        splits = _defer_interest(_AMORTIZERS[terms.amortization](terms, spans, rounder),
                                 terms.grace_on_interest, rounder.zero)
        dues = [span.end for span in spans]
    # Every amount below is already rounded, so sums keep exactly `digits` places.
    fee = rounder.money(terms.fees.per_installment)
    balance = rounder.money(terms.financed_principal)
    rows = []
    for number, (due, (principal, interest)) in enumerate(zip(dues, splits, strict=True), 1):
        balance -= principal
        rows.append(Installment(number, due, principal, interest, fee,
                                principal + interest + fee, balance))
    return tuple(rows)


def periodic_rate(terms: LoanTerms) -> Decimal:
    """The interest rate of one whole period, as a fraction (not a percentage)."""
    return _times(terms.annual_rate / 100, nominal_fraction(terms))


def annuity(principal: Decimal, rate: Decimal, periods: int, residual: Decimal = ZERO
            ) -> Decimal:
    """The level payment that repays `principal` in `periods` at `rate` a period, leaving
    `residual` (a balloon) due at the end; unrounded."""
    if rate == 0:
        return (principal - residual) / periods
    discount = (ONE + rate) ** -periods
    return (principal - residual * discount) * rate / (ONE - discount)


def _equal_installments(terms: LoanTerms, spans: list[Period], rounder: Rounder) -> list[Split]:
    paying = terms.term - terms.grace_on_principal
    level = rounder.installment(annuity(terms.financed_principal, periodic_rate(terms), paying,
                                        terms.balloon_amount))
    return _declining(terms, spans, rounder, lambda interest: level - interest)


def _equal_principal(terms: LoanTerms, spans: list[Period], rounder: Rounder) -> list[Split]:
    part = rounder.money(terms.financed_principal / (terms.term - terms.grace_on_principal))
    return _declining(terms, spans, rounder, lambda interest: part)


def _interest_only(terms: LoanTerms, spans: list[Period], rounder: Rounder) -> list[Split]:
    zero = rounder.zero
    return _declining(terms, spans, rounder, lambda interest: zero)


def _flat(terms: LoanTerms, spans: list[Period], rounder: Rounder) -> list[Split]:
    """Interest on the original principal every period, and in all exactly the principal ×
    rate × term, rounded once (the figure a flat loan is sold on): the last period takes the
    residue of rounding each period. The principal part is fixed so that a whole period's
    installment is the rounded installment."""
    lent = rounder.money(terms.financed_principal)
    rate = terms.annual_rate / 100
    whole_period = rounder.money(_times(lent * rate, nominal_fraction(terms)))
    level = rounder.installment(lent / (terms.term - terms.grace_on_principal) + whole_period)
    part = level - whole_period
    splits = _declining(terms, spans, rounder, lambda interest: part, interest_base=lent)
    contract = _simple_interest(terms, spans, rounder)
    principal, _ = splits[-1]
    paid_before = sum((interest for _, interest in splits[:-1]), rounder.zero)
    splits[-1] = (principal, max(contract - paid_before, rounder.zero))
    return splits


def _declining(terms: LoanTerms, spans: list[Period], rounder: Rounder,
               principal_due: Callable[[Decimal], Decimal],
               interest_base: Decimal | None = None) -> list[Split]:
    """Walk the periods: interest on the balance (or on `interest_base` for flat loans), the
    principal the method asks for (never below zero, never above the balance), and the whole
    remaining balance in the last period."""
    rate = terms.annual_rate / 100
    balance = rounder.money(terms.financed_principal)
    zero = rounder.zero
    last = len(spans) - 1
    grace = terms.grace_on_principal
    splits = []
    for k, span in enumerate(spans):
        base = balance if interest_base is None else interest_base
        interest = rounder.money(_times(base * rate, span.fraction)) if balance else zero
        if k == last:
            principal = balance
        elif k < grace:
            principal = zero
        else:
            principal = min(max(principal_due(interest), zero), balance)
        balance -= principal
        splits.append((principal, interest))
    return splits


def _bullet(terms: LoanTerms, spans: list[Period], rounder: Rounder) -> Split:
    """Everything at maturity: the principal and simple interest over the whole term."""
    return rounder.money(terms.financed_principal), _simple_interest(terms, spans, rounder)


def _simple_interest(terms: LoanTerms, spans: list[Period], rounder: Rounder) -> Decimal:
    """Interest on the principal lent, over every period of the term, rounded once."""
    fraction = sum((span.fraction for span in spans), Fraction(0))
    lent = rounder.money(terms.financed_principal)
    return rounder.money(_times(lent * terms.annual_rate / 100, fraction))


def _defer_interest(splits: list[Split], grace: int, zero: Decimal) -> list[Split]:
    """Interest charged during the grace on interest is paid with the next installment."""
    if not grace:
        return splits
    deferred = sum((interest for _, interest in splits[:grace]), zero)
    principal, interest = splits[grace]
    return [(p, zero) for p, _ in splits[:grace]] + [(principal, interest + deferred)] \
        + splits[grace + 1:]


def _times(amount: Decimal, fraction: Fraction) -> Decimal:
    # Multiply before dividing so that 1/12 and the like lose nothing.
    return amount * fraction.numerator / fraction.denominator


_AMORTIZERS: dict[str, Callable[[LoanTerms, list[Period], Rounder], list[Split]]] = {
    "equal_installments": _equal_installments,
    "balloon": _equal_installments,
    "equal_principal": _equal_principal,
    "interest_only": _interest_only,
    "flat": _flat,
}
