"""What the ledger books for each loan event, and the calls that book it.

The lines come from the ledger's posting rules (`fengkong.ledger.rules`); every line carries the
loan id, the key of the loan's sub-ledger, and the loan's org unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from fengkong.core.audit_service import SystemActor
from fengkong.core.money import from_minor, to_minor
from fengkong.core.uow import UnitOfWork
from fengkong.ledger import chart, rules
from fengkong.ledger import service as ledger
from fengkong.ledger.models import JournalLine, LedgerAccount
from fengkong.ledger.posting import Line
from fengkong.ledger.rules import Parts
from fengkong.loans.models import Loan, LoanTransaction
from fengkong.loans.terms import LoanTerms
from fengkong.org.scoping import Principal

CASH_KINDS = {"repayment", "prepayment", "settlement"}


def disbursement(loan: Loan, terms: LoanTerms, channel: str) -> list[Line]:
    """Dr the principal lent (a financed fee included) / Cr cash paid out and the upfront fee
    earned, whether it was kept back or lent."""
    return rules.disbursement(terms.financed_principal, channel=channel, loan_id=loan.id,
                              org_unit_id=loan.org_unit_id, deducted_fee=terms.upfront_fee)


def for_transaction(loan: Loan, row: LoanTransaction) -> list[Line]:
    """The lines a transaction's current allocation books."""
    on: dict[str, Any] = {"loan_id": loan.id, "org_unit_id": loan.org_unit_id}
    lines = _allocated(row, on)
    released = from_minor(row.released_fen)
    if released:
        # Interest and fees paid in advance on installments the transaction cancelled go back
        # to the credit balance. The engine does not split them by part, so all of it is
        # taken back from interest receivable.
        lines += [Line(chart.INTEREST_RECEIVABLE, debit=released, **on),
                  Line(chart.OVERPAYMENT_LIABILITY, credit=released, **on)]
    return lines


def _allocated(row: LoanTransaction, on: dict[str, Any]) -> list[Line]:
    parts = Parts(from_minor(row.principal_fen), from_minor(row.interest_fen),
                  from_minor(row.fee_fen), from_minor(row.penalty_fen))
    if row.kind in CASH_KINDS:
        channel = row.channel or chart.DEFAULT_CHANNEL
        lines = rules.repayment(parts, channel=channel,
                                overpayment=from_minor(row.overpayment_fen), **on)
        fee = from_minor(row.prepayment_fee_fen)
        if fee:
            lines += [Line(chart.cash_code(channel), debit=fee, **on),
                      Line(chart.FEE_INCOME, credit=fee, **on)]
        credit_used = from_minor(row.credit_used_fen)
        if credit_used:
            # The credit balance a settlement consumed pays that part, not the cash received.
            lines += [Line(chart.OVERPAYMENT_LIABILITY, debit=credit_used, **on),
                      Line(chart.cash_code(channel), credit=credit_used, **on)]
        return lines
    if row.kind == "waiver":
        return rules.waiver(Parts(interest=parts.interest, fee=parts.fee,
                                  penalty=parts.penalty), **on)
    if row.kind == "writeoff":
        return rules.writeoff(parts, **on)
    if row.kind == "recovery":
        return rules.recovery(from_minor(row.amount_fen),
                              channel=row.channel or chart.DEFAULT_CHANNEL, **on)
    if row.kind == "refund":
        return rules.refund(from_minor(row.amount_fen),
                            channel=row.channel or chart.DEFAULT_CHANNEL, **on)
    if row.kind == "restructure":
        # Overdue interest, fees and penalties capitalised into the new principal.
        capitalised = parts.interest + parts.fee + parts.penalty
        lines = [Line(chart.PRINCIPAL_RECEIVABLE, debit=capitalised, **on)] if capitalised \
            else []
        for name, code in (("interest", chart.INTEREST_RECEIVABLE),
                           ("fee", chart.FEE_RECEIVABLE), ("penalty", chart.PENALTY_RECEIVABLE)):
            amount = getattr(parts, name)
            if amount:
                lines.append(Line(code, credit=amount, **on))
        return lines
    return []


def penalty_change(loan: Loan, amount: Decimal) -> list[Line]:
    """Penalties charged (positive) or taken back by a replay (negative)."""
    parts = Parts(penalty=abs(amount))
    lines = rules.accrual(parts, loan_id=loan.id, org_unit_id=loan.org_unit_id)
    return lines if amount > 0 else [_swap(x) for x in lines]


def accrual_change(loan: Loan, interest: Decimal, fee: Decimal) -> list[Line]:
    """Interest and fees earned (positive) or taken back (negative) when a replay moved
    installments that had already fallen due; a non-performing loan's interest goes to
    suspense, as the close of business books it."""
    lines: list[Line] = []
    income = chart.SUSPENSE if loan.npa else chart.INTEREST_INCOME
    for receivable, earned, amount in ((chart.INTEREST_RECEIVABLE, income, interest),
                                       (chart.FEE_RECEIVABLE, chart.FEE_INCOME, fee)):
        if amount:
            pair = [Line(receivable, debit=abs(amount), loan_id=loan.id,
                         org_unit_id=loan.org_unit_id),
                    Line(earned, credit=abs(amount), loan_id=loan.id,
                         org_unit_id=loan.org_unit_id)]
            lines += pair if amount > 0 else [_swap(x) for x in pair]
    return lines


def _swap(line: Line) -> Line:
    return Line(line.account_code, line.credit, line.debit, line.loan_id, line.org_unit_id)


def post(uow: UnitOfWork, actor: Principal | SystemActor, loan: Loan, entry_date: date,
         kind: str, lines: Sequence[Line], reference: str) -> str | None:
    if not lines:
        return None
    entry = ledger.post(uow, actor, tenant_id=loan.tenant_id, entry_date=entry_date,
                        kind=_ENTRY_KIND.get(kind, kind), lines=lines,
                        reference=reference, org_unit_id=loan.org_unit_id, audit=False)
    return entry.id


def reverse(uow: UnitOfWork, actor: Principal | SystemActor, entry_id: str,
            entry_date: date) -> None:
    ledger.reverse(uow, actor, entry_id, entry_date, audit=False)


def entry_matches(uow: UnitOfWork, entry_id: str, lines: Sequence[Line]) -> bool:
    """Whether a booked entry holds exactly these lines (so a replay need not re-book it)."""
    booked = sorted((code, debit, credit) for code, debit, credit in uow.session.execute(
        select(LedgerAccount.code, JournalLine.debit, JournalLine.credit)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(JournalLine.entry_id == entry_id)))
    wanted = sorted((x.account_code, to_minor(x.debit), to_minor(x.credit)) for x in lines)
    return booked == wanted


# Loan events whose entries the ledger files under another kind.
_ENTRY_KIND = {"prepayment": "repayment", "settlement": "repayment", "restructure": "restructure"}
