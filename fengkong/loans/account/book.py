"""The working state of one replay: the installments, the credit balance and the record so far."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from fengkong.core.money import ROUNDING_MODES
from fengkong.loans.account.allocation import Paid, Rule, allocation_order
from fengkong.loans.account.penalties import capped_ppm
from fengkong.loans.account.types import (
    PARTS,
    Allocation,
    InstallmentState,
    LoanContract,
    Split,
    Txn,
)
from fengkong.loans.terms import LoanTerms

Ending = Literal["closed", "settled_early", "written_off"]


@dataclass(slots=True)
class Book:
    contract: LoanContract
    terms: LoanTerms                 # the terms the current schedule segment was made with
    rows: list[InstallmentState]     # in due-date order, numbered 1..n
    rules: tuple[Rule, ...]
    zero: Decimal
    credit: Decimal
    penalties_through: date          # penalties are charged for every day up to this one
    ppm: int = 0
    ended: Ending | None = None
    closed_on: date | None = None
    restructured: bool = False
    recovered: Decimal = Decimal(0)
    capitalised: Decimal = Decimal(0)
    segment_start: int = 0           # index of the first row made with `terms`
    allocations: dict[str, Allocation] = field(default_factory=dict)

    @classmethod
    def open(cls, contract: LoanContract) -> Book:
        zero = Decimal(0).scaleb(-contract.digits)
        rows = []
        start = contract.disbursement_date
        for item in contract.schedule:
            row = new_row(zero, item.number, item.due_date, start, item.principal,
                          item.interest, item.fee)
            if row.outstanding == 0:   # an installment with nothing in it is born complete
                row.completed_on = item.due_date
            rows.append(row)
            start = item.due_date
        book = cls(contract=contract, terms=contract.terms, rows=rows,
                   rules=allocation_order(contract.allocation), zero=zero, credit=zero,
                   penalties_through=contract.disbursement_date, recovered=zero,
                   capitalised=zero)
        book.refresh_ppm()
        return book

    def refresh_ppm(self) -> None:
        rule = self.contract.penalty
        self.ppm = 0 if rule is None else capped_ppm(rule.daily_rate_ppm, self.terms.annual_rate,
                                                     self.contract.annual_cost_cap)

    def money(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.zero, rounding=ROUNDING_MODES[self.terms.rounding])

    def prorata(self, amount: Decimal, start: date, on: date, end: date) -> Decimal:
        """`amount` earned over [start, end), pro rata by days to `on`."""
        if on <= start:
            return self.zero
        if on >= end:
            return amount
        return self.money(amount * (on - start).days / (end - start).days)

    def prepayment_fee(self, principal: Decimal) -> Decimal:
        return self.money(principal * self.contract.prepayment_fee_percent / 100)

    def renumber(self) -> None:
        for number, row in enumerate(self.rows, 1):
            row.number = number

    def settle_rows(self, on: date) -> None:
        """Mark the installments nothing is owed on as complete, and the loan as closed when
        none is owed on any."""
        for row in self.rows:
            if row.completed_on is None and row.outstanding == 0:
                row.completed_on = on
        if self.ended is None and all(row.outstanding == 0 for row in self.rows):
            self.ended, self.closed_on = "closed", on

    def trial(self) -> Book:
        """A copy to try things on: its rows can change without touching this book."""
        return replace(self, rows=[copy.copy(row) for row in self.rows])


def new_row(zero: Decimal, number: int, due: date, start: date, principal: Decimal,
            interest: Decimal, fee: Decimal) -> InstallmentState:
    return InstallmentState(
        number, due, principal, interest, fee, zero, zero, zero, zero, zero, zero, zero, zero,
        None, start_date=start, principal_written_off=zero, interest_written_off=zero,
        fee_written_off=zero, penalty_written_off=zero, late_fee_charged=zero)


def splits(paid: Paid, zero: Decimal) -> tuple[Split, ...]:
    return tuple((number, parts.get("principal", zero), parts.get("interest", zero),
                  parts.get("fee", zero), parts.get("penalty", zero))
                 for number, parts in sorted(paid.items()))


def record(book: Book, txn: Txn, paid: Paid, *, overpayment: Decimal | None = None,
           prepayment_fee: Decimal | None = None, credit_used: Decimal | None = None,
           released: Decimal | None = None, recovered: Decimal | None = None) -> Allocation:
    """The allocation of `txn` from what it did to each installment."""
    zero = book.zero
    totals = {part: sum((parts.get(part, zero) for parts in paid.values()), zero)
              for part in PARTS}
    return Allocation(
        txn_id=txn.id, kind=txn.kind, value_date=txn.value_date,
        principal=totals["principal"], interest=totals["interest"], fee=totals["fee"],
        penalty=totals["penalty"], overpayment=zero if overpayment is None else overpayment,
        prepayment_fee=zero if prepayment_fee is None else prepayment_fee,
        by_installment=splits(paid, zero),
        credit_used=zero if credit_used is None else credit_used,
        released=zero if released is None else released,
        recovered=zero if recovered is None else recovered,
    )
