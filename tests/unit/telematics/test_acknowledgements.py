"""Byte-exact replies: the expected bytes are written out by hand (or from the reference
notes) and checksummed by the test's own bit-by-bit CRC, not by the encoder under test."""

from __future__ import annotations

from datetime import UTC, datetime

from fengkong.telematics.protocols import gt06, jt808
from fengkong.telematics.protocols.jt808_frames import build
from fengkong.telematics.protocols.jt808_messages import FAILED, platform_response
from fengkong.telematics.protocols.messages import DecodeContext, Login
from tests.unit.telematics.reference import crc_x25, gt06_frame, xor

NOW = datetime(2026, 9, 1, 8, 30, 15, tzinfo=UTC)


def ctx(**kwargs: object) -> DecodeContext:
    return DecodeContext(received_at=NOW, **kwargs)  # type: ignore[arg-type]


def test_a_gt06_login_is_acknowledged_with_its_serial_and_a_correct_crc() -> None:
    login = bytes.fromhex("78780D01086471700328358100093F040D0A")      # serial 0x0009
    expected = bytes.fromhex("787805010009") + crc_x25(bytes.fromhex("05010009")).to_bytes(
        2, "big") + b"\r\n"
    assert expected == bytes.fromhex("78 78 05 01 00 09 55 94 0D 0A")   # as in the notes
    assert gt06.decode(login, ctx()).replies == (expected,)


def test_a_gt06_heartbeat_is_acknowledged_with_its_serial() -> None:
    heartbeat = gt06_frame(0x13, bytes.fromhex("4606040002"), 0x1234)
    expected = bytes.fromhex("787805131234") + crc_x25(bytes.fromhex("05131234")).to_bytes(
        2, "big") + bytes.fromhex("0d0a")
    assert gt06.decode(heartbeat, ctx(device_id="864717003283581")).replies == (expected,)


def test_a_gt06_time_request_gets_the_utc_time_of_receipt_with_serial_zero() -> None:
    request = gt06_frame(0x8A, b"", 6)
    body = bytes.fromhex("0b8a") + bytes([26, 9, 1, 8, 30, 15]) + bytes(2)
    expected = b"\x78\x78" + body + crc_x25(body).to_bytes(2, "big") + b"\r\n"
    assert gt06.decode(request, ctx()).replies == (expected,)


def test_a_gt06_wifi_report_without_crc_gets_its_time_echoed() -> None:
    wifi = bytes.fromhex("787800691710231108500200cc080c4e2fa5640c4e2fa66e0d0a")
    assert gt06.decode(wifi, ctx()).replies == (bytes.fromhex("78780069171023110850") + b"\r\n",)


def _jt808(core_hex: str) -> bytes:
    core = bytes.fromhex(core_hex)
    return b"\x7e" + core + bytes([xor(core)]) + b"\x7e"


def test_a_jt808_registration_gets_0x8100_with_the_auth_code_from_the_session() -> None:
    register = bytes.fromhex(
        "7E0100002D013511221122000500000000373031303748422D52303347424400000000000000000000"
        "003233363631303402CBD5424136383630387E")                     # serial 0x0005
    expected = _jt808("8100 000F 013511221122 0000 0005 00" + b"013511221122".hex())
    assert expected.hex().upper().endswith("B87E")                  # as in the notes
    decoded = jt808.decode(register, ctx(auth_code="013511221122"))
    assert decoded.replies == (expected,)
    login = decoded.messages[0]
    assert isinstance(login, Login) and login.registration is not None
    assert login.registration.model == "HB-R03GBD"


def test_a_jt808_registration_without_an_issued_code_gets_no_reply() -> None:
    register = build(0x0100, "013511221122", 5, bytes(2 + 2 + 5 + 20 + 7 + 1) + b"AB123")
    assert jt808.decode(register, ctx()).replies == ()


def test_a_jt808_heartbeat_gets_a_platform_general_response() -> None:
    heartbeat = bytes.fromhex("7e0002000004304832546500b7ca7e")    # serial 0x00B7
    expected = _jt808("8001 0005 043048325465 0000 00B7 0002 00")
    assert expected == bytes.fromhex("7E 8001 0005 043048325465 0000 00B7 0002 00 4E 7E")
    assert jt808.decode(heartbeat, ctx()).replies == (expected,)


def test_the_platform_response_carries_the_session_serial_and_2019_header() -> None:
    heartbeat = build(0x0002, "00000866496077582164", 0x0102, b"", version=1)
    expected = _jt808("8001 4005 01 00000866496077582164 0077 0102 0002 00")
    assert jt808.decode(heartbeat, ctx(reply_serial=0x77)).replies == (expected,)


def test_a_failed_authentication_can_be_answered_by_the_session() -> None:
    expected = _jt808("8001 0005 013511221122 0000 0006 0102 01")
    assert platform_response("013511221122", 6, 0x0102, FAILED) == expected
