"""Use cases of loan accounts: booking, disbursement, money events, reversal, settlement.

Every money event follows one path: lock the loan row, store the transaction, replay the
contract and every transaction with the pure engine (`loans.account.replay`), write back the
installments, the allocations and the loan's summary, and journal what changed. A back-dated
event or a reversal therefore re-applies every later transaction in date order, and the ledger
follows by reversing and re-posting only the entries whose allocation moved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select

from fengkong.core import audit_service as audit
from fengkong.core.audit_service import SystemActor
from fengkong.core.clock import business_date
from fengkong.core.errors import Conflict, InvalidInput, NotFound
from fengkong.core.ids import new_id
from fengkong.core.money import from_minor, parse_amount, to_minor
from fengkong.core.uow import UnitOfWork
from fengkong.loans import journal
from fengkong.loans.account import AccountState, SettlementQuote, replay, settlement_quote
from fengkong.loans.models import (
    Loan,
    LoanInstallment,
    LoanProduct,
    LoanProductVersion,
    LoanTransaction,
)
from fengkong.loans.parse import parse_terms
from fengkong.loans.product_service import usable_product
from fengkong.loans.products import ProductParams, check_cost_cap, loan_terms, parse_product
from fengkong.loans.quote import quote
from fengkong.loans.rows import (
    allocation_columns,
    bucket_for,
    contract_of,
    installment_rows,
    penalty_columns,
    summary_columns,
    txn_of,
)
from fengkong.org import service as org
from fengkong.org.models import User
from fengkong.org.scoping import Principal, scoped

MONEY_KINDS = {"repayment", "prepayment", "settlement", "recovery", "refund"}
KINDS = MONEY_KINDS | {"waiver", "writeoff", "restructure"}
PERMISSION = {"repayment": "loans.repay", "prepayment": "loans.repay",
              "settlement": "loans.repay", "waiver": "loans.adjust", "refund": "loans.adjust",
              "restructure": "loans.adjust", "writeoff": "loans.writeoff",
              "recovery": "loans.writeoff"}


# --- reading -------------------------------------------------------------------------------


def get_loan(uow: UnitOfWork, principal: Principal, loan_id: str,
             permission: str = "loans.read", *, lock: bool = False) -> Loan:
    stmt = scoped(select(Loan), Loan, principal, permission).where(Loan.id == loan_id)
    if lock:
        stmt = stmt.with_for_update()
    loan = uow.session.scalar(stmt)
    if loan is None:
        raise NotFound("loan", loan_id)
    return loan


def list_loans(uow: UnitOfWork, principal: Principal, *, status: str | None = None,
               org_unit_id: str | None = None, after: str | None = None,
               limit: int = 50) -> Sequence[Loan]:
    stmt = scoped(select(Loan), Loan, principal, "loans.read")
    if status:
        stmt = stmt.where(Loan.status == status)
    if org_unit_id:
        stmt = stmt.where(Loan.org_unit_id == org_unit_id)
    if after:
        stmt = stmt.where(Loan.id > after)
    return uow.session.scalars(stmt.order_by(Loan.id).limit(limit + 1)).all()


def installments(uow: UnitOfWork, loan: Loan) -> Sequence[LoanInstallment]:
    return uow.session.scalars(select(LoanInstallment).where(
        LoanInstallment.loan_id == loan.id).order_by(LoanInstallment.number)).all()


def transactions(uow: UnitOfWork, loan: Loan) -> Sequence[LoanTransaction]:
    return uow.session.scalars(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id).order_by(LoanTransaction.value_date,
                                                     LoanTransaction.id)).all()


# --- booking and disbursement ----------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    product_id: str
    borrower_ref: str
    org_unit_id: str
    loan: Mapping[str, Any]  # principal, term, annual_rate, disbursement_date, ...
    officer_id: str | None = None
    application_ref: str | None = None
    approved_on: date | None = None  # the approval's business date; today when not given


def book(uow: UnitOfWork, principal: Principal, booking: Booking) -> Loan:
    """An approved loan on a product: its terms checked against the product and its cap."""
    principal.scope_for("loans.book")
    unit = org.reference_unit(uow, principal, booking.org_unit_id, "loans.book", "org_unit_id")
    product = usable_product(uow, principal, booking.product_id, unit.id)
    version = _latest_version(uow, product)
    params = parse_product(version.params)
    terms = loan_terms(params, booking.loan)
    check_cost_cap(params, quote(terms))
    stored_terms = {**params.terms, **booking.loan}
    today = _today(uow, principal)
    approved_on = booking.approved_on or today
    if approved_on > today:
        raise InvalidInput("an approval cannot be dated in the future", code="future_date",
                           field="approved_on")
    if booking.officer_id is not None:
        _check_officer(uow, principal, booking.officer_id, unit.id)
    loan = Loan(id=new_id(), tenant_id=principal.tenant_id, org_unit_id=unit.id,
                product_id=product.id, product_version_id=version.id,
                officer_id=booking.officer_id or principal.actor_id,
                borrower_ref=booking.borrower_ref, application_ref=booking.application_ref,
                currency=params.currency, principal_fen=to_minor(terms.principal),
                annual_rate=f"{terms.annual_rate:f}", terms=stored_terms, status="approved",
                approved_on=approved_on, created_at=uow.clock.now(),
                principal_outstanding_fen=0, bucket=params.delinquency_buckets[0].code)
    for column, value in penalty_columns(contract_of(stored_terms, params)).items():
        setattr(loan, column, value)
    loan.npa_days = params.npa_days
    uow.session.add(loan)
    uow.session.flush()
    audit.record(uow, principal, "loan.booked", entity_type="loan", entity_id=loan.id,
                 changes={"product": product.code, "version": version.version,
                          "principal": f"{terms.principal:f}", "term": terms.term,
                          "annual_rate": loan.annual_rate, "borrower_ref": loan.borrower_ref})
    uow.emit("loan.booked", loan.tenant_id, loan_id=loan.id, org_unit_id=loan.org_unit_id)
    return loan


def _check_officer(uow: UnitOfWork, principal: Principal, officer_id: str, unit_id: str
                   ) -> None:
    """The loan officer is an active user of the tenant whose unit covers the loan's."""
    officer = uow.session.scalar(select(User).where(
        User.id == officer_id, User.tenant_id == principal.tenant_id, User.is_active.is_(True)))
    if officer is None:
        raise InvalidInput("no active user with this id", code="unknown_officer",
                           field="officer_id")
    if not org.unit_within_any(uow, unit_id, [officer.org_unit_id]):
        raise InvalidInput("the officer's unit does not cover the loan's org unit",
                           code="officer_outside_unit", field="officer_id")


