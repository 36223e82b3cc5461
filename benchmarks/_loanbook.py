"""A loan book for the close-of-business benchmark, written in bulk rather than booked one by
one: N loans of the demo products (AUTO-60, CASH-24, LEASE-48) with their installments, as the
engine says they stand after the last close.

The amounts come from the real engine, once per loan shape: a few hundred templates (product,
principal, term, rate, disbursement date), each replayed with its installments repaid on their
due dates up to the last close (current), or up to an oldest unpaid installment 0-200 days
late (overdue: the engine charges its penalty interest and late fee; 0 days is an installment
that fell due on the last close and turns 1 day late in the run). Every loan is one of these
scenarios under its own id, unit and borrower; the loans are written with COPY (PostgreSQL) or
in one executemany transaction (SQLite), and the installments are expanded on the server with
one INSERT ... SELECT from a staging copy of the scenarios' rows, in loan-id order.

The loans the per-loan peer replays also get their repayment transactions, allocated as the
engine allocates them and journalled, so that a replay of one finds exactly what it stored.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from sqlalchemy import Index, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from fengkong.core.audit_service import SystemActor
from fengkong.core.errors import InvalidInput
from fengkong.core.ids import new_id
from fengkong.core.money import to_minor
from fengkong.core.uow import UnitOfWork
from fengkong.ledger import service as ledger
from fengkong.ledger.bulk import insert_rows
from fengkong.ledger.posting import Entry
from fengkong.loans import journal
from fengkong.loans.account import AccountState, LoanContract, Txn, replay
from fengkong.loans.calendar import add_months
from fengkong.loans.models import Loan, LoanInstallment, LoanProduct, LoanProductVersion
from fengkong.loans.models import LoanTransaction as LoanTxn
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

OVERDUE_SHARE = 0.05
MAX_DAYS_LATE = 200
CHANNEL = "bank"
# Per product: share of the book, principal range and step (yuan), terms, rates, units.
SHAPES: dict[str, tuple[float, tuple[int, int, int], tuple[int, ...], tuple[str, ...],
                        tuple[str, ...]]] = {
    "AUTO-60": (0.55, (30_000, 400_000, 1_000), (12, 24, 36, 48),
                ("5.5", "7.5", "8.8", "9.9", "12"), ("EAST-SH", "EAST-HZ", "WEST-CD", "WEST-CQ")),
    "CASH-24": (0.30, (2_000, 100_000, 500), (12, 18, 24), ("6", "7.2", "8.5", "10"),
                ("EAST-SH", "EAST-HZ", "WEST-CD", "WEST-CQ")),
    "LEASE-48": (0.15, (80_000, 600_000, 5_000), (24, 36, 48), ("4.5", "6", "7.5"),
                 ("EAST-SH", "EAST-HZ")),  # the product is limited to the East region
}
PER_LOAN = ("id", "org_unit_id", "officer_id", "borrower_ref", "application_ref", "created_at")
INSTALLMENT_COLUMNS = tuple(c.name for c in LoanInstallment.__table__.columns
                            if c.name not in ("loan_id", "tenant_id"))


@dataclass(frozen=True)
class Product:
    code: str
    id: str
    version_id: str
    params: ProductParams


@dataclass
class Scenario:
    """One loan shape at the last close: the loan's columns and installment rows, and the
    repayments (with their allocation columns) that brought it there."""

    code: str
    loan: dict[str, Any]
    rows: list[dict[str, Any]]
    repayments: list[tuple[Txn, dict[str, int]]]

    @property
    def overdue(self) -> bool:
        """Something that fell due by the last close is unpaid."""
        oldest: date | None = self.loan["oldest_unpaid_due_date"]
        return oldest is not None and oldest <= self.loan["last_cob_date"]


@dataclass
class Plan:
    """Templates of the book: for each, its current scenario and its overdue ones."""

    closed: date
    scenarios: list[Scenario] = field(default_factory=list)
    templates: list[tuple[int, list[int]]] = field(default_factory=list)


@dataclass
class BookFigures:
    loans: int
    sample: list[str]  # the peer's loans: these carry their transactions
    installments: int
    overdue: int
    by_product: dict[str, int]


# --- the plan: engine-derived scenarios ----------------------------------------------------


def products(uow: UnitOfWork, tenant_id: str) -> dict[str, Product]:
    found = uow.session.execute(
        select(LoanProduct.code, LoanProduct.id, LoanProductVersion.id,
               LoanProductVersion.params)
        .join(LoanProductVersion, (LoanProductVersion.product_id == LoanProduct.id)
              & (LoanProductVersion.version == LoanProduct.latest_version))
        .where(LoanProduct.tenant_id == tenant_id, LoanProduct.code.in_(SHAPES))).all()
    return {code: Product(code, pid, vid, parse_product(params))
            for code, pid, vid, params in found}


def make_plan(catalog: dict[str, Product], tenant_id: str, closed: date, templates: int,
              rng: random.Random) -> Plan:
    plan = Plan(closed)
    codes = list(SHAPES)
    weights = [SHAPES[c][0] for c in codes]
    while len(plan.templates) < templates:
        product = catalog[rng.choices(codes, weights)[0]]
        drawn = _draw(product, closed, rng)
        if drawn is None:
            continue
        loan_input, contract = drawn
        due = [s for s in contract.schedule if s.due_date <= closed]
        late = [k for k, s in enumerate(due) if (closed - s.due_date).days <= MAX_DAYS_LATE]
        first = len(plan.scenarios)
        for paid in [len(due), *late]:
            plan.scenarios.append(_scenario(product, tenant_id, loan_input, contract, paid,
                                            closed))
        plan.templates.append((first, list(range(first + 1, len(plan.scenarios)))))
    return plan


def _draw(product: Product, closed: date, rng: random.Random
          ) -> tuple[dict[str, Any], LoanContract] | None:
    """A loan the product allows, disbursed 1-24 months before `closed` and still running."""
    _, (low, high, step), terms, rates, _ = SHAPES[product.code]
    disbursed = closed - timedelta(days=rng.randint(30, 730))
    months = (closed.year - disbursed.year) * 12 + closed.month - disbursed.month
    principal = rng.randrange(low, high + 1, step)
    loan: dict[str, Any] = {
        "principal": f"{principal}.00", "annual_rate": rng.choice(rates),
        "term": rng.choice([t for t in terms if t > months + 1] or [max(terms)]),
        "disbursement_date": disbursed.isoformat()}
    if product.code == "LEASE-48":
        loan["balloon_amount"] = f"{principal * 3 // 10}.00"
    try:
        check_cost_cap(product.params, quote(loan_terms(product.params, loan)))
    except InvalidInput:
        return None
    contract = contract_of({**product.params.terms, **loan}, product.params)
    if add_months(disbursed, loan["term"]) <= closed or contract.schedule[-1].due_date <= closed:
        return None
    return loan, contract


def _scenario(product: Product, tenant_id: str, loan_input: dict[str, Any],
              contract: LoanContract, paid: int, closed: date) -> Scenario:
    """The loan with its first `paid` installments repaid on their due dates, at `closed`."""
    txns = [Txn(id=f"r{n}", kind="repayment", value_date=s.due_date,
                amount=s.principal + s.interest + s.fee)
            for n, s in enumerate(contract.schedule[:paid], 1)]
    state = replay(contract, txns, closed)
    rows = installment_rows(state)
    return Scenario(product.code, _loan_columns(product, tenant_id, loan_input, contract,
                                                state, rows, closed),
                    rows, [(t, allocation_columns(state, t.id)) for t in txns])


def _loan_columns(product: Product, tenant_id: str, loan_input: dict[str, Any],
                  contract: LoanContract, state: AccountState, rows: list[dict[str, Any]],
                  closed: date) -> dict[str, Any]:
    """What `loan_service.book`, `disburse` and the replays up to `closed` leave in the row."""
    params, terms = product.params, contract.terms
    summary = summary_columns(state)
    due = [r for r in rows if r["due_date"] <= closed]
    disbursed = terms.disbursement_date
    return {
        **penalty_columns(contract), **summary,
        "tenant_id": tenant_id, "product_id": product.id, "product_version_id": product.version_id,
        "currency": params.currency, "principal_fen": to_minor(terms.principal),
        "annual_rate": f"{terms.annual_rate:f}",
        "terms": {**params.terms, **loan_input},
        "approved_on": disbursed, "disbursed_on": disbursed,
        "interest_accrued_fen": sum(r["interest_fen"] for r in due),
        "fee_accrued_fen": sum(r["fee_fen"] for r in due),
        "bucket": bucket_for(summary["days_past_due"], params),
        "npa": summary["days_past_due"] > params.npa_days, "npa_days": params.npa_days,
        "last_cob_date": closed, "version": 1 + len(due),
    }


# --- the loans: who, where, which scenario ---------------------------------------------------


@dataclass(frozen=True)
class LoanDraw:
    seq: int
    id: str
    scenario: int
    unit: str
    officer: str | None
    created_at: datetime


def draw_loans(plan: Plan, units: dict[str, str], officer: str, count: int,
               rng: random.Random) -> Iterator[LoanDraw]:
    """`count` loans in id order, each a random template, 5 % of them overdue."""
    for seq in range(count):
        current, late = plan.templates[rng.randrange(len(plan.templates))]
        key = rng.choice(late) if late and rng.random() < OVERDUE_SHARE else current
        scenario = plan.scenarios[key]
        unit = rng.choice(SHAPES[scenario.code][4])
        disbursed: date = scenario.loan["disbursed_on"]
        yield LoanDraw(seq, new_id(), key, units[unit], officer if unit == "EAST-SH" else None,
                       datetime.combine(disbursed, time(2, 0), UTC))


def loan_columns() -> tuple[str, ...]:
    """Every column of `loans`, the per-loan ones first; one the plan does not fill must have a
    default, else the book would drift from the schema."""
    table: Table = Loan.__table__  # type: ignore[assignment]
    names = [c.name for c in table.columns]
    return PER_LOAN + tuple(n for n in names if n not in PER_LOAN)


def scenario_values(plan: Plan, columns: Sequence[str]) -> list[list[Any]]:
    table: Table = Loan.__table__  # type: ignore[assignment]
    out = []
    for scenario in plan.scenarios:
        values = []
        for name in columns[len(PER_LOAN):]:
            if name in scenario.loan:
                values.append(scenario.loan[name])
                continue
            column = table.c[name]
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                values.append(default.arg)  # type: ignore[attr-defined]
            elif column.nullable:
                values.append(None)
            else:
                raise RuntimeError(f"the benchmark book does not fill loans.{name}")
        out.append(values)
    return out


# --- writers ---------------------------------------------------------------------------------


Advance = Callable[[int], None]


def _indexes(table: Table) -> list[Index]:
    return sorted(table.indexes, key=lambda i: i.name or "")


def load_sqlite(path: str, plan: Plan, draws: Iterator[LoanDraw], tenant_id: str,
                advance_loans: Advance, advance_rows: Advance, batch: int = 50_000) -> None:
    """One transaction, synchronous=OFF and no journal for the set-up only; the secondary
    indexes are built after the rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF",
                       "cache_size=-1000000", "temp_store=MEMORY"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute("BEGIN")
        tables = [Loan.__table__, LoanInstallment.__table__]
        dropped = [i for t in tables for i in _indexes(t)]  # type: ignore[arg-type]
        for index in dropped:
            conn.execute(f"DROP INDEX IF EXISTS {index.name}")
        columns = loan_columns()
        fixed = [tuple(_sqlite_value(v) for v in values)
                 for values in scenario_values(plan, columns)]
        _stage_scenarios(conn.execute, conn.executemany, plan, "?", _plain)
        conn.execute("CREATE TEMP TABLE bench_map (seq INTEGER PRIMARY KEY, loan_id TEXT, "
                     "scenario INTEGER)")
        insert_loans = (f"INSERT INTO loans ({', '.join(columns)}) "
                        f"VALUES ({', '.join('?' * len(columns))})")
        for chunk in _batches(draws, batch):
            conn.executemany(insert_loans, [
                (d.id, d.unit, d.officer, f"B{d.seq:08d}", None,
                 d.created_at.replace(tzinfo=None).isoformat(" ", "microseconds"),
                 *fixed[d.scenario]) for d in chunk])
            conn.executemany("INSERT INTO bench_map VALUES (?, ?, ?)",
                             [(d.seq, d.id, d.scenario) for d in chunk])
            advance_loans(len(chunk))
        _expand(conn.execute, tenant_id, "?", advance_rows, batch)
        for index in dropped:
            conn.execute(str(CreateIndex(index).compile(dialect=sqlite.dialect())))
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()


