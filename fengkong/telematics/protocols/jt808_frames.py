"""JT/T 808 framing: flags and escaping, the message header, terminal ids, building frames.

    7E | id(2) | props(2) | [version(1)] | terminal(6|10 BCD) | serial(2) | [total(2) index(2)]
       | body | XOR(1) | 7E

props: bits 0-9 body length, 10-12 encryption, 13 sub-packaged, 14 2019 header. Between the
flags 0x7E is sent as 7D 02 and 0x7D as 7D 01; the XOR covers id through body. Frames handed
to the decoder are unescaped, flags included.
"""

from __future__ import annotations

from typing import NamedTuple

from fengkong.telematics.protocols.bits import Reader
from fengkong.telematics.protocols.crc import luhn, xor8
from fengkong.telematics.protocols.messages import FrameError, FrameResult

FLAG = 0x7E
MAX_FRAME = 4096


def frame(buffer: bytes, max_length: int = MAX_FRAME) -> FrameResult:
    """Cut 7E-delimited frames out of `buffer` and unescape them; keep an incomplete frame as
    `rest`; report and skip garbage, frames longer than `max_length` and bad escapes."""
    frames: list[bytes] = []
    errors: list[FrameError] = []
    pos, size = 0, len(buffer)
    while pos < size:
        start = buffer.find(b"\x7e", pos)
        if start < 0:
            errors.append(FrameError("garbage", buffer[pos:]))
            pos = size
            break
        if start > pos:
            errors.append(FrameError("garbage", buffer[pos:start]))
        end = buffer.find(b"\x7e", start + 1, start + max_length)
        if end < 0:
            if size - start >= max_length:
                errors.append(FrameError("oversize", buffer[start:start + 1]))
                pos = start + 1
                continue
            pos = start
            break
        if end == start + 1:                # 7E 7E: a closing flag, then an opening one
            pos = end
            continue
        payload = buffer[start + 1:end]
        if payload.count(b"\x7d") != payload.count(b"\x7d\x01") + payload.count(b"\x7d\x02"):
            errors.append(FrameError("bad_escape", buffer[start:end + 1]))
        else:
            frames.append(b"\x7e" + unescape(payload) + b"\x7e")
        pos = end + 1
    return FrameResult(frames, buffer[pos:], errors)


def unescape(payload: bytes) -> bytes:
    # 7D 02 first: every 7D in valid escaped data starts a two-byte token.
    return payload.replace(b"\x7d\x02", b"\x7e").replace(b"\x7d\x01", b"\x7d")


def escape(payload: bytes) -> bytes:
    return payload.replace(b"\x7d", b"\x7d\x01").replace(b"\x7e", b"\x7d\x02")


class Header(NamedTuple):
    message_id: int
    properties: int
    version: int | None         # 2019 protocol version byte, None for 2011/2013 headers
    device_id: str
    serial: int
    total: int | None           # sub-packaged: number of parts
    part: int | None            # sub-packaged: this part, from 1
    body: bytes

    @property
    def encrypted(self) -> bool:
        return bool(self.properties & 0x1C00)


def parse(data: bytes) -> Header:
    """The header and body of an unescaped frame (flags included, checksum not checked)."""
    r = Reader(data, 1, len(data) - 2)
    message_id, props = r.u16(), r.u16()
    version = r.u8() if props & 0x4000 else None
    device_id = terminal_id(r.take(6 if version is None else 10))
    serial = r.u16()
    total = part = None
    if props & 0x2000:
        total, part = r.u16(), r.u16()
    return Header(message_id, props, version, device_id, serial, total, part, r.rest())


def terminal_id(raw: bytes) -> str:
    """The BCD phone number; a 6-byte id that is not BCD is a 48-bit IMEI (Luhn digit added)."""
    digits = raw.hex()
    if digits.isdigit():
        return digits
    if len(raw) != 6:
        raise ValueError(f"terminal id {digits} is not BCD")
    number = int.from_bytes(raw, "big")
    return f"{number}{luhn(number)}"


def terminal_bytes(device_id: str, version: int | None) -> bytes:
    """Inverse of `terminal_id`: up to 12 digits as 6 BCD bytes (20 / 10 for 2019), or an
    IMEI as 48 bits without its check digit."""
    if not (device_id.isascii() and device_id.isdigit()):
        raise ValueError(f"terminal id {device_id!r} is not digits")
    width = 20 if version is not None else 12
    if len(device_id) <= width:
        return bytes.fromhex(device_id.rjust(width, "0"))
    if len(device_id) <= 16 and version is None:
        return int(device_id[:-1]).to_bytes(6, "big")
    raise ValueError(f"terminal id {device_id!r} is too long")


def build(message_id: int, device_id: str, serial: int, body: bytes,
          version: int | None = None) -> bytes:
    """An unescaped frame with flags and checksum (what the decoder takes)."""
    props = (len(body) & 0x03FF) | (0x4000 if version is not None else 0)
    head = message_id.to_bytes(2, "big") + props.to_bytes(2, "big")
    if version is not None:
        head += bytes((version,))
    core = head + terminal_bytes(device_id, version) + serial.to_bytes(2, "big") + body
    return b"\x7e" + core + bytes((xor8(core),)) + b"\x7e"


def wire(unescaped: bytes) -> bytes:
    """Escape a built frame for sending."""
    return b"\x7e" + escape(unescaped[1:-1]) + b"\x7e"
