"""Close-of-business benchmark: fengkong's set-based close of a business date over a book of
N active loans, against the same close done loan by loan as Fineract's COB does it (load the
loan, replay it through the date with the engine, write it back), in the same run.

    python -m benchmarks.cob [--size 1000000] [--database-url postgresql://.../db]
                             [--chunk 20000] [--days 1] [--peer-sample 2000]

The book (not timed): the demo tenant and its products AUTO-60, CASH-24 and LEASE-48; N loans
of 12-48 monthly installments disbursed 1-24 months before the business date, everything due
before it repaid on time except for about 5 % of the loans, which are 1-200 days late with the
engine's penalty interest and late fees charged; the last close was the day before the first
business date closed. The installment amounts come from the engine, once per template (see
`benchmarks/_loanbook.py`), and the rows are written in bulk. Another `--peer-sample` loans of
the same kind, with their repayment transactions and journal entries, are closed first by the
peer (`loan_service.replay_for_close`, one transaction per loan); then
`cob_service.close_business` closes the N loans, which is the timed figure.

Without --database-url the book is a SQLite file in a temporary directory. A PostgreSQL
database must exist and hold no tables (or pass --reset to drop them); its tables are dropped
again at the end unless --keep. At 1,000,000 loans (30 million installments) the book takes
about 7 GB on SQLite and 9 GB on PostgreSQL.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, func, inspect, select, text

from benchmarks import _loanbook as loanbook
from benchmarks._harness import emit, progress, progress_console
from fengkong import demo
from fengkong.bootstrap import Container, bootstrap
from fengkong.core.audit_service import SystemActor
from fengkong.core.clock import FixedClock
from fengkong.core.config import Settings
from fengkong.core.migrate import upgrade
from fengkong.ledger.models import JournalLine
from fengkong.loans import cob
from fengkong.loans.cob_service import close_business
from fengkong.loans.loan_service import replay_for_close
from fengkong.schema import metadata

BUSINESS_DATE = date(2026, 1, 15)   # the last date closed; a Thursday in mid-month
GOAL_SECONDS = 60.0
BYTES_PER_INSTALLMENT = 310          # with the loans and indexes: 9.3 GB for 1M loans on PostgreSQL


@dataclass
class Book:
    tenant_id: str
    closed: date                     # the last close before the run
    figures: loanbook.BookFigures
    seconds: float
    twins: list[tuple[str, str]]     # (peer's loan, set-based loan of the same scenario)


@dataclass
class Timed:
    loans: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.loans / self.seconds if self.seconds else 0.0


def main() -> None:
    args = _parse()
    with tempfile.TemporaryDirectory(prefix="fengkong-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'fengkong.db'}"
        container = _container(url, Path(tmp))
        try:
            _check_empty(container.engine, args.reset)
            book = _set_up(container, args, Path(tmp))
            peer = _peer(container, book)
            run, report, lines = _close(container, book, args.chunk)
            with container.uow() as uow:
                loanbook.check_twins(uow, book.twins)
            database = container.engine.dialect.name
        finally:
            if container.engine.dialect.name != "sqlite" and not args.keep:
                _drop_tables(container.engine)
            container.close()
    _report(database, args, book, peer, run, report, lines)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cob", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000,
                        help="loans closed set-based (default 1,000,000; 50000 for a quick run)")
    parser.add_argument("--database-url", default="",
                        help="an empty PostgreSQL database instead of SQLite in a temp directory")
    parser.add_argument("--chunk", type=int, default=cob.CHUNK,
                        help=f"loans per close-of-business transaction (default {cob.CHUNK})")
    parser.add_argument("--days", type=int, default=1,
                        help="business days to close, caught up day by day (default 1); no "
                             "repayment arrives in between, so what falls due goes unpaid")
    parser.add_argument("--peer-sample", type=int, default=2000,
                        help="loans the per-loan peer closes (default 2000)")
    parser.add_argument("--templates", type=int, default=600,
                        help="loan templates the engine derives the amounts from (default 600)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--reset", action="store_true",
                        help="drop every table of the PostgreSQL database first")
    parser.add_argument("--keep", action="store_true",
                        help="leave the book in the PostgreSQL database afterwards")
    args = parser.parse_args()
    if args.size < 1 or args.chunk < 1 or not 1 <= args.days <= 31 or args.peer_sample < 1:
        parser.error("need --size, --chunk and --peer-sample >= 1 and 1 <= --days <= 31")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url names a PostgreSQL database (SQLite is the default)")
    return args


def _container(url: str, data_dir: Path) -> Container:
    """The composition root of the app, its clock stopped the morning after the business
    date (Asia/Shanghai), so that the date may be closed."""
    now = datetime.combine(BUSINESS_DATE + timedelta(days=1), datetime.min.time(), UTC)
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="benchmark",
                        password_hash_cost="low", log_format="text")
    return bootstrap(settings, clock=FixedClock(now + timedelta(hours=1)))


def _check_empty(engine: Engine, reset: bool) -> None:
    if not inspect(engine).get_table_names():
        return
    if not reset:
        raise SystemExit(f"{engine.url.render_as_string()} holds tables: point --database-url "
                         "at an empty database, or pass --reset to drop them")
    _drop_tables(engine)


def _drop_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


# --- the book ------------------------------------------------------------------------------


def _set_up(container: Container, args: argparse.Namespace, tmp: Path) -> Book:
    started = time.perf_counter()
    upgrade(container.engine)
    world = demo.seed(container)
    tenant_id = world.tenant_id
    closed = BUSINESS_DATE - timedelta(days=args.days)
    rng = random.Random(args.seed)
    with container.uow() as uow:
        catalog = loanbook.products(uow, tenant_id)
    plan = loanbook.make_plan(catalog, tenant_id, closed, args.templates, rng)
    total = args.size + args.peer_sample
    _check_disk(container.engine, plan, total, tmp)
    picked = set(rng.sample(range(total), args.peer_sample))
    sample: list[loanbook.LoanDraw] = []
    counts = {"installments": 0, "overdue": 0}
    by_product = dict.fromkeys(loanbook.SHAPES, 0)
    twins: dict[int, str] = {}  # a loan the set-based run closes, by scenario

    def draws() -> Iterator[loanbook.LoanDraw]:
        for draw in loanbook.draw_loans(plan, world.units, world.users["demo.officer"], total,
                                        rng):
            scenario = plan.scenarios[draw.scenario]
            counts["installments"] += len(scenario.rows)
            counts["overdue"] += scenario.overdue
            by_product[scenario.code] += 1
            if draw.seq in picked:
                sample.append(draw)
            else:
                twins.setdefault(draw.scenario, draw.id)
            yield draw

    engine = container.engine
    with progress() as bars:
        loans = bars.add_task("set-up: loans", total=total)
        rows = bars.add_task("set-up: installments", total=total)
        load = (loanbook.load_sqlite if engine.dialect.name == "sqlite"
                else loanbook.load_postgres)
        target = (engine.url.database if engine.dialect.name == "sqlite"
                  else engine.url.set(drivername="postgresql").render_as_string(False))
        engine.dispose()
        load(str(target), plan, draws(), tenant_id, lambda n: bars.advance(loans, n),
             lambda n: bars.advance(rows, n))
    with container.uow() as uow:
        loanbook.add_history(uow, plan, sample, tenant_id, world.users["demo.admin"])
        uow.commit()
    ids = [d.id for d in sample]
    with container.uow() as uow:
        loanbook.check_against_engine(uow, ids[:25])
    figures = loanbook.BookFigures(total, ids, counts["installments"], counts["overdue"],
                                   by_product)
    pairs = [(d.id, twins[d.scenario]) for d in sample if d.scenario in twins]
    return Book(tenant_id, closed, figures, time.perf_counter() - started, pairs)


def _check_disk(engine: Engine, plan: loanbook.Plan, loans: int, tmp: Path) -> None:
    rows = sum(len(plan.scenarios[first].rows) for first, _ in plan.templates)
    need = loans * rows / len(plan.templates) * BYTES_PER_INSTALLMENT
    where = tmp if engine.dialect.name == "sqlite" else None
    progress_console.print(f"set-up: about {need / 1e9:.1f} GB for {loans:,} loans")
    if where is not None and shutil.disk_usage(where).free < need * 1.3:
        raise SystemExit(f"not enough free disk under {where} for {loans:,} loans "
                         f"(about {need / 1e9:.1f} GB): try a smaller --size")


# --- the two closes --------------------------------------------------------------------------


def _peer(container: Container, book: Book) -> Timed:
    """Fineract's way: each loan loaded, replayed through the date and written back, in its
    own transaction, day by day."""
    ids = book.figures.sample
    days = (BUSINESS_DATE - book.closed).days
    with progress() as bars:
        task = bars.add_task("peer: per-loan replay", total=len(ids) * days)
        started = time.perf_counter()
        for n in range(1, days + 1):
            for loan_id in ids:
                with container.uow() as uow:
                    replay_for_close(uow, loan_id, book.closed + timedelta(days=n))
                    uow.commit()
                bars.advance(task)
        seconds = time.perf_counter() - started
    return Timed(len(ids) * days, seconds)


def _close(container: Container, book: Book, chunk: int
           ) -> tuple[Timed, cob.CobReport, int]:
    """fengkong's set-based close of business for every loan the peer did not close."""
    before = _journal_lines(container)
    with progress() as bars:
        def on_day(day: date, total: int) -> cob.Progress:
            task = bars.add_task(f"close of business {day}", total=total)
            return lambda done: bars.advance(task, done)

        started = time.perf_counter()
        report = close_business(container.uow, SystemActor(tenant_id=book.tenant_id,
                                                           actor_id="cob",
                                                           name="close of business"),
                                book.tenant_id, BUSINESS_DATE, chunk=chunk, on_day=on_day)
        seconds = time.perf_counter() - started
    return Timed(report.loans, seconds), report, _journal_lines(container) - before