def load_postgres(url: str, plan: Plan, draws: Iterator[LoanDraw], tenant_id: str,
                  advance_loans: Advance, advance_rows: Advance, batch: int = 50_000) -> None:
    """COPY for the loans, foreign-key triggers off (the rows are consistent by construction),
    the secondary indexes built after the rows, then VACUUM ANALYZE and a checkpoint so that
    the timed run starts from a settled database, as a production one would."""
    with psycopg.connect(url) as conn:
        try:  # a superuser skips the per-row foreign-key triggers
            conn.execute("SET session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
        for setting in ("synchronous_commit = off", "maintenance_work_mem = '1GB'"):
            conn.execute(f"SET {setting}")
        tables = [Loan.__table__, LoanInstallment.__table__]
        dropped = [i for t in tables for i in _indexes(t)]  # type: ignore[arg-type]
        for index in dropped:
            conn.execute(f"DROP INDEX IF EXISTS {index.name}")
        columns = loan_columns()
        fixed = ["\t".join(_copy_text(v) for v in values)
                 for values in scenario_values(plan, columns)]
        cur = conn.cursor()
        _stage_scenarios(cur.execute, cur.executemany, plan, "%s", lambda v: v)
        cur.execute("CREATE TEMP TABLE bench_map (seq INTEGER PRIMARY KEY, loan_id TEXT, "
                    "scenario INTEGER)")
        for chunk in _batches(draws, batch):
            with cur.copy(f"COPY loans ({', '.join(columns)}) FROM STDIN") as copy:
                copy.write("".join(
                    f"{d.id}\t{d.unit}\t{_copy_text(d.officer)}\tB{d.seq:08d}\t\\N\t"
                    f"{d.created_at.isoformat()}\t{fixed[d.scenario]}\n" for d in chunk))
            with cur.copy("COPY bench_map FROM STDIN") as copy:
                copy.write("".join(f"{d.seq}\t{d.id}\t{d.scenario}\n" for d in chunk))
            advance_loans(len(chunk))
        _expand(cur.execute, tenant_id, "%s", advance_rows, batch)
        for index in dropped:
            cur.execute(str(CreateIndex(index).compile(dialect=postgresql.dialect())))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE loans")
        conn.execute("VACUUM ANALYZE loan_installments")
        conn.execute("CHECKPOINT")


def _stage_scenarios(execute: Callable[..., Any], executemany: Callable[..., Any], plan: Plan,
                     mark: str, convert: Callable[[Any], Any]) -> None:
    """The scenarios' installment rows, which the INSERT ... SELECT copies for every loan."""
    columns = ("scenario",) + INSTALLMENT_COLUMNS
    typed = [f"{c} {'DATE' if c in ('due_date', 'completed_on') else 'BIGINT'}"
             for c in columns]
    execute(f"CREATE TEMP TABLE bench_rows ({', '.join(typed)})")
    executemany(f"INSERT INTO bench_rows VALUES ({', '.join([mark] * len(columns))})",
                [(key, *(convert(row[c]) for c in INSTALLMENT_COLUMNS))
                 for key, scenario in enumerate(plan.scenarios) for row in scenario.rows])
    execute("CREATE INDEX bench_rows_scenario ON bench_rows (scenario)")


def _expand(execute: Callable[..., Any], tenant_id: str, mark: str, advance: Advance,
            batch: int) -> None:
    """Every loan's installments, in loan-id order (as a book grows), batch by batch."""
    count = execute("SELECT count(*) FROM bench_map").fetchone()[0]
    target = ("loan_id", "tenant_id") + INSTALLMENT_COLUMNS
    picked = ", ".join(f"r.{c}" for c in INSTALLMENT_COLUMNS)
    sql = (f"INSERT INTO loan_installments ({', '.join(target)}) "
           f"SELECT m.loan_id, {mark}, {picked} FROM bench_map m "
           f"JOIN bench_rows r ON r.scenario = m.scenario "
           f"WHERE m.seq >= {mark} AND m.seq < {mark} ORDER BY m.seq, r.number")
    for start in range(0, count, batch):
        execute(sql, (tenant_id, start, start + batch))
        advance(min(batch, count - start))


def _batches(draws: Iterator[LoanDraw], size: int) -> Iterator[list[LoanDraw]]:
    chunk: list[LoanDraw] = []
    for draw in draws:
        chunk.append(draw)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _sqlite_value(value: Any) -> Any:
    """A value as SQLAlchemy stores it on SQLite (dates as ISO text, JSON as text)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value)
    return _plain(value)


def _copy_text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict):
        value = json.dumps(value)
    text = _plain(value) if isinstance(value, date) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


# --- the peer's loans: their repayment transactions and journal -----------------------------


def add_history(uow: UnitOfWork, plan: Plan, sample: Sequence[LoanDraw], tenant_id: str,
                actor_id: str) -> None:
    """The repayments of the sampled loans as `loan_service.record` leaves them: allocated by
    the engine and each journalled, so that their replay changes only what the day brings."""
    actor = SystemActor(tenant_id=tenant_id, actor_id=actor_id, name="benchmark set-up")
    rows: list[LoanTxn] = []
    entries: list[Entry] = []
    for draw in sample:
        holder = Loan(id=draw.id, org_unit_id=draw.unit)
        for txn, allocation in plan.scenarios[draw.scenario].repayments:
            row = LoanTxn(id=new_id(), tenant_id=tenant_id, loan_id=draw.id, kind=txn.kind,
                          value_date=txn.value_date, amount_fen=to_minor(txn.amount),
                          channel=CHANNEL, created_by=actor_id,
                          created_at=datetime.combine(txn.value_date, time(3, 0), UTC),
                          **allocation)
            rows.append(row)
            entries.append(Entry(txn.value_date, "repayment",
                                 journal.for_transaction(holder, row),
                                 f"loan-txn:{row.id}", org_unit_id=draw.unit))
    entry_ids = ledger.post_many(uow, actor, entries, tenant_id=tenant_id, audit=False)
    columns = [c.name for c in LoanTxn.__table__.columns]
    insert_rows(uow.session, LoanTxn, columns, [
        tuple(entry_id if c == "journal_entry_id" else getattr(row, c) for c in columns)
        for row, entry_id in zip(rows, entry_ids, strict=True)])


def check_against_engine(uow: UnitOfWork, loan_ids: Sequence[str]) -> None:
    """The sampled loans as stored are what the engine replays from their transactions, so
    the peer's replay has only the day's work to do (a guard against the book drifting from
    the engine)."""
    for loan_id in loan_ids:
        loan = uow.session.get_one(Loan, loan_id)
        version = uow.session.get_one(LoanProductVersion, loan.product_version_id)
        params = parse_product(version.params)
        txns = uow.session.scalars(select(LoanTxn).where(LoanTxn.loan_id == loan_id)
                                   .order_by(LoanTxn.created_at, LoanTxn.id)).all()
        assert loan.last_cob_date is not None
        state = replay(contract_of(loan.terms, params), [txn_of(t) for t in txns],
                       loan.last_cob_date)
        stored = [{c: getattr(r, c) for c in INSTALLMENT_COLUMNS}
                  for r in uow.session.scalars(select(LoanInstallment).where(
                      LoanInstallment.loan_id == loan_id).order_by(LoanInstallment.number))]
        summary = summary_columns(state)
        if stored != installment_rows(state) or any(
                getattr(loan, k) != v for k, v in summary.items()):
            raise RuntimeError(f"the benchmark book's loan {loan_id} disagrees with the engine")


def check_twins(uow: UnitOfWork, pairs: Sequence[tuple[str, str]]) -> None:
    """A loan the peer closed and one of the same scenario the set-based run closed end the
    day alike: the same installments and the same summary."""
    skip = set(PER_LOAN) | {"version"}
    for peer_id, twin_id in pairs:
        states = []
        for loan_id in (peer_id, twin_id):
            loan = uow.session.get_one(Loan, loan_id)
            rows = [{c: getattr(r, c) for c in INSTALLMENT_COLUMNS}
                    for r in uow.session.scalars(select(LoanInstallment).where(
                        LoanInstallment.loan_id == loan_id).order_by(LoanInstallment.number))]
            states.append((rows, {c: getattr(loan, c) for c in loan_columns() if c not in skip}))
        if states[0] != states[1]:
            raise RuntimeError(f"loan {peer_id} (closed by replay) and {twin_id} (set-based) "
                               "should end the day alike and do not")
