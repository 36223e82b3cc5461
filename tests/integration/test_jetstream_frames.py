"""Frames across the real nats-server: stored before the publisher returns, delivered in each
device's order, acknowledged to JetStream only after the handler returned, delivered again
when it failed or the worker vanished."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import nats
import pytest

from fengkong.telematics.jetstream import (
    FrameConsumer,
    FramePublisher,
    ReceivedFrame,
    StreamNames,
)
from tests.conftest import TEST_NATS_URL, requires_nats

pytestmark = requires_nats

# A real GT06 heartbeat (0x13) and a JT/T 808 heartbeat (0x0002).
GT06_HEARTBEAT = bytes.fromhex("78780a134004040001000fdcee0d0a")
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def frame(device: str, n: int, tenant: str = "T1") -> ReceivedFrame:
    return ReceivedFrame(tenant_id=tenant, device_id=device, identifier="868120145233604",
                         protocol="gt06", received_at=T0 + timedelta(seconds=n),
                         frame=GT06_HEARTBEAT, sequence=n, timezone="Asia/Shanghai")


def names() -> StreamNames:
    tag = secrets.token_hex(4)
    return StreamNames(stream=f"FKTEST_{tag}", prefix=f"fktest.{tag}", consumer="pipeline")


def run(test: Callable[[StreamNames], Awaitable[None]]) -> None:
    where = names()

    async def with_cleanup() -> None:
        try:
            await test(where)
        finally:
            nc = await nats.connect(TEST_NATS_URL)
            try:
                await nc.jetstream().delete_stream(where.stream)
            finally:
                await nc.close()

    asyncio.run(with_cleanup())


def test_frames_arrive_in_each_devices_order_and_are_taken_once() -> None:
    async def scenario(where: StreamNames) -> None:
        publisher = await FramePublisher.open(TEST_NATS_URL, where)
        consumer = await FrameConsumer.open(TEST_NATS_URL, where, batch=64)
        try:
            await publisher.publish([frame(f"D{n % 5}", n) for n in range(300)])
            seen: list[ReceivedFrame] = []

            async def handle(batch: list[ReceivedFrame]) -> None:
                seen.extend(batch)

            while len(seen) < 300:
                assert await consumer.step(handle, wait_s=2.0) > 0
            assert await consumer.step(handle, wait_s=0.3) == 0
            for device in ("D0", "D1", "D2", "D3", "D4"):
                times = [f.received_at for f in seen if f.device_id == device]
                assert times == sorted(times) and len(times) == 60
        finally:
            await publisher.close()
            await consumer.close()

    run(scenario)


def test_a_failed_batch_and_a_vanished_worker_get_their_frames_again() -> None:
    async def scenario(where: StreamNames) -> None:
        publisher = await FramePublisher.open(TEST_NATS_URL, where)
        try:
            await publisher.publish([frame("D1", n) for n in range(10)])
            # a retried publish (same device, time and sequence) is stored once
            await publisher.publish([frame("D1", 3)])

            first = await FrameConsumer.open(TEST_NATS_URL, where, batch=10, ack_wait_s=1.0)

            async def fail(batch: list[ReceivedFrame]) -> None:
                raise RuntimeError("database down")

            assert await first.step(fail, wait_s=2.0) == 0
            assert first.counts.failed_batches == 1
            # the worker takes the batch again and dies before it is stored
            taken: list[ReceivedFrame] = []

            async def die(batch: list[ReceivedFrame]) -> None:
                taken.extend(batch)
                raise asyncio.CancelledError

            with pytest.raises(asyncio.CancelledError):
                await first.step(die, wait_s=3.0)
            assert len(taken) == 10
            await first.nc.close()  # no ack, no nak: gone

            second = await FrameConsumer.open(TEST_NATS_URL, where, batch=20)
            stored: list[ReceivedFrame] = []

            async def store(batch: list[ReceivedFrame]) -> None:
                stored.extend(batch)

            deadline = asyncio.get_running_loop().time() + 10
            while len(stored) < 10 and asyncio.get_running_loop().time() < deadline:
                await second.step(store, wait_s=1.0)
            assert sorted(f.received_at for f in stored) == [
                T0 + timedelta(seconds=n) for n in range(10)]
            await second.close()
        finally:
            await publisher.close()

    run(scenario)
