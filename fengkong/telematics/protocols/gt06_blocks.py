"""GT06 building blocks shared by many message types: the GPS block, the cell (LBS) block,
the terminal-information byte, and alarm codes with their per-model overrides."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple

from fengkong.telematics.protocols import position as key
from fengkong.telematics.protocols.bits import Reader, binary_time
from fengkong.telematics.protocols.messages import DecodeContext
from fengkong.telematics.protocols.position import Alarm, Position, Status, add_alarm

_GPS = struct.Struct(">6sBIIBH").unpack_from


class Fix(NamedTuple):
    time: datetime | None       # None: the device sent an impossible time or coordinates
    valid: bool
    latitude: float
    longitude: float
    speed_kmh: float
    course: int
    satellites: int | None


def zone(ctx: DecodeContext) -> tzinfo:
    """GT06 clocks run in UTC unless the device or its login says otherwise."""
    return ctx.timezone or UTC


def read_gps(r: Reader, tz: tzinfo, attrs: dict[str, Any], *, satellites: bool = True,
             speed: bool = True) -> Fix:
    """Date-time (6), satellites (1), latitude (4), longitude (4), speed (1), course/status (2).
    Coordinates are minutes x 30000; flag bit 10 set means north, bit 11 west, bit 12 fixed."""
    if satellites and speed:
        raw_time, info, latitude, longitude, kmh, flags = _GPS(r.data, r._advance(18))
        sats: int | None = info & 0x0F
    else:
        raw_time = r.take(6)
        sats = r.u8() & 0x0F if satellites else None
        latitude, longitude = r.u32(), r.u32()
        kmh = r.u8() if speed else 0
        flags = r.u16()
    time: datetime | None
    try:
        time = binary_time(raw_time, tz)
    except ValueError:
        time = None
    return make_fix(time, latitude, longitude, kmh, flags, sats, attrs)


def make_fix(time: datetime | None, latitude: int, longitude: int, kmh: int, flags: int,
             satellites: int | None, attrs: dict[str, Any]) -> Fix:
    """Signs and validity from the course/status word; an impossible fix loses its time."""
    lat, lon = latitude / 1_800_000, longitude / 1_800_000
    if not flags & 0x0400:
        lat = -lat
    if flags & 0x0800:
        lon = -lon
    if flags & 0x4000:                       # vendor extension: bit 15 carries ACC
        attrs[key.IGNITION] = bool(flags & 0x8000)
    if abs(lat) > 90 or abs(lon) > 180:
        time = None
    return Fix(time, bool(flags & 0x1000), lat, lon, float(kmh), flags & 0x03FF, satellites)


def located(fix: Fix | None, ctx: DecodeContext, attrs: dict[str, Any]) -> Position | Status:
    """A Position when the fix is usable, else a Status that keeps the attributes (an alarm
    sent before the first fix still matters)."""
    if fix is None or fix.time is None:
        return Status(ctx.device_id, None, attrs)
    return Position(ctx.device_id, fix.time, fix.valid, fix.latitude, fix.longitude, None,
                    fix.speed_kmh, float(fix.course), fix.satellites, attrs)


def read_lbs(r: Reader, attrs: dict[str, Any], *, wide_mnc: bool = False, lac_size: int = 2,
             cid_size: int = 3) -> None:
    """MCC (2; bit 15 set: MNC takes 2 bytes), MNC (1 or 2), LAC, cell id."""
    mcc = r.u16()
    mnc = r.u16() if wide_mnc or mcc & 0x8000 else r.u8()
    lac = r.uint(lac_size)
    cid = r.uint(cid_size)
    attrs[key.MCC] = mcc & 0x7FFF
    attrs[key.MNC] = mnc
    attrs[key.LAC] = lac
    attrs[key.CID] = cid


def read_lbs_with_length(r: Reader, attrs: dict[str, Any], *, lac_size: int = 2,
                         cid_size: int = 3) -> None:
    """A cell block led by its own length (9, counting itself); 0 means no cell."""
    start = r.pos
    length = r.u8()
    if length == 0:
        return
    read_lbs(r, attrs, lac_size=lac_size, cid_size=cid_size)
    if length > r.pos - start:
        r.skip(length - (r.pos - start))


# Terminal information byte, bits 5..3: the alarm the device is in.
_INFO_ALARMS = {1: Alarm.VIBRATION, 2: Alarm.POWER_CUT, 3: Alarm.LOW_BATTERY, 4: Alarm.SOS,
                6: Alarm.GEOFENCE, 7: Alarm.REMOVING}


def terminal_info(value: int, attrs: dict[str, Any], *, overspeed_bit: bool = False) -> None:
    """Bit 0 armed, 1 ACC, 2 charging / external power, 5..3 alarm, 6 GPS on, 7 oil cut."""
    attrs[key.STATUS] = value
    attrs[key.ARMED] = bool(value & 0x01)
    attrs[key.IGNITION] = bool(value & 0x02)
    attrs[key.CHARGING] = bool(value & 0x04)
    attrs[key.BLOCKED] = bool(value & 0x80)
    code = (value >> 3) & 0x07
    if code == 7 and overspeed_bit:           # VXT01 uses "removing" for overspeed
        add_alarm(attrs, Alarm.OVERSPEED)
    else:
        add_alarm(attrs, _INFO_ALARMS.get(code))


def battery_byte(value: int, attrs: dict[str, Any]) -> None:
    """Voltage level 0-6 (scaled to percent); some firmware sends a percentage instead."""
    if value <= 6:
        attrs[key.BATTERY_LEVEL] = value * 100 // 6
    elif value <= 100:
        attrs[key.BATTERY_LEVEL] = value


def status_tail(data: bytes, attrs: dict[str, Any], model: str | None, *,
                extension: bool = False) -> None:
    """The status block of an alarm packet: terminal info, voltage level, GSM signal, alarm
    code (kept raw as `event` too), then one byte (language, or the code's high nibble when
    `extension`)."""
    info, voltage, gsm, code, after = data[0], data[1], data[2], data[3], data[4]
    terminal_info(info, attrs)
    battery_byte(voltage, attrs)
    attrs[key.RSSI] = gsm
    if extension:
        code |= (after >> 4) << 8
    if code:
        attrs[key.EVENT] = code
    add_alarm(attrs, alarm_code(code, model))


_ALARM_CODES: dict[int, Alarm] = {
    0x01: Alarm.SOS, 0x02: Alarm.POWER_CUT, 0x03: Alarm.VIBRATION, 0x04: Alarm.GEOFENCE_ENTER,
    0x05: Alarm.GEOFENCE_EXIT, 0x06: Alarm.OVERSPEED, 0x09: Alarm.VIBRATION,
    0x0C: Alarm.TAMPERING, 0x0E: Alarm.LOW_BATTERY, 0x0F: Alarm.LOW_BATTERY,
    0x11: Alarm.POWER_OFF, 0x13: Alarm.TAMPERING, 0x14: Alarm.DOOR, 0x18: Alarm.REMOVING,
    0x19: Alarm.LOW_BATTERY, 0x1A: Alarm.HARD_BRAKING, 0x1B: Alarm.HARD_CORNERING,
    0x23: Alarm.FALL_DOWN, 0x25: Alarm.TAMPERING, 0x26: Alarm.HARD_ACCELERATION,
    0x27: Alarm.HARD_BRAKING, 0x28: Alarm.HARD_BRAKING, 0x29: Alarm.HARD_ACCELERATION,
    0x2A: Alarm.HARD_CORNERING, 0x2B: Alarm.HARD_CORNERING, 0x2C: Alarm.ACCIDENT,
    0x2E: Alarm.HARD_CORNERING, 0x30: Alarm.JAMMING, 0x32: Alarm.TAMPERING, 0x33: Alarm.LOCK,
    0x34: Alarm.UNLOCK, 0x53: Alarm.FUEL_LEAK, 0x5B: Alarm.TEMPERATURE,
    0x5C: Alarm.TEMPERATURE, 0xC9: Alarm.IDLE, 0xF0: Alarm.HARD_ACCELERATION,
    0xF1: Alarm.HARD_BRAKING, 0xF2: Alarm.ACCIDENT,
    0x0107: Alarm.JAMMING, 0x010B: Alarm.JAMMING,
}

# Where vendors disagree on a code, by model-name prefix (first match wins). Field reports
# behind these: LW* units number crash and harsh-driving alarms differently; VL* and G18
# report a tow where others report vibration (Traccar issues #3485, #2876).
_MODEL_ALARMS: tuple[tuple[str, dict[int, Alarm]], ...] = (
    ("LW", {0x18: Alarm.ACCIDENT, 0x19: Alarm.HARD_ACCELERATION}),
    ("SEEWORLD", {0x28: Alarm.HARD_CORNERING, 0x29: Alarm.ACCIDENT}),
    ("VL", {0x09: Alarm.TOW, 0x28: Alarm.POWER_OFF, 0x30: Alarm.HARD_BRAKING}),
    ("LL303", {0x09: Alarm.TOW}),
    ("G18", {0x09: Alarm.TOW, 0x30: Alarm.HARD_BRAKING}),
    ("TRX16I", {0x0E: Alarm.LOW_POWER}),
)


def alarm_code(code: int, model: str | None) -> Alarm | None:
    """The fengkong alarm for a GT06 alarm code, honouring per-model overrides."""
    if model:
        upper = model.upper()
        for prefix, table in _MODEL_ALARMS:
            if upper.startswith(prefix) and code in table:
                return table[code]
    return _ALARM_CODES.get(code)


def model_is(model: str | None, *prefixes: str) -> bool:
    return model is not None and model.upper().startswith(prefixes)
