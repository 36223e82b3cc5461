"""GT06 messages that lead with a GPS block: locations (0x10, 0x11, 0x12, 0x22, 0xA0 and kin)
and alarms with a fix (0x16, 0x26, 0x27, 0xA3, 0xA4). Each answers with the generic ack.

Vendors reuse type numbers with other layouts; like Traccar, the variant is told apart by
the LEN field (or, where vendors send the same LEN, by the device model). The cell block of
a location is optional: a packet cut short there still gives its fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fengkong.telematics.protocols import position as key
from fengkong.telematics.protocols.bits import Reader, Truncated
from fengkong.telematics.protocols.gt06_blocks import (
    Fix,
    alarm_code,
    battery_byte,
    located,
    model_is,
    read_gps,
    read_lbs,
    read_lbs_with_length,
    status_tail,
    terminal_info,
    zone,
)
from fengkong.telematics.protocols.gt06_frames import Packet, ack
from fengkong.telematics.protocols.messages import DecodeContext, Decoded
from fengkong.telematics.protocols.position import add_alarm

Handler = Callable[[Packet, DecodeContext], Decoded]


def _answer(p: Packet, fix: Fix | None, ctx: DecodeContext, attrs: dict[str, Any]) -> Decoded:
    return Decoded(messages=(located(fix, ctx, attrs),), replies=(ack(p),))


def _optional_lbs(r: Reader, attrs: dict[str, Any], **sizes: Any) -> None:
    """Cell data is a bonus: a packet whose cell block is cut short still gives its fix."""
    start = r.pos
    try:
        read_lbs(r, attrs, **sizes)
    except Truncated:
        r.pos = start


def _tail(r: Reader, attrs: dict[str, Any]) -> None:
    """Protocol 2.0 trailer: ACC (1), report reason (1), re-upload flag (1) [, odometer (4)]."""
    if r.remaining in (3, 7):
        attrs[key.IGNITION] = r.u8() > 0
        attrs[key.EVENT] = r.u8()
        attrs[key.ARCHIVED] = r.u8() > 0
    if r.remaining == 4:
        attrs[key.ODOMETER] = r.u32()


def gps_only(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x10, 0x1A, 0x1E, 0x38: the GPS block; anything after it is vendor data."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    _tail(r, attrs)
    return _answer(p, fix, ctx, attrs)


def gps_lbs(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x11, 0x2D, 0x31, 0x32, 0x36, 0x17 (RFID): GPS, cell, protocol 2.0 trailer."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    if p.type == 0x11:
        _optional_lbs(r, attrs, wide_mnc=True, cid_size=4)
    else:
        _optional_lbs(r, attrs)
    _tail(r, attrs)
    return _answer(p, fix, ctx, attrs)


def gps_lbs_1(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x12, the classic location, and its vendor variants."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    if model_is(ctx.model, "QH302R"):
        r.skip(8)                                   # the IMEI first
    fix = read_gps(r, zone(ctx), attrs)
    _optional_lbs(r, attrs)
    if p.length == 0x24:                            # VXT01: status with supply voltage
        terminal_info(r.u8(), attrs, overspeed_bit=True)
        attrs[key.POWER] = r.u16() / 100
        attrs[key.RSSI] = r.u8()
    elif p.length == 0x2B:                          # S5: status, oil, temperature, odometer
        terminal_info(r.u8(), attrs)
        attrs[key.POWER] = r.u16() / 100
        attrs[key.RSSI] = r.u8()
        add_alarm(attrs, alarm_code(r.u8(), ctx.model))
        r.skip(3)
        attrs[key.ODOMETER] = r.u32() * 10
    elif p.length == 0x29 or p.length >= 0x71:      # WeTrust, GT06E card readers
        attrs[key.ODOMETER] = r.u32()
    else:
        _tail(r, attrs)
    return _answer(p, fix, ctx, attrs)


def gps_lbs_2(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x22, GT06 protocol 2.0 location: GPS, cell, ACC, reason, re-upload [, odometer]."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    if model_is(ctx.model, "NT20", "XT40"):
        r.skip(15)                                  # a flag, the IMEI and the device time
    fix = read_gps(r, zone(ctx), attrs)
    _optional_lbs(r, attrs)
    if p.length == 0x2F:                            # SEEWORLD: then odometer and sensors
        attrs[key.IGNITION] = r.u8() > 0
        attrs[key.EVENT] = r.u8()
        attrs[key.ARCHIVED] = r.u8() > 0
        attrs[key.ODOMETER] = r.u32()
    else:
        _tail(r, attrs)
    return _answer(p, fix, ctx, attrs)


def gps_lbs_3(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x37: GPS, cell, ACC/reason/re-upload, then (id, length, value) modules."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    _optional_lbs(r, attrs)
    if r.remaining >= 3:
        attrs[key.IGNITION] = r.u8() > 0
        attrs[key.EVENT] = r.u8()
        attrs[key.ARCHIVED] = r.u8() > 0
    while r.remaining >= 3:
        module, size = r.u16(), r.u8()
        value = Reader(r.take(size))
        if module == 0x0027 and size >= 2:
            attrs[key.POWER] = value.u16() / 100
        elif module == 0x002E and size >= 4:
            attrs[key.ODOMETER] = value.u32()
    return _answer(p, fix, ctx, attrs)


def gps_lbs_4g(p: Packet, ctx: DecodeContext) -> Decoded:
    """0xA0, the 4G location: GPS, cell with 4-byte LAC and 8-byte cell id, trailer."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    _optional_lbs(r, attrs, lac_size=4, cid_size=8)
    _tail(r, attrs)
    return _answer(p, fix, ctx, attrs)


