"""The demo's GPS risk data: a few hundred risk areas and a fence per demo car, and the demo
cars, simulated over real sockets, raising geofence alarms through the analytics worker
within the first simulated hour of a weekday morning."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from fengkong import demo
from fengkong.bootstrap import Container, bootstrap
from fengkong.core.bus import Event
from fengkong.core.config import Settings
from fengkong.telematics import runtime
from fengkong.telematics.analytics.models import Geofence
from fengkong.telematics.analytics.stream import AnalyticsWorker
from fengkong.telematics.demo_data import DEMO_CARS, DEMO_SEED, GT06_PREFIX, JT808_PREFIX
from fengkong.telematics.directory import Directory
from fengkong.telematics.gateway.settings import GatewaySettings
from fengkong.telematics.simulator import Fleet, FleetConfig


def test_demo_cars_raise_geofence_alarms_within_the_hour(container: Container,
                                                         settings: Settings) -> None:
    demo.seed(container, showcase=True)
    with container.uow() as uow:
        risk_areas = uow.session.scalar(select(func.count()).select_from(Geofence).where(
            Geofence.is_risk_area.is_(True)))
        plain = uow.session.scalar(select(func.count()).select_from(Geofence).where(
            Geofence.is_risk_area.is_(False)))
    assert risk_areas is not None and risk_areas >= 300 and plain == len(DEMO_CARS)
    live = bootstrap(settings, engine=container.engine)
    worker = AnalyticsWorker(live.uow).subscribe(live.bus)
    alarms: list[dict] = []  # type: ignore[type-arg]

    def collect(event: Event) -> None:
        alarms.append(event.payload)

    live.bus.subscribe("vehicle.alarm", collect)
    # a Monday 07:40 in Shanghai: every car sets off on its morning
    start = datetime(2026, 11, 30, 23, 40, tzinfo=UTC)

    async def scenario() -> None:
        writer = runtime.DatabaseWriter(live.uow)
        gateway = runtime.build_gateway(
            live.uow, Directory(live.session_factory, live.clock), live.clock,
            GatewaySettings(host="127.0.0.1", ports={"gt06": 0, "jt808": 0}), writer)
        await gateway.start()
        fleets = [Fleet(FleetConfig(devices=len(DEMO_CARS) + 1, protocol=p,
                                    port=gateway.ports[p], seed=DEMO_SEED, id_prefix=prefix,
                                    speedup=240, driving_at_start=1.0, start=start))
                  for p, prefix in (("gt06", GT06_PREFIX), ("jt808", JT808_PREFIX))]
        try:
            for fleet in fleets:
                fleet.start()
            for _ in range(15):           # an hour of simulated time
                await asyncio.sleep(1)
                await asyncio.to_thread(worker.drain)
        finally:
            for fleet in fleets:
                await fleet.stop()
            await gateway.stop()
            await writer.close()

    asyncio.run(scenario())
    worker.drain()
    kinds = {a["type"] for a in alarms}
    assert kinds & {"geofenceExit", "geofenceEnter"}, (alarms, worker.live.counts)
    assert worker.failures == 0
    assert all(a["occurred_at"] >= start.isoformat() for a in alarms)
    assert timedelta(0) < datetime.now(UTC) - start
