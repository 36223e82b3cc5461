"""GT06 messages that answer or inform: command replies (0x15, 0x21), information (0x94),
time and address requests (0x8A, 0x2A), and the newer modular and dashcam packets (0x70,
0x95, 0x34 X1, 0xF1, AZ735 0x32/0x33 on 7979)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fengkong.telematics.protocols import position as key
from fengkong.telematics.protocols.bits import Reader, bcd
from fengkong.telematics.protocols.gt06_blocks import (
    Fix,
    located,
    make_fix,
    read_gps,
    read_lbs,
    read_lbs_with_length,
    zone,
)
from fengkong.telematics.protocols.gt06_frames import Packet, ack, build
from fengkong.telematics.protocols.messages import (
    CommandReply,
    DecodeContext,
    Decoded,
    Reason,
    TimeRequest,
    rejected,
)
from fengkong.telematics.protocols.position import Alarm, Position, Status, add_alarm


def _text(data: bytes, encoding: str = "ascii") -> str:
    return data.decode(encoding, "replace").split("\x00", 1)[0].strip()


def string(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x15: command length (4 + text), server flag (4), ASCII text [, language (2)].
    Some firmware sends length 0 and the text anyway."""
    r = Reader(p.content)
    size, flag = r.u8(), r.u32()
    text = _text(r.take(size - 4) if 4 <= size <= r.remaining + 4 else r.rest())
    if text.startswith("<ICCID:"):
        status = Status(ctx.device_id, None, {key.ICCID: text[7:27]})
        return Decoded(messages=(status,), replies=(ack(p),))
    reply = CommandReply(ctx.device_id, text, p.serial, server_flag=flag)
    return Decoded(messages=(reply,), replies=(ack(p),))


_CURRENT_POSITION = re.compile(
    r"Current position!Lat:([NS])([\d.]+),Lon:([EW])([\d.]+),Course:([\d.]+),"
    r"Speed:([\d.]+),DateTime:(\d{4})-(\d\d)-(\d\d) +(\d\d):(\d\d):(\d\d)")


