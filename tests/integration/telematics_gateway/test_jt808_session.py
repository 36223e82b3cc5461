"""A JT/T 808 terminal over a real socket: registration, the auth code fengkong issued,
authentication, locations, an alarm, a heartbeat, a command and the terminal's response;
every reply byte-exact; a wrong code; terminals that never authenticate."""

from __future__ import annotations

from fengkong.telematics.gateway import DeviceInfo
from fengkong.telematics.protocols import jt808 as codec
from fengkong.telematics.protocols.commands import EngineStop
from fengkong.telematics.protocols.messages import (
    Authentication,
    Login,
    TerminalResponse,
)
from fengkong.telematics.protocols.position import Position, Status, alarms
from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.fakes import InMemoryDirectory
from tests.integration.telematics_gateway.harness import (
    JT808_DEVICE,
    JT808_IMEI_DEVICE,
    JT808_PHONE,
    jt808,
    jt808_ack,
    run,
    running,
    settings,
)
from tests.unit.telematics.reference import jt808_unescape, xor

PHONE = JT808_PHONE                 # BCD: the digits are the hex of the header bytes
# 0x8100 to the corpus registration (serial 5): result 0 and the code the directory issued
REGISTERED = jt808(0x8100, PHONE, 0, bytes.fromhex("0005 00") + b"authentication")


def location_body() -> bytes:
    """The 0x0200 body of corpus packet 91 (sent there by another terminal)."""
    return packets.jt808(packets.JT808_LOCATION)[13:-2]


def test_a_jt808_terminal_registers_authenticates_reports_and_answers_a_command() -> None:
    async def scenario() -> None:
        async with running() as world:
            tracker = await world.connect("jt808")
            await tracker.send(packets.jt808(packets.JT808_REGISTER))        # serial 5
            await tracker.expect(REGISTERED)
            await tracker.send(packets.jt808(packets.JT808_AUTHENTICATE))    # serial 6
            await tracker.expect(jt808_ack(PHONE, 1, 6, 0x0102))

            body = location_body()
            sos = bytes.fromhex("00000001") + body[4:]
            for platform_serial, (serial, frame_body) in enumerate(((7, body), (8, sos)), 2):
                await tracker.send(jt808(0x0200, PHONE, serial, frame_body))
                await tracker.expect(jt808_ack(PHONE, platform_serial, serial, 0x0200))
            await tracker.send(jt808(0x0002, PHONE, 9))
            await tracker.expect(jt808_ack(PHONE, 4, 9, 0x0002))

            command = codec.encode(EngineStop(device_id=JT808_PHONE, serial=0x55))
            assert await world.gateway.send("dev-jt808", command)
            await tracker.expect(jt808(0x8105, PHONE, 0x55, b"\xf0"))
            response = bytes.fromhex("0055 8105 00")
            await tracker.send(jt808(0x0001, PHONE, 10, response))
            messages = await world.sink.wait_for(6)

            assert [type(m) for m in messages] == [Login, Authentication, Position, Position,
                                                   Status, TerminalResponse]
            login, _, fix, alarm, _, done = messages
            assert isinstance(login, Login) and login.registration is not None
            assert login.registration.model == "HB-R03GBD"
            assert isinstance(fix, Position) and fix.latitude < 0
            assert isinstance(alarm, Position) and "sos" in alarms(alarm.attributes)
            assert done == TerminalResponse(JT808_PHONE, 10, 0x55, 0x8105, 0)
            assert world.status.events == [("online", "dev-jt808")]
            assert world.gateway.rejects_for("dev-jt808") == {}

    run(scenario)


def test_the_registration_reply_carries_the_issued_code_and_a_wrong_code_is_refused() -> None:
    async def scenario() -> None:
        directory = InMemoryDirectory(JT808_DEVICE, code=JT808_PHONE)
        async with running(directory=directory) as world:
            tracker = await world.connect("jt808")
            await tracker.send(packets.jt808(packets.JT808_REGISTER))
            # as in the reference notes, with the code "013511221122"
            await tracker.expect(bytes.fromhex("7E 8100 000F 013511221122 0000 0005 00")
                                 + b"013511221122" + bytes.fromhex("B8 7E"))
            await tracker.send(packets.jt808(packets.JT808_AUTHENTICATE))  # "authentication"
            await tracker.expect(jt808_ack(PHONE, 1, 6, 0x0102, result=1))
            await tracker.send(jt808(0x0200, PHONE, 7, location_body()))
            await tracker.expect_silence()

            assert [type(m) for m in world.sink.messages()] == [Login]
            assert world.gateway.rejects_for("dev-jt808") == {"bad_auth_code": 1,
                                                              "unauthenticated": 1}
            assert world.rejected("jt808", "unauthenticated") == 1
            assert world.status.events == []
            assert not world.gateway.is_connected("dev-jt808")

    run(scenario)