def disburse(uow: UnitOfWork, principal: Principal, loan_id: str, *, on: date,
             channel: str) -> Loan:
    loan = get_loan(uow, principal, loan_id, "loans.disburse", lock=True)
    if loan.status != "approved":
        raise Conflict(f"a loan in state {loan.status} cannot be disbursed",
                       code="invalid_state", field="status")
    if on > _today(uow, principal):
        raise InvalidInput("a disbursement cannot be dated in the future",
                           code="future_date", field="on")
    if on < loan.approved_on:
        raise InvalidInput("a disbursement cannot precede the approval",
                           code="before_approval", field="on")
    terms_input = {**loan.terms, "disbursement_date": on.isoformat()}
    terms = parse_terms(terms_input)  # a later first repayment date may now be invalid
    loan.terms = terms_input
    loan.disbursed_on = on
    loan.status = "active"
    state = _replay(uow, loan, [], as_of=on)
    _write_state(uow, loan, state, [])
    row = LoanTransaction(id=new_id(), tenant_id=loan.tenant_id, loan_id=loan.id,
                          kind="disbursement", value_date=on,
                          amount_fen=to_minor(terms.disbursed_amount), channel=channel,
                          principal_fen=to_minor(terms.financed_principal),
                          created_by=principal.actor_id, created_at=uow.clock.now())
    uow.session.add(row)
    row.journal_entry_id = journal.post(uow, principal, loan, on, "disbursement",
                                        journal.disbursement(loan, terms, channel),
                                        reference=f"loan:{loan.id}")
    audit.record(uow, principal, "loan.disbursed", entity_type="loan", entity_id=loan.id,
                 changes={"on": on.isoformat(), "channel": channel,
                          "amount": f"{terms.disbursed_amount:f}"})
    uow.emit("loan.disbursed", loan.tenant_id, loan_id=loan.id, on=on.isoformat())
    return loan


