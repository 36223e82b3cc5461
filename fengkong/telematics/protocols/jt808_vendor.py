"""JT/T 808 vendor additional items (ids 0x06, 0x56-0x69, 0x80-0xFE) that carry what a car
lender watches: battery and supply voltage, charging, motion, removal and power alarms,
SIM and module identifiers. Concox (the ET25 family) packs its own TLVs into item 0xEB.
Item numbers clash between vendors; the meanings here are the ones Traccar ships, and an
item whose length does not fit its meaning is skipped."""

from __future__ import annotations

from fengkong.telematics.protocols import position as key
from fengkong.telematics.protocols.bits import Reader
from fengkong.telematics.protocols.jt808_location import Item, Items
from fengkong.telematics.protocols.position import Alarm, add_alarm

_AOVX = ("AL300", "GL100")
_JC = ("JC371", "JC181", "JC182", "JC450", "JC451")


def _level(v: Reader, x: Items) -> None:
    x.attrs[key.BATTERY_LEVEL] = v.u8()


def _level_tenths(v: Reader, x: Items) -> None:
    x.attrs[key.BATTERY_LEVEL] = v.u8() * 10


def _driving_alarms(v: Reader, x: Items) -> None:
    """0x57: alarm word (bits 8-10 harsh driving), switch word, alarm DWORD."""
    word = v.u16()
    for bit, alarm in ((8, Alarm.HARD_ACCELERATION), (9, Alarm.HARD_BRAKING),
                       (10, Alarm.HARD_CORNERING)):
        if word >> bit & 1:
            add_alarm(x.attrs, alarm)
    v.skip(2)
    if x.model in ("MV810G", "MV710G") and v.u32() >> 16 & 1:
        add_alarm(x.attrs, Alarm.DOOR)


def _event(v: Reader, x: Items) -> None:
    x.attrs[key.EVENT] = v.u16()


def _power_hundredths(v: Reader, x: Items) -> None:
    x.attrs[key.POWER] = v.u16() / 100


def _power_tenths(v: Reader, x: Items) -> None:
    x.attrs[key.POWER] = v.u16() / 10


def _battery_hundredths(v: Reader, x: Items) -> None:
    x.attrs[key.BATTERY] = v.u16() / 100


def _iccid_text(v: Reader, x: Items) -> None:
    x.attrs[key.ICCID] = v.take(20).decode("ascii")


def _user_status(v: Reader, x: Items) -> None:
    if v.u32() & 0x08:
        add_alarm(x.attrs, Alarm.VIBRATION)


def _level_or_power(v: Reader, x: Items) -> None:
    """0xD4 / 0xE1 / 0xE9: one byte is a battery level (0xFF: charging); 0xE1 with two
    bytes is the supply voltage."""
    if v.remaining == 1:
        level = v.u8()
        if level == 0xFF:
            x.attrs[key.CHARGING] = True
        else:
            x.attrs[key.BATTERY_LEVEL] = level
    elif v.remaining == 2:
        x.attrs[key.POWER] = v.u16() / 10


def _battery_d5(v: Reader, x: Items) -> None:
    if v.remaining == 2:
        x.attrs[key.BATTERY] = v.u16() / 100


def _device_status(v: Reader, x: Items) -> None:
    v.skip(2)
    x.attrs[key.MOTION] = bool(v.u8() & 0x04)


def _fuel_e2(v: Reader, x: Items) -> None:
    if x.model != "DT800":
        x.attrs[key.FUEL] = v.u32() / 10


def _battery_e3(v: Reader, x: Items) -> None:
    if v.remaining not in (4, 6):
        return
    v.skip(1)
    x.attrs[key.BATTERY_LEVEL] = v.u8()
    x.attrs[key.BATTERY] = v.u16() / 100


def _charge_e4(v: Reader, x: Items) -> None:
    if v.u8() == 0:
        x.attrs[key.CHARGING] = True
    x.attrs[key.BATTERY_LEVEL] = v.u8()


def _motion(v: Reader, x: Items) -> None:
    if v.remaining == 1:
        x.attrs[key.MOTION] = v.u8() == 1


