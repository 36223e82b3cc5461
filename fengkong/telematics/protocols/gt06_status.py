"""GT06 messages without a GPS fix: login (0x01), status / heartbeat (0x13, 0x23, 0x36),
LBS-only alarms (0x19, 0xA5), cell-tower and Wi-Fi reports (0x18, 0x24, 0x28, 0x2C, 0x2E,
0xA1, 0xA2, 0xA7, 0x17/0x69, 0xF3). They decode to a `Status` (or a `Login`); the pipeline
pairs a Status with the device's last known position."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from fengkong.telematics.protocols import position as key
from fengkong.telematics.protocols.bits import Reader, Truncated, bcd, bcd_time, binary_time
from fengkong.telematics.protocols.gt06_blocks import (
    alarm_code,
    battery_byte,
    model_is,
    read_lbs,
    status_tail,
    terminal_info,
    zone,
)
from fengkong.telematics.protocols.gt06_frames import SHORT, STOP, Packet, ack
from fengkong.telematics.protocols.gt06_locations import Handler
from fengkong.telematics.protocols.messages import DecodeContext, Decoded, Login
from fengkong.telematics.protocols.position import Status, add_alarm


def _status(p: Packet, ctx: DecodeContext, attrs: dict[str, Any],
            time: datetime | None = None, *, acked: bool = True) -> Decoded:
    return Decoded(messages=(Status(ctx.device_id, time, attrs),),
                   replies=(ack(p),) if acked else ())


def _time_or_none(raw: bytes, tz: tzinfo) -> datetime | None:
    try:
        return binary_time(raw, tz)
    except ValueError:
        return None


def login(p: Packet, ctx: DecodeContext) -> Decoded:
    """Terminal id (8 bytes BCD: a 0 nibble then the IMEI) [, type code (2), zone word (2)].
    The ack is among the replies; Traccar sends it only to registered devices (an unknown one
    keeps retrying), which is the session's call."""
    r = Reader(p.content)
    imei = bcd(r.take(8))[1:]
    tz = None
    if r.remaining >= 4:
        r.skip(2)
        tz = _login_zone(r.u16())
    return Decoded(messages=(Login(imei, p.serial, tz),), replies=(ack(p),))


def _login_zone(word: int) -> tzinfo | None:
    """Bits 15..4: the zone x 100 in decimal (0x320 = 800 = +08:00); bit 3 set: west."""
    hours, minutes = divmod(word >> 4, 100)
    offset = hours * 60 + minutes
    if offset == 0 or minutes >= 60 or offset > 14 * 60:
        return None
    return timezone(timedelta(minutes=-offset if word & 0x08 else offset))


