"""Routes of loan accounts: booking, disbursement, money events, reversal, settlement."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import Field

from fengkong.api.deps import UoW, get_container, require
from fengkong.api.schemas import Id, Input, Output
from fengkong.core.errors import InvalidInput
from fengkong.core.money import from_minor
from fengkong.loans import cob_service, loan_service
from fengkong.loans import portfolio as loan_portfolio
from fengkong.loans.loan_service import Booking, Event
from fengkong.loans.models import Loan, LoanInstallment, LoanTransaction
from fengkong.org.scoping import Principal

router = APIRouter(tags=["loan accounts"])

Money = Annotated[Decimal, Field(gt=0, max_digits=16, decimal_places=2)]
Channel = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
Ref = Annotated[str, Field(min_length=1, max_length=64)]


def _m(fen: int) -> str:
    return f"{from_minor(fen):f}"


class LoanIn(Input):
    product_id: Id
    borrower_ref: Ref
    org_unit_id: Id
    principal: Money
    term: Annotated[int, Field(ge=1, le=1200)]
    annual_rate: Annotated[Decimal, Field(ge=0, le=100)]
    disbursement_date: date
    first_repayment_date: date | None = None
    balloon_amount: Money | None = None
    officer_id: Id | None = None
    application_ref: Ref | None = None
    approved_on: date | None = Field(default=None, description="default: today")


class LoanOut(Output):
    id: str
    org_unit_id: str
    product_id: str
    borrower_ref: str
    officer_id: str | None
    currency: str
    principal: str
    annual_rate: str
    status: str
    approved_on: date
    disbursed_on: date | None
    maturity_date: date | None
    closed_on: date | None
    principal_outstanding: str
    interest_due: str
    fees_due: str
    penalties_due: str
    credit_balance: str
    days_past_due: int
    bucket: str
    last_cob_date: date | None


def loan_out(loan: Loan) -> LoanOut:
    return LoanOut(
        id=loan.id, org_unit_id=loan.org_unit_id, product_id=loan.product_id,
        borrower_ref=loan.borrower_ref, officer_id=loan.officer_id, currency=loan.currency,
        principal=_m(loan.principal_fen), annual_rate=loan.annual_rate, status=loan.status,
        approved_on=loan.approved_on, disbursed_on=loan.disbursed_on,
        maturity_date=loan.maturity_date, closed_on=loan.closed_on,
        principal_outstanding=_m(loan.principal_outstanding_fen),
        interest_due=_m(loan.interest_due_fen), fees_due=_m(loan.fee_due_fen),
        penalties_due=_m(loan.penalty_due_fen), credit_balance=_m(loan.credit_balance_fen),
        days_past_due=loan.days_past_due, bucket=loan.bucket, last_cob_date=loan.last_cob_date)


class LoanPage(Output):
    items: list[LoanOut]
    next: str | None


@router.post("/loans", response_model=LoanOut, status_code=status.HTTP_201_CREATED)
def book_loan(body: LoanIn, uow: UoW, principal: Principal = require("loans.book")) -> LoanOut:
    """Book an approved loan on a product (until origination books them itself)."""
    terms: dict[str, Any] = {"principal": f"{body.principal:f}", "term": body.term,
                             "annual_rate": f"{body.annual_rate:f}",
                             "disbursement_date": body.disbursement_date.isoformat()}
    if body.first_repayment_date:
        terms["first_repayment_date"] = body.first_repayment_date.isoformat()
    if body.balloon_amount is not None:
        terms["balloon_amount"] = f"{body.balloon_amount:f}"
    loan = loan_service.book(uow, principal, Booking(
        product_id=body.product_id, borrower_ref=body.borrower_ref,
        org_unit_id=body.org_unit_id, loan=terms, officer_id=body.officer_id,
        application_ref=body.application_ref, approved_on=body.approved_on))
    uow.commit()
    return loan_out(loan)


@router.get("/loans", response_model=LoanPage)
def list_loans(
    uow: UoW,
    principal: Principal = require("loans.read"),
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    org_unit_id: Annotated[str | None, Query(max_length=26)] = None,
    after: Annotated[str | None, Query(max_length=26)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> LoanPage:
    rows = loan_service.list_loans(uow, principal, status=status_, org_unit_id=org_unit_id,
                                   after=after, limit=limit)
    page = rows[:limit]
    return LoanPage(items=[loan_out(x) for x in page],
                    next=page[-1].id if len(rows) > limit else None)


@router.get("/loans/{loan_id}", response_model=LoanOut)
def get_loan(loan_id: str, uow: UoW, principal: Principal = require("loans.read")) -> LoanOut:
    return loan_out(loan_service.get_loan(uow, principal, loan_id))


class InstallmentOut(Output):
    number: int
    due_date: date
    principal: str
    interest: str
    fees: str
    penalties: str
    paid: str
    waived: str
    outstanding: str
    completed_on: date | None


def installment_out(i: LoanInstallment) -> InstallmentOut:
    due = i.principal_fen + i.interest_fen + i.fee_fen + i.penalty_fen
    paid = i.principal_paid_fen + i.interest_paid_fen + i.fee_paid_fen + i.penalty_paid_fen
    waived = i.interest_waived_fen + i.fee_waived_fen + i.penalty_waived_fen
    return InstallmentOut(number=i.number, due_date=i.due_date, principal=_m(i.principal_fen),
                          interest=_m(i.interest_fen), fees=_m(i.fee_fen),
                          penalties=_m(i.penalty_fen), paid=_m(paid), waived=_m(waived),
                          outstanding=_m(due - paid - waived), completed_on=i.completed_on)


class Schedule(Output):
    items: list[InstallmentOut]


@router.get("/loans/{loan_id}/schedule", response_model=Schedule)
def schedule(loan_id: str, uow: UoW, principal: Principal = require("loans.read")) -> Schedule:
    loan = loan_service.get_loan(uow, principal, loan_id)
    return Schedule(items=[installment_out(i) for i in loan_service.installments(uow, loan)])


class TransactionOut(Output):
    id: str
    kind: str
    value_date: date
    amount: str
    principal: str
    interest: str
    fees: str
    penalties: str
    overpayment: str
    prepayment_fee: str
    channel: str | None
    external_id: str | None
    reversed_at: datetime | None
    created_at: datetime


def transaction_out(t: LoanTransaction) -> TransactionOut:
    return TransactionOut(
        id=t.id, kind=t.kind, value_date=t.value_date, amount=_m(t.amount_fen),
        principal=_m(t.principal_fen), interest=_m(t.interest_fen), fees=_m(t.fee_fen),
        penalties=_m(t.penalty_fen), overpayment=_m(t.overpayment_fen),
        prepayment_fee=_m(t.prepayment_fee_fen), channel=t.channel, external_id=t.external_id,
        reversed_at=t.reversed_at, created_at=t.created_at)


class TransactionList(Output):
    items: list[TransactionOut]


@router.get("/loans/{loan_id}/transactions", response_model=TransactionList)
def list_transactions(loan_id: str, uow: UoW, principal: Principal = require("loans.read")
                      ) -> TransactionList:
    loan = loan_service.get_loan(uow, principal, loan_id)
    return TransactionList(items=[transaction_out(t)
                                  for t in loan_service.transactions(uow, loan)])


class DisburseIn(Input):
    on: date
    channel: Channel = "bank"


@router.post("/loans/{loan_id}/disburse", response_model=LoanOut)
def disburse(loan_id: str, body: DisburseIn, uow: UoW,
             principal: Principal = require("loans.disburse")) -> LoanOut:
    loan = loan_service.disburse(uow, principal, loan_id, on=body.on, channel=body.channel)
    uow.commit()
    return loan_out(loan)


class PaymentIn(Input):
    value_date: date
    amount: Money
    channel: Channel = "bank"
    external_id: Ref | None = Field(default=None, description="idempotency key of the payer")


class PrepaymentIn(PaymentIn):
    mode: Literal["reduce_term", "reduce_installment"] = "reduce_installment"


class WaiverIn(Input):
    value_date: date
    amount: Money
    component: Literal["interest", "fee", "penalty"]


class WriteoffIn(Input):
    value_date: date


class RestructureIn(Input):
    value_date: date
    terms: dict[str, Any] = Field(description="new terms for the remaining principal: "
                                              "annual_rate, term, amortization, ...")


class ReverseIn(Input):
    reason: Annotated[str, Field(min_length=1, max_length=200)]


def _record(uow: UoW, principal: Principal, loan_id: str, event: Event) -> TransactionOut:
    txn = loan_service.record(uow, principal, loan_id, event)
    uow.commit()
    return transaction_out(txn)


@router.post("/loans/{loan_id}/repayments", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
def repay(loan_id: str, body: PaymentIn, uow: UoW,
          principal: Principal = require("loans.repay")) -> TransactionOut:
    """A repayment, allocated by the product's order; may be back-dated."""
    return _record(uow, principal, loan_id, Event("repayment", body.value_date, body.amount,
                                                  body.channel, body.external_id))


