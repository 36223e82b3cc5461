"""Connections benchmark: 10,000 concurrent GT06 trackers, each logged in and reporting a
location every `--interval` seconds (the devices spread evenly over the interval), against
the gateway with the position pipeline (`DatabaseWriter` on SQLite, or PostgreSQL when
given) in a process of its own. Measured: the acknowledgement latency of every report (sent
to acknowledged, the acknowledgement coming after the commit), and the gateway process's
memory per connection (VmRSS from /proc before and after the connections, divided by their
number). Goal: p99 under 50 ms.

The peer, in the same run: the same number of connections to a plain asyncio echo server
(streams, as the gateway uses them) in a process of its own, logging in and reporting on the
same schedule for `--peer-duration` seconds, its echo standing in for the acknowledgement:
the floor of memory per connection and of round-trip latency for this Python and this
machine.

    python -m benchmarks.connections [--connections 10000] [--interval 10] [--duration 60]
                                     [--database-url postgresql://.../db]

`--size` is the number of connections (`make bench BENCH_ARGS="--size 500"`). A first group
of devices (1 %, at least 10) connects and reports once before the baseline is read, so that
the baseline holds what the gateway allocates once (caches, compiled statements, thread
pools) and the difference holds what the other connections cost. The logins are not part of
the latency figures; they are timed on their own (each one looks the device up and records it
online). The soft limit on open files is raised to the hard limit if the connections need it.

Without --database-url the database is SQLite in a temporary directory. A PostgreSQL database
must exist and hold no tables (or pass --reset); its tables are dropped at the end unless
--keep.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from benchmarks import _trackers as trk
from benchmarks._harness import Latencies, emit, progress, progress_console

GOAL_P99_MS = 50.0
MIB = 1024 * 1024


@dataclass
class Run:
    """One server's figures."""

    name: str
    connections: int = 0
    warm: int = 0
    rss_base: int = 0               # after the first group, before the others
    rss_connected: int = 0          # every connection logged in
    rss_after: int = 0              # after the reporting
    login: Latencies = field(default_factory=lambda: Latencies([], 0.0))
    reports: Latencies = field(default_factory=lambda: Latencies([], 0.0))
    sent: int = 0
    by_interval: list[float] = field(default_factory=list)   # p99 ms of each interval
    gc_pauses: list[tuple[int, float]] = field(default_factory=list)   # while reporting
    tracked_objects: int = 0
    acked_total: int = 0            # warm-up included
    cpu: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    def per_connection(self, rss: int) -> float:
        added = self.connections - self.warm
        return (rss - self.rss_base) / added if added else 0.0


