"""A GT06 device over a real socket: login, locations, an alarm, a heartbeat, a command and
its reply; every acknowledgement byte-exact, and everything stored before it is answered."""

from __future__ import annotations

from datetime import UTC

import pytest

from fengkong.telematics.protocols import gt06
from fengkong.telematics.protocols.commands import EngineStop
from fengkong.telematics.protocols.messages import CommandReply, Login
from fengkong.telematics.protocols.position import Position, Status, alarms
from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.harness import (
    GT06_IMEI,
    GT06_LOGIN_ACK,
    eventually,
    gt06_ack,
    run,
    running,
)
from tests.unit.telematics.reference import gt06_fields

ENGINE_STOP = bytes.fromhex("787812800c0000000052656c61792c312300009dee0d0a")  # corpus E1


def test_a_gt06_device_logs_in_reports_and_answers_a_command() -> None:
    async def scenario() -> None:
        async with running() as world:
            tracker = await world.connect("gt06")
            await tracker.send(packets.gt06(packets.GT06_LOGIN))
            await tracker.expect(GT06_LOGIN_ACK)
            sent = [packets.gt06(n) for n in (packets.GT06_LOCATION, packets.GT06_LOCATION_2,
                                              packets.GT06_ALARM, packets.GT06_HEARTBEAT)]
            for frame in sent:
                await tracker.send(frame)
                type_, _, serial = gt06_fields(frame)
                await tracker.expect(gt06_ack(type_, serial))

            assert await world.gateway.send("dev-gt06", gt06.encode(EngineStop()))
            await tracker.expect(ENGINE_STOP)
            reply = packets.gt06(packets.GT06_REPLY)
            await tracker.send(reply)
            await tracker.expect(gt06_ack(0x15, gt06_fields(reply)[2]))

            messages = world.sink.messages("dev-gt06")
            assert [type(m) for m in messages] == [Login, Position, Position, Position, Status,
                                                   CommandReply]
            login, fix, _, alarm, _, answer = messages
            assert isinstance(login, Login) and login.device_id == GT06_IMEI
            assert isinstance(fix, Position)
            assert (fix.latitude, fix.longitude) == (pytest.approx(54.94535, abs=1e-5),
                                                     pytest.approx(24.01762, abs=1e-5))
            assert isinstance(alarm, Position) and alarms(alarm.attributes) == ("sos",)
            assert isinstance(answer, CommandReply)
            assert answer.text == "Cut off the fuel supply: Success!"
            inbound = world.sink.inbound
            assert [item.raw for item in inbound[1:5]] == sent
            assert {(i.tenant_id, i.device_id, i.protocol) for i in inbound} == {
                ("tenant-a", "dev-gt06", "gt06")}
            assert inbound[0].received_at.tzinfo == UTC
            assert world.metric("fengkong_gateway_acks_sent_total", protocol="gt06") == 6
            assert world.metric("fengkong_gateway_frames_decoded_total", protocol="gt06") == 6
            assert world.status.events == [("online", "dev-gt06")]
        assert world.status.events[-1] == ("offline", "dev-gt06")

    run(scenario)


def test_a_command_to_a_device_that_is_not_connected_is_not_sent() -> None:
    async def scenario() -> None:
        async with running() as world:
            assert not await world.gateway.send("dev-gt06", gt06.encode(EngineStop()))
            assert not world.gateway.is_connected("dev-gt06")

    run(scenario)


def test_a_new_connection_of_the_same_device_replaces_the_old_one() -> None:
    async def scenario() -> None:
        async with running() as world:
            old = await world.gt06_logged_in()
            new = await world.gt06_logged_in()
            assert await old.until_closed() == b""
            assert await world.gateway.send("dev-gt06", b"ping")
            await new.expect(b"ping")
            new.close()
            await eventually(lambda: world.status.events[-1][0] == "offline")
            assert world.status.events == [("online", "dev-gt06"), ("online", "dev-gt06"),
                                           ("offline", "dev-gt06")]
            assert world.metric("fengkong_gateway_connections_closed_total", protocol="gt06",
                                reason="replaced") == 1

    run(scenario)
