"""Close of business: a tenant's loans brought to the end of a business date, set-based.

For each date from the day after the last close up to the requested one, loans are taken in
chunks of ids; each chunk is one short transaction that

1. charges the day's penalty interest and late fees on overdue installments (the engine's
   one formula, `penalty_for_day`, in SQL),
2. accrues the interest and fees of installments falling due that day,
3. counts days past due from the oldest unpaid installment, sets the delinquency bucket of
   the loan's product and the non-performing flag (accrual stops),
4. books one journal entry with a line per loan for what it charged and accrued,
5. marks the loans closed for the date and emits `loan.due`, `loan.overdue` and
   `loan.delinquency_changed`.

A chunk either commits whole or not at all, and a loan already closed for the date is never
taken again, so a second run, or a run after a crash, posts nothing twice. A repayment waits at
most for one chunk's row locks. Penalties follow the engine's rule: the base of day d is what
is still owed at the end of day d, so a chunk reads the installments as they stand; a loan
with transactions dated after the day being closed (a catch-up over missed days) is replayed by
the engine instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from fengkong.core.audit_service import SystemActor
from fengkong.core.money import from_minor
from fengkong.core.uow import UnitOfWork
from fengkong.ledger import chart
from fengkong.ledger import service as ledger
from fengkong.ledger.posting import Entry, Line
from fengkong.loans.models import (
    Loan,
    LoanInstallment,
    LoanMonthEnd,
    LoanProductVersion,
    LoanTransaction,
)
from fengkong.loans.products import Bucket, parse_product

OPEN = ("active", "overdue", "restructured")
CHUNK = 20_000


@dataclass
class DayReport:
    business_date: date
    loans: int = 0
    installments_due: int = 0
    penalties_fen: int = 0
    interest_accrued_fen: int = 0
    fees_accrued_fen: int = 0
    newly_overdue: int = 0
    bucket_changes: int = 0
    replayed: int = 0


@dataclass
class CobReport:
    tenant_id: str
    days: list[DayReport] = field(default_factory=list)

    @property
    def loans(self) -> int:
        return sum(d.loans for d in self.days)


Progress = Callable[[int], None]


def pending_dates(uow: UnitOfWork, tenant_id: str, until: date) -> list[date]:
    """Every date from the earliest open loan's next close up to `until`, in order."""
    never = uow.session.scalar(select(func.min(Loan.disbursed_on)).where(
        Loan.tenant_id == tenant_id, Loan.status.in_(OPEN), Loan.last_cob_date.is_(None)))
    closed = uow.session.scalar(select(func.min(Loan.last_cob_date)).where(
        Loan.tenant_id == tenant_id, Loan.status.in_(OPEN)))
    starts = [d for d in (never, closed + timedelta(days=1) if closed else None) if d]
    if not starts:
        return []
    start = min(starts)
    return [start + timedelta(days=i) for i in range((until - start).days + 1)]


def open_loans(uow: UnitOfWork, tenant_id: str, day: date) -> int:
    return uow.session.scalar(select(func.count()).select_from(Loan).where(
        _due_for_close(tenant_id, day))) or 0


def close_day(new_uow: Callable[[], UnitOfWork], tenant_id: str, day: date, *,
              chunk: int = CHUNK, progress: Progress | None = None,
              replay_loan: Callable[[UnitOfWork, str, date], None] | None = None,
              workers: int | None = None) -> DayReport:
    """Close one business date for a tenant, chunk by chunk. On PostgreSQL `workers` chunks
    run at once (default 2: the database does the work, and chunks share no loan); SQLite has
    one writer, so one at a time."""
    report = DayReport(day)
    with new_uow() as uow:
        dialect = uow.session.get_bind().dialect.name
        parallel = workers or (PARALLEL_CHUNKS if dialect == "postgresql" else 1)
        ranges = _ranges(uow, tenant_id, day, dialect, chunk) if parallel > 1 else []
    if ranges:
        lock = threading.Lock()

        def close_range(bounds: tuple[str, str | None]) -> None:
            part = DayReport(day)
            _close_range(new_uow, tenant_id, day, bounds, part, replay_loan)
            with lock:
                _add(report, part)
                if progress is not None:
                    progress(part.loans)

        with ThreadPoolExecutor(parallel, thread_name_prefix="cob") as pool:
            for done in [pool.submit(close_range, bounds) for bounds in ranges]:
                done.result()
    # One by one, whatever is still open: everything on SQLite, and on PostgreSQL the loans
    # booked while the ranges were closed.
    after = ""
    while True:
        part = DayReport(day)
        closed = _close_range(new_uow, tenant_id, day, (after, None), part, replay_loan,
                              limit=chunk)
        if closed is None:
            return report
        after = closed
        _add(report, part)
        if progress is not None:
            progress(part.loans)


