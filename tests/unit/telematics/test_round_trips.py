"""Round trips between the two ends of the wire. Random field values go through the device-side
encoders, then the product's framer and decoder, and come out as the same values (units
converted; coordinates within the protocol's resolution; times to the second). Every command
the product encodes is read back by the device-side reader to the same fields.

Alarm names and unit conversions are written out here from the protocol documents, not
taken from the decoder, so that the test checks the decoder against the definitions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.telematics.device_side import gt06 as dev_gt06
from fengkong.telematics.device_side import jt808 as dev_jt808
from fengkong.telematics.device_side import platform
from fengkong.telematics.protocols import PROTOCOLS, gt06, jt808
from fengkong.telematics.protocols.commands import (
    EngineResume,
    EngineStop,
    PositionQuery,
    TerminalControl,
    TextCommand,
    VehicleControl,
)
from fengkong.telematics.protocols.jt808_frames import build
from fengkong.telematics.protocols.jt808_reassembly import Reassembler
from fengkong.telematics.protocols.messages import (
    Authentication,
    CommandReply,
    DecodeContext,
    Decoded,
    Fragment,
    Login,
    Logout,
    Reason,
    TerminalResponse,
    TimeRequest,
)
from fengkong.telematics.protocols.position import Position, Status, alarms

NOW = datetime(2026, 9, 1, 8, 30, 15, tzinfo=UTC)
GT06_STEP = 1 / 1_800_000          # degrees per unit of a GT06 coordinate
JT808_STEP = 1e-6

serials = st.integers(0, 0xFFFF)
imeis = st.from_regex(r"[0-9]{15}", fullmatch=True)
phones = st.from_regex(r"[0-9]{12}", fullmatch=True)
versions = st.sampled_from([None, 1])
moments = st.datetimes(datetime(2000, 1, 2), datetime(2099, 12, 30),
                       timezones=st.just(UTC)).map(lambda t: t.replace(microsecond=0))
latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)
printable = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
words = st.text(printable, max_size=60).map(str.strip)


def decode_one(protocol: str, wire: bytes, **context: object) -> Decoded:
    """Frame `wire` with the product's framer (exactly one frame, nothing left over) and decode
    it; a rejection fails the test with its reason."""
    codec = PROTOCOLS[protocol]
    found = codec.framer(wire)
    assert (len(found.frames), found.rest, found.errors) == (1, b"", [])
    decoded = codec.decode(found.frames[0],
                           DecodeContext(received_at=NOW, **context))  # type: ignore[arg-type]
    assert decoded.rejected is None, decoded.detail
    return decoded


def only(decoded: Decoded) -> object:
    assert len(decoded.messages) == 1
    return decoded.messages[0]


def close(found: float, sent: float, step: float) -> bool:
    return abs(found - sent) <= step / 2 + 1e-9


# --- GT06 -----------------------------------------------------------------------------------

INFO_ALARM_NAMES = {dev_gt06.InfoAlarm.SHOCK: "vibration", dev_gt06.InfoAlarm.POWER_CUT: "powerCut",
                    dev_gt06.InfoAlarm.LOW_BATTERY: "lowBattery", dev_gt06.InfoAlarm.SOS: "sos"}
CODE_NAMES = {0x01: "sos", 0x02: "powerCut", 0x03: "vibration", 0x04: "geofenceEnter",
              0x05: "geofenceExit", 0x06: "overspeed", 0x0E: "lowBattery", 0x13: "tampering",
              0x18: "removing"}

fixes = st.builds(dev_gt06.GpsFix, time=moments, latitude=latitudes, longitude=longitudes,
                  speed_kmh=st.integers(0, 255).map(float), course=st.integers(0, 359).map(float),
                  satellites=st.integers(0, 15), valid=st.booleans())
cells = st.builds(dev_gt06.Cell, mcc=st.integers(0, 999), mnc=st.integers(0, 99),
                  lac=st.integers(0, 0xFFFF), cell_id=st.integers(0, 0xFFFFFF))
infos = st.builds(dev_gt06.TerminalInfo, armed=st.booleans(), acc=st.booleans(),
                  charging=st.booleans(), alarm=st.sampled_from(dev_gt06.InfoAlarm),
                  gps_tracking=st.booleans(), oil_cut=st.booleans())
alarm_codes = st.sampled_from([0, *CODE_NAMES])


def assert_fix(position: object, fix: dev_gt06.GpsFix) -> None:
    assert isinstance(position, Position)
    assert position.fix_time == fix.time and position.valid is fix.valid
    assert close(position.latitude, fix.latitude, GT06_STEP)
    assert close(position.longitude, fix.longitude, GT06_STEP)
    assert (position.speed_kmh, position.course, position.satellites) == (
        fix.speed_kmh, fix.course, fix.satellites)


def assert_cell(attributes: dict[str, object], cell: dev_gt06.Cell) -> None:
    assert (attributes["mcc"], attributes["mnc"], attributes["lac"], attributes["cid"]) == (
        cell.mcc, cell.mnc, cell.lac, cell.cell_id)


def assert_info(attributes: dict[str, object], info: dev_gt06.TerminalInfo) -> None:
    assert attributes["armed"] is info.armed and attributes["ignition"] is info.acc
    assert attributes["charging"] is info.charging and attributes["blocked"] is info.oil_cut


def expected_alarms(info: dev_gt06.TerminalInfo, code: int) -> set[str]:
    names = {INFO_ALARM_NAMES[info.alarm]} if info.alarm in INFO_ALARM_NAMES else set()
    return names | ({CODE_NAMES[code]} if code else set())


def assert_acked(decoded: Decoded, type_: int, serial: int) -> None:
    assert [platform.read_gt06(reply) for reply in decoded.replies] == [
        platform.Ack(type_, serial)]


@given(imeis, serials)
def test_a_gt06_login_gives_the_imei_and_is_acknowledged_with_its_serial(
    imei: str, serial: int
) -> None:
    decoded = decode_one("gt06", dev_gt06.login(imei, serial))
    assert only(decoded) == Login(imei, serial, None)
    assert_acked(decoded, 0x01, serial)


@given(imeis, serials, st.integers(0, 0xFFFF), st.integers(-12 * 4, 14 * 4))
def test_a_gt06_login_extension_carries_the_device_clock_zone(
    imei: str, serial: int, type_id: int, quarters: int
) -> None:
    offset = timedelta(minutes=15 * quarters)
    login = only(decode_one("gt06", dev_gt06.login(imei, serial, type_id=type_id, zone=offset)))
    assert isinstance(login, Login) and login.device_id == imei
    assert login.timezone == (timezone(offset) if offset else None)


@given(infos, st.integers(0, 6), st.integers(0, 4), alarm_codes, serials)
def test_a_gt06_heartbeat_gives_terminal_info_battery_signal_and_alarms(
    info: dev_gt06.TerminalInfo, level: int, signal: int, code: int, serial: int
) -> None:
    frame = dev_gt06.heartbeat(info, serial, voltage_level=level, gsm_signal=signal, alarm=code)
    decoded = decode_one("gt06", frame, device_id="864717003283581")
    status = only(decoded)
    assert isinstance(status, Status)
    assert_info(status.attributes, info)
    assert status.attributes["battery_level"] == level * 100 // 6    # six steps to 100 %
    assert status.attributes["rssi"] == signal
    assert set(alarms(status.attributes)) == expected_alarms(info, code)
    assert_acked(decoded, 0x13, serial)


@given(fixes, cells, serials, st.booleans(), st.sampled_from(dev_gt06.UploadMode),
       st.booleans(), st.none() | st.integers(0, 0xFFFFFFFF))
def test_a_gt06_0x22_location_round_trips(
    fix: dev_gt06.GpsFix, cell: dev_gt06.Cell, serial: int, acc: bool,
    mode: dev_gt06.UploadMode, re_upload: bool, odometer: int | None
) -> None:
    frame = dev_gt06.location(fix, cell, serial, acc=acc, upload_mode=mode, re_upload=re_upload,
                              odometer_m=odometer)
    decoded = decode_one("gt06", frame)
    position = only(decoded)
    assert_fix(position, fix)
    assert isinstance(position, Position)
    attributes = position.attributes
    assert_cell(attributes, cell)
    assert (attributes["ignition"], attributes["event"], attributes["archived"]) == (
        acc, mode, re_upload)
    assert attributes.get("odometer") == odometer
    assert_acked(decoded, 0x22, serial)


@given(fixes, cells, serials, st.integers(-11, 13))
def test_a_gt06_0x12_location_round_trips_in_the_device_clock_zone(
    fix: dev_gt06.GpsFix, cell: dev_gt06.Cell, serial: int, hours: int
) -> None:
    zone = timezone(timedelta(hours=hours))
    decoded = decode_one("gt06", dev_gt06.classic_location(fix, cell, serial, zone=zone),
                         timezone=zone)
    assert_fix(only(decoded), fix)
    assert_acked(decoded, 0x12, serial)


@given(fixes, cells, infos, alarm_codes, st.integers(0, 6), st.integers(0, 4),
       st.sampled_from([0x16, 0x26]), serials)
def test_a_gt06_alarm_with_a_fix_gives_the_alarm_and_the_status(
    fix: dev_gt06.GpsFix, cell: dev_gt06.Cell, info: dev_gt06.TerminalInfo, code: int,
    level: int, signal: int, type_: int, serial: int
) -> None:
    frame = dev_gt06.alarm(fix, cell, info, code, serial, voltage_level=level,
                           gsm_signal=signal, type_=type_)
    decoded = decode_one("gt06", frame)
    position = only(decoded)
    assert_fix(position, fix)
    assert isinstance(position, Position)
    assert_cell(position.attributes, cell)
    assert_info(position.attributes, info)
    assert position.attributes["rssi"] == signal
    assert set(alarms(position.attributes)) == expected_alarms(info, code)
    assert_acked(decoded, type_, serial)


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=100).map(str.strip),
       st.integers(0, 0xFFFFFFFF), serials, st.booleans())
def test_a_gt06_0x21_command_reply_echoes_the_server_flag(
    text: str, flag: int, serial: int, utf16: bool
) -> None:
    sent = text if utf16 else text.encode("ascii", "ignore").decode().strip()
    decoded = decode_one("gt06", dev_gt06.command_reply(sent, flag, serial, utf16=utf16))
    assert decoded.messages == (CommandReply(None, sent, serial, server_flag=flag),)
    assert decoded.replies == ()                     # the platform does not acknowledge 0x21


@given(words.filter(lambda text: not text.startswith("<ICCID:")),
       st.integers(0, 0xFFFFFFFF), serials)
def test_a_gt06_0x15_command_reply_echoes_the_server_flag(
    text: str, flag: int, serial: int
) -> None:
    decoded = decode_one("gt06", dev_gt06.string_reply(text, flag, serial))
    assert decoded.messages == (CommandReply(None, text, serial, server_flag=flag),)
    assert_acked(decoded, 0x15, serial)


@given(serials)
def test_a_gt06_time_request_is_answered_with_the_time_of_receipt(serial: int) -> None:
    decoded = decode_one("gt06", dev_gt06.time_request(serial))
    assert decoded.messages == (TimeRequest(None, serial),)
    assert [platform.read_gt06(reply) for reply in decoded.replies] == [
        platform.ServerTime(0, NOW)]


@given(fixes, cells, serials)
def test_a_gt06_frame_with_a_broken_crc_is_rejected_for_it(
    fix: dev_gt06.GpsFix, cell: dev_gt06.Cell, serial: int
) -> None:
    frame = dev_gt06.with_bad_checksum(dev_gt06.location(fix, cell, serial, acc=True))
    decoded = gt06.decode(frame, DecodeContext(received_at=NOW))
    assert decoded.rejected is Reason.BAD_CRC


# --- JT/T 808 -------------------------------------------------------------------------------

ALARM_NAMES = {dev_jt808.AlarmFlag.SOS: "sos", dev_jt808.AlarmFlag.OVERSPEED: "overspeed",
               dev_jt808.AlarmFlag.FATIGUE: "fatigueDriving",
               dev_jt808.AlarmFlag.GNSS_FAULT: "fault",
               dev_jt808.AlarmFlag.ANTENNA_CUT: "gpsAntennaCut",
               dev_jt808.AlarmFlag.LOW_VOLTAGE: "lowBattery",
               dev_jt808.AlarmFlag.POWER_OFF: "powerCut",
               dev_jt808.AlarmFlag.TAMPER: "tampering",
               dev_jt808.AlarmFlag.OVERTIME_PARKING: "parking",
               dev_jt808.AlarmFlag.AREA: "geofence",
               dev_jt808.AlarmFlag.ILLEGAL_DISPLACEMENT: "movement"}
CHINA = timezone(timedelta(hours=8))

alarm_flags = st.sets(st.sampled_from(list(ALARM_NAMES))).map(
    lambda flags: sum(flags, dev_jt808.AlarmFlag(0)))
tenths = st.integers(0, 0xFFFF).map(lambda value: value / 10)
reports = st.builds(
    dev_jt808.LocationReport, time=moments, latitude=latitudes, longitude=longitudes,
    altitude_m=st.integers(-500, 9000), speed_kmh=tenths, course=st.integers(0, 359),
    valid=st.booleans(), acc=st.booleans(), oil_cut=st.booleans(), circuit_cut=st.booleans(),
    alarm=alarm_flags,
    mileage_km=st.none() | st.integers(0, 0xFFFFFFFF).map(lambda value: value / 10),
    fuel_l=st.none() | st.integers(0, 0x7FFF).map(lambda value: value / 10),
    vehicle_speed_kmh=st.none() | tenths, signal=st.none() | st.integers(0, 31),
    satellites=st.none() | st.integers(0, 40))


def header_id(phone: str, version: int | None) -> str:
    """The identifier the decoder reads back: 2019 headers carry 20 digits."""
    return phone if version is None else phone.rjust(20, "0")


def assert_report(position: object, report: dev_jt808.LocationReport) -> None:
    assert isinstance(position, Position)
    assert position.fix_time == report.time and position.valid is report.valid
    assert close(position.latitude, report.latitude, JT808_STEP)
    assert close(position.longitude, report.longitude, JT808_STEP)
    assert (position.altitude, position.speed_kmh, position.course, position.satellites) == (
        report.altitude_m, report.speed_kmh, report.course, report.satellites)
    attributes = position.attributes
    assert attributes["ignition"] is report.acc
    assert attributes["blocked"] is (report.oil_cut or report.circuit_cut)
    assert set(alarms(attributes)) == {name for flag, name in ALARM_NAMES.items()
                                       if report.alarm & flag}
    assert attributes.get("odometer") == (
        None if report.mileage_km is None else round(report.mileage_km * 10) * 100)
    assert attributes.get("fuel") == report.fuel_l
    assert attributes.get("obd_speed") == report.vehicle_speed_kmh
    assert attributes.get("rssi") == report.signal


def assert_answered(decoded: Decoded, phone: str, version: int | None, message_id: int,
                    serial: int) -> None:
    [reply] = decoded.replies
    found = platform.read_jt808(jt808.frame(reply).frames[0])
    assert isinstance(found, platform.PlatformResponse)
    assert (found.device_id, found.reply_id, found.reply_serial, found.result) == (
        header_id(phone, version), message_id, serial, 0)


plates = st.text(st.sampled_from("沪京粤ABCDEFGH0123456789"), max_size=12)


@given(phones, versions, serials, st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
       st.text(printable, max_size=5).map(str.strip), st.text(printable, max_size=20),
       st.text(printable, max_size=7), st.integers(0, 255), plates)
def test_a_jt808_registration_round_trips_and_gets_the_auth_code(
    phone: str, version: int | None, serial: int, province: int, city: int,
    manufacturer: str, model: str, terminal_id: str, color: int, plate: str
) -> None:
    model, terminal_id = model.strip(), terminal_id.strip()
    terminal = dev_jt808.Terminal(phone, version)
    frame = dev_jt808.registration(terminal, serial, province=province, city=city,
                                   manufacturer=manufacturer, model=model,
                                   terminal_id=terminal_id, plate_color=color, plate=plate)
    decoded = decode_one("jt808", frame, auth_code="AC-1234")
    login = only(decoded)
    assert isinstance(login, Login) and login.registration is not None
    assert (login.device_id, login.serial, login.protocol_version) == (
        header_id(phone, version), serial, version)
    found = login.registration
    assert (found.province, found.city, found.manufacturer, found.model, found.terminal_id,
            found.plate_color, found.plate) == (province, city, manufacturer, model,
                                                terminal_id, color, plate.strip())
    [reply] = decoded.replies
    answer = platform.read_jt808(jt808.frame(reply).frames[0])
    assert answer == platform.RegistrationResult(header_id(phone, version), 0, serial, 0,
                                                 "AC-1234")


@given(phones, versions, serials, words.filter(bool), imeis, st.text(printable, max_size=20))
def test_a_jt808_authentication_round_trips(
    phone: str, version: int | None, serial: int, code: str, imei: str, firmware: str
) -> None:
    firmware = firmware.strip()
    frame = dev_jt808.authentication(dev_jt808.Terminal(phone, version), serial, code,
                                     imei=imei, firmware=firmware)
    decoded = decode_one("jt808", frame)
    expected = (Authentication(header_id(phone, version), serial, code) if version is None
                else Authentication(header_id(phone, version), serial, code, imei,
                                    firmware or None, version))
    assert only(decoded) == expected
    assert_answered(decoded, phone, version, 0x0102, serial)


@given(phones, versions, serials)
def test_a_jt808_heartbeat_is_answered_with_a_platform_general_response(
    phone: str, version: int | None, serial: int
) -> None:
    decoded = decode_one("jt808", dev_jt808.heartbeat(dev_jt808.Terminal(phone, version), serial))
    assert only(decoded) == Status(header_id(phone, version), None, {})
    assert_answered(decoded, phone, version, 0x0002, serial)


@given(phones, versions, serials)
def test_a_jt808_logout_and_time_request_round_trip(
    phone: str, version: int | None, serial: int
) -> None:
    terminal = dev_jt808.Terminal(phone, version)
    logout = decode_one("jt808", dev_jt808.logout(terminal, serial))
    assert only(logout) == Logout(header_id(phone, version), serial)
    assert_answered(logout, phone, version, 0x0003, serial)
    asked = decode_one("jt808", dev_jt808.time_request(terminal, serial))
    assert only(asked) == TimeRequest(header_id(phone, version), serial)
    [reply] = asked.replies
    found = platform.read_jt808(jt808.frame(reply).frames[0])
    assert isinstance(found, platform.ServerTime) and found.time == NOW


@given(phones, versions, serials, reports)
def test_a_jt808_location_round_trips(
    phone: str, version: int | None, serial: int, report: dev_jt808.LocationReport
) -> None:
    decoded = decode_one("jt808", dev_jt808.location(dev_jt808.Terminal(phone, version), serial,
                                                     report))
    assert_report(only(decoded), report)
    assert_answered(decoded, phone, version, 0x0200, serial)


@settings(max_examples=40)      # each example is a dozen locations
@given(phones, serials, st.lists(reports, min_size=1, max_size=12), st.booleans())
def test_a_jt808_batch_round_trips_and_marks_blind_area_reuploads(
    phone: str, serial: int, batch: list[dev_jt808.LocationReport], blind: bool
) -> None:
    body = dev_jt808.batch_body(batch, blind_area=blind)
    if len(body) > dev_jt808.MAX_BODY:
        batch = batch[:10]
    decoded = decode_one("jt808", dev_jt808.batch(dev_jt808.Terminal(phone), serial, batch,
                                                  blind_area=blind))
    assert len(decoded.messages) == len(batch)
    for position, report in zip(decoded.messages, batch, strict=True):
        assert_report(position, report)
        assert isinstance(position, Position)
        assert position.attributes.get("archived", False) is blind
    assert_answered(decoded, phone, None, 0x0704, serial)


@given(phones, serials, serials, reports, st.sampled_from([0x0201, 0x0500]))
def test_a_jt808_location_answer_names_the_platform_message_it_answers(
    phone: str, serial: int, reply_serial: int, report: dev_jt808.LocationReport,
    message_id: int
) -> None:
    frame = dev_jt808.location_answer(dev_jt808.Terminal(phone), serial, reply_serial, report,
                                      message_id=message_id)
    decoded = decode_one("jt808", frame)
    done, position = decoded.messages
    answered = 0x8201 if message_id == 0x0201 else 0x8500
    assert done == TerminalResponse(phone, serial, reply_serial, answered, 0)
    assert_report(position, report)


@given(phones, versions, serials, serials, st.integers(0, 0xFFFF), st.integers(0, 4))
def test_a_jt808_terminal_general_response_round_trips(
    phone: str, version: int | None, serial: int, reply_serial: int, reply_id: int, result: int
) -> None:
    frame = dev_jt808.general_response(dev_jt808.Terminal(phone, version), serial, reply_serial,
                                       reply_id, result)
    decoded = decode_one("jt808", frame)
    assert decoded.messages == (
        TerminalResponse(header_id(phone, version), serial, reply_serial, reply_id, result),)
    assert decoded.replies == ()


@settings(max_examples=40)      # each example is a dozen locations
@given(phones, versions, serials, st.lists(reports, min_size=10, max_size=24),
       st.integers(32, 256))
def test_a_sub_packaged_batch_reassembles_to_the_same_positions(
    phone: str, version: int | None, first: int, batch: list[dev_jt808.LocationReport],
    part_size: int
) -> None:
    body = dev_jt808.batch_body(batch, blind_area=True)
    parts = dev_jt808.sub_packages(dev_jt808.Terminal(phone, version), 0x0704, first, body,
                                   part_size)
    assert len(parts) == dev_jt808.parts_needed(body, part_size) > 1
    reassembler = Reassembler()
    whole = None
    for index, part in enumerate(parts):
        decoded = decode_one("jt808", part)
        fragment = only(decoded)
        assert isinstance(fragment, Fragment)
        assert (fragment.index, fragment.total) == (index + 1, len(parts))
        assert_answered(decoded, phone, version, 0x0704, (first + index) & 0xFFFF)
        whole = reassembler.add(fragment)
    assert whole is not None
    positions = jt808.decode(whole, DecodeContext(received_at=NOW)).messages
    assert len(positions) == len(batch)
    for position, report in zip(positions, batch, strict=True):
        assert_report(position, report)


@given(phones, serials, reports)
def test_a_jt808_frame_with_a_broken_xor_is_rejected_for_it(
    phone: str, serial: int, report: dev_jt808.LocationReport
) -> None:
    frame = dev_jt808.with_bad_checksum(dev_jt808.location(dev_jt808.Terminal(phone), serial,
                                                           report))
    [cut] = jt808.frame(frame).frames
    assert jt808.decode(cut, DecodeContext(received_at=NOW)).rejected is Reason.BAD_CHECKSUM


def test_a_body_too_long_for_one_frame_must_be_sub_packaged() -> None:
    with pytest.raises(ValueError, match="sub-packaged"):
        dev_jt808.message(dev_jt808.Terminal("013800000001"), 0x0704, 1,
                          bytes(dev_jt808.MAX_BODY + 1))
    assert build(0x0002, "013800000001", 1, b"") == jt808.frame(
        dev_jt808.heartbeat(dev_jt808.Terminal("013800000001"), 1)).frames[0]


# --- commands the platform sends, read back by the device ---------------------------------

ascii_text = st.text(printable, max_size=200)
gbk_text = st.text(st.sampled_from("断油恢复查询位置 ABCxyz0123,#;"), max_size=100)
RELAY_TEXTS = {(EngineStop, None): "Relay,1#", (EngineResume, None): "Relay,0#",
               (EngineStop, "G109"): "DYD#", (EngineResume, "G109"): "HFYD#"}


def read_gt06_command(wire: bytes) -> platform.Gt06Message:
    [frame] = gt06.frame(wire).frames
    return platform.read_gt06(frame)


def read_jt808_command(wire: bytes) -> platform.Jt808Message:
    [frame] = jt808.frame(wire).frames
    return platform.read_jt808(frame)


@given(ascii_text, serials, st.integers(0, 0xFFFFFFFF))
def test_a_gt06_text_command_reads_back_on_the_device(text: str, serial: int, flag: int) -> None:
    sent = gt06.encode(TextCommand(text=text, serial=serial, server_flag=flag))
    assert read_gt06_command(sent) == platform.OnlineCommand(serial, flag, text)


@given(st.sampled_from(list(RELAY_TEXTS)), serials)
def test_gt06_cut_off_and_restore_read_back_as_the_model_s_relay_text(
    kind: tuple[type[EngineStop] | type[EngineResume], str | None], serial: int
) -> None:
    command_type, model = kind
    sent = gt06.encode(command_type(serial=serial, model=model))
    assert read_gt06_command(sent) == platform.OnlineCommand(serial, 0, RELAY_TEXTS[kind])


@given(serials, st.from_regex(r"[0-9]{6}", fullmatch=True))
def test_gt06_password_cut_off_and_position_query_read_back(serial: int, password: str) -> None:
    assert read_gt06_command(gt06.encode(EngineStop(serial=serial, password=password))) == (
        platform.OnlineCommand(serial, 0, f"DYD,{password}#"))
    assert read_gt06_command(gt06.encode(PositionQuery(serial=serial))) == (
        platform.OnlineCommand(serial, 0, "WHERE#"))


@given(phones, versions, serials, st.integers(0, 255), gbk_text)
def test_a_jt808_terminal_control_reads_back_on_the_device(
    phone: str, version: int | None, serial: int, word: int, params: str
) -> None:
    sent = jt808.encode(TerminalControl(device_id=phone, serial=serial, word=word,
                                        params=params, protocol_version=version))
    assert read_jt808_command(sent) == platform.TerminalControl(header_id(phone, version),
                                                                serial, word, params)


@given(phones, serials, st.booleans(), st.sampled_from([None, "W15L"]))
def test_jt808_cut_off_and_restore_read_back_as_the_vendor_word(
    phone: str, serial: int, cut: bool, model: str | None
) -> None:
    command_type = EngineStop if cut else EngineResume
    words_by_model = {None: (0xF0, 0xF1), "W15L": (0x64, 0x65)}[model]
    sent = jt808.encode(command_type(device_id=phone, serial=serial, model=model))
    found = read_jt808_command(sent)
    assert found == platform.TerminalControl(phone, serial, words_by_model[0 if cut else 1], "")


@given(phones, versions, serials, st.integers(0, 255), gbk_text)
def test_a_jt808_text_message_reads_back_on_the_device(
    phone: str, version: int | None, serial: int, flag: int, text: str
) -> None:
    sent = jt808.encode(TextCommand(device_id=phone, serial=serial, text=text, flag=flag,
                                    protocol_version=version))
    assert read_jt808_command(sent) == platform.TextMessage(header_id(phone, version), serial,
                                                            flag, text)


@given(phones, serials, ascii_text)
def test_a_jimi_text_command_reads_back_as_transparent_data(
    phone: str, serial: int, text: str
) -> None:
    sent = jt808.encode(TextCommand(device_id=phone, serial=serial, text=text, model="JC371"))
    assert read_jt808_command(sent) == platform.TextMessage(phone, serial, 0xF0, text, 0x8900)


@given(phones, versions, serials)
def test_a_jt808_position_query_reads_back_on_the_device(
    phone: str, version: int | None, serial: int
) -> None:
    sent = jt808.encode(PositionQuery(device_id=phone, serial=serial, protocol_version=version))
    assert read_jt808_command(sent) == platform.LocationQuery(header_id(phone, version), serial)


@given(phones, serials, st.integers(0, 255), st.none() | st.binary(min_size=1, max_size=8))
def test_a_jt808_vehicle_control_reads_back_in_both_header_versions(
    phone: str, serial: int, flag: int, vendor: bytes | None
) -> None:
    old = read_jt808_command(jt808.encode(VehicleControl(device_id=phone, serial=serial,
                                                         flag=flag)))
    assert old == platform.VehicleControl(phone, serial, flag)
    items = ((0x0001, bytes((flag,))),) + (((0xF001, vendor),) if vendor else ())
    new = read_jt808_command(jt808.encode(VehicleControl(device_id=phone, serial=serial,
                                                         protocol_version=1, items=items)))
    assert new == platform.VehicleControl(phone.rjust(20, "0"), serial, None, items)
