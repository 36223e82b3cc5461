"""A device hears an acknowledgement only for what the sink has durably stored: a slow store
holds the ack back, a failing store closes the connection unanswered, and the frames of one
read go to the sink as one batch."""

from __future__ import annotations

import asyncio

from fengkong.telematics.protocols.messages import Login
from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.harness import (
    GT06_LOGIN_ACK,
    JT808_PHONE,
    gt06_ack,
    jt808,
    run,
    running,
)
from tests.unit.telematics.reference import gt06_fields


def test_the_ack_is_sent_only_after_the_store_returned() -> None:
    async def scenario() -> None:
        async with running() as world:
            world.sink.gate = asyncio.Event()
            tracker = await world.connect("gt06")
            await tracker.send(packets.gt06(packets.GT06_LOGIN))
            await asyncio.wait_for(world.sink.entered.wait(), 2)
            await tracker.expect_silence(0.3)          # the store is still running
            assert world.sink.batches == []
            world.sink.gate.set()
            await tracker.expect(GT06_LOGIN_ACK)
            assert [type(m) for m in world.sink.messages()] == [Login]

    run(scenario)


def test_a_failed_store_sends_no_ack_and_closes_the_connection() -> None:
    async def scenario() -> None:
        async with running() as world:
            world.sink.fail = True
            tracker = await world.connect("gt06")
            await tracker.send(packets.gt06(packets.GT06_LOGIN))
            assert await tracker.until_closed() == b""
            assert world.metric("fengkong_gateway_store_failures_total", protocol="gt06") == 1
            assert world.metric("fengkong_gateway_connections_closed_total", protocol="gt06",
                                reason="store_failed") == 1
            assert world.status.events == []

            world.sink.fail = False                      # the device connects and resends
            again = await world.connect("gt06")
            await again.send(packets.gt06(packets.GT06_LOGIN))
            await again.expect(GT06_LOGIN_ACK)
            assert world.status.events == [("online", "dev-gt06")]

    run(scenario)


def test_the_frames_of_one_read_are_stored_as_one_batch_then_answered_in_order() -> None:
    async def scenario() -> None:
        async with running() as world:
            tracker = await world.connect("gt06")
            frames = [packets.gt06(n) for n in (packets.GT06_LOGIN, packets.GT06_LOCATION,
                                                packets.GT06_LOCATION_2, packets.GT06_ALARM)]
            await tracker.send(b"".join(frames))
            await tracker.expect(b"".join(gt06_ack(*gt06_fields(f)[::2]) for f in frames))
            assert [len(batch) for batch in world.sink.batches] == [4]

    run(scenario)


def test_a_slow_store_on_one_connection_does_not_hold_up_another() -> None:
    async def scenario() -> None:
        async with running() as world:
            held = world.sink.gate = asyncio.Event()
            slow = await world.connect("gt06")
            await slow.send(packets.gt06(packets.GT06_LOGIN))
            await asyncio.wait_for(world.sink.entered.wait(), 2)
            world.sink.gate = None                     # later stores pass straight through
            other = await world.connect("jt808")
            await other.send(packets.jt808(packets.JT808_REGISTER))
            await other.expect(jt808(0x8100, JT808_PHONE, 0, bytes.fromhex("0005 00")
                                     + b"authentication"))
            await slow.expect_silence(0.1)
            held.set()
            await slow.expect(GT06_LOGIN_ACK)

    run(scenario)