PARALLEL_CHUNKS = 2


def _ranges(uow: UnitOfWork, tenant_id: str, day: date, dialect: str, chunk: int
            ) -> list[tuple[str, str | None]]:
    """Half-open ranges of loan ids, `chunk` loans to close in each."""
    numbered = select(Loan.id, func.row_number().over(order_by=Loan.id).label("n")).where(
        _due_for_close(tenant_id, day, dialect)).subquery()
    starts = uow.session.scalars(select(numbered.c.id).where(
        (numbered.c.n - 1) % chunk == 0).order_by(numbered.c.id)).all()
    if not starts:
        return []
    ends: list[str | None] = [*starts[1:], None]
    return list(zip(starts, ends, strict=True))


def _close_range(new_uow: Callable[[], UnitOfWork], tenant_id: str, day: date,
                 bounds: tuple[str, str | None], report: DayReport,
                 replay_loan: Callable[[UnitOfWork, str, date], None] | None, *,
                 limit: int | None = None) -> str | None:
    """Close the loans due in `[low, high)` (`(low, ...` with a limit: the next `limit`
    after `low`), in one transaction; returns the last loan id closed, None if none was."""
    low, high = bounds
    with new_uow() as uow:
        dialect = uow.session.get_bind().dialect.name
        pick = select(Loan.id).where(_due_for_close(tenant_id, day, dialect)).order_by(Loan.id)
        if limit is not None:
            pick = pick.where(Loan.id > low).limit(limit)
        else:
            pick = pick.where(Loan.id >= low)
        if high is not None:
            pick = pick.where(Loan.id < high)
        if dialect == "postgresql":
            # Lock the chunk's loans as they are picked, in key order: a repayment (which
            # locks its loan) then waits for this chunk, a short transaction, instead of
            # changing a loan between two of its statements. SQLite's write lock already
            # serialises the whole chunk.
            pick = pick.with_for_update()
        ids = uow.session.scalars(pick).all()
        if not ids:
            return None
        _close_chunk(uow, tenant_id, day, ids[0], ids[-1], report, replay_loan)
        uow.commit()
    report.loans += len(ids)
    return ids[-1]


def _add(total: DayReport, part: DayReport) -> None:
    for name in ("loans", "installments_due", "penalties_fen", "interest_accrued_fen",
                 "fees_accrued_fen", "newly_overdue", "bucket_changes", "replayed"):
        setattr(total, name, getattr(total, name) + getattr(part, name))


def run(new_uow: Callable[[], UnitOfWork], tenant_id: str, until: date, *,
        chunk: int = CHUNK, on_day: Callable[[date, int], Progress | None] | None = None,
        replay_loan: Callable[[UnitOfWork, str, date], None] | None = None) -> CobReport:
    """Close every pending date up to `until`, day by day (a missed day is caught up)."""
    report = CobReport(tenant_id)
    with new_uow() as uow:
        dates = pending_dates(uow, tenant_id, until)
    for day in dates:
        with new_uow() as uow:
            total = open_loans(uow, tenant_id, day)
        progress = on_day(day, total) if on_day is not None else None
        report.days.append(close_day(new_uow, tenant_id, day, chunk=chunk, progress=progress,
                                     replay_loan=replay_loan))
    return report


def _due_for_close(tenant_id: str, day: date, dialect: str = "") -> ColumnElement[bool]:
    """The tenant's loans still to close for `day`. Give the dialect for a statement of a chunk,
    which walks a range of loan ids (see `_unindexed`)."""
    return and_(_unindexed(dialect, Loan.tenant_id) == tenant_id,
                _unindexed(dialect, Loan.status).in_(OPEN), Loan.disbursed_on <= day,
                or_(Loan.last_cob_date.is_(None), Loan.last_cob_date < day))


def _unindexed(dialect: str, column: InstrumentedAttribute[str]) -> ColumnElement[str]:
    """On SQLite, the column behind a unary plus: the same value, but no index serves the term.
    The statements of a chunk must be driven by its range of loan ids, but SQLite without
    statistics (it keeps none until ANALYZE) prefers `ix_loans_tenant_status`, and every chunk
    would read all the open loans of the tenant: a close quadratic in the size of the book.
    PostgreSQL keeps statistics and picks the key range by itself."""
    if dialect != "sqlite":
        return column.expression
    return UnaryExpression(column.expression, operator=operators.custom_op("+"),
                           type_=column.type)


