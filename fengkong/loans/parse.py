"""Loan terms from JSON-like input, every broken rule an `InvalidInput` naming its field.

Nested fields are dotted, e.g. `fees.upfront.percent`.

Money is a decimal string (or an int): floats are refused. Rates are percentages and may also
be JSON numbers. Unknown keys are refused, so a misspelt option never goes unnoticed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from fengkong.core.errors import InvalidInput
from fengkong.core.money import parse_amount
from fengkong.loans.calendar import shift
from fengkong.loans.terms import (
    AMORTIZATIONS,
    DAYS_IN_MONTH,
    DAYS_IN_YEAR,
    INTEREST_PERIODS,
    PENALTY_BASES,
    ROUNDINGS,
    UNITS,
    UPFRONT_MODES,
    Amortization,
    DaysInMonth,
    DaysInYear,
    Fees,
    Frequency,
    InterestPeriod,
    LateFee,
    LoanTerms,
    PenaltyBase,
    PenaltyRate,
    Rounding,
    Unit,
    UpfrontFee,
    UpfrontMode,
)

MAX_PRINCIPAL = Decimal(10) ** 12
MAX_ANNUAL_RATE = Decimal(100)   # percent a year; product caps are checked elsewhere
MAX_DAILY_PENALTY = Decimal(1)   # percent a day
MAX_TERM = 1200
MAX_EVERY = {"days": 366, "weeks": 52, "months": 12}
FREQUENCIES = {
    "daily": Frequency(1, "days"),
    "weekly": Frequency(1, "weeks"),
    "biweekly": Frequency(2, "weeks"),
    "monthly": Frequency(1, "months"),
    "quarterly": Frequency(3, "months"),
}

_KEYS = frozenset({
    "principal", "annual_rate", "term", "frequency", "amortization", "interest_period",
    "days_in_year", "days_in_month", "disbursement_date", "first_repayment_date",
    "grace_on_principal", "grace_on_interest", "digits", "installment_multiple", "rounding",
    "balloon_amount", "fees",
})
_FEE_KEYS = frozenset({"upfront", "per_installment", "late_fee", "penalty_rate"})


def parse_terms(data: Mapping[str, Any]) -> LoanTerms:
    _known_keys(data, _KEYS, "")
    digits = _integer(data, "digits", 2, 0, 6)
    term = _integer(data, "term", None, 1, MAX_TERM)
    principal = _money(data, "principal", digits, required=True, positive=True,
                       at_most=MAX_PRINCIPAL)
    amortization = _choice(data, "amortization", AMORTIZATIONS, "equal_installments")
    disbursed = _date(data, "disbursement_date", required=True)
    assert disbursed is not None
    first_due = _date(data, "first_repayment_date")
    if first_due is not None and first_due <= disbursed:
        raise InvalidInput("the first repayment must fall after the disbursement",
                           code="before_disbursement", field="first_repayment_date")
    fees = _fees(data.get("fees"), principal, digits)
    terms = LoanTerms(
        principal=principal,
        annual_rate=_rate(data, "annual_rate", MAX_ANNUAL_RATE),
        term=term,
        disbursement_date=disbursed,
        frequency=_frequency(data.get("frequency", "monthly")),
        amortization=cast(Amortization, amortization),
        interest_period=cast(InterestPeriod, _choice(data, "interest_period", INTEREST_PERIODS,
                                          "same_as_repayment")),
        days_in_year=cast(DaysInYear, _choice(data, "days_in_year", DAYS_IN_YEAR, "actual")),
        days_in_month=cast(DaysInMonth, _choice(data, "days_in_month", DAYS_IN_MONTH, "actual")),
        first_repayment_date=first_due,
        grace_on_principal=_grace(data, "grace_on_principal", term, amortization),
        grace_on_interest=_grace(data, "grace_on_interest", term, amortization),
        digits=digits,
        installment_multiple=_multiple(data, digits),
        rounding=cast(Rounding, _choice(data, "rounding", ROUNDINGS, "half_even")),
        balloon_amount=_balloon(data, amortization, digits),
        fees=fees,
    )
    _check_amounts(terms)
    _check_calendar(terms)
    return terms


def _check_amounts(terms: LoanTerms) -> None:
    if terms.disbursed_amount <= 0:
        raise InvalidInput("a deducted upfront fee must leave something to disburse",
                           code="fee_exceeds_principal", field="fees.upfront")
    if terms.amortization == "balloon" and terms.balloon_amount >= terms.financed_principal:
        raise InvalidInput("the balloon must be less than the principal",
                           code="balloon_too_large", field="balloon_amount")


def _check_calendar(terms: LoanTerms) -> None:
    anchor = terms.first_repayment_date or terms.disbursement_date
    try:
        shift(anchor, terms.term, terms.frequency)
    except (OverflowError, ValueError):
        raise InvalidInput("the loan would mature after the year 9999", code="out_of_range",
                           field="term") from None


def _known_keys(data: object, allowed: frozenset[str], prefix: str) -> None:
    if not isinstance(data, Mapping):
        raise InvalidInput("expected an object", code="invalid_type",
                           field=prefix.rstrip(".") or None)
    for key in data:
        if key not in allowed:
            raise InvalidInput(f"unknown field {key!r}", code="unknown_field",
                               field=f"{prefix}{key}")


def _missing(field: str) -> InvalidInput:
    return InvalidInput(f"{field} is required", code="missing_field", field=field)


def _integer(data: Mapping[str, Any], key: str, default: int | None, low: int, high: int,
             prefix: str = "") -> int:
    field = prefix + key
    value = data.get(key, default)
    if value is None:
        raise _missing(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number", code="invalid_type", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"{field} must be from {low} to {high}", code="out_of_range",
                           field=field)
    return value


def _choice(data: Mapping[str, Any], key: str, options: tuple[str, ...], default: str,
            prefix: str = "") -> str:
    value = data.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)   # days_in_year: 360 and "360" alike
    if value not in options:
        raise InvalidInput(f"{prefix}{key} must be one of {', '.join(options)}",
                           code="invalid_choice", field=prefix + key)
    return cast(str, value)


def _money(data: Mapping[str, Any], key: str, digits: int, *, prefix: str = "",
           required: bool = False, positive: bool = False,
           at_most: Decimal | None = None) -> Decimal:
    field = prefix + key
    if data.get(key) is None:
        if required:
            raise _missing(field)
        return Decimal(0)
    amount = parse_amount(data[key], field=field)
    if amount < 0 or (positive and amount == 0):
        raise InvalidInput(f"{field} must be {'positive' if positive else 'zero or more'}",
                           code="not_positive" if positive else "negative_amount", field=field)
    if at_most is not None and amount > at_most:
        raise InvalidInput(f"{field} must be at most {at_most}", code="out_of_range",
                           field=field)
    if amount.as_tuple().exponent < -digits:  # type: ignore[operator]
        raise InvalidInput(f"{field} has more than {digits} decimal places",
                           code="too_many_decimals", field=field)
    return amount


def _rate(data: Mapping[str, Any], key: str, high: Decimal, prefix: str = "") -> Decimal:
    field = prefix + key
    value = data.get(key)
    if value is None:
        raise _missing(field)
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise InvalidInput(f"{field} must be a number", code="invalid_type", field=field)
    try:
        rate = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidInput(f"{value!r} is not a number", code="invalid_number",
                           field=field) from None
    if not rate.is_finite() or not 0 <= rate <= high:
        raise InvalidInput(f"{field} must be a percentage from 0 to {high}",
                           code="out_of_range", field=field)
    return rate


def _date(data: Mapping[str, Any], key: str, required: bool = False) -> date | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _missing(key)
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{key} must be a date as YYYY-MM-DD", code="invalid_date",
                           field=key) from None


def _frequency(value: object) -> Frequency:
    if isinstance(value, str):
        if value not in FREQUENCIES:
            raise InvalidInput(f"frequency must be one of {', '.join(FREQUENCIES)} "
                               "or an object {every, unit}", code="invalid_choice",
                               field="frequency")
        return FREQUENCIES[value]
    _known_keys(value, frozenset({"every", "unit"}), "frequency.")
    assert isinstance(value, Mapping)
    unit = _choice(value, "unit", UNITS, "months", "frequency.")
    every = _integer(value, "every", 1, 1, MAX_EVERY[unit], "frequency.")
    return Frequency(every, cast(Unit, unit))


def _grace(data: Mapping[str, Any], key: str, term: int, amortization: str) -> int:
    grace = _integer(data, key, 0, 0, MAX_TERM)
    if grace and amortization == "bullet":
        raise InvalidInput("a bullet loan has a single installment: no grace applies",
                           code="not_applicable", field=key)
    if grace >= term:
        raise InvalidInput(f"{key} must be less than the term", code="grace_too_long",
                           field=key)
    return grace


def _multiple(data: Mapping[str, Any], digits: int) -> Decimal | None:
    if data.get("installment_multiple") is None:
        return None
    return _money(data, "installment_multiple", digits, positive=True, at_most=MAX_PRINCIPAL)


def _balloon(data: Mapping[str, Any], amortization: str, digits: int) -> Decimal:
    if amortization != "balloon":
        if data.get("balloon_amount") is not None:
            raise InvalidInput("balloon_amount applies to balloon loans only",
                               code="not_applicable", field="balloon_amount")
        return Decimal(0)
    return _money(data, "balloon_amount", digits, required=True, positive=True)


def _fees(value: object, principal: Decimal, digits: int) -> Fees:
    if value is None:
        return Fees()
    _known_keys(value, _FEE_KEYS, "fees.")
    assert isinstance(value, Mapping)
    return Fees(
        upfront=_upfront(value.get("upfront"), digits),
        per_installment=_money(value, "per_installment", digits, prefix="fees.",
                               at_most=MAX_PRINCIPAL),
        late_fee=_late_fee(value.get("late_fee"), digits),
        penalty_rate=_penalty(value.get("penalty_rate")),
    )


def _upfront(value: object, digits: int) -> UpfrontFee | None:
    if value is None:
        return None
    prefix = "fees.upfront."
    _known_keys(value, frozenset({"amount", "percent", "mode"}), prefix)
    assert isinstance(value, Mapping)
    mode = _choice(value, "mode", UPFRONT_MODES, "deducted", prefix)
    if (value.get("amount") is None) == (value.get("percent") is None):
        raise InvalidInput("an upfront fee is either an amount or a percent of the principal",
                           code="invalid_fee", field="fees.upfront")
    if value.get("amount") is not None:
        amount = _money(value, "amount", digits, prefix=prefix, at_most=MAX_PRINCIPAL)
        return UpfrontFee(amount=amount, mode=cast(UpfrontMode, mode))
    percent = _rate(value, "percent", Decimal(100), prefix)
    return UpfrontFee(percent=percent, mode=cast(UpfrontMode, mode))


def _late_fee(value: object, digits: int) -> LateFee | None:
    if value is None:
        return None
    prefix = "fees.late_fee."
    _known_keys(value, frozenset({"amount", "grace_days"}), prefix)
    assert isinstance(value, Mapping)
    return LateFee(amount=_money(value, "amount", digits, prefix=prefix, required=True,
                                 at_most=MAX_PRINCIPAL),
                   grace_days=_integer(value, "grace_days", 0, 0, 366, prefix))


def _penalty(value: object) -> PenaltyRate | None:
    if value is None:
        return None
    prefix = "fees.penalty_rate."
    _known_keys(value, frozenset({"daily_rate", "base"}), prefix)
    assert isinstance(value, Mapping)
    return PenaltyRate(daily_rate=_rate(value, "daily_rate", MAX_DAILY_PENALTY, prefix),
                       base=cast(PenaltyBase, _choice(value, "base", PENALTY_BASES,
                                              "overdue_principal", prefix)))