def _journal_lines(container: Container) -> int:
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(JournalLine)) or 0


# --- the report ------------------------------------------------------------------------------


def _report(database: str, args: argparse.Namespace, book: Book, peer: Timed, run: Timed,
            report: cob.CobReport, lines: int) -> None:
    days = len(report.days)
    closed = run.loans // max(days, 1)
    peer_n = args.size * days / peer.rate if peer.rate else 0.0
    penalties = Decimal(sum(d.penalties_fen for d in report.days)).scaleb(-2)
    due = sum(d.installments_due for d in report.days)
    out = Console()
    f = book.figures
    mix = ", ".join(f"{code} {n / f.loans:.0%}" for code, n in f.by_product.items())
    out.print(f"book: {f.loans:,} loans ({mix}), {f.installments:,} installments, "
              f"{f.overdue:,} loans overdue ({f.overdue / f.loans:.1%}); set up in "
              f"{book.seconds:.0f} s, not timed")
    table = Table(title=f"Close of business on {database}: {closed:,} loans, {days} day(s) "
                        f"to {BUSINESS_DATE}")
    for column in ("", "method", "loans", "seconds", "loans/s", f"{args.size:,} loans"):
        table.add_column(column, justify="left" if column in ("", "method") else "right")
    table.add_row("fengkong", f"set-based, chunks of {args.chunk:,}", f"{closed:,}",
                  f"{run.seconds:.1f}", f"{run.rate:,.0f}", f"{run.seconds:.1f} s")
    table.add_row("peer", "per-loan replay (Fineract's COB)", f"{peer.loans // days:,}",
                  f"{peer.seconds:.1f}", f"{peer.rate:,.0f}", f"{peer_n:,.0f} s (extrapolated)")
    out.print(table)
    goal = "met" if run.seconds <= GOAL_SECONDS * days else "missed"
    out.print(f"fengkong: {due:,} installments fell due, {penalties:,} yuan of penalties "
              f"charged, {lines:,} journal lines booked, "
              f"{sum(d.newly_overdue for d in report.days):,} loans newly overdue, "
              f"{sum(d.bucket_changes for d in report.days):,} bucket changes; "
              f"the {GOAL_SECONDS:.0f} s goal is {goal}")
    out.print(f"speed-up: {run.rate / peer.rate if peer.rate else 0:,.0f}x the per-loan rate; "
              f"{len(book.twins):,} loans closed by the peer end the day exactly like a loan "
              "of the same shape closed set-based")
    emit({
        "benchmark": "cob",
        "database": database,
        "loans": closed,
        "days": days,
        "seconds": round(run.seconds, 2),
        "loans_per_second": round(run.rate, 1),  # loan-days a second when --days > 1
        "peer": "per-loan replay",
        "peer_loans": peer.loans // days,
        "peer_loans_per_second": round(peer.rate, 1),
        "peer_seconds_extrapolated": round(peer_n, 1),
        "setup_seconds": round(book.seconds, 1),
        "installments": f.installments,
        "overdue_loans": f.overdue,
        "installments_due": due,
        "penalties_charged": f"{penalties:f}",
        "journal_lines": lines,
        "chunk": args.chunk,
        "goal_seconds": GOAL_SECONDS,
    })


if __name__ == "__main__":
    main()
