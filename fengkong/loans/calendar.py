"""Due dates and day counts: when installments fall due and what share of a year each period is.

Also how many periods make a year (for the APR).

Due dates are computed from one anchor (the disbursement date, or the first repayment date
when one is given), never from the previous due date, so a loan disbursed on 31 January falls
due on 28/29 February and again on 31 March.

The share of a year a period is worth (its year fraction) follows the terms:

- `same_as_repayment`: a whole period is worth the nominal fraction (`every`/12 for months,
  days/`days_in_year` for days and weeks; `actual` counts as 365 here).
- `daily`, and any broken first period: the period's days over `days_in_year`. Days are
  actual, or 30 to each whole month with `days_in_month` = 30. With `actual` days in both, each
  day counts against the length of its own calendar year (actual/actual ISDA).
"""

from __future__ import annotations

from calendar import isleap, monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from fengkong.loans.terms import Frequency, LoanTerms

_UNIT_DAYS = {"days": 1, "weeks": 7}


@dataclass(frozen=True, slots=True)
class Period:
    """One repayment period; `fraction` is the share of a year its interest is charged for."""

    start: date
    end: date
    regular: bool
    fraction: Fraction


def add_months(anchor: date, months: int) -> date:
    """`months` after `anchor`, on the anchor's day, or the last day of a shorter month."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    if anchor.day <= 28:   # every month has the day: skip the calendar look-up
        return date(year, month, anchor.day)
    return date(year, month, min(anchor.day, monthrange(year, month)[1]))


def shift(anchor: date, periods: int, frequency: Frequency) -> date:
    if frequency.unit == "months":
        return add_months(anchor, periods * frequency.every)
    return anchor + timedelta(days=periods * frequency.every * _UNIT_DAYS[frequency.unit])


def due_dates(terms: LoanTerms) -> list[date]:
    if terms.first_repayment_date is None:
        anchor, first = terms.disbursement_date, 1
    else:
        anchor, first = terms.first_repayment_date, 0
    return [shift(anchor, k, terms.frequency) for k in range(first, first + terms.term)]


def first_period_is_whole(terms: LoanTerms) -> bool:
    """False when the first repayment date makes a broken (shorter or longer) first period."""
    first = terms.first_repayment_date
    return first is None or first == shift(terms.disbursement_date, 1, terms.frequency)


def periods(terms: LoanTerms) -> list[Period]:
    dues = due_dates(terms)
    first_regular = first_period_is_whole(terms)
    starts = [terms.disbursement_date, *dues[:-1]]
    # Whole periods with interest per period are all worth the same: work it out once.
    whole = nominal_fraction(terms) if terms.interest_period == "same_as_repayment" else None
    result = []
    for k, (start, end) in enumerate(zip(starts, dues, strict=True)):
        regular = k > 0 or first_regular
        fraction = whole if regular and whole is not None else \
            year_fraction(start, end, regular, terms)
        result.append(Period(start, end, regular, fraction))
    return result


def year_fraction(start: date, end: date, regular: bool, terms: LoanTerms) -> Fraction:
    if regular and terms.interest_period == "same_as_repayment":
        return nominal_fraction(terms)
    frequency = terms.frequency
    if terms.days_in_month == "30":
        if regular and frequency.unit == "months":
            days = 30 * frequency.every
        else:
            days = days_30(start, end)
    else:
        days = (end - start).days
    if terms.days_in_year != "actual":
        return Fraction(days, int(terms.days_in_year))
    if terms.days_in_month == "30":
        return Fraction(days, _year_length(start.year))
    return _actual_actual(start, end)


def nominal_fraction(terms: LoanTerms) -> Fraction:
    """The year fraction of one whole period: the basis of the annuity's periodic rate."""
    every, unit = terms.frequency.every, terms.frequency.unit
    basis = 365 if terms.days_in_year == "actual" else int(terms.days_in_year)
    if unit != "months":
        return Fraction(every * _UNIT_DAYS[unit], basis)
    if terms.interest_period == "same_as_repayment":
        return Fraction(every, 12)
    # Daily interest over a calendar of 30-day months (360 days) or of 365 days.
    calendar_days = 360 if terms.days_in_month == "30" else 365
    return Fraction(every * calendar_days, 12 * basis)


def periods_per_year(frequency: Frequency) -> Fraction:
    """How many repayment periods a year holds: 12/every, 52/every or 365/every."""
    per_year = {"months": 12, "weeks": 52, "days": 365}[frequency.unit]
    return Fraction(per_year, frequency.every)


def days_30(start: date, end: date) -> int:
    """Days between dates counting 30 to each whole month (counted back from `end`), plus
    the actual days of the remaining stub, at most 30."""
    months = 0
    while add_months(end, -(months + 1)) >= start:
        months += 1
    stub = (add_months(end, -months) - start).days
    return 30 * months + min(stub, 30)


def _actual_actual(start: date, end: date) -> Fraction:
    fraction = Fraction(0)
    cursor = start
    while cursor < end:
        year_end = min(date(cursor.year + 1, 1, 1), end)
        fraction += Fraction((year_end - cursor).days, _year_length(cursor.year))
        cursor = year_end
    return fraction


def _year_length(year: int) -> int:
    return 366 if isleap(year) else 365
