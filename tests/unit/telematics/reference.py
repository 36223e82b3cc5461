"""Protocol arithmetic written out again, independently of the code under test, so that the
tests check the codecs against the definitions and not against themselves."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce

from fengkong.telematics.protocols.messages import FrameError, FrameResult


def crc_x25(data: bytes) -> int:
    """CRC-16/X.25 bit by bit: reflected polynomial 0x8408, init and xorout 0xFFFF."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def gt06_frame(type_: int, content: bytes, serial: int, *, extended: bool = False) -> bytes:
    """A 7878 (or 7979) frame assembled field by field."""
    size = 1 + len(content) + 2 + 2
    length = size.to_bytes(2, "big") if extended else bytes([size])
    checked = length + bytes([type_]) + content + serial.to_bytes(2, "big")
    start = b"\x79\x79" if extended else b"\x78\x78"
    return start + checked + crc_x25(checked).to_bytes(2, "big") + b"\r\n"


def gt06_fields(frame: bytes) -> tuple[int, bytes, int]:
    """(type, content, serial) of a 7878 frame, after checking its length, CRC and stop bits."""
    assert frame[:2] == b"\x78\x78" and frame[-2:] == b"\r\n"
    assert frame[2] + 5 == len(frame)
    assert crc_x25(frame[2:-4]) == int.from_bytes(frame[-4:-2], "big")
    return frame[3], frame[4:-6], int.from_bytes(frame[-6:-4], "big")


def jt808_unescape(wire: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(wire):
        if wire[i] == 0x7D:
            out.append({0x01: 0x7D, 0x02: 0x7E}[wire[i + 1]])
            i += 2
        else:
            out.append(wire[i])
            i += 1
    return bytes(out)


def jt808_fields(wire: bytes) -> tuple[int, bytes, int, bytes]:
    """(message id, terminal bytes, serial, body) of a sent 2013 frame, after checking flags,
    escaping and XOR."""
    assert wire[0] == 0x7E and wire[-1] == 0x7E and 0x7E not in wire[1:-1]
    inner = jt808_unescape(wire[1:-1])
    assert xor(inner[:-1]) == inner[-1]
    props = int.from_bytes(inner[2:4], "big")
    body = inner[12:-1]
    assert props & 0x03FF == len(body)
    return int.from_bytes(inner[:2], "big"), inner[4:10], int.from_bytes(inner[10:12], "big"), body


def read_in_chunks(framer: Callable[[bytes], FrameResult], stream: bytes,
                   cuts: list[int]) -> tuple[list[bytes], bytes, list[FrameError]]:
    """What a connection sees reading `stream` in pieces cut at `cuts`."""
    found: list[bytes] = []
    errors: list[FrameError] = []
    rest = b""
    bounds = [0, *sorted(cuts), len(stream)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        result = framer(rest + stream[start:end])
        found += result.frames
        errors += result.errors
        rest = result.rest
    return found, rest, errors
