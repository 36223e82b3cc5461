"""The per-connection rate limit: frames over the rate are dropped unanswered (the device
sends them again), a burst is forgiven, a sustained excess closes the connection."""

from __future__ import annotations

import asyncio

from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.harness import (
    GT06_LOGIN_ACK,
    gt06_ack,
    run,
    running,
    settings,
)
from tests.unit.telematics.reference import gt06_fields


def heartbeat_ack() -> bytes:
    return gt06_ack(0x13, gt06_fields(packets.gt06(packets.GT06_HEARTBEAT))[2])


def test_frames_over_the_rate_are_dropped_unanswered_and_counted() -> None:
    async def scenario() -> None:
        limits = settings(frames_per_second=5, burst=5, rate_limit_close_after=None)
        async with running(limits) as world:
            tracker = await world.connect("gt06")
            heartbeat = packets.gt06(packets.GT06_HEARTBEAT)
            await tracker.send(packets.gt06(packets.GT06_LOGIN) + heartbeat * 9)
            await tracker.expect(GT06_LOGIN_ACK + heartbeat_ack() * 4)
            await tracker.expect_silence(0.1)
            assert world.rejected("gt06", "rate_limited") == 5
            assert world.gateway.rejects_for("dev-gt06") == {"rate_limited": 5}
            assert len(world.sink.messages()) == 5

            await asyncio.sleep(0.3)                   # tokens come back with time
            await tracker.send(heartbeat)
            await tracker.expect(heartbeat_ack())

    run(scenario)


def test_a_sustained_excess_closes_the_connection_after_answering_what_was_taken() -> None:
    async def scenario() -> None:
        limits = settings(frames_per_second=1, burst=2, rate_limit_close_after=5)
        async with running(limits) as world:
            tracker = await world.connect("gt06")
            heartbeat = packets.gt06(packets.GT06_HEARTBEAT)
            await tracker.send(packets.gt06(packets.GT06_LOGIN) + heartbeat * 20)
            assert await tracker.until_closed() == GT06_LOGIN_ACK + heartbeat_ack()
            assert world.rejected("gt06", "rate_limited") == 5
            assert world.metric("fengkong_gateway_connections_closed_total", protocol="gt06",
                                reason="rate_limited") == 1

    run(scenario)
