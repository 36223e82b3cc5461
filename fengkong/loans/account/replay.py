"""Replay: a loan account's state from its contract and every stored transaction.

The account is never updated in place: its state is always this pure function of the
contract, the transactions and the business date, as in Fineract's reverse-and-replay
(`reprocessLoanTransactions`). A back-dated transaction or a reversal therefore re-computes
every allocation and penalty after it.

- Transactions that are not reversed are applied in value-date order; on the same date, in
  the order they were recorded.
- Before each transaction, penalties are charged through the day before its value date, and
  never past `as_of`; after the last transaction, through `as_of`. A day's penalty is thus
  charged on what is still owed at the end of that day: money paid on a day stops that day's
  penalty, which is also what the set-based close of business sees when it runs at the end
  of the day. A transaction dated at most one day after `as_of` therefore pays the same
  whenever close of business ran; one dated later sees penalties only through `as_of`, the
  rest being charged as close of business catches up.
- A transaction that breaks a rule raises `InvalidInput` with its code and field and the
  transaction's id: a reversal that would make a later transaction invalid (say, a refund
  above the credit then left) is refused the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal, localcontext

from fengkong.core.errors import InvalidInput
from fengkong.loans.account.book import Book
from fengkong.loans.account.payments import recover, refund, repay, waive
from fengkong.loans.account.penalties import accrue
from fengkong.loans.account.reschedule import prepay, restructure
from fengkong.loans.account.settlement import quote_on, settle, write_off
from fengkong.loans.account.types import (
    PREPAYMENT_MODES,
    TXN_KINDS,
    AccountState,
    Allocation,
    LoanContract,
    SettlementQuote,
    Status,
    Txn,
)
from fengkong.loans.terms import DECIMALS

_HANDLERS: dict[str, Callable[[Book, Txn], Allocation]] = {
    "repayment": repay, "prepayment": prepay, "settlement": settle, "waiver": waive,
    "writeoff": write_off, "recovery": recover, "refund": refund, "restructure": restructure,
}
_WITH_AMOUNT = frozenset({"repayment", "prepayment", "settlement", "waiver", "recovery",
                          "refund"})
_AFTER_END = frozenset({"recovery", "refund"})
_ONE_DAY = timedelta(days=1)


def replay(contract: LoanContract, txns: Sequence[Txn], as_of: date) -> AccountState:
    """Apply every non-reversed transaction in value-date order (ties: recorded order) on the
    contractual schedule, charging penalties day by day up to `as_of` (the last closed
    business date). Pure and deterministic."""
    with localcontext(DECIMALS):
        return _snapshot(_run(contract, txns, as_of), as_of)


def settlement_quote(contract: LoanContract, txns: Sequence[Txn], on: date,
                     as_of: date | None = None) -> SettlementQuote:
    """What settles the loan in full on `on` (see `settlement`), from the transactions dated
    `on` or earlier; a settlement recorded now comes after them. Penalties count through the
    day before `on`, and not past `as_of` (the last closed business date) when given: the
    same span a replay of the settlement charges."""
    if on < contract.disbursement_date:
        raise InvalidInput("the loan was not disbursed yet", code="before_disbursement",
                           field="on")
    with localcontext(DECIMALS):
        # Penalties through the day before: a settlement dated `on` stops that day's.
        through = on - _ONE_DAY if as_of is None else min(on - _ONE_DAY, as_of)
        book = _run(contract, [t for t in txns if t.value_date <= on], through)
        if book.ended is not None:
            raise InvalidInput(f"the loan is {book.ended.replace('_', ' ')}",
                               code="loan_closed", field="on")
        return quote_on(book, on)


def _run(contract: LoanContract, txns: Sequence[Txn], as_of: date) -> Book:
    book = Book.open(contract)
    live = [t for t in txns if not t.reversed]
    seen: set[str] = set()
    for txn in sorted(live, key=lambda t: t.value_date):   # stable: ties keep recorded order
        if txn.id in seen:
            raise _error(txn, "duplicate_transaction", "id", "the id is used twice")
        seen.add(txn.id)
        _check(book, txn)
        accrue(book, min(txn.value_date - _ONE_DAY, as_of))
        book.allocations[txn.id] = _HANDLERS[txn.kind](book, txn)
    accrue(book, as_of)
    return book


def _check(book: Book, txn: Txn) -> None:
    """The rules every transaction keeps before it is applied."""
    if txn.kind not in TXN_KINDS:
        raise _error(txn, "invalid_choice", "kind", f"kind is one of {', '.join(TXN_KINDS)}")
    if txn.kind in _WITH_AMOUNT:
        if not isinstance(txn.amount, Decimal) or not txn.amount.is_finite() \
                or txn.amount <= 0:
            raise _error(txn, "not_positive", "amount", "the amount must be positive")
        if txn.amount != txn.amount.quantize(book.zero):
            raise _error(txn, "too_many_decimals", "amount",
                         f"the amount has more than {book.contract.digits} decimal places")
    if txn.value_date < book.contract.disbursement_date:
        raise _error(txn, "before_disbursement", "value_date",
                     "the value date is before the disbursement")
    if book.ended is not None and txn.kind not in _AFTER_END:
        raise _error(txn, "loan_closed", "value_date",
                     f"the loan is {book.ended.replace('_', ' ')} since {book.closed_on}")
    if txn.kind == "prepayment" and txn.mode is not None and txn.mode not in PREPAYMENT_MODES:
        raise _error(txn, "invalid_choice", "mode",
                     f"mode is one of {', '.join(PREPAYMENT_MODES)}")


def _error(txn: Txn, code: str, field: str, detail: str) -> InvalidInput:
    return InvalidInput(detail, code=code, field=field, entity="loan_transaction",
                        entity_id=txn.id)


def _snapshot(book: Book, as_of: date) -> AccountState:
    rows = book.rows
    zero = book.zero
    unpaid = next((row for row in rows if row.outstanding > 0), None)
    oldest = None if unpaid is None else unpaid.due_date
    days_past_due = (as_of - oldest).days if oldest is not None and oldest < as_of else 0
    due = [row for row in rows if row.due_date <= as_of]
    current = next((row for row in rows if row.due_date > as_of), None)
    accrued = zero if current is None or book.ended is not None else book.prorata(
        current.interest, current.start_date, as_of, current.due_date)

    def total(name: str, among: Sequence[object] = rows) -> Decimal:
        return sum((getattr(row, name) for row in among), zero)

    written = {part: total(f"{part}_written_off")
               for part in ("principal", "interest", "fee", "penalty")}
    status: Status
    if book.ended is not None:
        status = book.ended
    elif days_past_due > 0:
        status = "overdue"
    else:
        status = "restructured" if book.restructured else "active"
    return AccountState(
        installments=tuple(copy.copy(row) for row in rows),
        allocations=dict(book.allocations),
        credit_balance=book.credit,
        status=status,
        closed_on=book.closed_on,
        written_off=sum(written.values(), zero),
        recovered=book.recovered,
        days_past_due=days_past_due,
        oldest_unpaid_due_date=oldest,
        as_of=as_of,
        terms=book.terms,
        written_off_principal=written["principal"],
        written_off_interest=written["interest"],
        written_off_fee=written["fee"],
        written_off_penalty=written["penalty"],
        capitalised=book.capitalised,
        principal_paid=total("principal_paid"),
        principal_outstanding=total("principal_outstanding"),
        principal_due=total("principal_outstanding", due),
        interest_due=total("interest_outstanding", due),
        fees_due=total("fee_outstanding", due),
        penalties_due=total("penalty_outstanding"),
        interest_accrued_not_due=accrued,
        penalty_rate_ppm=book.ppm,
        penalties_through=book.penalties_through,
    )
