"""Portfolio figures, set-based over the loans the caller may see: outstanding principal,
portfolio at risk, counts and amounts per delinquency bucket, the vintage table and the
roll-rate matrix (both from the month-end observations the close of business keeps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.orm import aliased

from fengkong.core.money import from_minor
from fengkong.core.uow import UnitOfWork
from fengkong.loans.models import Loan, LoanMonthEnd, LoanProductVersion
from fengkong.loans.products import parse_product
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


# --- vintages and roll rates, from the month-end observations of the close of business ---

CLOSED = "closed"            # a loan repaid (or settled) since the earlier month end
WRITTEN_OFF = "written_off"
EVER_BAD_DAYS = 30


@dataclass(frozen=True)
class Vintage:
    """Loans disbursed in one month and, for each month on book (1 = the first month end
    after the disbursement month's), the share of them ever 30 or more days past due by then;
    None where that month end has not been closed yet."""

    month: str               # YYYY-MM of disbursement
    loans: int
    principal: Decimal
    ever_30: list[Decimal | None]


@dataclass(frozen=True)
class RollRates:
    """How the loans of each bucket at one month end stood at the next: counts, principal
    (as it was at the earlier month end) and shares of the row's count."""

    from_month_end: date | None
    to_month_end: date | None
    buckets: list[str]                           # rows; columns add CLOSED and WRITTEN_OFF
    counts: dict[str, dict[str, int]]
    amounts: dict[str, dict[str, Decimal]]
    shares: dict[str, dict[str, Decimal]]


def _months(d: date) -> int:
    return d.year * 12 + d.month - 1


def vintages(uow: UnitOfWork, principal: Principal, *, org_unit_id: str | None = None,
             since: date | None = None) -> list[Vintage]:
    """The vintage table over the loans the caller sees, from the month ends closed so far.
    A loan counts as bad from the first month end at which it had ever been 30 or more days
    past due; repaid and written-off loans keep counting in their cohort."""
    session = uow.session
    visible = _visible(principal, org_unit_id).where(Loan.disbursed_on.is_not(None))
    if since is not None:
        visible = visible.where(Loan.disbursed_on >= since)
    ids = visible.subquery()
    tenant = principal.tenant_id
    last = session.scalar(select(func.max(LoanMonthEnd.month_end)).where(
        LoanMonthEnd.tenant_id == tenant))
    cohorts: dict[int, tuple[int, int]] = {}
    for disbursed, fen in session.execute(select(Loan.disbursed_on, Loan.principal_fen).where(
            Loan.id.in_(select(ids.c.id)))):
        if disbursed is None:
            continue
        n, total = cohorts.get(_months(disbursed), (0, 0))
        cohorts[_months(disbursed)] = (n + 1, total + fen)
    first_bad: dict[int, dict[int, int]] = {}   # cohort -> month on book -> loans turning bad
    bad = (select(LoanMonthEnd.loan_id, Loan.disbursed_on,
                  func.min(LoanMonthEnd.month_end))
           .join(Loan, Loan.id == LoanMonthEnd.loan_id)
           .where(LoanMonthEnd.tenant_id == tenant, LoanMonthEnd.loan_id.in_(select(ids.c.id)),
                  LoanMonthEnd.max_days_past_due >= EVER_BAD_DAYS)
           .group_by(LoanMonthEnd.loan_id, Loan.disbursed_on))
    for _, disbursed, month_end in session.execute(bad):
        if disbursed is None:
            continue
        cohort = _months(disbursed)
        mob = _months(month_end) - cohort
        first_bad.setdefault(cohort, {})
        first_bad[cohort][mob] = first_bad[cohort].get(mob, 0) + 1
    horizon = max(((_months(last) - c) for c in cohorts), default=0) if last else 0
    table = []
    for cohort in sorted(cohorts):
        n, fen = cohorts[cohort]
        observed = _months(last) - cohort if last else -1
        running, shares = 0, []
        for mob in range(0, horizon + 1):
            running += first_bad.get(cohort, {}).get(mob, 0)
            shares.append((Decimal(running) / n).quantize(Decimal("0.0001"))
                          if mob <= observed else None)
        table.append(Vintage(f"{cohort // 12:04d}-{cohort % 12 + 1:02d}", n, from_minor(fen),
                             shares[1:] if len(shares) > 1 else []))
    return table


def roll_rates(uow: UnitOfWork, principal: Principal, *, month_end: date | None = None,
               org_unit_id: str | None = None) -> RollRates:
    """The roll-rate matrix from the month end before `month_end` (default: the latest closed)
    to `month_end`, over the loans the caller sees."""
    session = uow.session
    tenant = principal.tenant_id
    closed_ends = select(LoanMonthEnd.month_end).where(
        LoanMonthEnd.tenant_id == tenant).distinct()
    to_end = month_end or session.scalar(select(func.max(closed_ends.subquery().c.month_end)))
    buckets = _bucket_codes(uow, tenant)
    empty = RollRates(None, to_end, buckets, {}, {}, {})
    if to_end is None:
        return empty
    from_end = date(to_end.year, to_end.month, 1) - timedelta(days=1)
    ids = _visible(principal, org_unit_id).subquery()
    earlier, later = LoanMonthEnd, aliased(LoanMonthEnd)
    outcome = case((later.bucket.is_not(None), later.bucket),
                   (Loan.status == "written_off", literal(WRITTEN_OFF)),
                   (Loan.status.in_(OPEN), literal("unobserved")),
                   else_=literal(CLOSED))
    rows = session.execute(
        select(earlier.bucket, outcome, func.count(), func.sum(earlier.principal_outstanding_fen))
        .join(Loan, Loan.id == earlier.loan_id)
        .outerjoin(later, and_(later.loan_id == earlier.loan_id, later.month_end == to_end))
        .where(earlier.tenant_id == tenant, earlier.month_end == from_end,
               earlier.loan_id.in_(select(ids.c.id)))
        .group_by(earlier.bucket, outcome)).all()
    if not rows:
        return RollRates(None, to_end, buckets, {}, {}, {})
    counts: dict[str, dict[str, int]] = {}
    amounts: dict[str, dict[str, Decimal]] = {}
    for start, end, n, fen in rows:
        for code in (start, end):
            if code not in buckets and code not in (CLOSED, WRITTEN_OFF, "unobserved"):
                buckets.append(code)
        counts.setdefault(start, {})[end] = int(n)
        amounts.setdefault(start, {})[end] = from_minor(int(fen or 0))
    shares = {start: {end: (Decimal(n) / sum(row.values())).quantize(Decimal("0.0001"))
                      for end, n in row.items()} for start, row in counts.items()}
    return RollRates(from_end, to_end, buckets, counts, amounts, shares)


def _visible(principal: Principal, org_unit_id: str | None) -> Select[Any]:
    query = scoped(select(Loan.id), Loan, principal, "loans.read")
    return query.where(Loan.org_unit_id == org_unit_id) if org_unit_id else query


def _bucket_codes(uow: UnitOfWork, tenant_id: str) -> list[str]:
    """The bucket codes of the tenant's products, in order of days past due (M0 first)."""
    codes: dict[str, int] = {}
    for (params,) in uow.session.execute(select(LoanProductVersion.params).where(
            LoanProductVersion.tenant_id == tenant_id)):
        for bucket in parse_product(params).delinquency_buckets:
            codes[bucket.code] = min(codes.get(bucket.code, bucket.min_days), bucket.min_days)
    return sorted(codes, key=lambda c: (codes[c], c))
