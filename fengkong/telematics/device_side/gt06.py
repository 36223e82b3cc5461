"""What a GT06 (Concox) tracker sends: login, status, locations, alarms, command replies and
time requests, framed with the product's own frame builder (length, serial, CRC-16/X.25).

The layouts are those of the Concox GT06 protocol documents, the same ones the decoder in
`protocols/gt06_*.py` reads; keeping them apart lets the round-trip tests check one against
the other instead of a codec against itself.

    GPS block: time (6, binary, device zone) | 0xC0 + satellites (1) | latitude (4) |
               longitude (4) | speed km/h (1) | course/status (2)
    coordinates: degrees x 1,800,000 (minutes x 30,000), hemispheres in the course word
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import IntEnum

from fengkong.telematics.protocols.crc import crc16_x25
from fengkong.telematics.protocols.gt06_frames import build

COORDINATE_SCALE = 1_800_000
_GPS = struct.Struct(">6sBIIBH")

# Course/status word bits.
_REAL_TIME_DIFFERENTIAL = 0x2000
_POSITIONED = 0x1000
_WEST = 0x0800
_NORTH = 0x0400


class Language(IntEnum):
    CHINESE = 0x01
    ENGLISH = 0x02


class UploadMode(IntEnum):
    """Why a 0x22 location was sent (the "data upload mode" byte)."""

    TIMED = 0x00
    DISTANCE = 0x01
    TURN = 0x02
    ACC_CHANGE = 0x03
    RESUMED_MOVING = 0x04        # last fix re-sent when the car starts moving again
    NETWORK_RESTORED = 0x05      # last valid fix re-sent after the network came back


class InfoAlarm(IntEnum):
    """Alarm bits 5..3 of the terminal-information byte."""

    NONE = 0
    SHOCK = 1
    POWER_CUT = 2
    LOW_BATTERY = 3
    SOS = 4


class AlarmCode(IntEnum):
    """Alarm codes of the 0x16 / 0x26 / 0x13 status block that the simulator raises."""

    NONE = 0x00
    SOS = 0x01
    POWER_CUT = 0x02
    SHOCK = 0x03
    FENCE_IN = 0x04
    FENCE_OUT = 0x05
    OVERSPEED = 0x06
    LOW_BATTERY = 0x0E
    TAMPER = 0x13
    REMOVAL = 0x18


@dataclass(frozen=True, slots=True)
class GpsFix:
    time: datetime                 # UTC-aware
    latitude: float                # degrees, south negative
    longitude: float               # degrees, west negative
    speed_kmh: float = 0.0
    course: float = 0.0            # degrees clockwise from north
    satellites: int = 8
    valid: bool = True


@dataclass(frozen=True, slots=True)
class Cell:
    """The serving cell (LBS block): China Mobile in Shanghai unless told otherwise."""

    mcc: int = 460
    mnc: int = 0
    lac: int = 0x1806
    cell_id: int = 0x0F21


@dataclass(frozen=True, slots=True)
class TerminalInfo:
    """The terminal-information byte: bit 0 armed, 1 ACC, 2 charging (external power),
    5..3 the alarm the device is in, 6 GPS tracking on, 7 oil/electricity cut."""

    armed: bool = False
    acc: bool = False
    charging: bool = True
    alarm: InfoAlarm = InfoAlarm.NONE
    gps_tracking: bool = True
    oil_cut: bool = False

    def byte(self) -> int:
        return (self.armed | self.acc << 1 | self.charging << 2 | (self.alarm & 0x07) << 3
                | self.gps_tracking << 6 | self.oil_cut << 7)


def login(imei: str, serial: int, *, type_id: int | None = None,
          zone: timedelta | None = None, language: Language = Language.ENGLISH) -> bytes:
    """0x01: the IMEI as 8 BCD bytes (a leading 0 nibble), then, when `type_id` is given, the
    model's type identification code and the zone word (zone x 100 in bits 15..4, bit 3 set
    for west, language in bits 1..0)."""
    if len(imei) != 15 or not imei.isdigit():
        raise ValueError(f"an IMEI has 15 digits, not {imei!r}")
    body = bytes.fromhex("0" + imei)
    if type_id is not None:
        body += type_id.to_bytes(2, "big") + zone_word(zone or timedelta(0), language)
    return build(0x01, body, serial)


def zone_word(offset: timedelta, language: Language = Language.ENGLISH) -> bytes:
    minutes = round(offset.total_seconds() / 60)
    hours, rest = divmod(abs(minutes), 60)
    west = 0x08 if minutes < 0 else 0
    return ((hours * 100 + rest) << 4 | west | language).to_bytes(2, "big")


def heartbeat(info: TerminalInfo, serial: int, *, voltage_level: int = 6, gsm_signal: int = 4,
              alarm: int = AlarmCode.NONE, language: Language = Language.ENGLISH) -> bytes:
    """0x13: terminal info, voltage level (0-6), GSM signal (0-4), alarm code, language."""
    body = bytes((info.byte(), voltage_level, gsm_signal, alarm, language))
    return build(0x13, body, serial)


def gps_block(fix: GpsFix, zone: tzinfo = UTC) -> bytes:
    local = fix.time.astimezone(zone)
    time = bytes((local.year - 2000, local.month, local.day, local.hour, local.minute,
                  local.second))
    flags = round(fix.course) % 360
    if fix.valid:
        flags |= _POSITIONED
    if fix.latitude >= 0:
        flags |= _NORTH
    if fix.longitude < 0:
        flags |= _WEST
    return _GPS.pack(time, 0xC0 | min(fix.satellites, 15),
                     round(abs(fix.latitude) * COORDINATE_SCALE),
                     round(abs(fix.longitude) * COORDINATE_SCALE),
                     min(255, max(0, round(fix.speed_kmh))), flags)


def lbs_block(cell: Cell) -> bytes:
    """MCC (2), MNC (1), LAC (2), cell id (3)."""
    return (cell.mcc.to_bytes(2, "big") + bytes((cell.mnc,)) + cell.lac.to_bytes(2, "big")
            + cell.cell_id.to_bytes(3, "big"))


def location(fix: GpsFix, cell: Cell, serial: int, *, acc: bool,
             upload_mode: UploadMode = UploadMode.TIMED, re_upload: bool = False,
             odometer_m: int | None = None, zone: tzinfo = UTC) -> bytes:
    """0x22 (protocol 2.0): GPS, cell, ACC, upload mode, re-upload flag [, odometer in m].
    Devices set the re-upload flag on fixes they stored while the platform did not answer."""
    body = (gps_block(fix, zone) + lbs_block(cell)
            + bytes((1 if acc else 0, upload_mode, 1 if re_upload else 0)))
    if odometer_m is not None:
        body += odometer_m.to_bytes(4, "big")
    return build(0x22, body, serial)


def classic_location(fix: GpsFix, cell: Cell, serial: int, *, zone: tzinfo = UTC) -> bytes:
    """0x12, the original GT06 location: GPS and cell, nothing else."""
    return build(0x12, gps_block(fix, zone) + lbs_block(cell), serial)


def alarm(fix: GpsFix, cell: Cell, info: TerminalInfo, code: int, serial: int, *,
          voltage_level: int = 6, gsm_signal: int = 4, language: Language = Language.ENGLISH,
          type_: int = 0x26, zone: tzinfo = UTC) -> bytes:
    """0x26 (or the older 0x16): GPS, cell led by its length (9), terminal info, voltage
    level, GSM signal, alarm code, language."""
    if type_ not in (0x16, 0x26):
        raise ValueError(f"GT06 alarms with a fix are 0x16 or 0x26, not {type_:#04x}")
    status = bytes((info.byte(), voltage_level, gsm_signal, code, language))
    body = gps_block(fix, zone) + b"\x09" + lbs_block(cell) + status
    return build(type_, body, serial)


def command_reply(text: str, server_flag: int, serial: int, *, utf16: bool = False) -> bytes:
    """0x21 on a 7979 frame: the server flag of the 0x80 command answered, the encoding
    (1 ASCII, 2 UTF-16BE) and the text. The platform does not acknowledge it."""
    encoded = text.encode("utf-16-be") if utf16 else text.encode("ascii")
    body = server_flag.to_bytes(4, "big") + bytes((2 if utf16 else 1,)) + encoded
    return build(0x21, body, serial, extended=True)


def string_reply(text: str, server_flag: int, serial: int, *,
                 language: Language = Language.ENGLISH) -> bytes:
    """0x15, the older command reply: length (4 + text), server flag, ASCII text, language."""
    encoded = text.encode("ascii")
    if len(encoded) > 200:
        raise ValueError("a 0x15 reply holds at most 200 characters")
    body = (bytes((4 + len(encoded),)) + server_flag.to_bytes(4, "big") + encoded
            + bytes((0, language)))
    return build(0x15, body, serial)


def time_request(serial: int) -> bytes:
    """0x8A: the device asks for the time (answered with UTC, serial 0)."""
    return build(0x8A, b"", serial)


def with_bad_checksum(frame: bytes) -> bytes:
    """The same frame with its CRC inverted, as a line error or broken firmware leaves it."""
    bad = crc16_x25(frame[2:-4]) ^ 0xFFFF
    return frame[:-4] + bad.to_bytes(2, "big") + frame[-2:]