def status(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x13 heartbeat: terminal info, voltage level, GSM signal, alarm [, language]."""
    c = p.content
    attrs: dict[str, Any] = {}
    if len(c) == 16:          # Jimi: info, satellites (2), alarm, language, battery %, ...
        terminal_info(c[0], attrs)
        add_alarm(attrs, alarm_code(c[3], ctx.model))
        attrs[key.BATTERY_LEVEL] = c[5]
    elif len(c) == 14:        # OBD6: info, signal (2), alarm, language, battery %, mode, power
        terminal_info(c[0], attrs)
        attrs[key.RSSI] = c[2] & 0x1F
        add_alarm(attrs, alarm_code(c[3], ctx.model))
        attrs[key.BATTERY_LEVEL] = c[5]
        attrs[key.POWER] = int.from_bytes(c[7:9], "big") / 100
    else:
        r = Reader(c)
        terminal_info(r.u8(), attrs)
        if model_is(ctx.model, "R11"):            # supply voltage where the level belongs
            attrs[key.POWER] = r.u16() / 100
        else:
            battery_byte(r.u8(), attrs)
        attrs[key.RSSI] = r.u8()
        if model_is(ctx.model, "LW"):             # supply voltage where the alarm belongs
            attrs[key.POWER] = (r.u16() & 0x0FFF) / 10
        elif r.remaining:
            extension = r.u8()
            if model_is(ctx.model, "SEEWORLD"):
                attrs[key.POWER] = float(extension)
            else:
                add_alarm(attrs, alarm_code(extension, ctx.model))
    return _status(p, ctx, attrs)


def heartbeat(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x23 (GK310): terminal info [, battery voltage (2)] [, GSM signal]."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    info = r.u8()
    attrs[key.ARMED] = bool(info & 0x01)
    attrs[key.IGNITION] = bool(info & 0x02)
    attrs[key.CHARGING] = bool(info & 0x04)
    if r.remaining >= 2:
        attrs[key.BATTERY] = r.u16() / 100
    if r.remaining >= 1:
        attrs[key.RSSI] = r.u8()
    return _status(p, ctx, attrs)


def status_modules(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x36 (Jimi 4G): the 0x13 status, language, then (id (2), length, value) modules."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    status_tail(r.take(5), attrs, ctx.model)
    while r.remaining >= 3:
        module, size = r.u16(), r.u8()
        value = r.take(size)
        if module == 0x0018 and size == 2:
            attrs[key.BATTERY] = int.from_bytes(value, "big") / 100
        elif module == 0x006A and size == 1:
            attrs[key.BATTERY_LEVEL] = value[0]
    return _status(p, ctx, attrs)


def lbs_status(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x19 and 0xA5 (4G) alarm without a fix: cell, then the status block of 0x16."""
    if p.type == 0x19 and p.length >= 0x17:
        return Decoded(replies=(ack(p),))         # SPACE10X multi-cell list: nothing to keep
    c = p.content
    attrs: dict[str, Any] = {}
    r = Reader(c, end=len(c) - 5)
    try:
        if p.type == 0xA5:
            read_lbs(r, attrs, lac_size=4, cid_size=8)
        else:
            read_lbs(r, attrs)
    except Truncated:
        pass
    status_tail(c[-5:], attrs, ctx.model)
    return _status(p, ctx, attrs)


def cells(p: Packet, ctx: DecodeContext) -> Decoded:
    """Cell-tower lists (0x18, 0x24, 0x28, 0x2C, 0x2E; 0xA1 and 0xA2 with 4G cells): time,
    MCC, MNC, then up to seven cells; the serving (first) one is kept."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    time = _time_or_none(r.take(6), zone(ctx))
    if p.type == 0x24 and p.length == 0x31:
        r.skip(1)                                   # WANWAY S20: timing advance first
    wide = p.type in (0xA1, 0xA2)
    read_lbs(r, attrs, lac_size=4 if wide else 2, cid_size=8 if wide else 3)
    return _status(p, ctx, attrs, time)


def lbs_address(p: Packet, ctx: DecodeContext) -> Decoded:
    """0xA7: a 4G cell, asking for an address (answered with the generic ack)."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    read_lbs(r, attrs, lac_size=4, cid_size=8)
    return _status(p, ctx, attrs)


def wifi(frame: bytes, ctx: DecodeContext) -> Decoded:
    """0x17 / 0x69 Wi-Fi report in the form without length, serial or CRC: byte 2 counts the
    access points; BCD time, access points (MAC, signal), cell count, MCC, MNC, cells. The
    device expects its time echoed in a reply that has no CRC either."""
    type_, count = frame[3], frame[2]
    r = Reader(frame, 4, len(frame) - 2)
    raw_time = r.take(6)
    attrs: dict[str, Any] = {}
    r.skip(7 * count)
    if r.remaining >= 1 and r.u8():
        mcc, mnc = r.u16(), r.u8()
        attrs.update({key.MCC: mcc, key.MNC: mnc, key.LAC: r.u16(), key.CID: r.u16()})
    try:
        time: datetime | None = bcd_time(raw_time, zone(ctx))
    except ValueError:
        time = None
    reply = SHORT + bytes((0, type_)) + raw_time + STOP
    return Decoded(messages=(Status(ctx.device_id, time, attrs),), replies=(reply,))


def wifi_4(p: Packet, ctx: DecodeContext) -> Decoded:
    """0xF3: BCD time and access points; Traccar sends no reply to it."""
    try:
        time: datetime | None = bcd_time(Reader(p.content).take(6), zone(ctx))
    except ValueError:
        time = None
    return _status(p, ctx, {}, time, acked=False)


HANDLERS: dict[int, Handler] = {
    0x01: login, 0x13: status, 0x23: heartbeat, 0x19: lbs_status, 0xA5: lbs_status,
    0x18: cells, 0x28: cells, 0x2C: cells, 0x2E: cells, 0xA1: cells,
    0xA7: lbs_address, 0xF3: wifi_4,
}
