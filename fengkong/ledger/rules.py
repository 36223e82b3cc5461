"""Posting rules: the lines each loan event books (accrual accounting, as in Fineract's
`AccrualBasedAccountingProcessorForLoan`). Zero components book no line."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fengkong.ledger import chart
from fengkong.ledger.posting import ZERO, Line


@dataclass(frozen=True)
class Parts:
    """An amount split by component."""

    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fee: Decimal = ZERO
    penalty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


_RECEIVABLE = {"principal": chart.PRINCIPAL_RECEIVABLE, "interest": chart.INTEREST_RECEIVABLE,
               "fee": chart.FEE_RECEIVABLE, "penalty": chart.PENALTY_RECEIVABLE}
_INCOME = {"interest": chart.INTEREST_INCOME, "fee": chart.FEE_INCOME,
           "penalty": chart.PENALTY_INCOME}


@dataclass(frozen=True)
class _On:
    loan_id: str | None
    org_unit_id: str | None

    def dr(self, code: str, amount: Decimal) -> list[Line]:
        return [Line(code, debit=amount, loan_id=self.loan_id,
                     org_unit_id=self.org_unit_id)] if amount else []

    def cr(self, code: str, amount: Decimal) -> list[Line]:
        return [Line(code, credit=amount, loan_id=self.loan_id,
                     org_unit_id=self.org_unit_id)] if amount else []


def disbursement(amount: Decimal, *, channel: str, loan_id: str | None = None,
                 org_unit_id: str | None = None, deducted_fee: Decimal = ZERO) -> list[Line]:
    """Dr principal receivable / Cr the channel's cash (net of a fee kept back) and fee income."""
    on = _On(loan_id, org_unit_id)
    return [*on.dr(chart.PRINCIPAL_RECEIVABLE, amount),
            *on.cr(chart.cash_code(channel), amount - deducted_fee),
            *on.cr(chart.FEE_INCOME, deducted_fee)]


def accrual(parts: Parts, *, loan_id: str | None = None,
            org_unit_id: str | None = None) -> list[Line]:
    """Interest, fees or penalties earned: Dr each receivable / Cr its income."""
    on = _On(loan_id, org_unit_id)
    lines: list[Line] = []
    for name, income in _INCOME.items():
        amount = getattr(parts, name)
        lines += [*on.dr(_RECEIVABLE[name], amount), *on.cr(income, amount)]
    return lines


def repayment(parts: Parts, *, channel: str, overpayment: Decimal = ZERO,
              loan_id: str | None = None, org_unit_id: str | None = None) -> list[Line]:
    """Dr the channel's cash / Cr each receivable paid, and the overpayment liability."""
    on = _On(loan_id, org_unit_id)
    lines = on.dr(chart.cash_code(channel), parts.total + overpayment)
    for name, receivable in _RECEIVABLE.items():
        lines += on.cr(receivable, getattr(parts, name))
    return lines + on.cr(chart.OVERPAYMENT_LIABILITY, overpayment)


def waiver(parts: Parts, *, loan_id: str | None = None,
           org_unit_id: str | None = None) -> list[Line]:
    """Income given up: Dr each income / Cr its receivable (principal is written off instead)."""
    if parts.principal:
        raise ValueError("principal is written off, not waived")
    return [_swap(x) for x in accrual(parts, loan_id=loan_id, org_unit_id=org_unit_id)]


def writeoff(parts: Parts, *, loan_id: str | None = None,
             org_unit_id: str | None = None) -> list[Line]:
    """Dr losses written off / Cr principal and every receivable still open."""
    on = _On(loan_id, org_unit_id)
    lines = on.dr(chart.WRITEOFF_EXPENSE, parts.total)
    for name, receivable in _RECEIVABLE.items():
        lines += on.cr(receivable, getattr(parts, name))
    return lines


def recovery(amount: Decimal, *, channel: str, loan_id: str | None = None,
             org_unit_id: str | None = None) -> list[Line]:
    """Money collected on a written-off loan: Dr cash / Cr recovery income."""
    on = _On(loan_id, org_unit_id)
    return [*on.dr(chart.cash_code(channel), amount), *on.cr(chart.RECOVERY_INCOME, amount)]


def refund(amount: Decimal, *, channel: str, loan_id: str | None = None,
           org_unit_id: str | None = None) -> list[Line]:
    """An overpayment paid back: Dr overpayment liability / Cr cash."""
    on = _On(loan_id, org_unit_id)
    return [*on.dr(chart.OVERPAYMENT_LIABILITY, amount),
            *on.cr(chart.cash_code(channel), amount)]


def _swap(line: Line) -> Line:
    return Line(line.account_code, line.credit, line.debit, line.loan_id, line.org_unit_id)