def test_a_terminal_that_only_claims_a_phone_number_cannot_take_over_the_connection() -> None:
    async def scenario() -> None:
        async with running() as world:
            genuine = await world.connect("jt808")
            await genuine.send(packets.jt808(packets.JT808_REGISTER),
                               packets.jt808(packets.JT808_AUTHENTICATE))
            await genuine.expect(REGISTERED + jt808_ack(PHONE, 1, 6, 0x0102))
            impostor = await world.connect("jt808")
            await impostor.send(jt808(0x0002, PHONE, 40))
            await impostor.expect_silence()
            assert await world.gateway.send("dev-jt808", b"\x7e\x7e")
            await genuine.expect(b"\x7e\x7e")
            assert world.status.events == [("online", "dev-jt808")]

    run(scenario)


def test_without_required_authentication_a_terminal_is_answered_at_once() -> None:
    async def scenario() -> None:
        heartbeat_device = DeviceInfo("tenant-b", "dev-hb", "043048325465", "jt808")
        directory = InMemoryDirectory(JT808_IMEI_DEVICE, heartbeat_device)
        async with running(settings(jt808_require_authentication=False), directory) as world:
            tracker = await world.connect("jt808")
            await tracker.send(packets.jt808(packets.JT808_HEARTBEAT))
            # the reply the reference notes give for this heartbeat
            await tracker.expect(bytes.fromhex("7E 8001 0005 043048325465 0000 00B7 0002 00 4E 7E"))

            imei_terminal = await world.connect("jt808")
            await imei_terminal.send(jt808(0x0002, "0b3a73ce2ff2", 1))
            await imei_terminal.expect(jt808_ack("0b3a73ce2ff2", 0, 1, 0x0002))
            command = codec.encode(EngineStop(device_id=JT808_IMEI_DEVICE.identifier))
            assert await world.gateway.send("dev-jt808-imei", command)
            await imei_terminal.expect(bytes.fromhex("7e810500010b3a73ce2ff20000f0247e"))  # E1

    run(scenario)


def test_a_sub_packaged_batch_is_stored_whole_once_its_last_part_arrives() -> None:
    async def scenario() -> None:
        async with running(settings(jt808_require_authentication=False)) as world:
            tracker = await world.connect("jt808")
            item = location_body()
            body = (2).to_bytes(2, "big") + b"\x01" + b"".join(
                len(item).to_bytes(2, "big") + item for _ in range(2))
            halves = (body[:20], body[20:])
            for index, part in enumerate(halves, 1):
                frame = _part(0x0704, 20 + index, 2, index, part)
                await tracker.send(frame)
                await tracker.expect(jt808_ack(PHONE, index - 1, 20 + index, 0x0704))
            fixes = await world.sink.wait_for(2)
            assert all(isinstance(f, Position) and f.attributes.get("archived") for f in fixes)
            assert len(world.sink.inbound) == 1

    run(scenario)


def _part(message_id: int, serial: int, total: int, index: int, body: bytes) -> bytes:
    """A sub-packaged part: header bit 13 and (total, index) after the serial."""
    frame = jt808(message_id, PHONE, serial, total.to_bytes(2, "big")
                  + index.to_bytes(2, "big") + body)
    # set bit 13 in the properties and keep the body length without the 4 part bytes
    return _with_properties(frame, 0x2000 | len(body))


def _with_properties(wire: bytes, properties: int) -> bytes:
    inner = bytearray(jt808_unescape(wire[1:-1]))
    inner[2:4] = properties.to_bytes(2, "big")
    inner[-1] = xor(bytes(inner[:-1]))
    escaped = bytes(inner).replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")
    return b"\x7e" + escaped + b"\x7e"


def test_a_device_with_an_unknown_phone_is_noted_and_never_answered() -> None:
    async def scenario() -> None:
        async with running(settings(jt808_require_authentication=False)) as world:
            tracker = await world.connect("jt808")
            await tracker.send(packets.jt808(packets.JT808_LOCATION))   # from 001401249917
            await tracker.expect_silence()
            assert [u[:2] for u in world.directory.unknown] == [("jt808", "001401249917")]
            assert world.directory.unknown[0][2].startswith("127.0.0.1:")
            assert world.sink.batches == []
            assert world.rejected("jt808", "unknown_device") == 1

    run(scenario)

