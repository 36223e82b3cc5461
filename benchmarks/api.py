"""API benchmark: an authenticated, org-scoped read (`GET /api/v1/org/units`: token lookup,
permission, subtree query) against the framework floor (`GET /healthz`: no auth, no
database), on the same real server, in the same run, in alternating rounds.

    python -m benchmarks.api [--size 2000] [--workers 4] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from benchmarks._harness import Latencies, emit, fengkong_server, progress
from fengkong import demo
from fengkong.bootstrap import bootstrap
from fengkong.core.config import load_settings
from fengkong.core.migrate import upgrade

SCOPED = "/api/v1/org/units"
FLOOR = "/healthz"
WARMUP = 50


def main() -> None:
    args = _parse()
    with tempfile.TemporaryDirectory(prefix="fengkong-bench-") as tmp:
        env = {
            "FENGKONG_DATA_DIR": tmp,
            "FENGKONG_DATABASE_URL": args.database_url,  # empty: SQLite under the data dir
            "FENGKONG_PASSWORD_HASH_COST": "standard",
        }
        database = _prepare(env)
        password = load_settings({**os.environ, **env}).demo_password
        with fengkong_server(env, Path(tmp) / "server.log") as base:
            results = _measure(base, args, password)
    scoped, floor, login_ms, units = results
    _report(database, args, scoped, floor, login_ms, units)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=2000,
                        help="requests to each endpoint (default 2000)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating rounds the requests are split into (default 10)")
    parser.add_argument("--database-url", default="",
                        help="database to use instead of SQLite in a temporary directory")
    parser.add_argument("--user", default="demo.sh", help="demo login (default demo.sh)")
    args = parser.parse_args()
    if args.size < args.rounds or args.workers < 1 or args.rounds < 1:
        parser.error("need --size >= --rounds >= 1 and --workers >= 1")
    return args


def _prepare(env: dict[str, str]) -> str:
    """Schema and demo data, through the same composition root the server uses."""
    container = bootstrap(load_settings({**os.environ, **env}))
    try:
        upgrade(container.engine)
        demo.seed(container)
        return container.engine.dialect.name
    finally:
        container.close()


def _measure(base: str, args: argparse.Namespace, password: str
             ) -> tuple[Latencies, Latencies, float, int]:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        started = time.perf_counter()
        response = client.post("/api/v1/auth/token",
                               data={"username": args.user, "password": password})
        login_ms = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        check = client.get(SCOPED, headers=headers)
        check.raise_for_status()
        units = len(check.json()["items"])

    clients = [httpx.Client(base_url=base, timeout=30.0) for _ in range(args.workers)]
    try:
        with ThreadPoolExecutor(args.workers) as pool, progress() as bars:
            run = _Runner(pool, clients, bars)
            run.chunk(FLOOR, {}, WARMUP, bars.add_task("warm-up", total=None, visible=False))
            run.chunk(SCOPED, headers, WARMUP, bars.add_task("warm-up", total=None,
                                                             visible=False))
            floor_task = bars.add_task(f"floor   GET {FLOOR}", total=args.size)
            scoped_task = bars.add_task(f"scoped  GET {SCOPED}", total=args.size)
            floor, scoped = Latencies([], 0.0), Latencies([], 0.0)
            for i in range(args.rounds):
                share = args.size // args.rounds + (i < args.size % args.rounds)
                _add(floor, run.chunk(FLOOR, {}, share, floor_task))
                _add(scoped, run.chunk(SCOPED, headers, share, scoped_task))
    finally:
        for c in clients:
            c.close()
    return scoped, floor, login_ms, units


class _Runner:
    """Sends `n` requests to one path, spread over the worker clients."""

    def __init__(self, pool: ThreadPoolExecutor, clients: list[httpx.Client],
                 bars: Progress) -> None:
        self.pool, self.clients, self.bars = pool, clients, bars

    def chunk(self, path: str, headers: dict[str, str], n: int, task: TaskID) -> Latencies:
        k = len(self.clients)
        shares = [n // k + (i < n % k) for i in range(k)]
        started = time.perf_counter()
        futures = [self.pool.submit(self._send, c, path, headers, share, task)
                   for c, share in zip(self.clients, shares, strict=True)]
        samples = [s for f in futures for s in f.result()]
        return Latencies(samples, time.perf_counter() - started)

    def _send(self, client: httpx.Client, path: str, headers: dict[str, str], n: int,
              task: TaskID) -> list[float]:
        samples = []
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            samples.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"GET {path} answered {response.status_code}: "
                                   f"{response.text[:200]}")
            self.bars.advance(task)
        return samples


def _add(total: Latencies, part: Latencies) -> None:
    total.samples.extend(part.samples)
    total.wall_s += part.wall_s


def _report(database: str, args: argparse.Namespace, scoped: Latencies, floor: Latencies,
            login_ms: float, units: int) -> None:
    out = Console()
    table = Table(title=f"API on {database}: {args.size} requests per endpoint, "
                        f"{args.workers} concurrent clients, loopback")
    for column in ("", "endpoint", "req/s", "mean ms", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right" if column.endswith(("s", "ms")) else "left")
    for label, path, lat in (("fengkong", SCOPED, scoped), ("peer", FLOOR, floor)):
        table.add_row(label, f"GET {path}", f"{lat.rate:,.0f}", f"{lat.mean_ms:.2f}",
                      f"{lat.ms(50):.2f}", f"{lat.ms(99):.2f}")
    out.print(table)
    overhead = floor.rate / scoped.rate if scoped.rate else 0.0
    out.print(f"fengkong: token lookup, permission, {units} unit(s) of {args.user}'s subtree")
    out.print("peer:     the same server's floor (no auth, no database)")
    out.print(f"overhead: the floor serves {overhead:.2f}x the requests/s")
    out.print(f"login:    {login_ms:.0f} ms (argon2id, standard cost)")
    emit({
        "benchmark": "api",
        "database": database,
        "requests": args.size,
        "workers": args.workers,
        "scoped_rps": round(scoped.rate, 1),
        "scoped_mean_ms": round(scoped.mean_ms, 2),
        "scoped_p50_ms": round(scoped.ms(50), 2),
        "scoped_p99_ms": round(scoped.ms(99), 2),
        "floor_rps": round(floor.rate, 1),
        "floor_mean_ms": round(floor.mean_ms, 2),
        "floor_p50_ms": round(floor.ms(50), 2),
        "floor_p99_ms": round(floor.ms(99), 2),
        "overhead_x": round(overhead, 2),
        "login_ms": round(login_ms, 1),
    })


if __name__ == "__main__":
    main()