def _alarm_e7(v: Reader, x: Items) -> None:
    if v.remaining == 8:
        word = v.u16()
        if word & 0x01:
            add_alarm(x.attrs, Alarm.VIBRATION)
        if word & 0x0E:
            add_alarm(x.attrs, Alarm.SOS)


_JC_ALARMS = {
    0x0001: Alarm.FAULT, 0x0400: Alarm.HARD_ACCELERATION, 0x0412: Alarm.HARD_ACCELERATION,
    0x0401: Alarm.HARD_BRAKING, 0x0413: Alarm.HARD_BRAKING, 0x0402: Alarm.HARD_CORNERING,
    0x0414: Alarm.HARD_CORNERING, 0x0403: Alarm.OVERSPEED, 0x0405: Alarm.ACCIDENT,
    0x0416: Alarm.ACCIDENT, 0x0417: Alarm.ACCIDENT, 0x0406: Alarm.VIBRATION, 0x0407: Alarm.TOW,
    0x0408: Alarm.GEOFENCE_ENTER, 0x0409: Alarm.GEOFENCE_EXIT, 0x040C: Alarm.DOOR,
    0x0C01: Alarm.SOS, 0x0C02: Alarm.LOW_POWER, 0x0C05: Alarm.GENERAL,
    0x0C0E: Alarm.POWER_CUT, 0x0C0F: Alarm.LOW_BATTERY, 0x0C10: Alarm.POWER_OFF,
    0x0C12: Alarm.TAMPERING,
}


def _jimi_e8(v: Reader, x: Items) -> None:
    """0xE8 on Jimi JC dashcams: an extended type, then its data."""
    if x.model not in _JC:
        return
    kind = v.u16()
    if kind == 0x2002:
        v.skip(2)                                       # length, upload mode
        if v.u8() == 1:
            x.attrs[key.ARCHIVED] = True
    elif kind == 0x2003:
        v.skip(1)
        x.attrs[key.CHARGING] = v.u8() == 1
        level = v.u8()
        if 1 <= level <= 6:
            x.attrs[key.BATTERY_LEVEL] = level * 100 // 6
        x.attrs[key.BATTERY] = v.u16() / 100
        x.attrs[key.RSSI] = v.u8()
        x.attrs[key.POWER] = v.u16() / 100
    elif kind in (0x0C03, 0x0C04):
        x.attrs[key.IGNITION] = kind == 0x0C03
    else:
        add_alarm(x.attrs, _JC_ALARMS.get(kind))


def _concox_eb(v: Reader, x: Items) -> None:
    """0xEB (Concox): a cell list, a zone name, or (length (2), type (2), value) entries."""
    size = v.remaining
    if size >= 3 and int.from_bytes(v.data[v.pos:v.pos + 2], "big") > 200 and (size - 3) % 5 == 0:
        mcc, mnc = v.u16(), v.u8()
        if v.remaining >= 5:
            x.attrs.update({key.MCC: mcc, key.MNC: mnc, key.LAC: v.u16(), key.CID: v.u16()})
        return
    raw = v.data[v.pos:v.end]
    if raw.isascii() and raw.decode("ascii").isprintable():
        return                                          # "UTC+08:00": a zone name
    while v.remaining >= 4:
        length, kind = v.u16(), v.u16()
        if length < 2 or length - 2 > v.remaining:
            break
        _concox_entry(kind, Reader(v.take(length - 2)), x)


def _concox_entry(kind: int, v: Reader, x: Items) -> None:
    attrs = x.attrs
    if kind == 0x002D:
        if v.remaining == 4:
            attrs[key.POWER] = v.u32() / 1000
        else:
            attrs[key.BATTERY] = v.u16() / 1000
    elif kind == 0x0089:
        value = v.u32()
        if not value & 0x0001:
            add_alarm(attrs, Alarm.POWER_OFF)
        if not value & 0x1000:
            add_alarm(attrs, Alarm.REMOVING)
    elif kind == 0x00B2:
        attrs[key.ICCID] = v.take(10).hex().rstrip("f")
    elif kind == 0x00C5:
        value = v.u32()
        if not value & 0x40:
            add_alarm(attrs, Alarm.VIBRATION)
        motion = value >> 23 & 0x03
        if motion in (0, 1):
            attrs[key.MOTION] = motion == 0
    elif kind == 0x00C6:
        if v.u8() in (3, 4):
            add_alarm(attrs, Alarm.LOW_BATTERY)
    elif kind == 0x00CE:
        attrs[key.POWER] = v.u16() / 100
    elif kind == 0x00D8:
        attrs.update({key.MCC: v.u16(), key.MNC: v.u8(), key.LAC: v.u16(), key.CID: v.u32()})
    elif kind in (0x00A8, 0x00E1):
        attrs[key.BATTERY_LEVEL] = v.u8()