def _close_chunk(uow: UnitOfWork, tenant_id: str, day: date, first: str, last: str,
                 report: DayReport, replay_loan: Callable[[UnitOfWork, str, date], None] | None
                 ) -> None:
    session = uow.session
    dialect = session.get_bind().dialect.name
    in_chunk = and_(_due_for_close(tenant_id, day, dialect), Loan.id.between(first, last))
    if dialect == "postgresql":
        # A chunk's statements are short but estimated dear enough for PostgreSQL to compile
        # them to machine code first, which costs more than running them (measured: 90 ms of
        # a 150 ms penalty statement).
        session.execute(text("SET LOCAL jit = off"))
    # Loans with money dated after `day` are replayed by the engine (catch-up only).
    later = exists().where(LoanTransaction.loan_id == Loan.id,
                           LoanTransaction.value_date > day,
                           LoanTransaction.reversed_at.is_(None))
    if replay_loan is not None:
        for loan_id in session.scalars(select(Loan.id).where(in_chunk, later)).all():
            replay_loan(uow, loan_id, day)
            report.replayed += 1
        # A replayed loan is closed for `day` now, so `in_chunk` leaves it out of the
        # statements below without probing every loan's transactions again in each of them.
        session.flush()
        set_based = in_chunk
    else:
        set_based = and_(in_chunk, ~later)

    before = dict(session.execute(select(Loan.id, Loan.bucket).where(
        set_based, Loan.oldest_unpaid_due_date < day)).all())
    lines: list[Line] = []
    if before:  # nothing in arrears, nothing to charge, age or classify
        lines += _charge_penalties(uow, dialect, set_based, day, report)
    accrued, due = _accrue_due(uow, set_based, and_(
        LoanInstallment.tenant_id == tenant_id, LoanInstallment.loan_id.between(first, last)),
        day, report)
    lines += accrued
    if before:
        _age(uow, dialect, set_based, day)
        _classify(uow, set_based, day)
    _events(uow, tenant_id, set_based, day, before, due, report)
    session.execute(update(Loan).where(set_based).values(last_cob_date=day)
                    .execution_options(synchronize_session=False))
    if (day + timedelta(days=1)).month != day.month:
        _observe_month_end(uow, tenant_id, day, first, last)
    if lines:
        ledger.post_many(uow, SystemActor(tenant_id=tenant_id, actor_id="cob",
                                          name="close of business"),
                         [Entry(day, "accrual", lines, f"cob:{day.isoformat()}:{first}")],
                         tenant_id=tenant_id, audit=False)


def _observe_month_end(uow: UnitOfWork, tenant_id: str, day: date, first: str, last: str
                       ) -> None:
    """On a month's last day, keep each open loan of the chunk as the close left it. A loan
    already observed (a chunk redone after a crash overlaps committed ones) is left alone."""
    observed = select(LoanMonthEnd.loan_id).where(LoanMonthEnd.month_end == day,
                                                  LoanMonthEnd.loan_id.between(first, last))
    columns = ("loan_id", "month_end", "tenant_id", "org_unit_id", "disbursed_on", "status",
               "bucket", "days_past_due", "max_days_past_due", "principal_outstanding_fen")
    rows = select(Loan.id, literal(day, Date), Loan.tenant_id, Loan.org_unit_id, Loan.disbursed_on,
                  Loan.status, Loan.bucket, Loan.days_past_due, Loan.max_days_past_due,
                  Loan.principal_outstanding_fen).where(
        Loan.tenant_id == tenant_id, Loan.id.between(first, last), Loan.status.in_(OPEN),
        Loan.disbursed_on <= day, Loan.id.not_in(observed))
    uow.session.execute(insert(LoanMonthEnd).from_select(columns, rows))


def _days(dialect: str, later: Any, earlier: Any) -> ColumnElement[int]:
    if dialect == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier  # type: ignore[no-any-return]