# --- money events -------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    kind: str
    value_date: date
    amount: Decimal = Decimal(0)
    channel: str | None = None
    external_id: str | None = None
    component: str | None = None
    mode: str | None = None
    new_terms: Mapping[str, Any] | None = None


def record(uow: UnitOfWork, principal: Principal, loan_id: str, event: Event
           ) -> LoanTransaction:
    if event.kind not in KINDS:
        raise InvalidInput(f"kind is one of {sorted(KINDS)}", code="invalid_choice",
                           field="kind")
    # The loan first: a retry answers only within the caller's scope, and it waits for the
    # request it repeats to commit instead of racing it.
    loan = get_loan(uow, principal, loan_id, PERMISSION[event.kind], lock=True)
    if event.external_id:
        existing = _by_external_id(uow, principal, event.external_id)
        if existing is not None:
            return _same_request(existing, loan_id, event)
    _check_event(uow, principal, loan, event)
    txn = LoanTransaction(
        id=new_id(), tenant_id=loan.tenant_id, loan_id=loan.id, kind=event.kind,
        value_date=event.value_date, amount_fen=to_minor(event.amount),
        component=event.component, mode=event.mode,
        new_terms=dict(event.new_terms) if event.new_terms is not None else None,
        channel=event.channel, external_id=event.external_id, created_by=principal.actor_id,
        created_at=uow.clock.now())
    uow.session.add(txn)
    uow.session.flush()
    was_overdue = loan.days_past_due > 0
    _apply(uow, principal, loan)
    audit.record(uow, principal, f"loan.{event.kind}", entity_type="loan", entity_id=loan.id,
                 changes={"transaction_id": txn.id, "value_date": event.value_date.isoformat(),
                          "amount": f"{event.amount:f}", "channel": event.channel})
    uow.emit(f"loan.{event.kind}", loan.tenant_id, loan_id=loan.id, transaction_id=txn.id)
    if was_overdue and loan.days_past_due == 0:
        uow.emit("loan.cured", loan.tenant_id, loan_id=loan.id)
    return txn


def reverse(uow: UnitOfWork, principal: Principal, loan_id: str, txn_id: str,
            reason: str) -> LoanTransaction:
    """Undo a transaction; every later one is re-applied in date order."""
    loan = get_loan(uow, principal, loan_id, "loans.adjust", lock=True)
    txn = uow.session.scalar(select(LoanTransaction).where(
        LoanTransaction.id == txn_id, LoanTransaction.loan_id == loan.id))
    if txn is None:
        raise NotFound("loan transaction", txn_id)
    if txn.kind == "disbursement":  # the replay starts from it: reversing would undo nothing
        raise Conflict("a disbursement cannot be reversed", code="not_reversible",
                       field="transaction_id")
    if txn.reversed_at is not None:
        raise Conflict("this transaction is already reversed", code="already_reversed",
                       field="transaction_id")
    txn.reversed_at = uow.clock.now()
    txn.reversal_reason = reason
    uow.session.flush()
    _apply(uow, principal, loan)
    audit.record(uow, principal, "loan.transaction_reversed", entity_type="loan",
                 entity_id=loan.id, changes={"transaction_id": txn.id, "reason": reason},
                 )
    uow.emit("loan.transaction_reversed", loan.tenant_id, loan_id=loan.id,
             transaction_id=txn.id)
    return txn