def main() -> None:
    args = _parse()
    fd_limit = trk.raise_fd_limit(args.connections + 2048)
    if fd_limit < args.connections + 256:
        raise SystemExit(f"{args.connections:,} connections need more open files than the "
                         f"limit allows ({fd_limit:,}): raise `ulimit -n` or pass fewer")
    with tempfile.TemporaryDirectory(prefix="fengkong-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'fengkong.db'}"
        container = trk.open_database(url, Path(tmp), reset=args.reset)
        database = container.engine.dialect.name
        try:
            with progress() as bars:
                task = bars.add_task("set-up: register devices", total=args.connections)
                pairs = trk.register_devices(container, args.connections,
                                             lambda n: bars.advance(task, n))
            imeis = [imei for imei, _ in pairs]
            gateway = _measure(args, "database", imeis, fd_limit,
                               trk.ServerSpec(kind="database", database_url=url, data_dir=tmp,
                                              fd_limit=fd_limit), args.duration,
                               container.engine)
            check = trk.stored_positions(container)
            peer = _measure(args, "echo", imeis, fd_limit,
                            trk.ServerSpec(kind="echo", fd_limit=fd_limit), args.peer_duration,
                            None)
        finally:
            if database != "sqlite" and not args.keep:
                trk.drop_tables(container.engine)
            container.close()
    if not _report(database, args, gateway, peer, check):
        raise SystemExit(1)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.connections", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", "--size", type=int, default=10_000, dest="connections",
                        help="concurrent tracker connections (default 10,000)")
    parser.add_argument("--interval", type=float, default=10.0,
                        help="seconds between two reports of a device (default 10)")
    parser.add_argument("--duration", type=float, default=60.0,
                        help="seconds the devices report to the gateway (default 60)")
    parser.add_argument("--peer-duration", type=float, default=20.0,
                        help="seconds they report to the echo server (default 20)")
    parser.add_argument("--processes", type=int, default=1,
                        help="load-generator processes (default 1)")
    parser.add_argument("--database-url", default="",
                        help="an empty PostgreSQL database instead of SQLite in a temp directory")
    parser.add_argument("--reset", action="store_true",
                        help="drop every table of the PostgreSQL database first")
    parser.add_argument("--keep", action="store_true",
                        help="leave the tables in the PostgreSQL database afterwards")
    args = parser.parse_args()
    if args.connections < 2 or args.processes < 1:
        parser.error("need --connections >= 2 and --processes >= 1")
    if args.interval < 1 or args.duration < args.interval or args.peer_duration < args.interval:
        parser.error("need --interval >= 1 s (fix times are whole seconds) and --duration, "
                     "--peer-duration >= --interval")
    if args.database_url and not args.database_url.startswith("postgresql"):
        parser.error("--database-url names a PostgreSQL database (SQLite is the default)")
    args.processes = min(args.processes, args.connections // 2)
    return args


def _measure(args: argparse.Namespace, name: str, imeis: list[str], fd_limit: int,
             spec: trk.ServerSpec, duration: float, engine: Any) -> Run:
    expect = "ack" if name == "database" else "echo"
    shares = list(trk.split(imeis, args.processes))
    run = Run(name, connections=len(imeis), warm=max(10, len(imeis) // 100))
    server = trk.ServerProcess.start(spec)
    progress_console.print(f"{name} server: pid {server.pid}, port {server.port}")
    loads = [trk.LoadProcess.start(trk.LoadSpec(imeis=share, first_index=first, expect=expect,
                                                fd_limit=fd_limit))
             for first, share in shares]
    label = "gateway" if name == "database" else "echo peer"
    try:
        with progress() as bars:
            run.rss_base = _warm_up(run, server, loads, shares, bars, label)
            run.login = _logins(run, server, loads, shares, bars, label)
            _quiet(server, bars)
            run.rss_connected = trk.rss_bytes(server.pid)
            database = trk.database_server_pids(engine) if engine is not None else []
            cpu = trk.CpuWindow({"server": [server.pid], "load": [ld.pid for ld in loads],
                                 "database": database})
            server.stats()                            # the pauses so far are not the phase's
            cpu.start()
            run.reports, run.sent, run.by_interval = _report_for(args, run.name, loads,
                                                                 duration, bars, label)
            cpu.stop()
            after = server.stats()
            run.gc_pauses, run.tracked_objects = after["gc_pauses"], after["tracked_objects"]
            run.cpu = {**cpu.used, "machine": cpu.machine_busy, "total": cpu.machine_total}
            run.acked_total += len(run.reports.samples)
            _quiet(server, bars)
            run.rss_after = trk.rss_bytes(server.pid)
            if name == "database":
                run.stats = after
            task = bars.add_task(f"{label}: disconnect", total=None)
            for load in loads:
                load.send("close", name)
            trk.gather(loads)
            bars.update(task, visible=False)
            _quiet(server, bars)
    finally:
        for load in loads:
            load.stop()
        server.stop()
    return run


def _warm_up(run: Run, server: trk.ServerProcess, loads: list[trk.LoadProcess],
             shares: list[tuple[int, tuple[str, ...]]], bars: Progress, label: str) -> int:
    """The first `run.warm` devices connect and report once; then the baseline RSS."""
    task = bars.add_task(f"{label}: warm-up", total=2 * run.warm)
    per_load = _spread(run.warm, shares)
    _each(loads, "connect", lambda i: (run.name, server.port, 0, per_load[i]),
          lambda n: bars.advance(task, n))
    for load, n in zip(loads, per_load, strict=True):
        load.send("prepare", run.name, [1] * n, 1)
    trk.gather(loads)
    for load in loads:
        load.send("burst", run.name, 60.0)
    replies = trk.gather(loads, lambda n: bars.advance(task, n))
    run.acked_total += sum(r["acked"] for r in replies)
    bars.update(task, visible=False)
    _quiet(server, bars)
    return trk.rss_bytes(server.pid)


def _spread(count: int, shares: list[tuple[int, tuple[str, ...]]]) -> list[int]:
    """`count` devices taken from the front of each load process's share, evenly."""
    q, r = divmod(count, len(shares))
    return [min(len(share), q + (i < r)) for i, (_, share) in enumerate(shares)]


def _each(loads: list[trk.LoadProcess], command: str, args_of: Callable[[int], tuple[Any, ...]],
          on_progress: Callable[[int], object] | None = None) -> list[dict[str, Any]]:
    for i, load in enumerate(loads):
        load.send(command, *args_of(i))
    return trk.gather(loads, on_progress)


def _logins(run: Run, server: trk.ServerProcess, loads: list[trk.LoadProcess],
            shares: list[tuple[int, tuple[str, ...]]], bars: Progress, label: str
            ) -> Latencies:
    per_load = _spread(run.warm, shares)
    task = bars.add_task(f"{label}: log in", total=run.connections - run.warm)
    replies = _each(loads, "connect", lambda i: (run.name, server.port, per_load[i], None),
                    lambda n: bars.advance(task, n))
    bars.update(task, visible=False)
    return Latencies(trk.samples(replies), max(r["last"] for r in replies)
                     - min(r["first"] for r in replies))


def _report_for(args: argparse.Namespace, name: str, loads: list[trk.LoadProcess],
                duration: float, bars: Progress, label: str
                ) -> tuple[Latencies, int, list[float]]:
    """Every device reports every `interval` s for `duration` s; all acknowledged. Also the
    p99 of the answers that came in each interval (a backlog grows, a stall is one spike)."""
    fleet = args.connections
    expected = sum(max(0, math.ceil((duration - i / fleet * args.interval) / args.interval))
                   for i in range(fleet))
    task = bars.add_task(f"{label}: report every {args.interval:g} s", total=expected)
    start_at = time.monotonic() + 1.0
    wall = time.time() + 1.0
    replies = _each(loads, "report",
                    lambda i: (name, args.interval, duration, start_at, wall, fleet, 60.0),
                    lambda n: bars.advance(task, n))
    bars.update(task, visible=False)
    seconds = max(r["last"] for r in replies) - start_at
    latencies = trk.samples(replies)
    buckets: dict[int, list[float]] = {}
    for at, latency in zip(trk.samples(replies, "answered_at"), latencies, strict=True):
        buckets.setdefault(int((at - start_at) // args.interval), []).append(latency)
    by_interval = [Latencies(buckets[k], 1.0).ms(99) for k in sorted(buckets)]
    return Latencies(latencies, seconds), sum(r["sent"] for r in replies), by_interval


def _quiet(server: trk.ServerProcess, bars: Progress, limit_s: float = 180.0) -> None:
    """Wait until the server process uses less than 5 % of a core for half a second."""
    task = bars.add_task("server settles", total=None)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        before = trk.cpu_seconds(server.pid)
        time.sleep(0.5)
        if trk.cpu_seconds(server.pid) - before < 0.025:
            break
    bars.update(task, visible=False)


def _report(database: str, args: argparse.Namespace, gateway: Run, peer: Run,
            check: trk.StoredCount) -> bool:
    out = Console()
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(database, database)
    table = Table(title=f"{args.connections:,} GT06 connections on {name}, one report each "
                        f"every {args.interval:g} s, loopback")
    for column in ("", "reports", "per s", "p50 ms", "p99 ms", "max ms", "KiB/conn",
                   "after"):
        table.add_column(column, justify="left" if not column else "right")
    for run, who in ((gateway, "fengkong"), (peer, "echo peer")):
        lat = run.reports
        table.add_row(who, f"{len(lat.samples):,}", f"{lat.rate:,.0f}", f"{lat.ms(50):.1f}",
                      f"{lat.ms(99):.1f}", f"{max(lat.samples, default=0) * 1000:.1f}",
                      f"{run.per_connection(run.rss_connected) / 1024:.1f}",
                      f"{run.per_connection(run.rss_after) / 1024:.1f}")
    out.print(table)
    out.print(f"fengkong: the gateway with DatabaseWriter on {name}, each report acknowledged "
              f"after its commit, for {args.duration:g} s; echo peer: a plain asyncio echo "
              f"server, same connections and schedule, for {args.peer_duration:g} s. KiB/conn: "
              "server RSS growth per connection once all are logged in (after: once they "
              "have reported), over the baseline with the first "
              f"{gateway.warm:,} connected.")
    for run, who in ((gateway, "gateway"), (peer, "echo peer")):
        seconds = run.reports.wall_s
        cores = {k: v / seconds for k, v in run.cpu.items()} if seconds else {}
        other = (cores.get("machine", 0.0) - cores.get("server", 0.0) - cores.get("load", 0.0)
                 - cores.get("database", 0.0))
        database_cpu = (f", database server {cores.get('database', 0.0):.2f}"
                        if run is gateway and database != "sqlite" else "")
        out.print(f"{who}: RSS {run.rss_base / MIB:,.1f} MiB with {run.warm:,} connections, "
                  f"{run.rss_connected / MIB:,.1f} MiB with {run.connections:,}, "
                  f"{run.rss_after / MIB:,.1f} MiB after reporting; "
                  f"{run.connections - run.warm:,} logins in {run.login.wall_s:.1f} s "
                  f"(p50 {run.login.ms(50):.0f} ms, p99 {run.login.ms(99):.0f} ms); CPU in "
                  f"cores while reporting: server {cores.get('server', 0.0):.2f}, load "
                  f"{cores.get('load', 0.0):.2f}{database_cpu}, other work on the machine "
                  f"{max(0.0, other):.2f}")
    duplicates = check.rows - check.distinct
    verified = (check.rows == gateway.acked_total and duplicates == 0
                and gateway.sent == len(gateway.reports.samples))
    out.print(f"verified in the database: {check.rows:,} positions stored for "
              f"{gateway.acked_total:,} acknowledged ({gateway.sent:,} reports sent in the "
              f"timed phase, warm-up included in the stored), {duplicates} duplicates: "
              + ("exactly once" if verified else "[red]MISMATCH[/]"))
    for run, who in ((gateway, "gateway"), (peer, "echo peer")):
        full = [ms for generation, ms in run.gc_pauses if generation == 2]
        out.print(f"{who}: p99 ms of the answers in each {args.interval:g} s: "
                  + ", ".join(f"{ms:.0f}" for ms in run.by_interval)
                  + f"; {len(full)} full garbage collections while reporting, longest "
                    f"{max(full, default=0):.0f} ms, {run.tracked_objects:,} objects tracked")
    p99 = gateway.reports.ms(99)
    goal = "met" if p99 < GOAL_P99_MS else "NOT met"
    out.print(f"the goal of p99 under {GOAL_P99_MS:.0f} ms is {goal} ({p99:.1f} ms); "
              f"{gateway.stats.get('commits', 0):,} commits in all")
    emit({
        "benchmark": "connections",
        "database": database,
        "connections": args.connections,
        "interval_s": args.interval,
        "duration_s": args.duration,
        "positions": len(gateway.reports.samples),
        "seconds": round(gateway.reports.wall_s, 3),
        "positions_per_second": round(gateway.reports.rate, 1),
        "ack_p50_ms": round(gateway.reports.ms(50), 2),
        "ack_p99_ms": round(p99, 2),
        "ack_max_ms": round(max(gateway.reports.samples, default=0) * 1000, 2),
        "ack_p99_ms_by_interval": [round(ms, 1) for ms in gateway.by_interval],
        "gateway_full_gc_pauses": len([1 for g, _ in gateway.gc_pauses if g == 2]),
        "gateway_full_gc_max_ms": round(max((ms for g, ms in gateway.gc_pauses if g == 2),
                                            default=0.0), 1),
        "gateway_gc_tracked_objects": gateway.tracked_objects,
        "goal_p99_ms": GOAL_P99_MS,
        "goal_met": p99 < GOAL_P99_MS,
        "bytes_per_connection": round(gateway.per_connection(gateway.rss_connected)),
        "bytes_per_connection_after_reporting": round(gateway.per_connection(gateway.rss_after)),
        "rss_baseline_bytes": gateway.rss_base,
        "rss_connected_bytes": gateway.rss_connected,
        "rss_after_bytes": gateway.rss_after,
        "login_seconds": round(gateway.login.wall_s, 2),
        "login_p99_ms": round(gateway.login.ms(99), 1),
        "gateway_cpu_cores": round(gateway.cpu.get("server", 0.0) / gateway.reports.wall_s, 3)
        if gateway.reports.wall_s else 0,
        "verified": verified,
        "stored_rows": check.rows,
        "duplicates": duplicates,
        "peer": "asyncio echo server",
        "peer_positions": len(peer.reports.samples),
        "peer_ack_p50_ms": round(peer.reports.ms(50), 2),
        "peer_ack_p99_ms": round(peer.reports.ms(99), 2),
        "peer_bytes_per_connection": round(peer.per_connection(peer.rss_connected)),
        "peer_bytes_per_connection_after_reporting": round(peer.per_connection(peer.rss_after)),
    })
    return verified


if __name__ == "__main__":
    main()