def _charge_penalties(uow: UnitOfWork, dialect: str, loans: ColumnElement[bool], day: date,
                      report: DayReport) -> list[Line]:
    """Penalty interest for `day` on every installment overdue at its end, plus the late fee
    on the day after the grace."""
    i, session = LoanInstallment, uow.session
    owed = (i.principal_fen + i.interest_fen + i.fee_fen - i.principal_paid_fen
            - i.interest_paid_fen - i.fee_paid_fen - i.interest_waived_fen - i.fee_waived_fen)
    base = case((Loan.penalty_base == "overdue_installment", owed),
                else_=i.principal_fen - i.principal_paid_fen)
    daily = (base * Loan.penalty_ppm + 500_000) // 1_000_000  # integer division, as in Python
    d: Any = bindparam("day", day)
    late_fee = case((_days(dialect, d, i.due_date) == Loan.late_fee_grace_days + 1,
                     Loan.late_fee_fen), else_=0)
    charge = daily + late_fee
    # Only loans in arrears have an installment overdue (the oldest unpaid one is due before
    # `day`): the filter on the loan row spares reading the installments of the current ones.
    overdue = and_(i.loan_id == Loan.id, loans, Loan.oldest_unpaid_due_date < d,
                   i.due_date < d, owed > 0, or_(Loan.penalty_ppm > 0, Loan.late_fee_fen > 0))
    per_loan = session.execute(
        select(Loan.id, Loan.org_unit_id, func.sum(charge)).select_from(i).join(
            Loan, Loan.id == i.loan_id).where(overdue).group_by(Loan.id, Loan.org_unit_id),
        {"day": day}).all()
    charged = [(loan_id, unit, int(total)) for loan_id, unit, total in per_loan if total]
    if not charged:
        return []
    ids = [c[0] for c in charged]  # the loans charged: the update finds them by key
    session.execute(
        update(i).where(overdue, Loan.id.in_(ids)).values(penalty_fen=i.penalty_fen + charge)
        .execution_options(synchronize_session=False), {"day": day})
    penalty_total = (select(func.sum(i.penalty_fen)).where(i.loan_id == Loan.id)
                     .scalar_subquery())
    penalty_open = (select(func.sum(i.penalty_fen - i.penalty_paid_fen - i.penalty_waived_fen))
                    .where(i.loan_id == Loan.id).scalar_subquery())
    session.execute(update(Loan).where(loans, Loan.id.in_(ids)).values(
        penalty_charged_fen=penalty_total, penalty_due_fen=penalty_open)
        .execution_options(synchronize_session=False))
    report.penalties_fen += sum(c[2] for c in charged)
    lines = []
    for loan_id, unit, fen in charged:
        amount = from_minor(fen)
        lines += [Line(chart.PENALTY_RECEIVABLE, debit=amount, loan_id=loan_id,
                       org_unit_id=unit),
                  Line(chart.PENALTY_INCOME, credit=amount, loan_id=loan_id, org_unit_id=unit)]
    return lines


def _accrue_due(uow: UnitOfWork, loans: ColumnElement[bool], keys: ColumnElement[bool],
                day: date, report: DayReport) -> tuple[list[Line], list[str]]:
    """Installments falling due today: their interest and fees are earned (into suspense for a
    non-performing loan), and an unpaid one starts the loan's arrears. `keys` bounds the
    installments to the chunk's loan ids, so that the planner reads them by key rather than
    every installment of the tenant due that day, chunk after chunk. Returns the lines and the
    loan of each installment due."""
    i, session = LoanInstallment, uow.session
    rows = session.execute(select(i.loan_id, Loan.org_unit_id, Loan.npa, i.interest_fen,
                                  i.fee_fen).join(Loan, Loan.id == i.loan_id)
                           .where(loans, keys, i.due_date == day)).all()
    if not rows:
        return [], []
    owed = (i.principal_fen + i.interest_fen + i.fee_fen + i.penalty_fen - i.principal_paid_fen
            - i.interest_paid_fen - i.fee_paid_fen - i.penalty_paid_fen - i.interest_waived_fen
            - i.fee_waived_fen - i.penalty_waived_fen)
    unpaid_today = exists().where(i.loan_id == Loan.id, i.due_date == day, owed > 0)
    session.execute(update(Loan).where(loans, Loan.oldest_unpaid_due_date.is_(None),
                                       unpaid_today).values(oldest_unpaid_due_date=day)
                    .execution_options(synchronize_session=False))
    due_interest = select(func.sum(i.interest_fen - i.interest_paid_fen - i.interest_waived_fen)
                          ).where(i.loan_id == Loan.id, i.due_date <= day).scalar_subquery()
    due_fee = select(func.sum(i.fee_fen - i.fee_paid_fen - i.fee_waived_fen)).where(
        i.loan_id == Loan.id, i.due_date <= day).scalar_subquery()
    earned_interest = select(func.sum(i.interest_fen)).where(
        i.loan_id == Loan.id, i.due_date == day).scalar_subquery()
    earned_fee = select(func.sum(i.fee_fen)).where(
        i.loan_id == Loan.id, i.due_date == day).scalar_subquery()
    session.execute(update(Loan).where(loans, Loan.id.in_({r[0] for r in rows})).values(
        interest_due_fen=due_interest, fee_due_fen=due_fee,
        interest_accrued_fen=Loan.interest_accrued_fen + earned_interest,
        fee_accrued_fen=Loan.fee_accrued_fen + earned_fee)
        .execution_options(synchronize_session=False))
    lines: list[Line] = []
    for loan_id, unit, npa, interest_fen, fee_fen in rows:
        report.installments_due += 1
        report.interest_accrued_fen += interest_fen
        report.fees_accrued_fen += fee_fen
        income = chart.SUSPENSE if npa else chart.INTEREST_INCOME
        for receivable, earned, fen in ((chart.INTEREST_RECEIVABLE, income, interest_fen),
                                        (chart.FEE_RECEIVABLE, chart.FEE_INCOME, fee_fen)):
            if fen:
                amount = from_minor(fen)
                lines += [Line(receivable, debit=amount, loan_id=loan_id, org_unit_id=unit),
                          Line(earned, credit=amount, loan_id=loan_id, org_unit_id=unit)]
    return lines, [r[0] for r in rows]