def _signal_voltages(v: Reader, x: Items) -> None:
    if v.remaining == 6:
        x.attrs[key.RSSI] = v.u8()
        x.attrs[key.POWER] = v.u16() / 1000
        x.attrs[key.BATTERY] = v.u16() / 1000
        x.satellites = v.u8()


def _power_thousandths(v: Reader, x: Items) -> None:
    x.attrs[key.POWER] = v.u32() / 1000


def _imei_f6(v: Reader, x: Items) -> None:
    if x.model not in _AOVX and v.remaining == 8:
        imei = v.take(8).hex()[1:]
        if imei.isdigit():
            x.attrs[key.IMEI] = imei


def _battery_f7(v: Reader, x: Items) -> None:
    """0xF7: battery voltage (4, mV) [, charge state (2 or 3: charging)] [, level]."""
    if v.remaining < 4:
        return
    x.attrs[key.BATTERY] = v.u32() / 1000
    if v.remaining and v.u8() in (2, 3):
        x.attrs[key.CHARGING] = True
    if v.remaining:
        x.attrs[key.BATTERY_LEVEL] = v.u8()


def _iccid_f8(v: Reader, x: Items) -> None:
    if x.model in _AOVX:
        v.skip(9)                                       # working mode, IMEI
        x.attrs[key.ICCID] = v.take(10).hex()


def _geofence(v: Reader, x: Items) -> None:
    x.attrs[key.GEOFENCE] = v.u8()


def _fe(v: Reader, x: Items) -> None:
    """0xFE: by length a battery level, a supply voltage, an odometer, or 0x7C alarm TLVs."""
    size = v.remaining
    if size == 1:
        x.attrs[key.BATTERY_LEVEL] = v.u8()
    elif size == 2:
        x.attrs[key.POWER] = v.u16() / 10
    elif size == 4:
        x.attrs[key.ODOMETER] = v.u32()
    elif v.u8() == 0x7C:
        while v.remaining >= 2:
            kind, length = v.u8(), v.u8()
            value = v.take(length)
            if kind == 0x01 and length == 4:
                bits = int.from_bytes(value, "big")
                for bit, alarm in ((0, Alarm.HARD_ACCELERATION), (1, Alarm.HARD_BRAKING),
                                   (2, Alarm.HARD_CORNERING), (3, Alarm.ACCIDENT),
                                   (4, Alarm.TAMPERING)):
                    if bits >> bit & 1:
                        add_alarm(x.attrs, alarm)


def _odometer_metres(v: Reader, x: Items) -> None:
    x.attrs[key.ODOMETER] = v.u32()


VENDOR_ITEMS: dict[int, Item] = {
    0x06: _level, 0x56: _level_tenths, 0x57: _driving_alarms, 0x60: _event,
    0x61: _power_hundredths, 0x69: _battery_hundredths, 0x82: _power_tenths,
    0xAC: _odometer_metres, 0xCC: _iccid_text, 0xD0: _user_status, 0xD3: _power_tenths,
    0xD4: _level_or_power, 0xD5: _battery_d5, 0xDA: _device_status, 0xE1: _level_or_power,
    0xE2: _fuel_e2, 0xE3: _battery_e3, 0xE4: _charge_e4, 0xE5: _motion, 0xE7: _alarm_e7,
    0xE8: _jimi_e8, 0xE9: _level_or_power, 0xEB: _concox_eb, 0xEE: _signal_voltages,
    0xF1: _power_thousandths, 0xF6: _imei_f6, 0xF7: _battery_f7, 0xF8: _iccid_f8,
    0xFC: _geofence, 0xFE: _fe,
}
