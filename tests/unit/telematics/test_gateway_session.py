"""One connection's protocol state without sockets: who is on the line, what gets stored,
what gets answered, JT/T 808 registration, authentication and reassembly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

from fengkong.telematics.gateway import DeviceInfo
from fengkong.telematics.gateway.session import Outcome, Session
from fengkong.telematics.protocols.jt808_frames import build
from fengkong.telematics.protocols.messages import Login
from fengkong.telematics.protocols.position import Position
from tests.unit.telematics.reference import crc_x25, gt06_frame, xor

T = TypeVar("T")
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
IMEI = "864717003283581"
PHONE = "013511221122"
GT06 = DeviceInfo("t1", "dev-gt06", IMEI, "gt06")
JT808 = DeviceInfo("t1", "dev-jt808", PHONE, "jt808")
LOGIN = bytes.fromhex("78780D01086471700328358100093F040D0A")
GPS = bytes.fromhex("0f0a140e150b c5 05e51e78 0293a9e8 00 5400 00f6 01 006e 0055da")
LOCATION_BODY = bytes.fromhex("00000000 0000400e 012af16f 02cbd2ba 0000 0000 0000 150101194257")


class Directory:
    def __init__(self, *devices: DeviceInfo) -> None:
        self.devices = {d.identifier: d for d in devices}
        self.unknown: list[str] = []

    async def lookup(self, protocol: str, identifier: str) -> DeviceInfo | None:
        return self.devices.get(identifier)

    async def note_unknown(self, protocol: str, identifier: str, remote: str) -> None:
        self.unknown.append(identifier)

    async def issue_auth_code(self, device: DeviceInfo) -> str:
        return "secret"

    async def check_auth_code(self, device: DeviceInfo, code: str) -> bool:
        return code == "secret"


def sync(awaitable: Awaitable[T]) -> T:
    async def wrapped() -> T:
        return await awaitable
    return asyncio.run(wrapped())


def handle(session: Session, frame: bytes) -> Outcome:
    return sync(session.handle(frame, NOW))


def gt06_session(*devices: DeviceInfo) -> Session:
    return Session("gt06", Directory(*devices), "10.0.0.1:4000")


def jt808_session(*devices: DeviceInfo, required: bool = True) -> Session:
    return Session("jt808", Directory(*devices), "10.0.0.1:4000",
                   require_authentication=required)


def jt(message_id: int, serial: int, body: bytes = b"", props: int | None = None) -> bytes:
    """An unescaped JT/T 808 frame (what the framer hands over)."""
    size = len(body) if props is None else props
    core = (message_id.to_bytes(2, "big") + size.to_bytes(2, "big") + bytes.fromhex(PHONE)
            + serial.to_bytes(2, "big") + body)
    return b"\x7e" + core + bytes([xor(core)]) + b"\x7e"


def platform_ack(serial: int, reply_serial: int, reply_id: int, result: int = 0) -> bytes:
    return jt(0x8001, serial, reply_serial.to_bytes(2, "big") + reply_id.to_bytes(2, "big")
              + bytes([result]))


def test_a_gt06_login_binds_the_connection_and_is_stored_with_its_ack() -> None:
    session = gt06_session(GT06)
    outcome = handle(session, LOGIN)
    assert session.device == GT06
    assert outcome.inbound is not None and outcome.inbound.raw == LOGIN
    assert isinstance(outcome.inbound.messages[0], Login)
    body = bytes.fromhex("05010009")
    assert outcome.replies == (b"\x78\x78" + body + crc_x25(body).to_bytes(2, "big") + b"\r\n",)


def test_gt06_data_after_the_login_carries_the_device() -> None:
    session = gt06_session(GT06)
    handle(session, LOGIN)
    outcome = handle(session, gt06_frame(0x12, GPS, 3))
    assert outcome.inbound is not None
    (fix,) = outcome.inbound.messages
    assert isinstance(fix, Position) and fix.device_id == IMEI
    assert (outcome.inbound.tenant_id, outcome.inbound.device_id) == ("t1", "dev-gt06")


def test_the_device_s_clock_zone_goes_into_the_decode_context() -> None:
    china = DeviceInfo("t1", "dev-gt06", IMEI, "gt06", timezone=timezone(timedelta(hours=8)))
    session = gt06_session(china)
    handle(session, LOGIN)
    outcome = handle(session, gt06_frame(0x12, GPS, 3))
    assert outcome.inbound is not None
    (fix,) = outcome.inbound.messages
    assert isinstance(fix, Position)
    assert fix.fix_time == datetime(2015, 10, 20, 6, 21, 11, tzinfo=UTC)


def test_gt06_data_before_a_login_is_refused_unanswered() -> None:
    outcome = handle(gt06_session(GT06), gt06_frame(0x12, GPS, 3))
    assert outcome == Outcome(rejected="unidentified")


def test_an_unknown_login_is_noted_and_neither_stored_nor_answered() -> None:
    session = gt06_session()
    assert handle(session, LOGIN) == Outcome(rejected="unknown_device")
    assert session.directory.unknown == [IMEI]  # type: ignore[attr-defined]
    assert session.device is None


def test_a_login_of_another_device_on_a_bound_connection_is_refused() -> None:
    other = DeviceInfo("t1", "dev-2", "123456789012345", "gt06")
    session = gt06_session(GT06, other)
    handle(session, LOGIN)
    outcome = handle(session, gt06_frame(0x01, bytes.fromhex("0123456789012345"), 2))
    assert outcome == Outcome(rejected="identity_mismatch")
    assert session.device == GT06


def test_a_jt808_registration_earns_a_code_and_authentication_opens_the_gate() -> None:
    session = jt808_session(JT808)
    register = jt(0x0100, 5, bytes(2 + 2 + 5 + 20 + 7 + 1) + b"AB123")
    outcome = handle(session, register)
    assert outcome.inbound is not None
    assert outcome.replies == (jt(0x8100, 0, bytes.fromhex("000500") + b"secret"),)
    assert handle(session, jt(0x0200, 6, LOCATION_BODY)) == Outcome(rejected="unauthenticated")

    outcome = handle(session, jt(0x0102, 7, b"secret"))
    assert outcome.replies == (platform_ack(1, 7, 0x0102),)
    outcome = handle(session, jt(0x0200, 8, LOCATION_BODY))
    assert outcome.inbound is not None and outcome.replies == (platform_ack(2, 8, 0x0200),)


def test_a_wrong_code_is_answered_failed_and_leaves_the_terminal_unauthenticated() -> None:
    session = jt808_session(JT808)
    outcome = handle(session, jt(0x0102, 7, b"guess"))
    assert outcome == Outcome(rejected="bad_auth_code",
                              replies=(platform_ack(0, 7, 0x0102, result=1),))
    assert handle(session, jt(0x0002, 8)) == Outcome(rejected="unauthenticated")


def test_without_required_authentication_data_is_stored_at_once() -> None:
    session = jt808_session(JT808, required=False)
    outcome = handle(session, jt(0x0200, 6, LOCATION_BODY))
    assert outcome.inbound is not None and outcome.replies == (platform_ack(0, 6, 0x0200),)


def test_a_bad_checksum_binds_only_a_device_that_accepts_them() -> None:
    bad = bytearray(jt(0x0002, 1))
    bad[-2] ^= 0xFF
    strict = jt808_session(JT808, required=False)
    assert handle(strict, bytes(bad)) == Outcome(rejected="bad_checksum")
    assert strict.device is None
    lenient = jt808_session(DeviceInfo("t1", "dev-x", PHONE, "jt808", accept_bad_crc=True),
                            required=False)
    assert handle(lenient, bytes(bad)).inbound is not None


def test_a_frame_from_another_terminal_on_a_bound_connection_is_refused() -> None:
    session = jt808_session(JT808, required=False)
    handle(session, jt(0x0002, 1))
    other = build(0x0002, "099999999999", 2, b"")
    assert handle(session, other) == Outcome(rejected="identity_mismatch")


def test_sub_packaged_parts_are_acknowledged_and_stored_whole_with_the_last() -> None:
    session = jt808_session(JT808, required=False)
    body = (1).to_bytes(2, "big") + b"\x00" + len(LOCATION_BODY).to_bytes(2, "big") + LOCATION_BODY
    first, second = body[:10], body[10:]
    part_one = jt(0x0704, 11, bytes.fromhex("00020001") + first, props=0x2000 | len(first))
    part_two = jt(0x0704, 12, bytes.fromhex("00020002") + second, props=0x2000 | len(second))
    outcome = handle(session, part_one)
    assert outcome == Outcome(replies=(platform_ack(0, 11, 0x0704),))
    outcome = handle(session, part_two)
    assert outcome.replies == (platform_ack(1, 12, 0x0704),)
    assert outcome.inbound is not None
    assert [type(m) for m in outcome.inbound.messages] == [Position]
