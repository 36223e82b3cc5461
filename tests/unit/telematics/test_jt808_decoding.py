"""JT/T 808 decoding: the location body and its bit fields, additional items, batches and
blind-area re-uploads, 2019 headers, sub-packages, terminal responses, and rejections."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fengkong.telematics.protocols import jt808
from fengkong.telematics.protocols.jt808_frames import build
from fengkong.telematics.protocols.jt808_reassembly import Reassembler
from fengkong.telematics.protocols.messages import (
    Authentication,
    DecodeContext,
    Decoded,
    Fragment,
    Login,
    Reason,
    TerminalResponse,
    TimeRequest,
)
from fengkong.telematics.protocols.position import Position, Status, alarms
from tests.unit.telematics.reference import jt808_fields, xor

NOW = datetime(2026, 9, 1, 8, 30, 15, tzinfo=UTC)
PHONE = "013511221122"


def decode(frame: bytes, **kwargs: object) -> Decoded:
    return jt808.decode(frame, DecodeContext(received_at=NOW, **kwargs))  # type: ignore[arg-type]


def location(alarm: int = 0, status: int = 0x02, items: bytes = b"",
             time: str = "150101194257") -> bytes:
    """A 0x0200 body: -19.591535, -46.912186 when status has bits 2 and 3."""
    return (alarm.to_bytes(4, "big") + status.to_bytes(4, "big")
            + bytes.fromhex("012af16f 02cbd2ba 0064 01f4 005a") + bytes.fromhex(time) + items)


def only(decoded: Decoded) -> object:
    assert decoded.rejected is None, decoded.detail
    (message,) = decoded.messages
    return message


def test_the_worked_location_example_decodes_to_its_fix() -> None:
    frame = bytes.fromhex("7e0200002200140124991700070000000000004"
                          "00e012af16f02cbd2ba000000000000150101194257010400000077a97e")
    fix = only(decode(frame))
    assert isinstance(fix, Position)
    assert fix.device_id == "001401249917"
    assert fix.fix_time == datetime(2015, 1, 1, 11, 42, 57, tzinfo=UTC)   # GMT+8 on the wire
    assert (fix.latitude, fix.longitude, fix.valid) == (-19.591535, -46.912186, True)
    assert fix.attributes["odometer"] == 11_900


def test_speed_altitude_course_and_standard_items_are_in_fengkong_units() -> None:
    items = bytes.fromhex("0202 01f4" "0302 0258" "3001 17" "3101 0b" "2504 00000001")
    fix = only(decode(build(0x0200, PHONE, 1, location(status=0x0403, items=items))))
    assert isinstance(fix, Position)
    assert (fix.altitude, fix.speed_kmh, fix.course, fix.satellites) == (100.0, 50.0, 90.0, 11)
    assert fix.attributes.items() >= {"fuel": 50.0, "obd_speed": 60.0, "rssi": 23, "input": 1,
                                      "ignition": True, "blocked": True}.items()


@pytest.mark.parametrize(("bits", "model", "expected"), [
    (1 << 0, None, ("sos",)),
    (1 << 8, None, ("powerCut",)),
    (1 << 5 | 1 << 7, None, ("gpsAntennaCut", "lowBattery")),
    (1 << 16, None, ("tampering",)),
    (1 << 16, "AL300", ("movement",)),
    (1 << 0 | 1 << 1, "G-360P", ("removing", "tampering")),
    (1 << 29, "VL300", ()),
])
def test_alarm_bits_map_to_the_vocabulary_with_model_overrides(
    bits: int, model: str | None, expected: tuple[str, ...]
) -> None:
    fix = only(decode(build(0x0200, PHONE, 1, location(alarm=bits)), model=model))
    assert isinstance(fix, Position) and alarms(fix.attributes) == expected


def test_an_area_item_says_whether_the_car_entered_or_left() -> None:
    leaving = location(items=bytes.fromhex("1206 01 00000007 01"))
    fix = only(decode(build(0x0200, PHONE, 1, leaving)))
    assert isinstance(fix, Position)
    assert alarms(fix.attributes) == ("geofenceExit",) and fix.attributes["geofence"] == 7


def test_concox_items_report_power_battery_and_removal() -> None:
    eb = bytes.fromhex("0006 002d 00002db4" "0004 002d 0fa5" "0006 0089 ffffefff")
    fix = only(decode(build(0x0200, PHONE, 1, location(items=b"\xeb" + bytes([len(eb)]) + eb))))
    assert isinstance(fix, Position)
    assert fix.attributes.items() >= {"power": 11.7, "battery": 4.005}.items()
    assert alarms(fix.attributes) == ("removing",)


def test_an_impossible_time_keeps_the_alarm_as_a_status() -> None:
    status = only(decode(build(0x0200, PHONE, 1, location(alarm=1 << 8, time="000000000000"))))
    assert isinstance(status, Status) and alarms(status.attributes) == ("powerCut",)


def _batch(kind: int, bodies: list[bytes]) -> bytes:
    return (len(bodies).to_bytes(2, "big") + bytes([kind])
            + b"".join(len(b).to_bytes(2, "big") + b for b in bodies))


def test_a_blind_area_batch_is_marked_archived_and_a_normal_one_is_not() -> None:
    bodies = [location(time="150101194257"), location(time="150101194357")]
    blind = decode(build(0x0704, PHONE, 1, _batch(1, bodies)))
    assert len(blind.messages) == 2
    assert all(isinstance(m, Position) and m.attributes["archived"] for m in blind.messages)
    normal = decode(build(0x0704, PHONE, 1, _batch(0, bodies)))
    assert all(isinstance(m, Position) and "archived" not in m.attributes
               for m in normal.messages)
    assert len(normal.replies) == 1


def test_a_broken_item_in_a_batch_loses_only_itself() -> None:
    decoded = decode(build(0x0704, PHONE, 1, _batch(0, [location()[:10], location()])))
    assert [type(m) for m in decoded.messages] == [Position]


def test_a_2019_header_carries_the_version_and_a_20_digit_terminal() -> None:
    body = (bytes(4) + b"ACME".ljust(11, b"\0") + b"T1".ljust(30, b"\0")
            + b"ID9".ljust(30, b"\0") + b"\x01" + "粤B12345".encode("gbk"))
    login = only(decode(build(0x0100, "00000013511221122000", 3, body, version=1)))
    assert isinstance(login, Login) and login.protocol_version == 1
    assert login.device_id == "00000013511221122000"
    assert login.registration is not None
    assert (login.registration.manufacturer, login.registration.plate) == ("ACME", "粤B12345")


def test_a_2019_authentication_returns_the_code_imei_and_firmware() -> None:
    body = b"\x06secret" + b"866496077582164" + b"V2.1".ljust(20, b"\0")
    found = only(decode(build(0x0102, "00000866496077582164", 4, body, version=1)))
    assert found == Authentication("00000866496077582164", 4, "secret", "866496077582164",
                                   "V2.1", 1)


def test_a_terminal_response_correlates_with_the_platform_message() -> None:
    body = bytes.fromhex("0042 8105 00")
    response = only(decode(build(0x0001, PHONE, 9, body)))
    assert response == TerminalResponse(PHONE, 9, 0x42, 0x8105, 0)
    assert decode(build(0x0001, PHONE, 9, body)).replies == ()


def test_a_position_query_answer_names_the_query_and_carries_the_fix() -> None:
    decoded = decode(build(0x0201, PHONE, 5, bytes.fromhex("0033") + location()))
    response, fix = decoded.messages
    assert response == TerminalResponse(PHONE, 5, 0x33, 0x8201, 0)
    assert isinstance(fix, Position)


def _parts(message_id: int, body: bytes, first: int, size: int) -> list[bytes]:
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    frames = []
    for index, chunk in enumerate(chunks, 1):
        head = (message_id.to_bytes(2, "big") + (len(chunk) | 0x2000).to_bytes(2, "big")
                + bytes.fromhex(PHONE) + (first + index - 1).to_bytes(2, "big")
                + len(chunks).to_bytes(2, "big") + index.to_bytes(2, "big"))
        frames.append(b"\x7e" + head + chunk + bytes([xor(head + chunk)]) + b"\x7e")
    return frames


def test_sub_packaged_parts_are_acked_one_by_one_and_reassemble_in_any_order() -> None:
    bodies = [location(time=f"1501011943{second:02d}") for second in range(30)]
    parts = _parts(0x0704, _batch(1, bodies), first=100, size=400)
    assert len(parts) > 2
    reassembler = Reassembler()
    whole = None
    for frame in reversed(parts):
        decoded = decode(frame)
        (part,) = decoded.messages
        assert isinstance(part, Fragment) and len(decoded.replies) == 1
        assert jt808_fields(decoded.replies[0])[3][:2] == part.serial.to_bytes(2, "big")
        whole = reassembler.add(part) or whole
    assert whole is not None and len(reassembler) == 0
    positions = decode(whole).messages
    assert len(positions) == 30 and all(isinstance(p, Position) for p in positions)


def test_a_reassembler_bounds_what_it_holds() -> None:
    reassembler = Reassembler(max_pending=2)
    for message in range(5):
        part = Fragment(PHONE, 0x0704, message * 10, 3, 1, b"x")
        assert reassembler.add(part) is None
    assert len(reassembler) == 2
    assert reassembler.add(Fragment(PHONE, 0x0704, 1, 9999, 1, b"x")) is None


def test_a_time_request_is_answered_with_the_utc_time_of_receipt() -> None:
    decoded = decode(build(0x0109, PHONE, 2, b""))
    assert decoded.messages == (TimeRequest(PHONE, 2),)
    assert jt808_fields(decoded.replies[0])[0] == 0x8109
    assert jt808_fields(decoded.replies[0])[3] == bytes.fromhex("07ea 09 01 08 1e 0f 00")


def test_a_terminal_id_that_is_not_bcd_is_an_imei_with_its_check_digit() -> None:
    frame = bytes.fromhex("7e000200004eb6fb4ad628000100") + b"\x7e"
    frame = frame[:-2] + bytes([xor(frame[1:-2])]) + b"\x7e"
    status = only(decode(frame))
    assert isinstance(status, Status) and status.device_id == "865478070001047"  # 0x4eb6fb4ad628


def test_a_bad_checksum_is_rejected_unless_the_device_is_allowed_broken_firmware() -> None:
    frame = bytearray(build(0x0200, PHONE, 1, location()))
    frame[-2] ^= 0x01
    assert decode(bytes(frame)).rejected == Reason.BAD_CHECKSUM
    assert isinstance(only(decode(bytes(frame), accept_bad_crc=True)), Position)


def test_an_unknown_message_is_rejected_and_answered_unsupported() -> None:
    decoded = decode(build(0x0F0F, PHONE, 8, b"\x01"))
    assert decoded.rejected == Reason.UNKNOWN_TYPE
    assert jt808_fields(decoded.replies[0])[3] == bytes.fromhex("0008 0f0f 03")


def test_an_encrypted_body_is_rejected() -> None:
    frame = bytearray(build(0x0200, PHONE, 1, location()))
    frame[3] |= 0x04
    frame[-2] = xor(bytes(frame[1:-2]))
    assert decode(bytes(frame)).rejected == Reason.ENCRYPTED


@pytest.mark.parametrize(("frame", "reason"), [
    (b"\x7e\x00\x02\x7e", Reason.TRUNCATED),
    (build(0x0200, PHONE, 1, location())[1:] + b"\x7e", Reason.MALFORMED),
    (build(0x0200, PHONE, 1, location()[:20]), Reason.TRUNCATED),
])
def test_a_broken_frame_is_rejected_with_its_reason(frame: bytes, reason: Reason) -> None:
    decoded = decode(frame, accept_bad_crc=True)
    assert decoded.rejected == reason and decoded.messages == () and decoded.detail
