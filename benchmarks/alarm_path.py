"""Alarm-path benchmark: positions through the position store with the device-health
analyzers, the installation check and the alerts context subscribed (what `fengkong serve`
runs behind the gateway), against the bare position store in the same run (the peer: what
the path costs on top of storing). Alternating rounds on the same database; each round stores
batches of `--batch` reports from `--devices` devices (a wired and a wireless unit per car),
one transaction per batch as the gateway's writer commits them, and the handlers run after
each commit as they do in the server.

    python -m benchmarks.alarm_path [--size 20000] [--devices 200] [--batch 500]
                                    [--database-url postgresql://.../db]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from benchmarks._harness import emit, progress
from fengkong.bootstrap import Container, bootstrap, wire_reactions
from fengkong.core.clock import FixedClock
from fengkong.core.config import Settings
from fengkong.core.db import make_engine
from fengkong.core.migrate import upgrade
from fengkong.schema import metadata
from fengkong.telematics import device_service, position_store
from fengkong.telematics.position_store import Report
from fengkong.telematics.protocols.crc import luhn
from fengkong.telematics.protocols.position import Position

GOAL = 20_000  # positions/s the whole analytics path behind the gateway keeps up with
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def _imei(n: int) -> str:
    body = f"86222200{n:06d}"
    return body + str(luhn(int(body)))


def _container(url: str, data_dir: Path) -> Container:
    engine = make_engine(url)
    with engine.begin() as conn:  # a reused database starts over
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="bench",
                        password_hash_cost="low", demo_password="bench-password")
    return bootstrap(settings, clock=FixedClock(START), engine=engine)


def _fleet(container: Container, cars: int) -> list[tuple[str, str]]:
    from fengkong import demo

    world = demo.seed(container)
    devices = []
    with container.uow() as uow:
        monitor = demo.principal_of(uow, "demo.admin")
        for n in range(cars):
            vehicle = device_service.create_vehicle(
                uow, monitor, vin=_vin(n), org_unit="EAST-SH")
            for kind, offset in (("wired", 0), ("wireless", 50_000)):
                device = device_service.register_device(
                    uow, monitor, identifier=_imei(n + offset), protocol="gt06",
                    org_unit="EAST-SH", kind=kind)
                device_service.install(uow, monitor, vehicle.id, device_service.Fitting(
                    device.id, installed_at=START - timedelta(days=1)))
                devices.append((world.tenant_id, device.id))
        uow.commit()
    return devices


def _vin(n: int) -> str:
    from fengkong.telematics.vin import with_check_digit

    return with_check_digit(f"LSVAM4180C{n:07d}")


def _round(container: Container, devices: list[tuple[str, str]], size: int, batch: int,
           step: int) -> float:
    """Seconds to store `size` positions in batches (fix times continue from `step`)."""
    reports = []
    per_device = max(1, size // len(devices))
    for i in range(per_device):
        at = START + timedelta(seconds=10 * (step + i))
        for k, (tenant_id, device_id) in enumerate(devices):
            reports.append(Report(tenant_id, device_id, at, Position(
                device_id, at, True, 31.2 + 0.0001 * (step + i) + 0.001 * k, 121.4,
                speed_kmh=40.0, satellites=9,
                attributes={"ignition": True, "charging": True, "battery_level": 90})))
    began = time.perf_counter()
    for start in range(0, len(reports), batch):
        with container.uow() as uow:
            position_store.store_batch(uow, reports[start:start + batch])
            uow.commit()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="positions per side")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        bare = _container(url, Path(tmp))
        devices = _fleet(bare, max(1, args.devices // 2))
        wired = bootstrap(bare.settings, clock=bare.clock, engine=bare.engine)
        reactions = wire_reactions(wired)
        seconds = {"alarm path": 0.0, "store only": 0.0}
        per_round = args.size // args.rounds
        step = 0
        with progress() as bar:
            task = bar.add_task("rounds", total=args.rounds * 2)
            for _ in range(args.rounds):
                for name, container in (("alarm path", wired), ("store only", bare)):
                    seconds[name] += _round(container, devices, per_round, args.batch, step)
                    step += max(1, per_round // len(devices))
                    bar.advance(task)
        reactions.close()
        dead = len(getattr(wired.bus, "dead_letters", []))
        bare.engine.dispose()
    stored = (per_round // len(devices)) * len(devices) * args.rounds
    rates = {k: stored / v for k, v in seconds.items()}
    table = Table(title=f"{stored} positions per side, {len(devices)} devices, "
                        f"batches of {args.batch}")
    for column in ("path", "positions/s", "goal"):
        table.add_column(column)
    table.add_row("fengkong: store + health + alerts", f"{rates['alarm path']:,.0f}",
                  f"{GOAL:,}")
    table.add_row("peer: store only (same run)", f"{rates['store only']:,.0f}", "")
    Console().print(table)
    if dead:
        raise SystemExit(f"{dead} handler deliveries failed")
    emit({"benchmark": "alarm_path", "positions": stored, "devices": len(devices),
          "fengkong_positions_per_s": round(rates["alarm path"]),
          "peer_store_only_positions_per_s": round(rates["store only"]), "goal": GOAL})


if __name__ == "__main__":
    main()
