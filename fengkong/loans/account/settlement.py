"""The two early endings of a loan: settlement in full (full prepayment) and write-off.

Both cut the schedule on their value date (see `reschedule.cut`): the current period's
interest is owed pro rata by days, later interest and fees are cancelled.

- Settlement: the borrower pays outstanding principal, interest due and accrued, fees due,
  penalties, and the prepayment fee on the principal not yet due; the credit balance is
  applied first. The amount must equal the quote's `total` for the value date.
- Write-off: whatever is owed (principal, interest accrued to the date, fees, penalties) is
  written off, split kept per installment; the loan stops accruing penalties and later
  money comes in as recoveries.
"""

from __future__ import annotations

from datetime import date

from fengkong.core.errors import InvalidInput
from fengkong.loans.account.allocation import EVERYTHING_DUE, Paid, allocate
from fengkong.loans.account.book import Book, record
from fengkong.loans.account.reschedule import cut, paid_on_stub, tidy
from fengkong.loans.account.types import PARTS, Allocation, SettlementQuote, Txn


def quote_on(book: Book, on: date) -> SettlementQuote:
    """The settlement quote for `on`, with penalties already charged through the day before
    (a settlement dated `on` stops that day's penalty)."""
    trial = book.trial()
    done = cut(trial, on)
    owed = {part: sum((row.owed(part) for row in trial.rows), trial.zero) for part in PARTS}
    fee = trial.prepayment_fee(done.remaining)
    principal = owed["principal"] + done.remaining
    gross = principal + owed["interest"] + owed["fee"] + owed["penalty"] + fee
    credit = min(trial.credit, gross)
    return SettlementQuote(on=on, principal=principal, interest=owed["interest"],
                           fee=owed["fee"], penalty=owed["penalty"], prepayment_fee=fee,
                           credit_balance=credit, total=gross - credit)


def settle(book: Book, txn: Txn) -> Allocation:
    on = txn.value_date
    quote = quote_on(book, on)
    if txn.amount != quote.total:
        raise InvalidInput(f"settling on {on} takes {quote.total}, not {txn.amount}",
                           code="settlement_amount_mismatch", field="amount",
                           entity="loan_transaction", entity_id=txn.id,
                           extra={"expected": f"{quote.total:f}"})
    done = cut(book, on)
    book.credit -= quote.credit_balance
    owed = sum((row.outstanding for row in book.rows), book.zero)
    _, paid = allocate(book.rows, owed, on, EVERYTHING_DUE)
    paid_on_stub(done, done.remaining, paid)
    book.ended, book.closed_on = "settled_early", on
    tidy(book, done, on)
    return record(book, txn, paid, prepayment_fee=quote.prepayment_fee,
                  credit_used=quote.credit_balance, released=done.released)


def write_off(book: Book, txn: Txn) -> Allocation:
    on = txn.value_date
    done = cut(book, on)
    if done.remaining:
        assert done.stub is not None
        done.stub.add("principal", done.remaining)
    written: Paid = {}
    for row in book.rows:
        for part in PARTS:
            owed = row.owed(part)
            if owed:
                row.add(f"{part}_written_off", owed)
                written.setdefault(row.number, {})[part] = owed
    book.ended, book.closed_on = "written_off", on
    tidy(book, done, on)
    return record(book, txn, written, released=done.released)
