"""Reads of the ledger: an entry, the trial balance, account statements, loan sub-ledger
balances and the balance check. Set-based: every figure is one grouped query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select, tuple_

from fengkong.core.errors import InvalidInput, NotFound
from fengkong.core.money import from_minor
from fengkong.core.uow import UnitOfWork
from fengkong.ledger.accounts import ensure_chart
from fengkong.ledger.chart import AccountType
from fengkong.ledger.models import JournalEntry, JournalLine, LedgerAccount
from fengkong.ledger.posting import AccountTotal, TrialBalance, normal_balance
from fengkong.org.scoping import Principal, scoped

LOAN_CHUNK = 2000  # loan ids per IN (...) list


@dataclass(frozen=True)
class EntryLine:
    line_no: int
    account_code: str
    debit: int
    credit: int
    loan_id: str | None
    org_unit_id: str


@dataclass(frozen=True)
class EntryView:
    entry: JournalEntry
    lines: list[EntryLine]
    reversed_by: str | None


def get_entry(uow: UnitOfWork, principal: Principal, entry_id: str) -> EntryView:
    """An entry of the caller's scope (by the entry's unit) with all its lines."""
    entry = uow.session.scalar(scoped(select(JournalEntry), JournalEntry, principal,
                                      "ledger.read").where(JournalEntry.id == entry_id))
    if entry is None:
        raise NotFound("journal entry", entry_id)
    return entry_view(uow, entry)


def entry_view(uow: UnitOfWork, entry: JournalEntry) -> EntryView:
    """An entry already loaded (and so already within reach) with its lines."""
    reversed_by = uow.session.scalar(select(JournalEntry.id).where(
        JournalEntry.reverses_id == entry.id))
    return EntryView(entry, entry_lines(uow, entry.id), reversed_by)


def entry_lines(uow: UnitOfWork, entry_id: str) -> list[EntryLine]:
    """The lines of an entry, in order, with their account codes (amounts in fen)."""
    rows = uow.session.execute(
        select(JournalLine.line_no, LedgerAccount.code, JournalLine.debit, JournalLine.credit,
               JournalLine.loan_id, JournalLine.org_unit_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(JournalLine.entry_id == entry_id).order_by(JournalLine.line_no))
    return [EntryLine(*row) for row in rows]


# --- trial balance -------------------------------------------------------------------------


def trial_balance(uow: UnitOfWork, principal: Principal, *,
                  as_of: date | None = None) -> TrialBalance:
    """Per account, the debits and credits of the lines the caller sees (a branch: its
    subtree's lines) dated on or before `as_of` (everything when None)."""
    base = scoped(_totals_statement(), JournalLine, principal, "ledger.read")
    return _trial_balance(uow, base, as_of)


def tenant_trial_balance(uow: UnitOfWork, tenant_id: str, *,
                         as_of: date | None = None) -> TrialBalance:
    """The whole tenant's trial balance (the CLI and jobs, acting as the system)."""
    return _trial_balance(uow, _totals_statement().where(JournalLine.tenant_id == tenant_id),
                          as_of)


def _totals_statement() -> Select[Any]:
    # Any-typed columns: `scoped()` is typed for statements of any shape
    columns: list[Any] = [LedgerAccount.code, LedgerAccount.name, LedgerAccount.type,
                          func.sum(JournalLine.debit), func.sum(JournalLine.credit)]
    return (select(*columns)
            .select_from(JournalLine)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id))


def _trial_balance(uow: UnitOfWork, stmt: Select[Any], as_of: date | None) -> TrialBalance:
    if as_of is not None:
        stmt = stmt.where(JournalLine.entry_date <= as_of)
    stmt = stmt.group_by(LedgerAccount.code, LedgerAccount.name, LedgerAccount.type)
    rows = [AccountTotal(code, name, AccountType(type_), int(debit), int(credit))
            for code, name, type_, debit, credit in uow.session.execute(stmt)]
    return TrialBalance(as_of, sorted(rows, key=lambda r: r.code))


# --- account statement ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    entry_id: str
    line_no: int
    entry_date: date
    kind: str
    reference: str
    debit: int
    credit: int
    balance: int  # running, in the account's own direction
    loan_id: str | None
    org_unit_id: str

    @property
    def cursor(self) -> str:
        return f"{self.entry_date.isoformat()}.{self.entry_id}.{self.line_no}"


@dataclass(frozen=True)
class Statement:
    account: LedgerAccount
    opening_balance: int  # brought forward to the first line of this page
    lines: list[StatementLine]
    next: str | None  # cursor for the following page


