"""Portfolio figures, set-based over the loans the caller may see: outstanding principal,
portfolio at risk, and counts and amounts per delinquency bucket."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select

from fengkong.core.money import from_minor
from fengkong.core.uow import UnitOfWork
from fengkong.loans.models import Loan
from fengkong.org.scoping import Principal, scoped

OPEN = ("active", "overdue", "restructured")
PAR_DAYS = (1, 30, 90)


@dataclass(frozen=True)
class BucketFigure:
    bucket: str
    loans: int
    outstanding: Decimal


@dataclass(frozen=True)
class Portfolio:
    loans: int
    outstanding: Decimal
    par: dict[int, Decimal]  # days -> share of outstanding principal, 0..1
    par_amount: dict[int, Decimal]
    buckets: list[BucketFigure]


def figures(uow: UnitOfWork, principal: Principal, *, org_unit_id: str | None = None
            ) -> Portfolio:
    base = scoped(select(Loan.id), Loan, principal, "loans.read").where(Loan.status.in_(OPEN))
    if org_unit_id:
        base = base.where(Loan.org_unit_id == org_unit_id)
    visible = base.subquery()
    outstanding = Loan.principal_outstanding_fen
    at_risk = [func.coalesce(func.sum(case((Loan.days_past_due >= d, outstanding), else_=0)), 0)
               for d in PAR_DAYS]
    count, total, *par = uow.session.execute(
        select(func.count(), func.coalesce(func.sum(outstanding), 0), *at_risk)
        .where(Loan.id.in_(select(visible.c.id)))).one()
    buckets = [BucketFigure(b, n, from_minor(int(fen))) for b, n, fen in uow.session.execute(
        select(Loan.bucket, func.count(), func.coalesce(func.sum(outstanding), 0))
        .where(Loan.id.in_(select(visible.c.id))).group_by(Loan.bucket).order_by(Loan.bucket))]
    total = int(total)
    return Portfolio(
        loans=count, outstanding=from_minor(total),
        par={d: (Decimal(int(p)) / total).quantize(Decimal("0.0001")) if total else Decimal(0)
             for d, p in zip(PAR_DAYS, par, strict=True)},
        par_amount={d: from_minor(int(p)) for d, p in zip(PAR_DAYS, par, strict=True)},
        buckets=buckets)
