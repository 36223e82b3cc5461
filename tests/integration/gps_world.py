"""A car with a tracker, positions stored through the real position store, the analytics
worker drained synchronously, and the `vehicle.alarm` / `vehicle.risk_changed` events it
publishes collected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fengkong.bootstrap import Container
from fengkong.core.bus import Event
from fengkong.demo import DemoWorld, principal_of
from fengkong.telematics import device_service as svc
from fengkong.telematics.analytics.stream import AnalyticsWorker
from fengkong.telematics.position_store import Report, store_batch
from fengkong.telematics.protocols.crc import luhn
from fengkong.telematics.protocols.position import Position

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)   # a Monday, 08:00 in Shanghai
HOME = (31.10, 121.30)
M = 111_195.0


def imei(n: int) -> str:
    body = f"35209911{n:06d}"
    return body + str(luhn(int(body)))


def north(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / M, point[1]


def east(point: tuple[float, float], metres: float) -> tuple[float, float]:
    import math
    return point[0], point[1] + metres / (M * math.cos(math.radians(point[0])))


@dataclass
class GpsWorld:
    container: Container
    tenant_id: str
    vehicle_id: str
    device_id: str
    worker: AnalyticsWorker
    alarms: list[dict[str, Any]] = field(default_factory=list)
    risk: list[dict[str, Any]] = field(default_factory=list)

    def send(self, fixes: Iterable[tuple[datetime, tuple[float, float], dict[str, Any]]],
             *, archived: bool = False, speed: float = 0.0) -> None:
        """Store fixes through the position store (one batch) and drain the analytics."""
        reports = []
        for at, (lat, lon), attrs in fixes:
            attributes = dict(attrs)
            if archived:
                attributes["archived"] = True
            reports.append(Report(self.tenant_id, self.device_id, at + timedelta(seconds=2),
                                  Position(None, at, True, lat, lon, altitude=4.0,
                                           speed_kmh=float(attrs.get("speed", speed)),
                                           course=0.0, satellites=9,
                                           attributes={k: v for k, v in attributes.items()
                                                       if k != "speed"})))
        self.container.clock.set(max(r.received_at for r in reports))  # type: ignore[attr-defined]
        with self.container.uow() as uow:
            store_batch(uow, reports)
            uow.commit()
        self.worker.drain()

    def of(self, kind: str, state: str | None = None) -> list[dict[str, Any]]:
        return [a for a in self.alarms if a["type"] == kind
                and (state is None or a["state"] == state)]


def gps_world(container: Container, world: DemoWorld, unit: str = "EAST-SH") -> GpsWorld:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        device = svc.register_device(uow, admin, identifier=imei(1), protocol="gt06",
                                     org_unit=unit, kind="wired")
        car = svc.create_vehicle(uow, admin, vin="LSVAM4187C2184847", org_unit=unit)
        svc.install(uow, admin, car.id, svc.Fitting(device.id, T0 - timedelta(days=30)))
        uow.commit()
    worker = AnalyticsWorker(container.uow).subscribe(container.bus)
    gw = GpsWorld(container, world.tenant_id, car.id, device.id, worker)

    def collect(event: Event) -> None:
        (gw.alarms if event.topic == "vehicle.alarm" else gw.risk).append(event.payload)

    container.bus.subscribe("vehicle.alarm", collect)
    container.bus.subscribe("vehicle.risk_changed", collect)
    return gw


def every(start: datetime, seconds: float, count: int, where: tuple[float, float] |
          list[tuple[float, float]], **attrs: Any
          ) -> list[tuple[datetime, tuple[float, float], dict[str, Any]]]:
    points = where if isinstance(where, list) else [where] * count
    return [(start + timedelta(seconds=i * seconds), points[i], attrs) for i in range(count)]


def line(a: tuple[float, float], b: tuple[float, float], n: int) -> list[tuple[float, float]]:
    return [(a[0] + (b[0] - a[0]) * i / (n - 1), a[1] + (b[1] - a[1]) * i / (n - 1))
            for i in range(n)]


WORK = east(HOME, 10_000)
Fixes = list[tuple[datetime, tuple[float, float], dict[str, Any]]]


def parked(start: datetime, hours: float, where: tuple[float, float], every_s: float = 1800
           ) -> Fixes:
    n = max(1, int(hours * 3600 / every_s))
    return every(start, every_s, n, where, ignition=False)


def drive(start: datetime, a: tuple[float, float], b: tuple[float, float], minutes: float
          ) -> Fixes:
    n = max(2, int(minutes * 2))
    return every(start, 30, n, line(a, b, n), ignition=True, speed=40)


def day(start: datetime, night_at: tuple[float, float] = HOME,
        work: tuple[float, float] = WORK, leave_from: tuple[float, float] = HOME) -> Fixes:
    """08:00-08:00 local from `start`: drive to work, work till 18:00, drive to `night_at`
    and stay there till the next morning (heartbeats every 30 minutes when parked)."""
    out = drive(start, leave_from, work, 20)
    out += parked(start + timedelta(minutes=21), 9.6, work)
    out += drive(start + timedelta(hours=10), work, night_at, 20)
    out += parked(start + timedelta(hours=10, minutes=21), 13.6, night_at)
    return out


def live_days(gw: GpsWorld, start: datetime, days: int, **kw: Any) -> datetime:
    """Send `days` ordinary days, half a day per batch; returns the next morning."""
    for d in range(days):
        fixes = day(start + timedelta(days=d), **kw)
        half = len(fixes) // 2
        gw.send(fixes[:half])
        gw.send(fixes[half:])
    return start + timedelta(days=days)