def quote_settlement(uow: UnitOfWork, principal: Principal, loan_id: str, on: date
                     ) -> SettlementQuote:
    loan = get_loan(uow, principal, loan_id)
    if loan.status == "approved":
        raise Conflict("the loan is not disbursed yet", code="invalid_state", field="status")
    contract = contract_of(loan.terms, _params(uow, loan))
    return settlement_quote(contract, [txn_of(r) for r in _rows(uow, loan)], on,
                            as_of=_as_of(loan))


# --- internals -----------------------------------------------------------------------------


def _check_event(uow: UnitOfWork, principal: Principal, loan: Loan, event: Event) -> None:
    if loan.status == "approved" or loan.disbursed_on is None:
        raise Conflict("the loan is not disbursed yet", code="invalid_state", field="status")
    if event.value_date > _today(uow, principal):
        raise InvalidInput("a value date cannot lie in the future", code="future_date",
                           field="value_date")
    if event.kind in MONEY_KINDS and not event.channel:
        raise InvalidInput("name the payment channel", code="required", field="channel")
    if event.kind in MONEY_KINDS | {"waiver"}:
        parse_amount(event.amount)
        if event.amount <= 0:
            raise InvalidInput("amount must be positive", code="not_positive", field="amount")


def _apply(uow: UnitOfWork, principal: Principal, loan: Loan) -> None:
    """Replay the loan, write the result back and journal what changed."""
    stored = list(_rows(uow, loan))
    as_of = _as_of(loan)
    before_penalty = loan.penalty_charged_fen
    state = _replay(uow, loan, stored, as_of)
    _write_state(uow, loan, state, stored)
    _journal_replay(uow, principal, loan, state, stored, as_of, before_penalty)


def _rows(uow: UnitOfWork, loan: Loan) -> Sequence[LoanTransaction]:
    """The transactions the engine replays, in the order they were recorded (the
    disbursement is the contract's start, not an event of the replay)."""
    return uow.session.scalars(select(LoanTransaction).where(
        LoanTransaction.loan_id == loan.id, LoanTransaction.kind != "disbursement")
        .order_by(LoanTransaction.created_at, LoanTransaction.id)).all()


def _as_of(loan: Loan) -> date:
    """Penalties are charged through the last closed business date; close of business
    charges the days after it, so no day is charged twice."""
    as_of = loan.last_cob_date or loan.disbursed_on
    assert as_of is not None
    return as_of


def _replay(uow: UnitOfWork, loan: Loan, rows: Sequence[LoanTransaction], as_of: date
            ) -> AccountState:
    contract = contract_of(loan.terms, _params(uow, loan))
    return replay(contract, [txn_of(r) for r in rows], as_of)


def replay_for_close(uow: UnitOfWork, loan_id: str, day: date) -> None:
    """Close of business for one loan the set-based pass cannot take (money dated after the
    day being closed): a replay through that day."""
    loan = uow.session.get_one(Loan, loan_id, with_for_update=True)
    rows = list(_rows(uow, loan))
    before = loan.penalty_charged_fen
    state = _replay(uow, loan, rows, day)
    _write_state(uow, loan, state, rows)
    loan.last_cob_date = day
    actor = SystemActor(tenant_id=loan.tenant_id, actor_id="cob", name="close of business")
    _journal_replay(uow, actor, loan, state, rows, day, before)


def _journal_replay(uow: UnitOfWork, actor: Principal | SystemActor, loan: Loan,
                    state: AccountState, rows: Sequence[LoanTransaction], as_of: date,
                    penalty_before: int) -> None:
    """Book what a replay changed: penalties charged or taken back, interest and fees earned
    on installments due by `as_of`, and every transaction whose allocation moved."""
    reference = f"loan:{loan.id}:{as_of.isoformat()}"
    penalty = loan.penalty_charged_fen - penalty_before
    if penalty:
        journal.post(uow, actor, loan, as_of, "penalty",
                     journal.penalty_change(loan, from_minor(penalty)), reference=reference)
    due = [i for i in state.installments if i.due_date <= as_of]
    interest = sum(to_minor(i.interest) for i in due) - loan.interest_accrued_fen
    fee = sum(to_minor(i.fee) for i in due) - loan.fee_accrued_fen
    if interest or fee:
        journal.post(uow, actor, loan, as_of, "accrual",
                     journal.accrual_change(loan, from_minor(interest), from_minor(fee)),
                     reference=reference)
        loan.interest_accrued_fen += interest
        loan.fee_accrued_fen += fee
    for row in rows:  # penalties charged before a later payment change what it paid
        _journal_transaction(uow, actor, loan, row)


