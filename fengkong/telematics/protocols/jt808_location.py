"""JT/T 808 location body (0x0200, and inside 0x0201, 0x0500, 0x0704): alarm and status
bit fields, the fixed part, and the additional items (id, length, value).

    alarm(4) status(4) latitude(4) longitude(4) altitude(2) speed(2, 1/10 km/h) course(2)
    time(6, BCD YYMMDDhhmmss, GMT+8 unless the device says otherwise) items...
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from fengkong.telematics.protocols import position as key
from fengkong.telematics.protocols.bits import Reader, Truncated, bcd_time
from fengkong.telematics.protocols.messages import DecodeContext
from fengkong.telematics.protocols.position import Alarm, Position, Status, add_alarm

CHINA = timezone(timedelta(hours=8))
# alarm, status, latitude and longitude x 10^6, altitude (m), speed (1/10 km/h), course, time
_FIXED = struct.Struct(">IIIIhHH6s").unpack_from


class Items:
    """What additional items write into while a location decodes."""

    __slots__ = ("attrs", "model", "satellites")

    def __init__(self, model: str | None) -> None:
        self.attrs: dict[str, Any] = {}
        self.model = model.upper() if model else None
        self.satellites: int | None = None


Item = Callable[[Reader, Items], None]

# JT/T 808-2013 alarm flag bits, with the names Traccar gives the vendor-used reserved bits
# (15 vibration, 16/17 tampering, 18 low battery). Bit 8 "main power off" is the cut wire a
# risk team cares about, so it is powerCut here (Traccar says powerOff).
_ALARM_BITS: tuple[tuple[int, Alarm], ...] = (
    (0, Alarm.SOS), (1, Alarm.OVERSPEED), (2, Alarm.FATIGUE_DRIVING), (4, Alarm.FAULT),
    (5, Alarm.GPS_ANTENNA_CUT), (6, Alarm.GPS_ANTENNA_CUT), (7, Alarm.LOW_BATTERY),
    (8, Alarm.POWER_CUT), (9, Alarm.FAULT), (10, Alarm.FAULT), (11, Alarm.FAULT),
    (15, Alarm.VIBRATION), (16, Alarm.TAMPERING), (17, Alarm.TAMPERING),
    (18, Alarm.LOW_BATTERY), (19, Alarm.PARKING), (20, Alarm.GEOFENCE), (26, Alarm.GENERAL),
    (28, Alarm.MOVEMENT), (29, Alarm.ACCIDENT), (30, Alarm.ACCIDENT), (31, Alarm.DOOR),
)
# Models whose vendors gave the bits other meanings.
_MODEL_ALARM_BITS: dict[str, tuple[tuple[int, Alarm], ...]] = {
    "G-360P": ((0, Alarm.REMOVING), (1, Alarm.TAMPERING), (4, Alarm.REMOVING)),
    "G-508P": ((0, Alarm.REMOVING), (1, Alarm.TAMPERING), (4, Alarm.REMOVING)),
    "AL300": ((16, Alarm.MOVEMENT),),
    "GL100": ((16, Alarm.MOVEMENT),),
    "VL300": tuple(bit for bit in _ALARM_BITS if bit[0] not in (29, 30)),
}


def alarm_bits(value: int, model: str | None, attrs: dict[str, Any]) -> None:
    table = _MODEL_ALARM_BITS.get(model or "", _ALARM_BITS)
    for bit, alarm in table:
        if value >> bit & 1:
            add_alarm(attrs, alarm)


def status_bits(value: int, model: str | None, attrs: dict[str, Any]) -> None:
    """0 ACC, 1 fixed, 2 south, 3 west, 10 oil circuit cut, 11 electric circuit cut."""
    attrs[key.STATUS] = value
    attrs[key.IGNITION] = bool(value & 0x01)
    attrs[key.BLOCKED] = bool(value & 0x0C00)
    if model in ("MV810G", "MV710G"):
        attrs[key.DOOR] = bool(value >> 16 & 1)
    elif model == "G1C PRO":
        attrs[key.MOTION] = bool(value >> 4 & 1)


def zone(ctx: DecodeContext) -> tzinfo:
    return ctx.timezone or CHINA


def read_location(r: Reader, ctx: DecodeContext, device_id: str, items: dict[int, Item],
                  *, archived: bool = False) -> Position | Status:
    """One location body from `r` to its end. A time or coordinates that cannot be gives a
    Status, so that the alarms in it are not lost."""
    found = Items(ctx.model)
    attrs = found.attrs
    data, end = r.data, r.end
    fields = _FIXED(data, r._advance(28))
    alarms, status, latitude_e6, longitude_e6, altitude, speed, course, raw_time = fields
    alarm_bits(alarms, found.model, attrs)
    status_bits(status, found.model, attrs)
    latitude = -latitude_e6 / 1e6 if status & 0x04 else latitude_e6 / 1e6
    longitude = -longitude_e6 / 1e6 if status & 0x08 else longitude_e6 / 1e6
    if archived:
        attrs[key.ARCHIVED] = True
    pos = r.pos
    while end - pos >= 2:
        item, size = data[pos], data[pos + 1]
        pos += 2
        if pos + size > end:
            break
        handler = items.get(item)
        if handler is not None:
            with suppress(Truncated, ValueError):   # an item that does not fit its id: skip
                handler(Reader(data, pos, pos + size), found)
        pos += size
    r.pos = end
    try:
        fix_time: datetime | None = bcd_time(raw_time, zone(ctx))
    except ValueError:
        fix_time = None
    if fix_time is None or abs(latitude) > 90 or abs(longitude) > 180:
        return Status(device_id, None, attrs)
    return Position(device_id, fix_time, bool(status & 0x02), latitude, longitude,
                    float(altitude), speed / 10, float(course), found.satellites, attrs)


def _odometer(v: Reader, x: Items) -> None:
    x.attrs[key.ODOMETER] = v.u32() * 100


def _fuel(v: Reader, x: Items) -> None:
    fuel = v.u16()
    x.attrs[key.FUEL] = fuel & 0x7FFF if fuel & 0x8000 else fuel / 10


def _speed(v: Reader, x: Items) -> None:
    x.attrs[key.OBD_SPEED] = v.u16() / 10


def _area(v: Reader, x: Items) -> None:
    """0x12: area type (1), area id (4), direction (0 in, 1 out)."""
    v.skip(1)
    x.attrs[key.GEOFENCE] = v.u32()
    add_alarm(x.attrs, Alarm.GEOFENCE_EXIT if v.u8() else Alarm.GEOFENCE_ENTER)


def _signals(v: Reader, x: Items) -> None:
    x.attrs[key.INPUT] = v.u32()


def _io(v: Reader, x: Items) -> None:
    x.attrs[key.IO] = v.u16()


def _rssi(v: Reader, x: Items) -> None:
    x.attrs[key.RSSI] = v.u8()


def _satellites(v: Reader, x: Items) -> None:
    x.satellites = v.u8()


STANDARD_ITEMS: dict[int, Item] = {
    0x01: _odometer, 0x02: _fuel, 0x03: _speed, 0x12: _area, 0x25: _signals, 0x2A: _io,
    0x30: _rssi, 0x31: _satellites,
}