@router.post("/loans/{loan_id}/prepayments", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
def prepay(loan_id: str, body: PrepaymentIn, uow: UoW,
           principal: Principal = require("loans.repay")) -> TransactionOut:
    """A partial prepayment that shortens the term or lowers the installment."""
    return _record(uow, principal, loan_id, Event("prepayment", body.value_date, body.amount,
                                                  body.channel, body.external_id,
                                                  mode=body.mode))


class SettlementQuoteOut(Output):
    on: date
    principal: str
    interest: str
    fees: str
    penalties: str
    prepayment_fee: str
    credit_balance: str
    total: str


@router.get("/loans/{loan_id}/settlement-quote", response_model=SettlementQuoteOut)
def settlement_quote(loan_id: str, uow: UoW, on: date,
                     principal: Principal = require("loans.read")) -> SettlementQuoteOut:
    """What settles the loan in full on a date."""
    q = loan_service.quote_settlement(uow, principal, loan_id, on)
    return SettlementQuoteOut(on=on, principal=f"{q.principal:f}", interest=f"{q.interest:f}",
                              fees=f"{q.fee:f}", penalties=f"{q.penalty:f}",
                              prepayment_fee=f"{q.prepayment_fee:f}",
                              credit_balance=f"{q.credit_balance:f}", total=f"{q.total:f}")


@router.post("/loans/{loan_id}/settlement", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
def settle(loan_id: str, body: PaymentIn, uow: UoW,
           principal: Principal = require("loans.repay")) -> TransactionOut:
    """Full prepayment: the amount must equal the settlement quote for the value date."""
    return _record(uow, principal, loan_id, Event("settlement", body.value_date, body.amount,
                                                  body.channel, body.external_id))


@router.post("/loans/{loan_id}/waivers", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
def waive(loan_id: str, body: WaiverIn, uow: UoW,
          principal: Principal = require("loans.adjust")) -> TransactionOut:
    return _record(uow, principal, loan_id, Event("waiver", body.value_date, body.amount,
                                                  component=body.component))


@router.post("/loans/{loan_id}/refunds", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
def refund(loan_id: str, body: PaymentIn, uow: UoW,
           principal: Principal = require("loans.adjust")) -> TransactionOut:
    """Pay an overpayment back to the borrower."""
    return _record(uow, principal, loan_id, Event("refund", body.value_date, body.amount,
                                                  body.channel, body.external_id))


@router.post("/loans/{loan_id}/restructure", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
def restructure(loan_id: str, body: RestructureIn, uow: UoW,
                principal: Principal = require("loans.adjust")) -> TransactionOut:
    return _record(uow, principal, loan_id, Event("restructure", body.value_date,
                                                  new_terms=body.terms))


@router.post("/loans/{loan_id}/writeoff", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
def write_off(loan_id: str, body: WriteoffIn, uow: UoW,
              principal: Principal = require("loans.writeoff")) -> TransactionOut:
    return _record(uow, principal, loan_id, Event("writeoff", body.value_date))


@router.post("/loans/{loan_id}/recoveries", response_model=TransactionOut,
             status_code=status.HTTP_201_CREATED)
def recover(loan_id: str, body: PaymentIn, uow: UoW,
            principal: Principal = require("loans.writeoff")) -> TransactionOut:
    """Money collected after a write-off."""
    return _record(uow, principal, loan_id, Event("recovery", body.value_date, body.amount,
                                                  body.channel, body.external_id))


@router.post("/loans/{loan_id}/transactions/{transaction_id}/reverse",
             response_model=TransactionOut)
def reverse(loan_id: str, transaction_id: str, body: ReverseIn, uow: UoW,
            principal: Principal = require("loans.adjust")) -> TransactionOut:
    """Undo a transaction; every later one is re-applied in date order."""
    txn = loan_service.reverse(uow, principal, loan_id, transaction_id, body.reason)
    uow.commit()
    return transaction_out(txn)


class CobIn(Input):
    business_date: date


class CobDayOut(Output):
    business_date: date
    loans: int
    installments_due: int
    penalties: str
    interest_accrued: str
    fees_accrued: str
    newly_overdue: int
    bucket_changes: int


class CobOut(Output):
    days: list[CobDayOut]


@router.post("/loans/close-of-business", response_model=CobOut)
def close_of_business(body: CobIn, request: Request, uow: UoW,
                      principal: Principal = require("loans.cob")) -> CobOut:
    """Close the caller's tenant's business dates up to `business_date` (caught up day by
    day); a date already closed is not closed again."""
    uow.rollback()  # the close runs in transactions of its own, chunk by chunk
    container = get_container(request)
    report = cob_service.close_business(container.uow, principal, principal.tenant_id,
                                        body.business_date)
    return CobOut(days=[CobDayOut(
        business_date=d.business_date, loans=d.loans, installments_due=d.installments_due,
        penalties=_m(d.penalties_fen), interest_accrued=_m(d.interest_accrued_fen),
        fees_accrued=_m(d.fees_accrued_fen), newly_overdue=d.newly_overdue,
        bucket_changes=d.bucket_changes) for d in report.days])


class BucketOut(Output):
    bucket: str
    loans: int
    outstanding_principal: str


class PortfolioOut(Output):
    loans: int
    outstanding_principal: str
    par1: str
    par30: str
    par90: str
    par1_amount: str
    par30_amount: str
    par90_amount: str
    buckets: list[BucketOut]


@router.get("/loan-portfolio", response_model=PortfolioOut)
def portfolio(uow: UoW, principal: Principal = require("loans.read"),
              org_unit_id: Annotated[str | None, Query(max_length=26)] = None) -> PortfolioOut:
    """Outstanding principal, portfolio at risk (share of outstanding principal of loans 1, 30
    and 90 or more days past due) and the delinquency buckets, over the loans the caller
    sees."""
    p = loan_portfolio.figures(uow, principal, org_unit_id=org_unit_id)
    return PortfolioOut(
        loans=p.loans, outstanding_principal=f"{p.outstanding:f}",
        par1=f"{p.par[1]:f}", par30=f"{p.par[30]:f}", par90=f"{p.par[90]:f}",
        par1_amount=f"{p.par_amount[1]:f}", par30_amount=f"{p.par_amount[30]:f}",
        par90_amount=f"{p.par_amount[90]:f}",
        buckets=[BucketOut(bucket=b.bucket, loans=b.loans,
                           outstanding_principal=f"{b.outstanding:f}") for b in p.buckets])


class VintageOut(Output):
    month: str = Field(description="disbursement month, YYYY-MM")
    loans: int
    principal: str
    ever_30: list[str | None] = Field(
        description="share of the cohort ever 30+ days past due at month on book 1, 2, ...; "
                    "null where that month end is not closed yet")


class VintagesOut(Output):
    observed_at: str = "month ends closed by the close of business"
    items: list[VintageOut]


@router.get("/loan-portfolio/vintages", response_model=VintagesOut)
def vintages(uow: UoW, principal: Principal = require("loans.read"),
             org_unit_id: Annotated[str | None, Query(max_length=26)] = None,
             since: date | None = None) -> VintagesOut:
    """The vintage table: by disbursement month, the share of loans ever 30 or more days past
    due by each month on book."""
    table = loan_portfolio.vintages(uow, principal, org_unit_id=org_unit_id, since=since)
    return VintagesOut(items=[VintageOut(
        month=v.month, loans=v.loans, principal=f"{v.principal:f}",
        ever_30=[None if s is None else f"{s:f}" for s in v.ever_30]) for v in table])


class RollRatesOut(Output):
    from_month_end: date | None
    to_month_end: date | None
    buckets: list[str]
    counts: dict[str, dict[str, int]]
    amounts: dict[str, dict[str, str]]
    shares: dict[str, dict[str, str]]


@router.get("/loan-portfolio/roll-rates", response_model=RollRatesOut)
def roll_rates(uow: UoW, principal: Principal = require("loans.read"),
               month_end: date | None = None,
               org_unit_id: Annotated[str | None, Query(max_length=26)] = None) -> RollRatesOut:
    """The roll-rate matrix between the buckets of one month end and the next (default: the
    latest month end closed); a loan repaid since is `closed`, one written off `written_off`."""
    if month_end is not None and (month_end + timedelta(days=1)).day != 1:
        raise InvalidInput("month_end must be the last day of a month", code="not_month_end",
                           field="month_end")
    r = loan_portfolio.roll_rates(uow, principal, month_end=month_end, org_unit_id=org_unit_id)
    return RollRatesOut(
        from_month_end=r.from_month_end, to_month_end=r.to_month_end, buckets=r.buckets,
        counts=r.counts,
        amounts={k: {e: f"{v:f}" for e, v in row.items()} for k, row in r.amounts.items()},
        shares={k: {e: f"{v:f}" for e, v in row.items()} for k, row in r.shares.items()})