def lbs_multiple_gps(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x24 with LEN 0x2E (SR411 mini): GPS, cell, ACC, supply and battery voltages."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    read_lbs(r, attrs)
    attrs[key.IGNITION] = r.u8() > 0
    attrs[key.POWER] = r.u16() / 100
    attrs[key.BATTERY] = r.u16() / 100
    return _answer(p, fix, ctx, attrs)


def _cell_then_status(r: Reader, p: Packet, attrs: dict[str, Any], size: int, *,
                      lac_size: int = 2, cid_size: int = 3) -> bytes:
    """The cell block led by its length, then the `size`-byte status block. A zero length
    means no cell, and the padding after it varies: the status block then ends the content."""
    content = p.content
    if r.remaining and content[r.pos] == 0:
        return content[-size:]
    try:
        read_lbs_with_length(r, attrs, lac_size=lac_size, cid_size=cid_size)
    except Truncated:
        return content[-size:]
    return r.take(size)


def gps_lbs_status(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x16 and 0x26 alarm: GPS, cell (led by its length), then terminal info, voltage level,
    GSM signal, alarm code, language."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    if p.type == 0x16 and p.length == 0x24:         # VXT01: no length byte, no alarm code
        read_lbs(r, attrs)
        tail = r.take(5)
        terminal_info(tail[0], attrs, overspeed_bit=True)
        battery_byte(tail[1], attrs)
        attrs[key.RSSI] = tail[2]
    else:                                           # SEEWORLD: 4-byte cell id
        cid_size = 4 if p.type == 0x16 and p.length == 0x26 else 3
        status_tail(_cell_then_status(r, p, attrs, 5, cid_size=cid_size), attrs, ctx.model)
    return _answer(p, fix, ctx, attrs)


def gps_lbs_status_geofence(p: Packet, ctx: DecodeContext) -> Decoded:
    """0x27 and 0xA4 (4G) alarm: as 0x16, then an alarm-code extension and a geofence."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    wide = p.type == 0xA4
    tail = _cell_then_status(r, p, attrs, 6, lac_size=4 if wide else 2, cid_size=8 if wide else 3)
    status_tail(tail[:5], attrs, ctx.model, extension=True)
    attrs[key.GEOFENCE] = tail[5]
    return _answer(p, fix, ctx, attrs)


def fence_single(p: Packet, ctx: DecodeContext) -> Decoded:
    """0xA3 with a fix (4G geofence alarm): GPS, a length byte, 4G cell, status."""
    content = p.content
    r = Reader(content, end=len(content) - 5)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    r.skip(1)
    _optional_lbs(r, attrs, lac_size=4, cid_size=8)
    status_tail(content[-5:], attrs, ctx.model)
    return _answer(p, fix, ctx, attrs)


def gps_lbs_status_4g(p: Packet, ctx: DecodeContext) -> Decoded:
    """0xA2 with LEN 0x40 (LW4G): GPS, 4G cell, network, status, supply voltage, battery,
    signal, alarm, language, odometer."""
    r = Reader(p.content)
    attrs: dict[str, Any] = {}
    fix = read_gps(r, zone(ctx), attrs)
    read_lbs(r, attrs, lac_size=4, cid_size=8)
    r.skip(1)                                           # network indicator
    terminal_info(r.u8(), attrs)
    attrs[key.POWER] = r.u16() / 100
    battery_byte(r.u8(), attrs)
    attrs[key.RSSI] = r.u8()
    add_alarm(attrs, alarm_code(r.u8(), ctx.model))
    r.skip(1)                                           # language
    attrs[key.ODOMETER] = r.u32()
    return _answer(p, fix, ctx, attrs)


HANDLERS: dict[int, Handler] = {
    0x10: gps_only, 0x1A: gps_only, 0x1E: gps_only, 0x38: gps_only,
    0x11: gps_lbs, 0x2D: gps_lbs, 0x31: gps_lbs,
    0x12: gps_lbs_1, 0x22: gps_lbs_2, 0x37: gps_lbs_3, 0xA0: gps_lbs_4g,
    0x16: gps_lbs_status, 0x26: gps_lbs_status,
    0x27: gps_lbs_status_geofence, 0xA4: gps_lbs_status_geofence,
}
"""Types decoded here in either frame kind; LEN variants are told apart inside."""
