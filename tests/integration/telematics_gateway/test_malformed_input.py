"""Bad input is counted and dropped, never more: wrong checksums, truncated frames, garbage
between frames, 64 KiB frames, frames split byte by byte, a handler that raises. After each,
the same connection and other devices' connections keep working."""

from __future__ import annotations

from fengkong.telematics.gateway import DeviceInfo
from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.fakes import InMemoryDirectory
from tests.integration.telematics_gateway.harness import (
    GT06_DEVICE,
    GT06_LOGIN_ACK,
    GT06_OTHER_IMEI,
    JT808_PHONE,
    World,
    gt06_ack,
    gt06_login,
    jt808,
    jt808_ack,
    run,
    running,
    settings,
)
from tests.unit.telematics.reference import gt06_fields


def corrupt(frame: bytes) -> bytes:
    """The frame with one bit of its CRC flipped."""
    return frame[:-3] + bytes([frame[-3] ^ 0x01]) + frame[-2:]


def ack_of(frame: bytes) -> bytes:
    type_, _, serial = gt06_fields(frame)
    return gt06_ack(type_, serial)


def test_a_bad_crc_is_counted_and_dropped_and_both_connections_go_on() -> None:
    async def scenario() -> None:
        async with running() as world:
            tracker = await world.gt06_logged_in()
            other = await world.gt06_logged_in(second=True)
            location = packets.gt06(packets.GT06_LOCATION)

            await tracker.send(corrupt(location))
            await tracker.expect_silence()
            await tracker.send(location)
            await tracker.expect(ack_of(location))
            await other.send(location)
            await other.expect(ack_of(location))

            assert world.rejected("gt06", "bad_crc") == 1
            assert world.gateway.rejects_for("dev-gt06") == {"bad_crc": 1}
            assert world.gateway.rejects_for("dev-gt06-2") == {}
            assert world.metric("fengkong_gateway_device_frames_rejected_total",
                                device="dev-gt06", reason="bad_crc") == 1
            assert len(world.sink.messages("dev-gt06")) == 2

    run(scenario)


def test_a_device_registered_to_accept_bad_crcs_is_stored_and_answered_with_a_good_crc(
) -> None:
    async def scenario() -> None:
        lenient = DeviceInfo("tenant-a", "dev-old-fw", GT06_DEVICE.identifier, "gt06",
                             accept_bad_crc=True)
        async with running(directory=InMemoryDirectory(lenient)) as world:
            tracker = await world.connect("gt06")
            await tracker.send(corrupt(packets.gt06(packets.GT06_LOGIN)))
            await tracker.expect(GT06_LOGIN_ACK)
            location = packets.gt06(packets.GT06_LOCATION)
            await tracker.send(corrupt(location))
            await tracker.expect(ack_of(location))
            assert len(world.sink.messages("dev-old-fw")) == 2

    run(scenario)


def test_a_bad_crc_login_of_an_unknown_device_is_not_reported_as_a_pending_device() -> None:
    async def scenario() -> None:
        async with running(directory=InMemoryDirectory()) as world:
            tracker = await world.connect("gt06")
            await tracker.send(corrupt(packets.gt06(packets.GT06_LOGIN)))
            await tracker.expect_silence()
            assert world.directory.unknown == []
            assert world.rejected("gt06", "bad_crc") == 1

    run(scenario)


def test_truncated_frames_and_garbage_between_frames_are_counted_and_skipped() -> None:
    async def scenario() -> None:
        async with running() as world:
            tracker = await world.connect("gt06")
            login = packets.gt06(packets.GT06_LOGIN)
            location = packets.gt06(packets.GT06_LOCATION)
            heartbeat = packets.gt06(packets.GT06_HEARTBEAT)
            truncated = packets.gt06(1)                  # a 0x12 with no content at all
            await tracker.send(b"GET / HTTP/1.1\r\n" + login + b"\x00\xff\x13" + truncated
                               + location + b"noise" + heartbeat)
            await tracker.expect(GT06_LOGIN_ACK + ack_of(location) + ack_of(heartbeat))
            assert world.rejected("gt06", "garbage") == 3
            assert world.rejected("gt06", "truncated") == 1
            assert len(world.sink.messages("dev-gt06")) == 3

    run(scenario)


