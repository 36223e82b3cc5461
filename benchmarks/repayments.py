"""Repayments through the API: `POST /api/v1/loans/{id}/repayments` (token, permission, the
loan locked and replayed by the account engine, the allocation stored, a balanced journal
entry posted, the audit record appended, all in one transaction) on a book of open loans,
against the same server's scoped read of a loan (`GET /api/v1/loans/{id}`), in the same run,
in alternating rounds.

    python -m benchmarks.repayments [--size 2000] [--loans 400] [--workers 4]
                                    [--database-url postgresql://...]

Each repayment goes to a random loan of the book with its own idempotency key, dated today
(the business date), so every one is a new transaction that the engine allocates.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table
from sqlalchemy import select

from benchmarks._harness import Latencies, emit, fengkong_server, progress
from fengkong import demo
from fengkong.bootstrap import bootstrap
from fengkong.core.audit_service import SystemActor
from fengkong.core.clock import business_date
from fengkong.core.config import load_settings
from fengkong.core.migrate import upgrade
from fengkong.loans import cob_service, loan_service
from fengkong.loans.calendar import add_months
from fengkong.loans.models import LoanProduct

USER = "demo.admin"
WARMUP = 40


def main() -> None:
    args = _parse()
    with tempfile.TemporaryDirectory(prefix="fengkong-bench-") as tmp:
        env = {
            "FENGKONG_DATA_DIR": tmp,
            "FENGKONG_DATABASE_URL": args.database_url,  # empty: SQLite under the data dir
            "FENGKONG_PASSWORD_HASH_COST": "standard",
        }
        database, loans, today = _prepare(env, args.loans)
        password = load_settings({**os.environ, **env}).demo_password
        with fengkong_server(env, Path(tmp) / "server.log") as base:
            repay, read = _measure(base, args, password, loans, today)
    _report(database, args, repay, read)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.repayments", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2000, help="repayments (default 2000)")
    parser.add_argument("--loans", type=int, default=400, help="open loans (default 400)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating rounds the requests are split into (default 10)")
    parser.add_argument("--database-url", default="",
                        help="database to use instead of SQLite in a temporary directory")
    args = parser.parse_args()
    if args.size < args.rounds or args.workers < 1 or args.loans < 1:
        parser.error("need --size >= --rounds >= 1, --workers >= 1 and --loans >= 1")
    return args


def _prepare(env: dict[str, str], count: int) -> tuple[str, list[str], str]:
    """Schema, the demo tenant, `count` car loans disbursed three months ago with their
    business closed to yesterday, so that the server has nothing to catch up."""
    container = bootstrap(load_settings({**os.environ, **env}))
    try:
        upgrade(container.engine)
        world = demo.seed(container)
        with container.uow() as uow:
            today = business_date(uow.clock, "Asia/Shanghai")
            admin = demo.principal_of(uow, USER)
            product = uow.session.scalars(select(LoanProduct.id).where(
                LoanProduct.code == "AUTO-60")).one()
        start = add_months(today, -3)
        units = ["EAST-SH", "EAST-HZ", "WEST-CD", "WEST-CQ"]
        loans = []
        with progress() as bars:
            task = bars.add_task("booking loans", total=count)
            for n in range(count):
                with container.uow() as uow:
                    loan = loan_service.book(uow, admin, loan_service.Booking(
                        product_id=product, borrower_ref=f"BENCH-{n}",
                        org_unit_id=world.units[units[n % len(units)]], approved_on=start,
                        loan={"principal": "90000.00", "term": 36, "annual_rate": "7.5",
                              "disbursement_date": start.isoformat()}))
                    loan_service.disburse(uow, admin, loan.id, on=start, channel="bank")
                    uow.commit()
                    loans.append(loan.id)
                bars.advance(task)
        cob_service.close_business(container.uow, SystemActor(
            tenant_id=world.tenant_id, actor_id="bench", name="benchmark"),
            world.tenant_id, today - timedelta(days=1))
        return container.engine.dialect.name, loans, today.isoformat()
    finally:
        container.close()


def _measure(base: str, args: argparse.Namespace, password: str, loans: list[str], today: str
             ) -> tuple[Latencies, Latencies]:
    with httpx.Client(base_url=base, timeout=60.0) as client:
        response = client.post("/api/v1/auth/token", data={"username": USER,
                                                            "password": password})
        response.raise_for_status()
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    clients = [httpx.Client(base_url=base, timeout=60.0, headers=headers)
               for _ in range(args.workers)]
    sender = _Sender(clients, loans, today)
    try:
        with ThreadPoolExecutor(args.workers) as pool, progress() as bars:
            sender.bars = bars
            hidden = bars.add_task("warm-up", total=None, visible=False)
            sender.run(pool, "repay", WARMUP, hidden)
            sender.run(pool, "read", WARMUP, hidden)
            repay_task = bars.add_task("repayments  POST", total=args.size)
            read_task = bars.add_task("loan reads  GET", total=args.size)
            repay, read = Latencies([], 0.0), Latencies([], 0.0)
            for i in range(args.rounds):
                share = args.size // args.rounds + (i < args.size % args.rounds)
                _add(repay, sender.run(pool, "repay", share, repay_task))
                _add(read, sender.run(pool, "read", share, read_task))
    finally:
        for c in clients:
            c.close()
    return repay, read


class _Sender:
    """Sends `n` requests of one kind, spread over the worker clients."""

    def __init__(self, clients: list[httpx.Client], loans: list[str], today: str) -> None:
        self.clients, self.loans, self.today = clients, loans, today
        self.bars: Progress | None = None
        self.sent = 0

    def run(self, pool: ThreadPoolExecutor, kind: str, n: int, task: TaskID) -> Latencies:
        k = len(self.clients)
        shares = [n // k + (i < n % k) for i in range(k)]
        started = time.perf_counter()
        futures = [pool.submit(self._send, c, kind, share, task)
                   for c, share in zip(self.clients, shares, strict=True)]
        samples = [s for f in futures for s in f.result()]
        return Latencies(samples, time.perf_counter() - started)

    def _send(self, client: httpx.Client, kind: str, n: int, task: TaskID) -> list[float]:
        pick = random.Random(id(client) + self.sent)
        samples = []
        for _ in range(n):
            loan = pick.choice(self.loans)
            self.sent += 1
            started = time.perf_counter()
            if kind == "repay":
                response = client.post(f"/api/v1/loans/{loan}/repayments", json={
                    "value_date": self.today, "amount": str(Decimal("120.00")),
                    "external_id": f"bench-{pick.getrandbits(64):x}"})
                expected = 201
            else:
                response = client.get(f"/api/v1/loans/{loan}")
                expected = 200
            samples.append(time.perf_counter() - started)
            if response.status_code != expected:
                raise RuntimeError(f"{kind} answered {response.status_code}: "
                                   f"{response.text[:300]}")
            if self.bars is not None:
                self.bars.advance(task)
        return samples


def _add(total: Latencies, part: Latencies) -> None:
    total.samples.extend(part.samples)
    total.wall_s += part.wall_s


def _report(database: str, args: argparse.Namespace, repay: Latencies, read: Latencies
            ) -> None:
    out = Console()
    table = Table(title=f"Repayments on {database}: {args.size} requests each, {args.loans} "
                        f"loans, {args.workers} concurrent clients, loopback")
    for column in ("", "endpoint", "req/s", "mean ms", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right" if column.endswith(("s", "ms")) else "left")
    for label, what, lat in (("fengkong", "POST /loans/{id}/repayments", repay),
                             ("peer", "GET /loans/{id}", read)):
        table.add_row(label, what, f"{lat.rate:,.0f}", f"{lat.mean_ms:.2f}",
                      f"{lat.ms(50):.2f}", f"{lat.ms(99):.2f}")
    out.print(table)
    out.print("fengkong: a repayment allocated by the engine, journalled and audited")
    out.print("peer:     the same server's scoped read of one loan")
    emit({
        "benchmark": "repayments",
        "database": database,
        "requests": args.size,
        "loans": args.loans,
        "workers": args.workers,
        "repayments_per_second": round(repay.rate, 1),
        "repayment_mean_ms": round(repay.mean_ms, 2),
        "repayment_p50_ms": round(repay.ms(50), 2),
        "repayment_p99_ms": round(repay.ms(99), 2),
        "read_rps": round(read.rate, 1),
        "read_p99_ms": round(read.ms(99), 2),
    })


if __name__ == "__main__":
    main()
