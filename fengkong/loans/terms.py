"""The terms of a loan to be quoted: frozen values, already validated by `parse_terms`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Literal, get_args

from fengkong.core.money import quantize

Amortization = Literal["equal_installments", "equal_principal", "flat", "interest_only",
                       "bullet", "balloon"]
InterestPeriod = Literal["same_as_repayment", "daily"]
DaysInYear = Literal["actual", "360", "365"]
DaysInMonth = Literal["actual", "30"]
Unit = Literal["days", "weeks", "months"]
Rounding = Literal["half_even", "half_up", "down", "up"]
UpfrontMode = Literal["deducted", "financed"]
PenaltyBase = Literal["overdue_principal", "overdue_installment"]

# The loan maths runs in this context, so that a caller's precision or rounding never changes
# a schedule; 34 digits hold a trillion to six places with room to spare.
DECIMALS = Context(prec=34, rounding=ROUND_HALF_EVEN)

AMORTIZATIONS: tuple[str, ...] = get_args(Amortization)
INTEREST_PERIODS: tuple[str, ...] = get_args(InterestPeriod)
DAYS_IN_YEAR: tuple[str, ...] = get_args(DaysInYear)
DAYS_IN_MONTH: tuple[str, ...] = get_args(DaysInMonth)
UNITS: tuple[str, ...] = get_args(Unit)
ROUNDINGS: tuple[str, ...] = get_args(Rounding)
UPFRONT_MODES: tuple[str, ...] = get_args(UpfrontMode)
PENALTY_BASES: tuple[str, ...] = get_args(PenaltyBase)

# Amortizations whose installment is one fixed amount, so `installment_multiple` applies.
FIXED_INSTALLMENT: frozenset[str] = frozenset({"equal_installments", "flat", "balloon"})


@dataclass(frozen=True, slots=True)
class Frequency:
    """Repayment every `every` days, weeks or months."""

    every: int = 1
    unit: Unit = "months"


@dataclass(frozen=True, slots=True)
class UpfrontFee:
    """A fee charged at disbursement, a fixed `amount` or a `percent` of the principal; either
    taken out of the money paid out (`deducted`) or lent on top of the principal (`financed`)."""

    amount: Decimal | None = None
    percent: Decimal | None = None
    mode: UpfrontMode = "deducted"


@dataclass(frozen=True, slots=True)
class LateFee:
    """A flat fee once an installment is more than `grace_days` late (close of business)."""

    amount: Decimal
    grace_days: int = 0


@dataclass(frozen=True, slots=True)
class PenaltyRate:
    """Penalty interest (罚息): `daily_rate` percent a day on the overdue base."""

    daily_rate: Decimal
    base: PenaltyBase = "overdue_principal"


@dataclass(frozen=True, slots=True)
class Fees:
    upfront: UpfrontFee | None = None
    per_installment: Decimal = Decimal(0)
    # Late fee and penalty belong to close of business; kept here so a product carries them,
    # but they never change a quote.
    late_fee: LateFee | None = None
    penalty_rate: PenaltyRate | None = None


@dataclass(frozen=True, slots=True)
class LoanTerms:
    """What a quote is computed from. `annual_rate` is a percentage: 9.4822 means 9.4822 %."""

    principal: Decimal
    annual_rate: Decimal
    term: int
    disbursement_date: date
    frequency: Frequency = field(default_factory=Frequency)
    amortization: Amortization = "equal_installments"
    interest_period: InterestPeriod = "same_as_repayment"
    days_in_year: DaysInYear = "actual"
    days_in_month: DaysInMonth = "actual"
    first_repayment_date: date | None = None
    grace_on_principal: int = 0
    grace_on_interest: int = 0
    digits: int = 2
    installment_multiple: Decimal | None = None
    rounding: Rounding = "half_even"
    balloon_amount: Decimal = Decimal(0)
    fees: Fees = field(default_factory=Fees)

    @property
    def upfront_fee(self) -> Decimal:
        upfront = self.fees.upfront
        with localcontext(DECIMALS):
            if upfront is None:
                return quantize(Decimal(0), self.digits)
            if upfront.amount is not None:
                return quantize(upfront.amount, self.digits)
            assert upfront.percent is not None
            return quantize(self.principal * upfront.percent / 100, self.digits, self.rounding)

    @property
    def financed_principal(self) -> Decimal:
        """The principal the schedule repays: a financed upfront fee is lent as well."""
        upfront = self.fees.upfront
        if upfront is not None and upfront.mode == "financed":
            with localcontext(DECIMALS):
                return self.principal + self.upfront_fee
        return self.principal

    @property
    def disbursed_amount(self) -> Decimal:
        """What the borrower receives: a deducted upfront fee is kept back."""
        upfront = self.fees.upfront
        if upfront is not None and upfront.mode == "deducted":
            with localcontext(DECIMALS):
                return self.principal - self.upfront_fee
        return self.principal