def test_a_64_kib_gt06_frame_is_refused_and_the_connection_goes_on() -> None:
    async def scenario() -> None:
        async with running() as world:
            tracker = await world.gt06_logged_in()
            other = await world.gt06_logged_in(second=True)
            huge = b"\x79\x79\xff\xff" + b"\x00" * 0xFFFF + b"\r\n"
            location = packets.gt06(packets.GT06_LOCATION)
            await tracker.send(huge, location)
            await tracker.expect(ack_of(location))
            await other.send(location)
            await other.expect(ack_of(location))
            assert world.rejected("gt06", "oversize") == 1
            assert world.gateway.rejects_for("dev-gt06")["oversize"] == 1

    run(scenario)


def test_an_unfinished_frame_larger_than_the_buffer_closes_the_connection() -> None:
    async def scenario() -> None:
        async with running(settings(max_buffer=64)) as world:
            tracker = await world.gt06_logged_in()
            other = await world.gt06_logged_in(second=True)
            await tracker.send(b"\x79\x79\x01\x00" + b"\x00" * 100)   # 256 bytes announced
            assert await tracker.until_closed() == b""
            assert world.rejected("gt06", "buffer_overflow") == 1
            location = packets.gt06(packets.GT06_LOCATION)
            await other.send(location)
            await other.expect(ack_of(location))

    run(scenario)


def jt808_bad_input_then_heartbeat(bad: bytes) -> World:
    """A terminal (no authentication required) sends a heartbeat, `bad`, and a heartbeat:
    both heartbeats are answered."""
    worlds: list[World] = []

    async def scenario() -> None:
        async with running(settings(jt808_require_authentication=False)) as world:
            worlds.append(world)
            tracker = await world.connect("jt808")
            await tracker.send(jt808(0x0002, JT808_PHONE, 1))
            await tracker.expect(jt808_ack(JT808_PHONE, 0, 1, 0x0002))
            await tracker.send(bad, jt808(0x0002, JT808_PHONE, 2))
            await tracker.expect(jt808_ack(JT808_PHONE, 1, 2, 0x0002))

    run(scenario)
    return worlds[0]


def test_a_64_kib_jt808_frame_is_refused_and_the_connection_goes_on() -> None:
    world = jt808_bad_input_then_heartbeat(b"\x7e" + b"\x01" * 0x10000 + b"\x7e")
    assert world.rejected("jt808", "oversize") >= 1
    assert world.rejected("jt808", "bad_checksum") == 0


def test_a_bad_jt808_checksum_is_counted_and_dropped() -> None:
    world = jt808_bad_input_then_heartbeat(packets.jt808(87))   # a location with a wrong XOR
    assert world.gateway.rejects_for("dev-jt808") == {"bad_checksum": 1}


def test_frames_split_byte_by_byte_are_put_together() -> None:
    async def scenario() -> None:
        async with running(settings(jt808_require_authentication=False)) as world:
            tracker = await world.connect("gt06")
            login = packets.gt06(packets.GT06_LOGIN)
            await tracker.send(*(login[i:i + 1] for i in range(len(login))), pause=0.002)
            await tracker.expect(GT06_LOGIN_ACK)
            terminal = await world.connect("jt808")
            heartbeat = jt808(0x0002, JT808_PHONE, 3)
            await terminal.send(*(heartbeat[i:i + 1] for i in range(len(heartbeat))),
                                pause=0.002)
            await terminal.expect(jt808_ack(JT808_PHONE, 0, 3, 0x0002))
            assert world.rejections() == {}

    run(scenario)


class ExplodingDirectory(InMemoryDirectory):
    """A directory whose database is down for one identifier."""

    async def lookup(self, protocol: str, identifier: str) -> DeviceInfo | None:
        if identifier == GT06_OTHER_IMEI:
            raise RuntimeError("database unavailable")
        return await super().lookup(protocol, identifier)


def test_an_exception_while_handling_a_frame_costs_only_that_frame() -> None:
    async def scenario() -> None:
        async with running(directory=ExplodingDirectory(GT06_DEVICE)) as world:
            tracker = await world.connect("gt06")
            await tracker.send(gt06_login(GT06_OTHER_IMEI, 1))
            await tracker.expect_silence()
            await tracker.send(packets.gt06(packets.GT06_LOGIN))
            await tracker.expect(GT06_LOGIN_ACK)
            assert world.rejected("gt06", "internal") == 1

    run(scenario)
