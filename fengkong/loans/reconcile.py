"""Each loan's sub-ledger against the general ledger, to the fen.

The sub-ledger of a loan is what the loans context recorded: the principal lent, the interest
and fees earned (`interest_accrued_fen`, `fee_accrued_fen`), the penalties charged, and every
transaction's allocation. From them follow the balances the ledger must hold on the lines
tagged with the loan; the loan's own state (outstanding principal, credit balance) must agree
too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from fengkong.core.money import from_minor
from fengkong.core.uow import UnitOfWork
from fengkong.ledger import chart
from fengkong.ledger.queries import loan_balances
from fengkong.loans.models import Loan, LoanTransaction

PAYING = {"repayment", "prepayment", "settlement"}
REDUCING = PAYING | {"waiver", "writeoff", "restructure"}


@dataclass(frozen=True)
class Mismatch:
    loan_id: str
    account: str
    ledger: Decimal
    expected: Decimal


def expected_balances(loan: Loan, txns: Iterable[LoanTransaction]) -> dict[str, int]:
    """The ledger balances (fen, in each account's own direction) the loan's records imply."""
    principal = interest = fee = penalty = overpayment = 0
    for t in txns:
        if t.reversed_at is not None:
            continue
        if t.kind == "disbursement":
            principal += t.principal_fen
        if t.kind in PAYING or t.kind == "writeoff":
            principal -= t.principal_fen
        if t.kind == "restructure":
            principal += t.interest_fen + t.fee_fen + t.penalty_fen
        if t.kind in REDUCING:
            interest -= t.interest_fen
            fee -= t.fee_fen
            penalty -= t.penalty_fen
        overpayment += t.overpayment_fen - t.credit_used_fen + t.released_fen
        interest += t.released_fen
    return {
        chart.PRINCIPAL_RECEIVABLE: principal,
        chart.INTEREST_RECEIVABLE: interest + loan.interest_accrued_fen,
        chart.FEE_RECEIVABLE: fee + loan.fee_accrued_fen,
        chart.PENALTY_RECEIVABLE: penalty + loan.penalty_charged_fen,
        chart.OVERPAYMENT_LIABILITY: overpayment,
    }


def reconcile(uow: UnitOfWork, tenant_id: str) -> tuple[int, list[Mismatch]]:
    """(loans checked, mismatches), over every disbursed loan of the tenant."""
    loans = uow.session.scalars(select(Loan).where(
        Loan.tenant_id == tenant_id, Loan.disbursed_on.is_not(None)).order_by(Loan.id)).all()
    txns: dict[str, list[LoanTransaction]] = defaultdict(list)
    for t in uow.session.scalars(select(LoanTransaction).where(
            LoanTransaction.tenant_id == tenant_id)):
        txns[t.loan_id].append(t)
    ledger = loan_balances(uow, tenant_id, [x.id for x in loans])
    mismatches = []
    for loan in loans:
        expected = expected_balances(loan, txns[loan.id])
        if loan.status != "written_off":
            expected_state = {chart.PRINCIPAL_RECEIVABLE: loan.principal_outstanding_fen,
                              chart.OVERPAYMENT_LIABILITY: loan.credit_balance_fen}
            for account, fen in expected_state.items():
                if fen != expected[account]:
                    mismatches.append(Mismatch(loan.id, f"{account} (loan state)",
                                               from_minor(expected[account]), from_minor(fen)))
        booked = ledger.get(loan.id, {})
        for account, fen in expected.items():
            have = booked.get(account, Decimal(0))
            if have != from_minor(fen):
                mismatches.append(Mismatch(loan.id, account, have, from_minor(fen)))
    return len(loans), mismatches
