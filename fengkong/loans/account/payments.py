"""Repayments, waivers, refunds and recoveries: transactions that leave the schedule alone.

- A repayment is allocated in the loan's order over every installment, in advance ones
  included; what is left once every installment is paid is overpayment, kept as credit
  balance. Credit is never used up by a later payment on its own (Fineract's overpayment
  holder): it goes back to the borrower by refund, or towards a settlement.
- A waiver forgives interest, fees or penalties (never principal), oldest installment first,
  future installments' interest and fees included; never more than is owed.
- A refund pays credit balance back to the borrower; a recovery is money received after a
  write-off, recorded as such and not allocated to installments.
"""

from __future__ import annotations

from fengkong.core.errors import InvalidInput
from fengkong.loans.account.allocation import Paid, allocate
from fengkong.loans.account.book import Book, record
from fengkong.loans.account.types import WAIVABLE, Allocation, Txn


def repay(book: Book, txn: Txn) -> Allocation:
    left, paid = allocate(book.rows, txn.amount, txn.value_date, book.rules)
    book.credit += left
    book.settle_rows(txn.value_date)
    return record(book, txn, paid, overpayment=left)


def waive(book: Book, txn: Txn) -> Allocation:
    part = txn.component
    if part not in WAIVABLE:
        raise InvalidInput("a waiver waives interest, fee or penalty", code="invalid_choice",
                           field="component", entity="loan_transaction", entity_id=txn.id)
    owed = sum((row.owed(part) for row in book.rows), book.zero)
    if txn.amount > owed:
        raise InvalidInput(f"only {owed} of {part} is outstanding",
                           code="waiver_exceeds_outstanding", field="amount",
                           entity="loan_transaction", entity_id=txn.id)
    left = txn.amount
    waived: Paid = {}
    for row in book.rows:
        take = min(row.owed(part), left)
        if take > 0:
            row.add(f"{part}_waived", take)
            waived[row.number] = {part: take}
            left -= take
    book.settle_rows(txn.value_date)
    return record(book, txn, waived)


def refund(book: Book, txn: Txn) -> Allocation:
    if txn.amount > book.credit:
        raise InvalidInput(f"the credit balance is {book.credit}",
                           code="exceeds_credit_balance", field="amount",
                           entity="loan_transaction", entity_id=txn.id)
    book.credit -= txn.amount
    return record(book, txn, {}, overpayment=-txn.amount)


def recover(book: Book, txn: Txn) -> Allocation:
    if book.ended != "written_off":
        raise InvalidInput("recoveries come only after a write-off", code="not_written_off",
                           field="kind", entity="loan_transaction", entity_id=txn.id)
    book.recovered += txn.amount
    return record(book, txn, {}, recovered=txn.amount)
