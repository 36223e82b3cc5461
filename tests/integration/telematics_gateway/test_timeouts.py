"""Half-open and dribbling connections: the idle timeout and the frame deadline close the
connection concerned and no other."""

from __future__ import annotations

import asyncio

from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.harness import (
    eventually,
    gt06_ack,
    run,
    running,
    settings,
)
from tests.unit.telematics.reference import gt06_fields


def test_an_idle_connection_is_closed_while_a_talking_one_stays_open() -> None:
    async def scenario() -> None:
        async with running(settings(idle_timeout=0.3, frame_deadline=5.0)) as world:
            idle = await world.gt06_logged_in()
            talking = await world.gt06_logged_in(second=True)
            heartbeat = packets.gt06(packets.GT06_HEARTBEAT)
            for _ in range(6):                      # 0.6 s, twice the idle timeout
                await asyncio.sleep(0.1)
                await talking.send(heartbeat)
                await talking.expect(gt06_ack(0x13, gt06_fields(heartbeat)[2]))
            assert await idle.until_closed(timeout=0.1) == b""
            assert world.metric("fengkong_gateway_connections_closed_total", protocol="gt06",
                                reason="idle_timeout") == 1
            await eventually(lambda: ("offline", "dev-gt06") in world.status.events)
            assert world.gateway.is_connected("dev-gt06-2")

    run(scenario)


def test_bytes_that_never_make_a_frame_do_not_keep_a_connection_alive() -> None:
    async def scenario() -> None:
        async with running(settings(idle_timeout=0.3, frame_deadline=5.0)) as world:
            noisy = await world.connect("gt06")
            assert await noisy.trickle(b"\x00" * 10, pause=0.1)     # cut off after ~0.3 s
            assert world.metric("fengkong_gateway_connections_closed_total", protocol="gt06",
                                reason="idle_timeout") == 1

    run(scenario)


def test_a_frame_that_dribbles_in_too_slowly_closes_only_its_connection() -> None:
    async def scenario() -> None:
        async with running(settings(idle_timeout=5.0, frame_deadline=0.3)) as world:
            slow = await world.gt06_logged_in()
            fast = await world.gt06_logged_in(second=True)

            location = packets.gt06(packets.GT06_LOCATION)
            assert await slow.trickle(location, pause=0.1)   # cut off after ~0.3 s
            await fast.send(location)
            await fast.expect(gt06_ack(0x12, gt06_fields(location)[2]))
            assert world.metric("fengkong_gateway_connections_closed_total", protocol="gt06",
                                reason="frame_deadline") == 1

    run(scenario)


def test_the_idle_timer_bounds_the_wait_for_bytes_not_a_slow_store() -> None:
    """The read timer is one per connection, re-armed lazily: when it fires while the
    connection waits for its store, it does nothing, and the acknowledgement still goes out."""
    async def scenario() -> None:
        async with running(settings(idle_timeout=0.3, frame_deadline=5.0)) as world:
            device = await world.gt06_logged_in()
            world.sink.gate = asyncio.Event()
            location = packets.gt06(packets.GT06_LOCATION)
            await device.send(location)
            await asyncio.sleep(0.7)                 # the store takes twice the idle timeout
            world.sink.gate.set()
            await device.expect(gt06_ack(0x12, gt06_fields(location)[2]))
            assert world.gateway.is_connected("dev-gt06")
            # idle from here on: the timer, armed again by the next read, still closes it
            assert await device.until_closed(timeout=1.5) == b""
            assert world.metric("fengkong_gateway_connections_closed_total", protocol="gt06",
                                reason="idle_timeout") == 1

    run(scenario)