def _write_state(uow: UnitOfWork, loan: Loan, state: AccountState,
                 rows: Sequence[LoanTransaction]) -> None:
    session = uow.session
    session.execute(delete(LoanInstallment).where(LoanInstallment.loan_id == loan.id))
    new_rows = installment_rows(state)
    if new_rows:
        session.execute(insert(LoanInstallment), [
            {**r, "loan_id": loan.id, "tenant_id": loan.tenant_id} for r in new_rows])
    for row in rows:
        for column, value in allocation_columns(state, row.id).items():
            setattr(row, column, value)
    params = _params(uow, loan)
    for column, value in summary_columns(state).items():
        setattr(loan, column, value)
    loan.bucket = bucket_for(loan.days_past_due, params)
    loan.max_days_past_due = max(loan.max_days_past_due or 0, loan.days_past_due)
    loan.npa = loan.days_past_due > params.npa_days
    loan.version += 1
    session.flush()


def _journal_transaction(uow: UnitOfWork, principal: Principal | SystemActor, loan: Loan,
                         row: LoanTransaction) -> None:
    """Post the entry a transaction's allocation calls for; when a replay moved it, reverse
    the old entry first. A reversed transaction keeps only the reversal."""
    wanted = None if row.reversed_at is not None else journal.for_transaction(loan, row)
    if row.journal_entry_id is not None:
        if wanted is not None and journal.entry_matches(uow, row.journal_entry_id, wanted):
            return
        journal.reverse(uow, principal, row.journal_entry_id, row.value_date)
        row.journal_entry_id = None
    if wanted:
        row.journal_entry_id = journal.post(uow, principal, loan, row.value_date, row.kind,
                                            wanted, reference=f"loan-txn:{row.id}")


def _by_external_id(uow: UnitOfWork, principal: Principal, external_id: str
                    ) -> LoanTransaction | None:
    return uow.session.scalar(select(LoanTransaction).where(
        LoanTransaction.tenant_id == principal.tenant_id,
        LoanTransaction.external_id == external_id))


def _same_request(existing: LoanTransaction, loan_id: str, event: Event) -> LoanTransaction:
    """A retried request with the same external id returns the first result, once."""
    if (existing.loan_id, existing.kind, existing.amount_fen, existing.value_date) != (
            loan_id, event.kind, to_minor(event.amount), event.value_date):
        raise Conflict("this external_id was used for a different transaction",
                       code="duplicate_external_id", field="external_id")
    return existing


_PARSED: dict[str, ProductParams] = {}  # product version id -> its parameters
_PARSED_LIMIT = 4096


def _params(uow: UnitOfWork, loan: Loan) -> ProductParams:
    """The parameters of the loan's product version. A version never changes once written,
    so each process parses it once."""
    params = _PARSED.get(loan.product_version_id)
    if params is None:
        version = uow.session.get_one(LoanProductVersion, loan.product_version_id)
        params = parse_product(version.params)
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[loan.product_version_id] = params
    return params


def _latest_version(uow: UnitOfWork, product: LoanProduct) -> LoanProductVersion:
    return uow.session.scalars(select(LoanProductVersion).where(
        LoanProductVersion.product_id == product.id,
        LoanProductVersion.version == product.latest_version)).one()


def _today(uow: UnitOfWork, principal: Principal) -> date:
    return business_date(uow.clock, org.tenant_timezone(uow, principal.tenant_id))
