"""What a JT/T 808 terminal sends: registration, authentication, heartbeat, locations (single,
batch, answers to queries), the terminal general response, and long messages cut into
sub-packages. Frames are built with the product's header, checksum and escaping helpers;
only the sub-package header (which the platform never sends) is put together here.

    location body: alarm (4) status (4) latitude (4) longitude (4) altitude (2, m)
                   speed (2, 1/10 km/h) course (2) time (6, BCD YYMMDDhhmmss, GMT+8)
                   additional items (id (1), length (1), value)
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from enum import IntFlag

from fengkong.telematics.protocols.crc import xor8
from fengkong.telematics.protocols.jt808_frames import (
    build,
    escape,
    terminal_bytes,
    unescape,
    wire,
)

CHINA = timezone(timedelta(hours=8))
MAX_BODY = 0x03FF
_FIXED = struct.Struct(">IIIIhHH6s")


class AlarmFlag(IntFlag):
    """Alarm DWORD bits of JT/T 808-2013 (and bit 16, which vendors use for tampering)."""

    SOS = 1 << 0
    OVERSPEED = 1 << 1
    FATIGUE = 1 << 2
    GNSS_FAULT = 1 << 4
    ANTENNA_CUT = 1 << 5
    LOW_VOLTAGE = 1 << 7
    POWER_OFF = 1 << 8             # main power cut: the wire a thief pulls
    TAMPER = 1 << 16               # vendor-used reserved bit (Traccar reads it as tampering)
    OVERTIME_PARKING = 1 << 19
    AREA = 1 << 20
    ILLEGAL_DISPLACEMENT = 1 << 28


class StatusFlag(IntFlag):
    ACC = 1 << 0
    POSITIONED = 1 << 1
    SOUTH = 1 << 2
    WEST = 1 << 3
    OIL_CUT = 1 << 10
    CIRCUIT_CUT = 1 << 11


@dataclass(frozen=True, slots=True)
class Terminal:
    """How a terminal addresses its frames: its phone number and header version (None: the
    2013 header with a 6-byte phone; 1: the 2019 header with a version byte and 10 bytes)."""

    phone: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class LocationReport:
    time: datetime                         # UTC-aware
    latitude: float                        # degrees, south negative
    longitude: float                       # degrees, west negative
    altitude_m: int = 0
    speed_kmh: float = 0.0
    course: int = 0
    valid: bool = True
    acc: bool = False
    oil_cut: bool = False
    circuit_cut: bool = False
    alarm: AlarmFlag = AlarmFlag(0)
    mileage_km: float | None = None        # item 0x01, 1/10 km
    fuel_l: float | None = None            # item 0x02, 1/10 L
    vehicle_speed_kmh: float | None = None  # item 0x03, 1/10 km/h
    signal: int | None = None              # item 0x30, CSQ 0-31
    satellites: int | None = None          # item 0x31


def message(terminal: Terminal, message_id: int, serial: int, body: bytes) -> bytes:
    """One escaped frame; a body over 1023 bytes needs `sub_packages`."""
    if len(body) > MAX_BODY:
        raise ValueError(f"a {len(body)}-byte body must be sub-packaged")
    return wire(build(message_id, terminal.phone, serial, body, terminal.version))


def parts_needed(body: bytes, part_size: int = MAX_BODY) -> int:
    return max(1, -(-len(body) // part_size))


def sub_packages(terminal: Terminal, message_id: int, first_serial: int, body: bytes,
                 part_size: int = MAX_BODY) -> list[bytes]:
    """A long body as escaped frames with header bit 13, the part count and the part index
    (from 1); the parts take consecutive serials from `first_serial`."""
    if not 0 < part_size <= MAX_BODY:
        raise ValueError(f"part size {part_size} is not 1..{MAX_BODY}")
    pieces = [body[at:at + part_size] for at in range(0, len(body), part_size)] or [b""]
    total = len(pieces)
    return [_part(terminal, message_id, (first_serial + index) & 0xFFFF, total, index + 1,
                  piece) for index, piece in enumerate(pieces)]


def _part(terminal: Terminal, message_id: int, serial: int, total: int, index: int,
          piece: bytes) -> bytes:
    version = terminal.version
    props = len(piece) | 0x2000 | (0x4000 if version is not None else 0)
    head = message_id.to_bytes(2, "big") + props.to_bytes(2, "big")
    if version is not None:
        head += bytes((version,))
    core = (head + terminal_bytes(terminal.phone, version) + serial.to_bytes(2, "big")
            + total.to_bytes(2, "big") + index.to_bytes(2, "big") + piece)
    return b"\x7e" + escape(core + bytes((xor8(core),))) + b"\x7e"


def _fixed_text(text: str, size: int) -> bytes:
    encoded = text.encode("ascii")
    if len(encoded) > size:
        raise ValueError(f"{text!r} is longer than {size} bytes")
    return encoded.ljust(size, b"\x00")


def registration(terminal: Terminal, serial: int, *, province: int = 31, city: int = 0,
                 manufacturer: str = "FKSIM", model: str = "FK808", terminal_id: str = "",
                 plate_color: int = 0, plate: str = "") -> bytes:
    """0x0100: province, city, manufacturer (5; 2019: 11), model (20; 2019: 30), terminal id
    (7; 2019: 30), plate colour (0: no plate, the plate field holds the VIN), plate (GBK)."""
    sizes = (5, 20, 7) if terminal.version is None else (11, 30, 30)
    body = (province.to_bytes(2, "big") + city.to_bytes(2, "big")
            + b"".join(_fixed_text(text, size)
                       for text, size in zip((manufacturer, model, terminal_id), sizes,
                                             strict=True))
            + bytes((plate_color,)) + plate.encode("gbk"))
    return message(terminal, 0x0100, serial, body)


def authentication(terminal: Terminal, serial: int, auth_code: str, *, imei: str = "",
                   firmware: str = "") -> bytes:
    """0x0102: the code the platform issued in 0x8100. 2019: its length first, then the IMEI
    (15) and firmware version (20)."""
    code = auth_code.encode("ascii")
    if terminal.version is None:
        body = code
    else:
        body = bytes((len(code),)) + code + _fixed_text(imei, 15) + _fixed_text(firmware, 20)
    return message(terminal, 0x0102, serial, body)


def heartbeat(terminal: Terminal, serial: int) -> bytes:
    """0x0002, empty."""
    return message(terminal, 0x0002, serial, b"")


def logout(terminal: Terminal, serial: int) -> bytes:
    """0x0003, empty: the terminal signs off."""
    return message(terminal, 0x0003, serial, b"")


def time_request(terminal: Terminal, serial: int) -> bytes:
    """0x0109, empty (a vendor message many terminals use): answered by 0x8109 with UTC."""
    return message(terminal, 0x0109, serial, b"")


def general_response(terminal: Terminal, serial: int, reply_serial: int, reply_id: int,
                     result: int = 0) -> bytes:
    """0x0001: the terminal's result (0 ok, 1 failed, 2 bad message, 3 unsupported) for the
    platform message `reply_id` numbered `reply_serial`."""
    body = reply_serial.to_bytes(2, "big") + reply_id.to_bytes(2, "big") + bytes((result,))
    return message(terminal, 0x0001, serial, body)


def bcd_time(moment: datetime, zone: tzinfo = CHINA) -> bytes:
    return bytes.fromhex(moment.astimezone(zone).strftime("%y%m%d%H%M%S"))


def status_word(report: LocationReport) -> int:
    flags = StatusFlag(0)
    for present, flag in ((report.acc, StatusFlag.ACC), (report.valid, StatusFlag.POSITIONED),
                          (report.latitude < 0, StatusFlag.SOUTH),
                          (report.longitude < 0, StatusFlag.WEST),
                          (report.oil_cut, StatusFlag.OIL_CUT),
                          (report.circuit_cut, StatusFlag.CIRCUIT_CUT)):
        if present:
            flags |= flag
    return int(flags)


def location_body(report: LocationReport, zone: tzinfo = CHINA) -> bytes:
    fixed = _FIXED.pack(int(report.alarm), status_word(report),
                        round(abs(report.latitude) * 1e6), round(abs(report.longitude) * 1e6),
                        report.altitude_m, round(report.speed_kmh * 10), report.course % 360,
                        bcd_time(report.time, zone))
    return fixed + _items(report)


def _items(report: LocationReport) -> bytes:
    out = b""
    if report.mileage_km is not None:
        out += b"\x01\x04" + round(report.mileage_km * 10).to_bytes(4, "big")
    if report.fuel_l is not None:
        out += b"\x02\x02" + round(report.fuel_l * 10).to_bytes(2, "big")
    if report.vehicle_speed_kmh is not None:
        out += b"\x03\x02" + round(report.vehicle_speed_kmh * 10).to_bytes(2, "big")
    if report.signal is not None:
        out += b"\x30\x01" + bytes((report.signal,))
    if report.satellites is not None:
        out += b"\x31\x01" + bytes((report.satellites,))
    return out


def location(terminal: Terminal, serial: int, report: LocationReport, *,
             zone: tzinfo = CHINA) -> bytes:
    """0x0200."""
    return message(terminal, 0x0200, serial, location_body(report, zone))


def location_answer(terminal: Terminal, serial: int, reply_serial: int, report: LocationReport,
                    *, message_id: int = 0x0201, zone: tzinfo = CHINA) -> bytes:
    """0x0201 (answer to a 0x8201 position query) or 0x0500 (to 0x8500 vehicle control): the
    platform serial answered, then a location."""
    if message_id not in (0x0201, 0x0500):
        raise ValueError(f"{message_id:#06x} is not a location answer")
    body = reply_serial.to_bytes(2, "big") + location_body(report, zone)
    return message(terminal, message_id, serial, body)


def batch_body(reports: Sequence[LocationReport], *, blind_area: bool,
               zone: tzinfo = CHINA) -> bytes:
    """0x0704 body: count (2), type (0 normal, 1 blind-area re-upload), (length (2), body)..."""
    bodies = [location_body(report, zone) for report in reports]
    return (len(bodies).to_bytes(2, "big") + bytes((1 if blind_area else 0,))
            + b"".join(len(body).to_bytes(2, "big") + body for body in bodies))


def batch(terminal: Terminal, serial: int, reports: Sequence[LocationReport], *,
          blind_area: bool, zone: tzinfo = CHINA) -> bytes:
    """0x0704 in one frame (use `sub_packages` with `batch_body` for more than fits)."""
    return message(terminal, 0x0704, serial, batch_body(reports, blind_area=blind_area,
                                                        zone=zone))


def with_bad_checksum(frame: bytes) -> bytes:
    """The same escaped frame with its XOR byte inverted."""
    inner = unescape(frame[1:-1])
    return b"\x7e" + escape(inner[:-1] + bytes((inner[-1] ^ 0xFF,))) + b"\x7e"
