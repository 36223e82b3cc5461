"""Cutting the schedule on a date, and making a new one: partial prepayment and restructuring.

Conventions (Fineract's interest-recalculation behaviour, made exact):

- A cut on date D cancels every installment due after D. Interest of the current period
  (the first installment due after D) is kept pro rata by days to D, in a stub installment
  due on D; later interest and fees are cancelled. Principal paid in advance on cancelled
  installments stays paid on the stub; interest and fees paid in advance pay the stub's
  interest, and what is left of them goes back to the credit balance (`released`).
- Partial prepayment on D: cut; pay what is due by D (the stub included) in the loan's
  allocation order; the rest is principal prepaid p plus the prepayment fee on p (the
  largest p with p + fee(p) within the rest; what is left becomes overpayment); then the
  remaining principal gets a new schedule with the booked terms (same rate, amortization,
  day count, rounding, per-installment fee) from D, falling due on the cancelled
  installments' dates. `reduce_installment` keeps their number; `reduce_term` keeps the
  installment amount: the fewest installments none of which is larger than the largest
  cancelled one. Interest-only, bullet and balloon loans have no installment to keep, so
  they always keep the number.
- Restructure on D: cut; then everything owed by D — overdue and due principal, interest
  (the stub's accrued interest included), fees and penalties — is capitalised with the
  not-yet-due principal into the new principal, on which `new_terms` make a new schedule
  from D. Old installments are left complete: their capitalised parts are taken off them,
  and `capitalised` counts the interest, fees and penalties that became principal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from fengkong.core.errors import InvalidInput
from fengkong.loans.account.allocation import Paid, allocate, due_only
from fengkong.loans.account.book import Book, new_row, record
from fengkong.loans.account.types import PARTS, Allocation, InstallmentState, Txn
from fengkong.loans.parse import parse_terms
from fengkong.loans.schedule import Installment, installments
from fengkong.loans.terms import LoanTerms

# Amortizations whose installment amount a `reduce_term` prepayment can keep.
_LEVEL = frozenset({"equal_installments", "equal_principal", "flat"})


@dataclass(slots=True)
class Cut:
    remaining: Decimal                     # principal still owed on cancelled installments
    stub: InstallmentState | None          # the current period's part up to the cut date
    released: Decimal                      # advance interest/fees handed back to credit
    cancelled: tuple[InstallmentState, ...]
    index: int                             # where the cancelled installments began


def cut(book: Book, on: date) -> Cut:
    rows = book.rows
    index = next((i for i, row in enumerate(rows) if row.due_date > on), len(rows))
    later = tuple(rows[index:])
    zero = book.zero
    if not later:
        return Cut(zero, None, zero, (), index)
    current = later[0]
    accrued = book.prorata(current.interest, current.start_date, on, current.due_date)
    advance = sum((row.interest_paid + row.fee_paid + row.penalty_paid for row in later), zero)
    waived = sum((row.interest_waived for row in later), zero)
    paid_principal = sum((row.principal_paid for row in later), zero)
    stub = new_row(zero, current.number, on, current.start_date, paid_principal, accrued, zero)
    stub.principal_paid = paid_principal
    stub.interest_paid = min(advance, accrued)
    stub.interest_waived = min(waived, accrued - stub.interest_paid)
    released = advance - stub.interest_paid
    remaining = sum((row.principal_outstanding for row in later), zero)
    book.rows = rows[:index] + [stub]
    book.credit += released
    return Cut(remaining, stub, released, later, index)


def tidy(book: Book, done: Cut, on: date) -> None:
    """Drop an empty stub, number the installments again and mark what is complete."""
    stub = done.stub
    if stub is not None and not any((stub.principal, stub.interest, stub.fee, stub.penalty)):
        book.rows.remove(stub)
    book.renumber()
    book.settle_rows(on)


def paid_on_stub(done: Cut, principal: Decimal, paid: Paid) -> None:
    """Book `principal` of the cancelled installments as paid on the stub."""
    if not principal:
        return
    assert done.stub is not None   # principal remains only on cancelled installments
    done.stub.add("principal", principal)
    done.stub.add("principal_paid", principal)
    parts = paid.setdefault(done.stub.number, {})
    parts["principal"] = parts.get("principal", Decimal(0)) + principal


def prepay(book: Book, txn: Txn) -> Allocation:
    on = txn.value_date
    done = cut(book, on)
    left, paid = allocate(book.rows, txn.amount, on, due_only(book.rules))
    principal, fee = _prepaid(book, left, done.remaining)
    paid_on_stub(done, principal, paid)
    rest = done.remaining - principal
    made = 0
    if rest:
        book.terms, made = _regenerate(book, done, rest, on, txn.mode or "reduce_installment")
    overpayment = left - principal - fee
    book.credit += overpayment
    tidy(book, done, on)
    if made:
        book.segment_start = len(book.rows) - made
    return record(book, txn, paid, overpayment=overpayment, prepayment_fee=fee,
                  released=done.released)


def _prepaid(book: Book, money: Decimal, principal: Decimal) -> tuple[Decimal, Decimal]:
    """The largest principal p ≤ `principal` with p + fee(p) ≤ `money`, and fee(p)."""
    fee = book.prepayment_fee
    if money <= 0 or principal <= 0:
        return book.zero, book.zero
    if principal + fee(principal) <= money:
        return principal, fee(principal)
    unit = Decimal(1).scaleb(-book.contract.digits)
    rate = 1 + book.contract.prepayment_fee_percent / 100
    p = min(principal, (money / rate).quantize(unit, rounding=ROUND_DOWN))
    while p > 0 and p + fee(p) > money:
        p -= unit
    while p + unit <= principal and p + unit + fee(p + unit) <= money:
        p += unit
    return p, fee(p)


def _regenerate(book: Book, done: Cut, principal: Decimal, on: date, mode: str
                ) -> tuple[LoanTerms, int]:
    """A new schedule for `principal` from `on`; returns its terms and installment count."""
    terms = book.terms
    cancelled = done.cancelled
    elapsed = done.index - book.segment_start

    def make(count: int) -> tuple[LoanTerms, tuple[Installment, ...]]:
        rest = remainder_terms(terms, principal, on, cancelled[0].due_date, count, elapsed)
        return rest, installments(rest)

    count = len(cancelled)
    if mode == "reduce_term" and terms.amortization in _LEVEL:
        largest = max(row.principal + row.interest for row in cancelled)
        count = _fewest(count, lambda n: all(i.principal + i.interest <= largest
                                             for i in make(n)[1]))
    new_terms, rows = make(count)
    _append(book, rows, on, [row.due_date for row in cancelled])
    return new_terms, len(rows)


def _fewest(most: int, fits: Callable[[int], bool]) -> int:
    """The least n in 1..most with fits(n), fits rising with n; `most` if none fits."""
    low, high = 1, most
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return low


def remainder_terms(terms: LoanTerms, principal: Decimal, start: date, first_due: date,
                    count: int, elapsed: int) -> LoanTerms:
    """The booked terms for what is left: `count` installments of `principal` from `start`,
    the first due on `first_due`; grace periods already elapsed are gone; no upfront fee."""
    bullet = terms.amortization == "bullet"
    balloon = terms.balloon_amount if terms.balloon_amount < principal else principal * 0
    return replace(
        terms, principal=principal, disbursement_date=start, first_repayment_date=first_due,
        term=1 if bullet else count,
        grace_on_principal=0 if bullet else min(max(terms.grace_on_principal - elapsed, 0),
                                                count - 1),
        grace_on_interest=0 if bullet else min(max(terms.grace_on_interest - elapsed, 0),
                                               count - 1),
        balloon_amount=balloon, fees=replace(terms.fees, upfront=None))


def _append(book: Book, rows: tuple[Installment, ...], start: date,
            due_dates: list[date] | None = None) -> None:
    """Add a new schedule's installments after the book's, on `due_dates` when given (the
    cancelled installments' dates, so that a month-end anchor never drifts)."""
    number = len(book.rows)
    for k, item in enumerate(rows):
        due = item.due_date if due_dates is None else due_dates[k]
        row = new_row(book.zero, number + k + 1, due, start, item.principal, item.interest,
                      item.fees)
        book.rows.append(row)
        start = due


def restructure(book: Book, txn: Txn) -> Allocation:
    on = txn.value_date
    done = cut(book, on)
    paid: Paid = {}
    moved = {part: book.zero for part in PARTS}
    for k, row in enumerate(book.rows):
        for part in PARTS:
            owed = row.owed(part)
            if owed:
                row.add(part, -owed)
                moved[part] += owed
                if k < done.index:   # the stub is new: only old installments are listed
                    paid.setdefault(row.number, {})[part] = owed
    moved["principal"] += done.remaining
    total = sum(moved.values(), book.zero)
    if not total:
        raise InvalidInput("nothing is owed to restructure", code="nothing_to_restructure",
                           field="value_date", entity="loan_transaction", entity_id=txn.id)
    terms = restructured_terms(txn.new_terms, total, on, book.contract.digits)
    rows = installments(terms)
    _append(book, rows, on)
    tidy(book, done, on)
    book.terms, book.segment_start = terms, len(book.rows) - len(rows)
    book.capitalised += total - moved["principal"]
    book.restructured = True
    book.refresh_ppm()
    return replace(record(book, txn, paid, released=done.released),
                   principal=moved["principal"], interest=moved["interest"], fee=moved["fee"],
                   penalty=moved["penalty"])


def restructured_terms(new_terms: Mapping[str, Any] | None, principal: Decimal, on: date,
                       digits: int) -> LoanTerms:
    if new_terms is None:
        raise InvalidInput("a restructure needs new_terms", code="missing_field",
                           field="new_terms")
    for key in ("principal", "disbursement_date"):
        if key in new_terms:
            raise InvalidInput(f"{key} of a restructure is set by the loan",
                               code="set_by_loan", field=f"new_terms.{key}")
    if new_terms.get("digits", digits) != digits:
        raise InvalidInput("a restructure keeps the loan's digits", code="set_by_loan",
                           field="new_terms.digits")
    fees = new_terms.get("fees")
    if isinstance(fees, Mapping) and fees.get("upfront") is not None:
        raise InvalidInput("a restructure has no upfront fee", code="not_applicable",
                           field="new_terms.fees.upfront")
    data = {**new_terms, "principal": f"{principal:f}", "disbursement_date": on,
            "digits": digits}
    try:
        return parse_terms(data)
    except InvalidInput as exc:
        exc.field = f"new_terms.{exc.field}" if exc.field else "new_terms"
        raise