def string_info(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x21 (7979): server flag (4), encoding (1: ASCII, else UTF-16BE), text. The answer to
    `WHERE#` is a position in words. Not acknowledged."""
    r = Reader(p.content)
    flag = r.u32()
    text = _text(r.rest(), "ascii") if r.u8() == 1 else _text(r.rest(), "utf-16-be")
    match = _CURRENT_POSITION.match(text)
    reply = CommandReply(ctx.device_id, text, p.serial, server_flag=flag)
    if match is None:
        return Decoded(messages=(reply,))
    ns, lat, ew, lon, course, speed, *when = match.groups()
    latitude = float(lat) * (-1 if ns == "S" else 1)
    longitude = float(lon) * (-1 if ew == "W" else 1)
    if abs(latitude) > 90 or abs(longitude) > 180:
        return Decoded(messages=(reply,))
    year, month, day, hour, minute, second = map(int, when)
    fix_time = datetime(year, month, day, hour, minute, second, tzinfo=zone(ctx))
    # The text gives no unit for the speed; Concox firmware reports km/h.
    found = Position(ctx.device_id, fix_time.astimezone(UTC), True, latitude, longitude, None,
                     float(speed), float(course), None, {key.RESULT: text})
    return Decoded(messages=(found,))


def info(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x94 information (not acknowledged). 7878: supply voltage. 7979: a sub-type byte:
    00 voltage, 04 status sync text, 05 door, 0A IMEI/IMSI/ICCID, 0B network or voltage."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    if not p.extended:
        attrs[key.POWER] = Reader(r.take(2)).s16() / 100
        return Decoded(messages=(Status(ctx.device_id, None, attrs),))
    sub = r.u8()
    if sub == 0x00 or (sub == 0x0B and r.remaining == 2):
        attrs[key.POWER] = r.u16() / 100
    elif sub == 0x04:
        _status_sync(_text(r.rest()), attrs)
    elif sub == 0x05:
        if r.remaining >= 7:
            r.skip(6)                                   # the time the door changed
        attrs[key.DOOR] = bool(r.u8() & 0x01)
    elif sub == 0x0A:
        attrs[key.IMEI] = bcd(r.take(8))[1:]
        r.skip(8)                                       # IMSI
        attrs[key.ICCID] = r.take(10).hex().replace("f", "")
    elif sub != 0x0B:
        return rejected(Reason.UNKNOWN_TYPE, f"0x94 sub-type {sub:#04x}")
    return Decoded(messages=(Status(ctx.device_id, None, attrs),))


def _status_sync(text: str, attrs: dict[str, Any]) -> None:
    """`ALM1=C5;ALM2=CC;STA1=C0;DYD=01;...`: DYD is the fuel/power cut (01: cut)."""
    attrs[key.RESULT] = text
    for pair in text.split(";"):
        name, _, value = pair.partition("=")
        if name == "DYD" and value:
            attrs[key.ENGINE_CUT] = value.strip() == "01"


def time_request(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x8A: the reply carries the UTC time of receipt, serial 0."""
    now = ctx.received_at.astimezone(UTC)
    body = bytes((now.year - 2000, now.month, now.day, now.hour, now.minute, now.second))
    return Decoded(messages=(TimeRequest(ctx.device_id, p.serial),),
                   replies=(build(0x8A, body, 0),))


def address_request(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x2A (GK310): fengkong has no addresses to give; it answers 0x97 "NA" as Traccar does."""
    text = b"NA&&NA&&0##"
    return Decoded(replies=(build(0x97, bytes((len(text),)) + bytes(4) + text, 0,
                                  extended=True),))


_DASHCAM_ALARMS = {0x0E: Alarm.LOW_POWER, 0x76: Alarm.TEMPERATURE, 0x80: Alarm.VIBRATION,
                   0x87: Alarm.OVERSPEED, 0x88: Alarm.POWER_CUT, 0x90: Alarm.HARD_ACCELERATION,
                   0x91: Alarm.HARD_BRAKING, 0x92: Alarm.HARD_CORNERING, 0x93: Alarm.ACCIDENT}


def dashcam_alarm(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x95 (JC100): a short GPS block (no satellites or speed) or just a time, then the event."""
    c = p.content
    if c[:2] == b"\xff\xff":
        return rejected(Reason.UNKNOWN_TYPE, "JC400 0x95 variant", (ack(p),))
    r = Reader(c)
    attrs: dict[str, Any] = {}
    fix: Fix | None = None
    time = None
    extended = p.length - 5 > 7
    if extended:
        fix = read_gps(r, zone(ctx), attrs, satellites=False, speed=False)
    else:
        try:
            time = _local_time(r.take(6), ctx)
        except ValueError:
            time = None
    event = r.u8()
    attrs[key.EVENT] = event
    if event == 0x01:
        add_alarm(attrs, Alarm.SOS if extended else Alarm.GENERAL)
    else:
        add_alarm(attrs, _DASHCAM_ALARMS.get(event, Alarm.GENERAL))
    message = located(fix, ctx, attrs) if extended else Status(ctx.device_id, time, attrs)
    return Decoded(messages=(message,), replies=(ack(p),))


def _local_time(raw: bytes, ctx: DecodeContext) -> datetime:
    return datetime(2000 + raw[0], raw[1], raw[2], raw[3], raw[4], raw[5],
                    tzinfo=zone(ctx)).astimezone(UTC)


_MODULE_EVENTS = {0x10: Alarm.DOOR, 0x12: Alarm.REMOVING, 0x14: Alarm.GEOFENCE_ENTER,
                  0x15: Alarm.GEOFENCE_EXIT, 0x1A: Alarm.LOW_BATTERY, 0x1B: Alarm.OVERSPEED,
                  0x1C: Alarm.POWER_ON, 0x1D: Alarm.POWER_OFF, 0x20: Alarm.VIBRATION,
                  0x21: Alarm.POWER_CUT, 0x23: Alarm.TAMPERING}
_STATUS_EVENTS = {0x11: Alarm.LOW_BATTERY, 0x12: Alarm.LOW_POWER, 0x13: Alarm.POWER_CUT,
                  0x14: Alarm.REMOVING}


def modular(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x70: (module id (2), length (2), value) modules; 0x33 is the fix. Acked on 7878."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix: Fix | None = None
    altitude = None
    while r.remaining >= 4:
        module, size = r.u16(), r.u16()
        value = Reader(r.take(size))
        if module == 0x33:
            seconds = value.u32()
            moment = datetime.fromtimestamp(seconds, UTC) if seconds else None
            sats, altitude = value.u8(), float(value.s16())
            fix = make_fix(moment, value.u32(), value.u32(), value.u8(), value.u16(), sats, attrs)
        elif module == 0x34:
            event = value.u8()
            attrs[key.EVENT] = event
            add_alarm(attrs, _MODULE_EVENTS.get(event))
        elif module == 0x2B:
            event = value.u8()
            attrs[key.EVENT] = event
            add_alarm(attrs, _STATUS_EVENTS.get(event))
        elif module == 0x18:
            attrs[key.BATTERY] = value.u16() / 100
        elif module == 0x03:
            attrs[key.ICCID] = value.take(10).hex()
        elif module == 0x2A:
            attrs[key.DOOR] = value.u8() & 0x0F > 0
        elif module == 0x2E:
            attrs[key.ODOMETER] = value.u32()
        elif module == 0x11:
            mcc, mnc, lac, cid = value.u16(), value.u16(), value.u16(), value.u24()
            if cid:
                attrs.update({key.MCC: mcc, key.MNC: mnc, key.LAC: lac, key.CID: cid})
    message = located(fix, ctx, attrs)
    if isinstance(message, Position):
        message = replace(message, altitude=altitude)
    return Decoded(messages=(message,), replies=(ack(p, extended=False),))


def x1_gps(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x34 (X1): data/alarm word, GPS, terminal info (2), odometer, cell, driver id, battery
    and supply voltages. Not acknowledged."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    r.skip(4)
    fix = read_gps(r, zone(ctx), attrs)
    r.skip(2)
    attrs[key.ODOMETER] = r.u32()
    read_lbs(r, attrs, cid_size=4)
    r.skip(4)
    attrs[key.BATTERY] = r.u16() / 100
    attrs[key.POWER] = r.u16() / 100
    return Decoded(messages=(located(fix, ctx, attrs),))


def device_status(p: Packet, ctx: DecodeContext) -> Decoded:
    """0xF1 (7979): unix time, then (id (2), length, value) items; item 5 is the voltage."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    moment = datetime.fromtimestamp(r.u32(), UTC)
    while r.remaining >= 3:
        item, size = r.u16(), r.u8()
        value = r.take(size)
        if item == 0x0005 and size == 2:
            attrs[key.POWER] = int.from_bytes(value, "big") / 100
    return Decoded(messages=(Status(ctx.device_id, moment, attrs),), replies=(ack(p),))


_AZ735_STATUS = {0xA2: Alarm.LOW_BATTERY, 0xA3: Alarm.LOW_BATTERY, 0xA4: Alarm.GENERAL,
                 0xA5: Alarm.DOOR}


def az735(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x32 / 0x33 on 7979 (AZ735): time, GPS led by its length (0: no fix), cell led by its
    length, signal, skipped cell and Wi-Fi lists, status byte (0x33: an alarm)."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    raw_time = r.take(6)
    fix: Fix | None = None
    if r.u8():
        sats = r.u8() & 0x0F
        lat, lon, kmh, flags = r.u32(), r.u32(), r.u8(), r.u16()
        try:
            moment: datetime | None = _local_time(raw_time, ctx)
        except ValueError:
            moment = None
        fix = make_fix(moment, lat, lon, kmh, flags, sats, attrs)
    if r.remaining and r.data[r.pos]:
        read_lbs_with_length(r, attrs)
        attrs[key.RSSI] = r.u8()
    else:
        r.skip(1)
    r.skip(r.u8())                                      # more cells
    r.skip(r.u8())                                      # Wi-Fi access points
    code = r.u8()
    attrs[key.STATUS] = code
    if p.type == 0x33:
        if code in (0xA0, 0xA1):
            attrs[key.ARMED] = code == 0xA0
        add_alarm(attrs, _AZ735_STATUS.get(code))
    return Decoded(messages=(located(fix, ctx, attrs),), replies=(ack(p),))
