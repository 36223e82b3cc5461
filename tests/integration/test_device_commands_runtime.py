"""Device commands through the tracker runtime as `fengkong serve` runs it: the real device
registry, the group-committing writer and the dispatcher ticking beside the listeners. An
approved cut-off waits while the car drives, goes out once a stored fix shows it slow, and the
device's reply, stored by the writer, acknowledges it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from fengkong.bootstrap import Container
from fengkong.demo import DemoWorld
from fengkong.telematics import runtime
from fengkong.telematics.device_side import gt06 as gt06_device
from fengkong.telematics.device_side.platform import OnlineCommand, read_gt06
from fengkong.telematics.directory import Directory
from fengkong.telematics.protocols import gt06
from fengkong.telematics.protocols.commands import EngineStop
from tests.integration.device_commands_world import (
    NOW,
    Fleet,
    approved_stop,
    command,
    fix,
    imei,
    make_fleet,
    trail,
)
from tests.integration.telematics_gateway.harness import Tracker, run, settings


@pytest.fixture
def fleet(container: Container, world: DemoWorld) -> Fleet:
    return make_fleet(container, world)


async def until(container: Container, command_id: str, **expected: object) -> None:
    async with asyncio.timeout(5):
        while any(getattr(command(container, command_id), k) != v for k, v in expected.items()):
            await asyncio.sleep(0.02)


def location(speed_kmh: float, age: timedelta, serial: int) -> bytes:
    at = NOW - age
    return gt06_device.location(gt06_device.GpsFix(at, 31.2304, 121.4737, speed_kmh),
                                gt06_device.Cell(), serial, acc=True)


def test_the_runtime_holds_a_cut_off_while_the_car_drives_and_sends_it_once_it_is_slow(
        container: Container, fleet: Fleet) -> None:
    command_id = approved_stop(container, fleet)
    fix(container, fleet, fleet.gt06, NOW - timedelta(minutes=2), speed=62.0)

    async def scenario() -> None:
        writer = runtime.DatabaseWriter(container.uow)
        gateway = runtime.build_gateway(
            container.uow, Directory(container.session_factory, container.clock),
            container.clock, settings(), writer)
        await gateway.start()
        dispatcher = runtime.start_dispatcher(container.uow, gateway, interval_s=0.05)
        try:
            reader, writer_ = await asyncio.open_connection("127.0.0.1", gateway.ports["gt06"])
            tracker = Tracker(reader, writer_)
            await tracker.send(gt06_device.login(imei(1), 1))
            assert (await tracker.receive(10))[3] == 0x01
            await tracker.send(location(58.0, timedelta(seconds=60), 2))
            assert (await tracker.receive(10))[3] == 0x22
            await until(container, command_id, hold_reason="moving", state="pending")

            await tracker.send(location(4.0, timedelta(seconds=20), 3))
            assert (await tracker.receive(10))[3] == 0x22  # stored, then acknowledged
            payload = gt06.encode(EngineStop(device_id=imei(1), serial=1))
            received = read_gt06(await tracker.receive(len(payload)))
            assert received == OnlineCommand(1, 0, "Relay,1#")
            await tracker.send(gt06_device.command_reply(
                "Cut off the fuel supply: Success!", received.server_flag, 4))
            await until(container, command_id, state="acknowledged")
            tracker.close()
        finally:
            dispatcher.cancel()
            await gateway.stop()
            await writer.close()

    run(scenario)
    done = command(container, command_id)
    assert done.hold_reason is None and done.serial == 1
    assert done.reply_text == "Cut off the fuel supply: Success!"
    assert [a for a, _ in trail(container, command_id)] == [
        "device_command.requested", "device_command.approved", "device_command.sent",
        "device_command.acknowledged"]