def statement(uow: UnitOfWork, principal: Principal, account_code: str, *,
              start: date | None = None, end: date | None = None, after: str | None = None,
              limit: int = 100) -> Statement:
    """The lines of one account the caller sees, oldest first, with a running balance. Like
    every first use, it makes the tenant's chart when there is none yet (commit to keep it)."""
    principal.scope_for("ledger.read")
    account = ensure_chart(uow, principal.tenant_id).get(account_code)
    if account is None:
        raise NotFound("ledger account", account_code)
    key = tuple_(JournalLine.entry_date, JournalLine.entry_id, JournalLine.line_no)
    cursor = _parse_cursor(after) if after else None

    def lines_of_account(*columns: Any) -> Select[Any]:
        return scoped(select(*columns).select_from(JournalLine), JournalLine, principal,
                      "ledger.read").where(JournalLine.account_id == account.id)

    forward = lines_of_account(func.sum(JournalLine.debit), func.sum(JournalLine.credit))
    if cursor is not None:
        forward = forward.where(key <= cursor)
    elif start is not None:
        forward = forward.where(JournalLine.entry_date < start)
    debit, credit = uow.session.execute(forward).one() if cursor or start else (0, 0)
    balance = opening = normal_balance(AccountType(account.type), int(debit or 0),
                                       int(credit or 0))

    page = (lines_of_account(JournalLine.entry_id, JournalLine.line_no, JournalLine.entry_date,
                             JournalEntry.kind, JournalEntry.reference, JournalLine.debit,
                             JournalLine.credit, JournalLine.loan_id, JournalLine.org_unit_id)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .order_by(JournalLine.entry_date, JournalLine.entry_id, JournalLine.line_no)
            .limit(limit + 1))
    if cursor is not None:
        page = page.where(key > cursor)
    if start is not None:
        page = page.where(JournalLine.entry_date >= start)
    if end is not None:
        page = page.where(JournalLine.entry_date <= end)
    lines = []
    for entry_id, line_no, day, kind, reference, dr, cr, loan_id, unit in \
            uow.session.execute(page):
        balance += normal_balance(AccountType(account.type), dr, cr)
        lines.append(StatementLine(entry_id, line_no, day, kind, reference, dr, cr, balance,
                                   loan_id, unit))
    more = len(lines) > limit
    lines = lines[:limit]
    return Statement(account, opening, lines, lines[-1].cursor if more else None)


def _parse_cursor(after: str) -> tuple[date, str, int]:
    try:
        day, entry_id, line_no = after.split(".")
        return date.fromisoformat(day), entry_id, int(line_no)
    except ValueError:
        raise InvalidInput("not a cursor from `next`", code="bad_format",
                           field="after") from None


# --- loan sub-ledgers and the balance check -------------------------------------------------


def loan_balances(uow: UnitOfWork, tenant_id: str, loan_ids: Sequence[str] | None = None, *,
                  as_of: date | None = None) -> dict[str, dict[str, Decimal]]:
    """`{loan_id: {account_code: balance}}` over the lines that carry a loan id, each balance
    in the account's own direction (a receivable owed is positive, so is an overpayment held).
    One grouped query per 2,000 loans; every loan when `loan_ids` is None."""
    stmt = (select(JournalLine.loan_id, LedgerAccount.code, LedgerAccount.type,
                   func.sum(JournalLine.debit), func.sum(JournalLine.credit))
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(JournalLine.tenant_id == tenant_id, JournalLine.loan_id.is_not(None))
            .group_by(JournalLine.loan_id, LedgerAccount.code, LedgerAccount.type))
    if as_of is not None:
        stmt = stmt.where(JournalLine.entry_date <= as_of)
    chunks = [stmt] if loan_ids is None else [
        stmt.where(JournalLine.loan_id.in_(loan_ids[i:i + LOAN_CHUNK]))
        for i in range(0, len(loan_ids), LOAN_CHUNK)]
    out: dict[str, dict[str, Decimal]] = {}
    for chunk in chunks:
        for loan_id, code, type_, debit, credit in uow.session.execute(chunk):
            fen = normal_balance(AccountType(type_), int(debit), int(credit))
            out.setdefault(str(loan_id), {})[code] = from_minor(fen)
    return out


@dataclass(frozen=True)
class LedgerCheck:
    entries: int
    debit: int
    credit: int
    first_unbalanced: str | None  # the first entry (by id) whose lines do not balance
    detail: str | None

    @property
    def ok(self) -> bool:
        return self.first_unbalanced is None and self.debit == self.credit


def check_balanced(uow: UnitOfWork, tenant_id: str) -> LedgerCheck:
    """Whether every entry of the tenant balances and the trial balance sums to zero."""
    session = uow.session
    entries = session.scalar(select(func.count()).select_from(JournalEntry)
                             .where(JournalEntry.tenant_id == tenant_id)) or 0
    debit, credit = session.execute(select(func.sum(JournalLine.debit),
                                           func.sum(JournalLine.credit))
                                    .where(JournalLine.tenant_id == tenant_id)).one()
    bad = session.execute(
        select(JournalLine.entry_id, func.sum(JournalLine.debit), func.sum(JournalLine.credit))
        .where(JournalLine.tenant_id == tenant_id).group_by(JournalLine.entry_id)
        .having(func.sum(JournalLine.debit) != func.sum(JournalLine.credit))
        .order_by(JournalLine.entry_id).limit(1)).first()
    empty = session.scalar(
        select(JournalEntry.id)
        .outerjoin(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(JournalEntry.tenant_id == tenant_id, JournalLine.entry_id.is_(None))
        .order_by(JournalEntry.id).limit(1))
    first, detail = None, None
    if bad is not None and (empty is None or bad[0] < empty):
        first = bad[0]
        detail = f"debits {from_minor(int(bad[1]))} credits {from_minor(int(bad[2]))}"
    elif empty is not None:
        first, detail = empty, "no lines"
    return LedgerCheck(entries, int(debit or 0), int(credit or 0), first, detail)
