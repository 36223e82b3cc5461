"""Thousands of idle connections cost the device that talks nothing."""

from __future__ import annotations

import asyncio
import time

from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.harness import (
    Tracker,
    World,
    eventually,
    gt06_ack,
    run,
    running,
)
from tests.unit.telematics.reference import gt06_fields

IDLE = 2000


async def open_idle(world: World, count: int, at_once: int = 200) -> list[Tracker]:
    opened: list[Tracker] = []
    for _ in range(0, count, at_once):
        opened += await asyncio.gather(*(world.connect("gt06") for _ in range(at_once)))
    return opened


def test_one_device_keeps_working_beside_two_thousand_idle_connections() -> None:
    async def scenario() -> None:
        async with running() as world:
            await open_idle(world, IDLE)
            await eventually(lambda: world.gateway.open_connections == IDLE, timeout=5)
            tracker = await world.gt06_logged_in()
            location = packets.gt06(packets.GT06_LOCATION)
            started = time.perf_counter()
            for _ in range(20):
                await tracker.send(location)
                await tracker.expect(gt06_ack(0x12, gt06_fields(location)[2]), timeout=1)
            assert time.perf_counter() - started < 1.0
            assert world.metric("fengkong_gateway_connections_open", protocol="gt06") == IDLE + 1
            assert len(world.sink.messages()) == 21

    run(scenario, timeout=30)
