"""Routes of the ledger: the chart of accounts, trial balance, statements, manual entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field, StringConstraints

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Id, Input, Name, Output
from fengkong.core.money import format_amount, from_minor
from fengkong.ledger import queries, service
from fengkong.ledger.chart import AccountType
from fengkong.ledger.posting import Line, TrialBalance
from fengkong.org.scoping import Principal

router = APIRouter(tags=["ledger"])

AccountCode = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Amount = Annotated[str, StringConstraints(pattern=r"^-?[0-9]{1,20}(\.[0-9]{1,20})?$")]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=120)]


def _money(fen: int) -> str:
    return format_amount(from_minor(fen))


# --- accounts ------------------------------------------------------------------------------


class AccountIn(Input):
    code: AccountCode
    name: Name
    type: AccountType


class AccountOut(Output):
    code: str
    name: str
    type: AccountType
    builtin: bool
    created_at: datetime


class AccountList(Output):
    items: list[AccountOut]


@router.get("/ledger/accounts", response_model=AccountList)
def list_accounts(uow: UoW, principal: Principal = require("ledger.read")) -> AccountList:
    """The tenant's chart of accounts (the default chart is made on first use)."""
    accounts = service.list_accounts(uow, principal)
    uow.commit()
    return AccountList(items=[AccountOut.model_validate(a) for a in accounts])


@router.post("/ledger/accounts", response_model=AccountOut,
             status_code=status.HTTP_201_CREATED)
def create_account(body: AccountIn, uow: UoW,
                   principal: Principal = require("ledger.manage")) -> AccountOut:
    """Add an account to the chart: a lower-case code (`cash:<channel>` for a payment
    channel's clearing account), a name and a type."""
    account = service.create_account(uow, principal, code=body.code, name=body.name,
                                     type=body.type)
    uow.commit()
    return AccountOut.model_validate(account)


# --- trial balance and statements ----------------------------------------------------------


class TrialBalanceRow(Output):
    code: str
    name: str
    type: AccountType
    debit: str
    credit: str
    balance: str  # in the account's own direction


class TrialBalanceOut(Output):
    as_of: date | None
    rows: list[TrialBalanceRow]
    debit: str
    credit: str
    balanced: bool


def _trial_balance_out(tb: TrialBalance) -> TrialBalanceOut:
    return TrialBalanceOut(
        as_of=tb.as_of, debit=_money(tb.debit), credit=_money(tb.credit), balanced=tb.balanced,
        rows=[TrialBalanceRow(code=r.code, name=r.name, type=r.type, debit=_money(r.debit),
                              credit=_money(r.credit), balance=_money(r.balance))
              for r in tb.rows])


@router.get("/ledger/trial-balance", response_model=TrialBalanceOut)
def trial_balance(uow: UoW, principal: Principal = require("ledger.read"),
                  as_of: date | None = None) -> TrialBalanceOut:
    """Debits, credits and balance per account over the lines the caller sees (a branch: its
    subtree's), dated on or before `as_of` (everything when absent)."""
    return _trial_balance_out(queries.trial_balance(uow, principal, as_of=as_of))


class StatementLineOut(Output):
    entry_id: str
    line_no: int
    entry_date: date
    kind: str
    reference: str
    debit: str
    credit: str
    balance: str
    loan_id: str | None
    org_unit_id: str


class StatementOut(Output):
    account: AccountOut
    opening_balance: str
    lines: list[StatementLineOut]
    next: str | None


@router.get("/ledger/accounts/{account_code}/statement", response_model=StatementOut)
def account_statement(
    account_code: str,
    uow: UoW,
    principal: Principal = require("ledger.read"),
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    after: Annotated[str | None, Query(max_length=80, description="cursor from `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> StatementOut:
    """The account's lines from `from` to `to`, oldest first, with a running balance in the
    account's own direction; `opening_balance` is brought forward to the first line."""
    st = queries.statement(uow, principal, account_code, start=start, end=end, after=after,
                           limit=limit)
    uow.commit()  # the chart, made on first use
    return StatementOut(
        account=AccountOut.model_validate(st.account), opening_balance=_money(st.opening_balance),
        next=st.next,
        lines=[StatementLineOut(entry_id=x.entry_id, line_no=x.line_no, entry_date=x.entry_date,
                                kind=x.kind, reference=x.reference, debit=_money(x.debit),
                                credit=_money(x.credit), balance=_money(x.balance),
                                loan_id=x.loan_id, org_unit_id=x.org_unit_id)
               for x in st.lines])


# --- journal entries -----------------------------------------------------------------------


class LineIn(Input):
    account_code: AccountCode
    debit: Amount = "0"
    credit: Amount = "0"
    org_unit_id: Id | None = Field(default=None, description="default: the entry's unit")


class EntryIn(Input):
    entry_date: date
    reference: Reference
    org_unit_id: Id | None = Field(default=None, description="default: your own unit")
    lines: list[LineIn] = Field(min_length=1, max_length=500)


class ReverseIn(Input):
    entry_date: date
    reference: Reference | None = None


class EntryLineOut(Output):
    line_no: int
    account_code: str
    debit: str
    credit: str
    loan_id: str | None
    org_unit_id: str


class EntryOut(Output):
    id: str
    entry_date: date
    kind: str
    reference: str
    org_unit_id: str
    reverses_id: str | None
    reversed_by: str | None
    created_by: str
    created_at: datetime
    lines: list[EntryLineOut]


def _entry_out(view: queries.EntryView) -> EntryOut:
    e = view.entry
    return EntryOut(id=e.id, entry_date=e.entry_date, kind=e.kind, reference=e.reference,
                    org_unit_id=e.org_unit_id, reverses_id=e.reverses_id,
                    reversed_by=view.reversed_by, created_by=e.created_by,
                    created_at=e.created_at,
                    lines=[EntryLineOut(line_no=x.line_no, account_code=x.account_code,
                                        debit=_money(x.debit), credit=_money(x.credit),
                                        loan_id=x.loan_id, org_unit_id=x.org_unit_id)
                           for x in view.lines])


@router.post("/ledger/entries", response_model=EntryOut, status_code=status.HTTP_201_CREATED)
def post_entry(body: EntryIn, uow: UoW,
               principal: Principal = require("ledger.manage")) -> EntryOut:
    """A manual journal entry. It must balance to the fen: each line has one positive side
    (decimal strings, at most 2 decimals) and the debits equal the credits."""
    lines = [Line(x.account_code, Decimal(x.debit), Decimal(x.credit),
                  org_unit_id=x.org_unit_id) for x in body.lines]
    entry = service.post_manual(uow, principal, entry_date=body.entry_date,
                                reference=body.reference, lines=lines,
                                org_unit_id=body.org_unit_id)
    uow.commit()
    return _entry_out(queries.entry_view(uow, entry))


@router.get("/ledger/entries/{entry_id}", response_model=EntryOut)
def get_entry(entry_id: str, uow: UoW,
              principal: Principal = require("ledger.read")) -> EntryOut:
    return _entry_out(queries.get_entry(uow, principal, entry_id))


@router.post("/ledger/entries/{entry_id}/reverse", response_model=EntryOut,
             status_code=status.HTTP_201_CREATED)
def reverse_entry(entry_id: str, body: ReverseIn, uow: UoW,
                  principal: Principal = require("ledger.manage")) -> EntryOut:
    """A new entry with every side swapped, pointing at this manual entry; an entry is
    reversed once (409 `already_reversed`)."""
    entry = service.reverse_manual(uow, principal, entry_id, body.entry_date,
                                   reference=body.reference)
    uow.commit()
    return _entry_out(queries.entry_view(uow, entry))
