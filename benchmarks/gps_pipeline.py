"""The whole GPS analytics path behind the gateway, on a real database: batches of
`position.received` payloads through the analytics worker (fences and risk areas with stored
state, track signals, standing signals and score, hourly place refresh), each batch in its
own transaction, as the worker runs them. Goal: 20,000 positions/s; there is no peer
product to run beside it, so the figure stands against the goal.

    python -m benchmarks.gps_pipeline [--vehicles 2000] [--fixes 50] [--batch 5000]

SQLite in a temporary directory unless FENGKONG_BENCH_DATABASE_URL names a database (it is
wiped). Every vehicle reports every 10 s, driving around Shanghai; 10,000 risk areas and a
fence for every tenth vehicle.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from benchmarks._harness import emit, progress
from fengkong import demo
from fengkong.bootstrap import bootstrap
from fengkong.core.clock import FixedClock
from fengkong.core.config import Settings
from fengkong.core.ids import new_id
from fengkong.core.migrate import upgrade
from fengkong.demo import principal_of
from fengkong.telematics.analytics import geofence_service as fences
from fengkong.telematics.analytics.riskarea_files import RiskAreaRow
from fengkong.telematics.analytics.shapes import Circle
from fengkong.telematics.analytics.stream import AnalyticsWorker
from fengkong.telematics.analytics.tenant_fences import compile_tenant
from fengkong.telematics.models import Vehicle

M = 111_195.0
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", type=int, default=2000)
    parser.add_argument("--fixes", type=int, default=50, help="per vehicle")
    parser.add_argument("--batch", type=int, default=5000, help="positions per transaction")
    parser.add_argument("--size", type=int, default=None, help="total positions (overrides "
                        "--fixes)")
    args = parser.parse_args()
    fixes = args.fixes if args.size is None else max(1, args.size // args.vehicles)
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("FENGKONG_BENCH_DATABASE_URL") or f"sqlite:///{Path(tmp)}/b.db"
        settings = Settings(data_dir=Path(tmp), database_url=url, secret_key="bench",
                            password_hash_cost="low", demo_password="bench-pass-1")
        container = bootstrap(settings, clock=FixedClock(START))
        if url.startswith("postgresql"):
            from tests.conftest import wipe  # an existing benchmark database starts empty
            upgrade(container.engine)
            wipe(container.engine)
        else:
            upgrade(container.engine)
        world = demo.seed(container)
        rng = np.random.default_rng(5)
        vehicle_ids = _fleet(container, world, args.vehicles, rng)
        payloads = _payloads(vehicle_ids, fixes, rng)
        worker = AnalyticsWorker(container.uow, max_positions=args.batch)
        with container.uow() as uow:   # fences compiled once, before the clock starts
            worker.live.tenants[world.tenant_id] = compile_tenant(uow.session, world.tenant_id)
        total = sum(len(p["positions"]) for p in payloads)
        with progress() as bar:
            task = bar.add_task("analytics batches", total=total)
            start = time.perf_counter()
            done = 0
            for lo in range(0, len(payloads), args.batch):
                chunk = payloads[lo:lo + args.batch]
                worker._flush({world.tenant_id: list(chunk)})
                done += len(chunk)
                bar.update(task, completed=done)
            wall = time.perf_counter() - start
        counts = worker.live.counts
        container.close()
    rate = total / wall
    print(f"{total:,} positions of {len(vehicle_ids):,} vehicles in {wall:.2f} s: "
          f"{rate:,.0f} positions/s through the whole analytics path "
          f"({counts.alarms} alarms, {worker.failures} failed batches); goal 20,000/s "
          f"(no peer product runs this path)")
    emit({"benchmark": "gps_pipeline", "positions": total, "vehicles": len(vehicle_ids),
          "fengkong_positions_per_s": round(rate), "goal_positions_per_s": 20_000,
          "peer": None, "alarms": counts.alarms, "failed_batches": worker.failures,
          "database": "postgresql" if url.startswith("postgresql") else "sqlite"})


def _fleet(container, world, n: int, rng: np.random.Generator) -> list[str]:  # type: ignore[no-untyped-def]
    ids = [new_id() for _ in range(n)]
    with container.uow() as uow:
        uow.session.execute(insert(Vehicle), [
            {"id": vid, "tenant_id": world.tenant_id, "org_unit_id": world.units["EAST-SH"],
             "vin": f"BENCH{i:012d}", "created_at": START} for i, vid in enumerate(ids)])
        admin = principal_of(uow, "demo.admin")
        # spread over the Yangtze delta (29-33 N, 118-123 E), as a lender's list would be
        rows = [RiskAreaRow(f"area {i}", "used_car_market",
                            Circle(float(rng.uniform(29, 33)), float(rng.uniform(118, 123)),
                                   float(rng.uniform(100, 500))), 600, None)
                for i in range(10_000)]
        fences.import_risk_areas(uow, admin, rows)
        for vid in ids[::10]:
            fences.create_fence(uow, admin, fences.FenceDraft(
                name="home city", kind="allowed", radius_m=30_000, vehicle_ids=[vid],
                geometry={"type": "Point", "coordinates": [121.47, 31.23]}))
        uow.commit()
    return ids


def _payloads(ids: list[str], fixes: int, rng: np.random.Generator) -> list[dict]:  # type: ignore[type-arg]
    n = len(ids)
    lat = 31.23 + rng.normal(0, 0.2, n)
    lon = 121.47 + rng.normal(0, 0.2, n)
    heading = rng.uniform(0, 2 * np.pi, n)
    out = []
    for k in range(fixes):   # time-major: every car's k-th fix, then the next round
        heading += rng.normal(0, 0.2, n)
        lat += np.cos(heading) * 120 / M
        lon += np.sin(heading) * 120 / (M * 0.85)
        at = (START + timedelta(seconds=10 * k)).isoformat()
        for i, vid in enumerate(ids):
            out.append({"device_id": f"d{i}", "vehicle_id": vid, "positions": [{
                "id": new_id(), "fix_time": at, "latitude": float(lat[i]),
                "longitude": float(lon[i]), "speed_kmh": 43.2, "course": 0.0, "valid": True,
                "archived": False, "attributes": {"ignition": True}}]})
    return out


if __name__ == "__main__":
    main()