def _age(uow: UnitOfWork, dialect: str, loans: ColumnElement[bool], day: date) -> None:
    d: Any = bindparam("day", day)
    dpd = _days(dialect, d, Loan.oldest_unpaid_due_date)
    uow.session.execute(
        update(Loan).where(loans, Loan.oldest_unpaid_due_date < d).values(
            days_past_due=dpd,
            max_days_past_due=case((dpd > Loan.max_days_past_due, dpd),
                                   else_=Loan.max_days_past_due),
            status=case((and_(dpd > 0, Loan.status == "active"), literal("overdue")),
                        else_=Loan.status),
            npa=or_(Loan.npa, dpd > Loan.npa_days))
        .execution_options(synchronize_session=False), {"day": day})


def _classify(uow: UnitOfWork, loans: ColumnElement[bool], day: date) -> None:
    """The delinquency bucket of each overdue loan, by its product version's ranges."""
    session = uow.session
    overdue = and_(loans, Loan.oldest_unpaid_due_date < day)
    versions = session.scalars(select(Loan.product_version_id).where(overdue).distinct()).all()
    if not versions:
        return
    by_version = [(Loan.product_version_id == version_id,
                   _bucket_case(parse_product(params).delinquency_buckets))
                  for version_id, params in session.execute(
                      select(LoanProductVersion.id, LoanProductVersion.params).where(
                          LoanProductVersion.id.in_(versions)))]
    session.execute(update(Loan).where(overdue).values(bucket=case(*by_version, else_=Loan.bucket))
                    .execution_options(synchronize_session=False))


def _bucket_case(buckets: tuple[Bucket, ...]) -> ColumnElement[str]:
    whens = [(Loan.days_past_due <= b.max_days, literal(b.code))
             for b in buckets if b.max_days is not None]
    return case(*whens, else_=literal(buckets[-1].code))


def _events(uow: UnitOfWork, tenant_id: str, loans: ColumnElement[bool], day: date,
            before: dict[str, str], due: list[str], report: DayReport) -> None:
    session = uow.session
    after = session.execute(select(Loan.id, Loan.bucket, Loan.days_past_due).where(
        loans, Loan.oldest_unpaid_due_date < day)).all()
    for loan_id, bucket, dpd in after:
        if dpd == 1:
            report.newly_overdue += 1
            uow.emit("loan.overdue", tenant_id, loan_id=loan_id, business_date=day.isoformat())
        old = before.get(loan_id)
        if old is not None and old != bucket:
            report.bucket_changes += 1
            uow.emit("loan.delinquency_changed", tenant_id, loan_id=loan_id,
                     business_date=day.isoformat(), before=old, after=bucket,
                     days_past_due=dpd)
    for loan_id in due:
        uow.emit("loan.due", tenant_id, loan_id=loan_id, business_date=day.isoformat())


