"""GT06 decoding: fixes in fengkong's units, status and alarm bits, per-model alarm codes,
login and its zone, command replies, and rejections with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from fengkong.telematics.protocols import gt06
from fengkong.telematics.protocols.messages import (
    CommandReply,
    DecodeContext,
    Decoded,
    Login,
    Reason,
)
from fengkong.telematics.protocols.position import Position, Status, alarms
from tests.unit.telematics.reference import gt06_frame

NOW = datetime(2026, 9, 1, tzinfo=UTC)
IMEI = "864717003283581"
# 2015-10-20 14:21:11, 5 satellites, 54.94535 N 24.01762 E, 0 km/h, course 0, fixed
GPS = bytes.fromhex("0f0a140e150b c5 05e51e78 0293a9e8 00 5400")
CELL = bytes.fromhex("00f6 01 006e 0055da")


def decode(frame: bytes, **kwargs: object) -> Decoded:
    return gt06.decode(frame, DecodeContext(received_at=NOW, device_id=IMEI, **kwargs))  # type: ignore[arg-type]


def only(decoded: Decoded) -> object:
    assert decoded.rejected is None, decoded.detail
    (message,) = decoded.messages
    return message


def test_a_location_decodes_to_a_utc_fix_in_degrees_and_kmh() -> None:
    fix = only(decode(gt06_frame(0x12, GPS + CELL, 0x035F)))
    assert isinstance(fix, Position)
    assert fix.device_id == IMEI
    assert fix.fix_time == datetime(2015, 10, 20, 14, 21, 11, tzinfo=UTC)
    assert (fix.valid, fix.satellites) == (True, 5)
    assert fix.latitude == pytest.approx(54.94535, abs=1e-5)
    assert fix.longitude == pytest.approx(24.01762, abs=1e-5)
    assert fix.attributes.items() >= {"mcc": 246, "mnc": 1, "lac": 110, "cid": 21978}.items()


def test_speed_is_km_h_and_south_and_west_are_negative() -> None:
    # 62 km/h, course 178, flags: fixed, south (bit 10 clear), west (bit 11 set)
    gps = bytes.fromhex("10020e14061d cc 0476fcd0 003e3faf 3e 18b2")
    fix = only(decode(gt06_frame(0x10, gps, 1)))
    assert isinstance(fix, Position)
    assert (fix.speed_kmh, fix.course) == (62.0, 178.0)
    assert fix.latitude < 0 and fix.longitude < 0


def test_the_device_clock_zone_shifts_the_fix_time_to_utc() -> None:
    fix = only(decode(gt06_frame(0x10, GPS, 1), timezone=timezone(timedelta(hours=8))))
    assert isinstance(fix, Position)
    assert fix.fix_time == datetime(2015, 10, 20, 6, 21, 11, tzinfo=UTC)


def test_protocol_2_trailer_marks_a_re_uploaded_fix_as_archived() -> None:
    fix = only(decode(gt06_frame(0x22, GPS + CELL + bytes.fromhex("01 03 01"), 1)))
    assert isinstance(fix, Position)
    assert fix.attributes["archived"] is True and fix.attributes["ignition"] is True


def _alarm(code: int, info: int = 0x46, gps: bytes = GPS) -> bytes:
    return gt06_frame(0x16, gps + b"\x09" + CELL + bytes([info, 0x06, 0x04, code, 0x02]), 7)


def test_an_alarm_packet_carries_terminal_info_and_the_alarm() -> None:
    fix = only(decode(_alarm(0x02, info=0x86)))
    assert isinstance(fix, Position)
    assert alarms(fix.attributes) == ("powerCut",)
    assert fix.attributes.items() >= {"ignition": True, "charging": True, "blocked": True,
                                   "battery_level": 100, "rssi": 4}.items()


def test_an_alarm_sent_before_the_first_fix_is_kept_as_a_status() -> None:
    no_fix = bytes(18)                                  # date 2000-00-00: no fix yet
    status = only(decode(_alarm(0x01, gps=no_fix)))
    assert isinstance(status, Status) and alarms(status.attributes) == ("sos",)


@pytest.mark.parametrize(("code", "model", "expected"), [
    (0x09, None, "vibration"), (0x09, "VL103", "tow"), (0x09, "G18", "tow"),
    (0x18, None, "removing"), (0x18, "LW4G-4B", "accident"),
    (0x19, None, "lowBattery"), (0x19, "LW4G-4B", "hardAcceleration"),
    (0x30, None, "jamming"), (0x30, "G18", "hardBraking"), (0x30, "VL512", "hardBraking"),
    (0x28, None, "hardBraking"), (0x28, "SEEWORLD", "hardCornering"),
])
def test_alarm_codes_follow_the_model_where_vendors_disagree(
    code: int, model: str | None, expected: str
) -> None:
    fix = only(decode(_alarm(code), model=model))
    assert isinstance(fix, Position) and alarms(fix.attributes) == (expected,)


def test_a_heartbeat_reports_acc_power_and_signal() -> None:
    status = only(decode(gt06_frame(0x13, bytes.fromhex("06 04 03 00 02"), 1)))
    assert isinstance(status, Status)
    assert status.attributes.items() >= {"ignition": True, "charging": True, "blocked": False,
                                      "battery_level": 66, "rssi": 3}.items()


def test_a_login_names_the_imei_and_the_device_clock_zone() -> None:
    east = gt06_frame(0x01, bytes.fromhex("0123456789012345 3605 3200"), 1)
    west = gt06_frame(0x01, bytes.fromhex("0123456789012345 3605 12C8"), 1)     # -03:00
    login = only(decode(east))
    assert isinstance(login, Login) and login.device_id == "123456789012345"
    assert login.timezone == timezone(timedelta(hours=8))
    other = only(decode(west))
    assert isinstance(other, Login) and other.timezone == timezone(-timedelta(hours=3))
    bare = only(decode(gt06_frame(0x01, bytes.fromhex("0123456789012345"), 1)))
    assert isinstance(bare, Login) and bare.timezone is None


def test_a_command_reply_echoes_the_server_flag_of_the_command() -> None:
    text = b"DYD=Success!"
    frame = gt06_frame(0x15, bytes([4 + len(text)]) + (77).to_bytes(4, "big") + text + b"\0\2", 9)
    reply = only(decode(frame))
    assert isinstance(reply, CommandReply)
    assert (reply.text, reply.server_flag, reply.serial) == ("DYD=Success!", 77, 9)


def test_an_extended_text_reply_in_utf16_and_a_where_answer_decode() -> None:
    utf16 = gt06_frame(0x21, bytes(4) + b"\x02" + "断油成功".encode("utf-16-be"), 2,
                       extended=True)
    reply = only(decode(utf16))
    assert isinstance(reply, CommandReply) and reply.text == "断油成功"
    where = (b"Current position!Lat:S22.912000,Lon:W43.172000,Course:90.00,Speed:36.5,"
             b"DateTime:2024-05-01 10:00:00")
    fix = only(decode(gt06_frame(0x21, bytes(4) + b"\x01" + where, 3, extended=True)))
    assert isinstance(fix, Position)
    assert (fix.latitude, fix.longitude, fix.speed_kmh) == (-22.912, -43.172, 36.5)


def test_a_status_sync_reports_whether_the_engine_is_cut() -> None:
    text = b"ALM1=C5;STA1=C0;DYD=01;"
    status = only(decode(gt06_frame(0x94, b"\x04" + text, 4, extended=True)))
    assert isinstance(status, Status) and status.attributes["engine_cut"] is True


def test_an_unknown_short_frame_type_is_rejected_but_still_acknowledged() -> None:
    decoded = decode(gt06_frame(0x1F, b"\x00\x01", 0x0102))
    assert decoded.rejected == Reason.UNKNOWN_TYPE and decoded.messages == ()
    assert decoded.replies == (gt06_frame(0x1F, b"", 0x0102),)
    extended = decode(gt06_frame(0x84, b"", 3, extended=True))
    assert extended.rejected == Reason.UNKNOWN_TYPE and extended.replies == ()


def test_a_bad_crc_is_rejected_unless_the_device_is_allowed_broken_firmware() -> None:
    frame = bytearray(gt06_frame(0x12, GPS + CELL, 1))
    frame[-3] ^= 0xFF
    assert decode(bytes(frame)).rejected == Reason.BAD_CRC
    assert isinstance(only(decode(bytes(frame), accept_bad_crc=True)), Position)


@pytest.mark.parametrize(("frame", "reason"), [
    (b"\x24\x24" + gt06_frame(0x13, bytes(5), 1)[2:], Reason.MALFORMED),
    (gt06_frame(0x13, bytes(5), 1)[:-1], Reason.TRUNCATED),
    (gt06_frame(0x12, GPS[:10], 1), Reason.TRUNCATED),
    (gt06_frame(0x01, bytes.fromhex("0a23456789012345"), 1), Reason.MALFORMED),
])
def test_a_broken_frame_is_rejected_with_its_reason(frame: bytes, reason: Reason) -> None:
    decoded = decode(frame)
    assert decoded.rejected == reason and decoded.messages == () and decoded.detail
