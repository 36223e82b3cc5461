"""Device commands over real sockets: the dispatcher writes through the real gateway to a
GT06 tracker and a JT/T 808 terminal speaking from the device side, and their replies, stored
through a sink that correlates them, acknowledge the commands."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest

from fengkong.bootstrap import Container
from fengkong.demo import DemoWorld
from fengkong.telematics import commands
from fengkong.telematics.command_rules import Kind, Request
from fengkong.telematics.device_side import gt06 as gt06_device
from fengkong.telematics.device_side import jt808 as jt808_device
from fengkong.telematics.device_side.platform import (
    OnlineCommand,
    TextMessage,
    read_gt06,
    read_jt808,
)
from fengkong.telematics.dispatch import CommandDispatcher, correlate
from fengkong.telematics.gateway import DeviceInfo, Gateway, Inbound
from fengkong.telematics.protocols import gt06, jt808
from fengkong.telematics.protocols.commands import EngineStop
from tests.integration.device_commands_world import (
    NOW,
    PHONE,
    Fleet,
    approved_stop,
    as_user,
    command,
    fix,
    imei,
    make_fleet,
    trail,
)
from tests.integration.telematics_gateway.fakes import InMemoryDirectory, RecordingStatus
from tests.integration.telematics_gateway.harness import Tracker, settings


@pytest.fixture
def fleet(container: Container, world: DemoWorld) -> Fleet:
    return make_fleet(container, world)


class CorrelatingSink:
    """The pipeline's part in commands: each stored batch's replies correlated in the same
    transaction, as the gateway runtime does after storing positions."""

    def __init__(self, container: Container) -> None:
        self.container = container

    async def store(self, batch: Sequence[Inbound]) -> None:
        await asyncio.to_thread(self._write, batch)

    def _write(self, batch: Sequence[Inbound]) -> None:
        with self.container.uow() as uow:
            for item in batch:
                correlate(uow, item.tenant_id, item.device_id, item.messages)
            uow.commit()


async def jt808_frames(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    """The next `count` frames the platform sends, as a terminal's framer cuts them."""
    buffer, frames = b"", list[bytes]()
    async with asyncio.timeout(2):
        while len(frames) < count:
            buffer += await reader.read(4096)
            cut = jt808.frame(buffer)
            frames += cut.frames
            buffer = cut.rest
    return frames


async def eventually_state(container: Container, command_id: str, state: str) -> None:
    async with asyncio.timeout(5):
        while command(container, command_id).state != state:
            await asyncio.sleep(0.01)


def test_a_gt06_tracker_receives_the_cut_off_and_its_reply_acknowledges_it(
        container: Container, fleet: Fleet) -> None:
    command_id = approved_stop(container, fleet)
    fix(container, fleet, fleet.gt06, NOW - timedelta(seconds=30), speed=0.0)
    device = DeviceInfo(fleet.tenant_id, fleet.gt06, imei(1), "gt06")

    async def scenario() -> None:
        gateway = Gateway(settings(), InMemoryDirectory(device), CorrelatingSink(container),
                          status=RecordingStatus())
        await gateway.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", gateway.ports["gt06"])
            tracker = Tracker(reader, writer)
            await tracker.send(gt06_device.login(imei(1), 1))
            ack = await tracker.receive(10)
            assert ack[3] == 0x01
            dispatcher = CommandDispatcher(container.uow, gateway.send, gateway.is_connected)
            assert (await dispatcher.tick()).sent == [command_id]

            payload = gt06.encode(EngineStop(device_id=imei(1), serial=1))
            received = read_gt06(await tracker.receive(len(payload)))
            assert received == OnlineCommand(1, 0, "Relay,1#")
            await tracker.send(gt06_device.command_reply(
                "Cut off the fuel supply: Success!", received.server_flag, 2))
            await eventually_state(container, command_id, "acknowledged")
            tracker.close()
        finally:
            await gateway.stop()

    asyncio.run(asyncio.wait_for(scenario(), 20))
    done = command(container, command_id)
    assert done.reply_text == "Cut off the fuel supply: Success!"
    assert [a for a, _ in trail(container, command_id)] == [
        "device_command.requested", "device_command.approved", "device_command.sent",
        "device_command.acknowledged"]


def test_a_jt808_terminal_answers_its_custom_text_by_serial(container: Container,
                                                            fleet: Fleet) -> None:
    text = as_user(container, "demo.monitor", commands.request, fleet.jt808,
                   Request(Kind.CUSTOM, text="请系好安全带"))
    terminal = jt808_device.Terminal("0" + PHONE)      # the 2013 header's 12 digits
    device = DeviceInfo(fleet.tenant_id, fleet.jt808, terminal.phone, "jt808")

    async def scenario() -> None:
        directory = InMemoryDirectory(device, code="CODE42")
        gateway = Gateway(settings(), directory, CorrelatingSink(container))
        await gateway.start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1",
                                                           gateway.ports["jt808"])
            tracker = Tracker(reader, writer)
            await tracker.send(jt808_device.registration(terminal, 1))
            await jt808_frames(reader, 1)                     # 0x8100 with the code
            await tracker.send(jt808_device.authentication(terminal, 2, "CODE42"))
            await jt808_frames(reader, 1)                     # 0x8001
            assert gateway.is_connected(fleet.jt808)
            dispatcher = CommandDispatcher(container.uow, gateway.send, gateway.is_connected)
            assert (await dispatcher.tick()).sent == [text.id]
            (frame,) = await jt808_frames(reader, 1)
            assert read_jt808(frame) == TextMessage("0" + PHONE, 1, 0x01, "请系好安全带")
            await tracker.send(jt808_device.general_response(terminal, 3, 1, 0x8300))
            await eventually_state(container, text.id, "acknowledged")
            tracker.close()
        finally:
            await gateway.stop()

    asyncio.run(asyncio.wait_for(scenario(), 20))
    assert command(container, text.id).result == 0
