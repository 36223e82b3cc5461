"""Journal entries before they are stored: lines, the balance rule, reversal, and trial-balance
sums. Amounts are `Decimal` on the way in and integer fen once checked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from fengkong.core.errors import InvalidInput
from fengkong.ledger.chart import AccountType

ZERO = Decimal(0)
MAX_LINE_FEN = 10**17  # one line's ceiling: far above any loan, far below BIGINT sums
MAX_REFERENCE = 120


class EntryKind(StrEnum):
    DISBURSEMENT = "disbursement"
    ACCRUAL = "accrual"
    REPAYMENT = "repayment"
    FEE = "fee"
    PENALTY = "penalty"
    WAIVER = "waiver"
    WRITEOFF = "writeoff"
    RECOVERY = "recovery"
    REVERSAL = "reversal"
    REFUND = "refund"
    RESTRUCTURE = "restructure"
    MANUAL = "manual"


@dataclass(frozen=True)
class Line:
    """One side of an entry: exactly one of `debit` and `credit` is positive."""

    account_code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    loan_id: str | None = None  # the loan sub-ledger key
    org_unit_id: str | None = None  # whose books: scoping; the entry's unit when None


@dataclass(frozen=True)
class Entry:
    """An entry to post; `post_many` takes a list of these."""

    entry_date: date  # the business date it belongs to
    kind: EntryKind | str
    lines: Sequence[Line]
    reference: str
    reverses: str | None = None
    org_unit_id: str | None = None  # the entry's unit; the actor's, else the root, when None


@dataclass(frozen=True)
class FenLine:
    account_code: str
    debit: int
    credit: int
    loan_id: str | None = None
    org_unit_id: str | None = None


@dataclass(frozen=True)
class CheckedEntry:
    entry_date: date
    kind: EntryKind
    lines: list[FenLine]
    reference: str
    reverses: str | None
    org_unit_id: str | None


def to_fen(amount: Decimal, field: str) -> int:
    """Exact fen of a non-negative amount with at most two decimals."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise _unbalanced("amounts are finite decimals", field)
    if amount < 0:
        raise _unbalanced(f"{amount} is negative; put it on the other side", field)
    fen = amount.scaleb(2)
    if fen != fen.to_integral_value():
        raise _unbalanced(f"{amount} has more than 2 decimal places", field)
    if fen >= MAX_LINE_FEN:
        raise InvalidInput(f"{amount} is too large for one line", code="out_of_range",
                           field=field)
    return int(fen)


def check_lines(lines: Sequence[Line], field: str = "lines") -> list[FenLine]:
    """The lines in fen, or InvalidInput("unbalanced_entry") naming the line at fault."""
    if len(lines) < 2:
        raise _unbalanced("an entry needs at least one debit and one credit line", field)
    checked = []
    for i, line in enumerate(lines):
        debit = to_fen(line.debit, f"{field}.{i}.debit")
        credit = to_fen(line.credit, f"{field}.{i}.credit")
        if (debit > 0) == (credit > 0):
            raise _unbalanced("each line has exactly one positive side, debit or credit",
                              f"{field}.{i}.{'credit' if debit else 'debit'}")
        checked.append(FenLine(line.account_code, debit, credit, line.loan_id,
                               line.org_unit_id))
    debits, credits = sum(x.debit for x in checked), sum(x.credit for x in checked)
    if debits != credits:
        raise _unbalanced(f"debits {_yuan(debits)} and credits {_yuan(credits)} differ by "
                          f"{_yuan(abs(debits - credits))}", field)
    return checked


def check_entry(entry: Entry, field: str = "") -> CheckedEntry:
    """An entry whose kind, reference and lines obey the rules; `field` prefixes error paths."""
    try:
        kind = EntryKind(entry.kind)
    except ValueError:
        raise InvalidInput(f"unknown entry kind {entry.kind!r}", code="invalid_choice",
                           field=f"{field}kind") from None
    if (kind is EntryKind.REVERSAL) != (entry.reverses is not None):
        raise InvalidInput("a reversal names the entry it reverses, and only a reversal does",
                           code="invalid_choice", field=f"{field}kind")
    if not entry.reference or len(entry.reference) > MAX_REFERENCE:
        raise InvalidInput(f"a reference of 1-{MAX_REFERENCE} characters is required",
                           code="required", field=f"{field}reference")
    lines = check_lines(entry.lines, f"{field}lines")
    return CheckedEntry(entry.entry_date, kind, lines, entry.reference, entry.reverses,
                        entry.org_unit_id)


def swapped(lines: Iterable[FenLine]) -> list[FenLine]:
    """The lines of a reversal: every debit becomes a credit and the other way round."""
    return [FenLine(x.account_code, x.credit, x.debit, x.loan_id, x.org_unit_id)
            for x in lines]


def normal_balance(type_: AccountType, debit: int, credit: int) -> int:
    """The balance in the account's own direction: debits for assets and expenses, credits for
    liabilities, equity and income. Positive is the usual state of the account."""
    return debit - credit if type_.debit_normal else credit - debit


@dataclass(frozen=True)
class AccountTotal:
    code: str
    name: str
    type: AccountType
    debit: int
    credit: int

    @property
    def balance(self) -> int:
        return normal_balance(self.type, self.debit, self.credit)


@dataclass(frozen=True)
class TrialBalance:
    as_of: date | None
    rows: list[AccountTotal] = field(default_factory=list)

    @property
    def debit(self) -> int:
        return sum(r.debit for r in self.rows)

    @property
    def credit(self) -> int:
        return sum(r.credit for r in self.rows)

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _unbalanced(detail: str, field: str) -> InvalidInput:
    return InvalidInput(detail, code="unbalanced_entry", field=field)
