"""Penalty interest (罚息) and late fees, charged day by day on overdue installments.

The rule, which the set-based close of business applies in SQL as well:

- Day d of an installment's lateness runs from its due date + 1. The base for day d is taken
  at the end of the day (after every transaction dated d or earlier): the installment's
  outstanding principal (`overdue_principal`) or its outstanding principal + interest + fee
  (`overdue_installment`; penalties never bear penalties). Money paid on a day stops that
  day's penalty, and the close of business, running at the end of the day, sees the same
  base in the stored installments.
- The penalty for the day, in minor units (fen), is `penalty_for_day(base_fen, ppm)`:
  rounded half up, on each day on its own.
- The late fee is charged once, on day due date + grace + 1, if principal, interest or fee is
  still owed at the end of that day.
- Nothing is charged once the loan is closed, settled or written off.
- The cost cap: the daily rate is lowered so that the contract's annual rate plus the
  penalty's yearly rate (ppm × 365 / 10^4 percent) stays within the product's annual cost
  cap (`capped_ppm`). The late fee is not capped.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fengkong.loans.account.book import Book

_ONE_DAY = timedelta(days=1)


def penalty_for_day(base_fen: int, daily_rate_ppm: int) -> int:
    """Penalty interest for one day on `base_fen`, in fen, rounded half up."""
    return (base_fen * daily_rate_ppm + 500_000) // 1_000_000


def capped_ppm(daily_rate_ppm: int, annual_rate: Decimal, annual_cost_cap: Decimal | None
               ) -> int:
    """The daily rate, lowered so that annual_rate + ppm × 365 / 10^4 ≤ annual_cost_cap (all in
    percent a year); whole ppm, rounded down, never below zero."""
    if annual_cost_cap is None:
        return daily_rate_ppm
    room = (annual_cost_cap - annual_rate) * 10_000 // 365
    return max(0, min(daily_rate_ppm, int(room)))


def to_minor(amount: Decimal, digits: int) -> int:
    return int(amount.scaleb(digits))


def from_minor(units: int, digits: int) -> Decimal:
    return Decimal(units).scaleb(-digits)


def accrue(book: Book, through: date) -> None:
    """Charge the penalties of every day after `book.penalties_through` up to `through`.

    No transaction falls inside the span, so each installment's base is the same every day
    of it, and the days are charged at once: days × penalty_for_day(base)."""
    start = book.penalties_through
    if through <= start:
        return
    book.penalties_through = through
    rule = book.contract.penalty
    if rule is None or book.ended is not None:
        return
    digits = book.contract.digits
    grace = timedelta(days=rule.late_fee_grace_days)
    for row in book.rows:
        if row.due_date >= through:
            break     # rows are in due-date order: none later is late yet
        unpaid = row.unpaid_installment
        if unpaid <= 0:
            continue
        first = max(start, row.due_date) + _ONE_DAY
        base = row.principal_outstanding if rule.base == "overdue_principal" else unpaid
        days = (through - first).days + 1
        if book.ppm and base > 0:
            charge = from_minor(penalty_for_day(to_minor(base, digits), book.ppm) * days,
                                digits)
            row.add("penalty", charge)
        fee_day = row.due_date + grace + _ONE_DAY
        if rule.late_fee > 0 and start < fee_day <= through:
            row.add("penalty", rule.late_fee)
            row.add("late_fee_charged", rule.late_fee)
