"""Reading binary frames: a bounds-checked cursor, BCD and packed times."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, tzinfo

_U16 = struct.Struct(">H").unpack_from
_S16 = struct.Struct(">h").unpack_from
_U32 = struct.Struct(">I").unpack_from


class Truncated(Exception):
    """A read past the end of the data: the frame is shorter than its layout."""


class Reader:
    """A cursor over `data[pos:end]`; every read past `end` raises `Truncated`."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def _advance(self, size: int) -> int:
        start = self.pos
        if start + size > self.end:
            raise Truncated(f"needs {size} bytes at {start}, has {self.end - start}")
        self.pos = start + size
        return start

    def u8(self) -> int:
        return self.data[self._advance(1)]

    def uint(self, size: int) -> int:
        start = self._advance(size)
        return int.from_bytes(self.data[start:start + size], "big")

    def u16(self) -> int:
        value: int = _U16(self.data, self._advance(2))[0]
        return value

    def u24(self) -> int:
        return self.uint(3)

    def u32(self) -> int:
        value: int = _U32(self.data, self._advance(4))[0]
        return value

    def s16(self) -> int:
        value: int = _S16(self.data, self._advance(2))[0]
        return value

    def take(self, size: int) -> bytes:
        start = self._advance(size)
        return self.data[start:start + size]

    def skip(self, size: int) -> None:
        self._advance(size)

    def rest(self) -> bytes:
        return self.take(self.remaining)


def bcd(data: bytes) -> str:
    """Packed BCD as its digits; ValueError if a nibble is not a decimal digit."""
    digits = data.hex()
    if not digits.isdigit():
        raise ValueError(f"not BCD: {digits}")
    return digits


def bcd_time(data: bytes, zone: tzinfo) -> datetime:
    """YYMMDDhhmmss packed BCD in `zone`, as UTC. ValueError if it is no valid time."""
    d = bcd(data)
    local = datetime(2000 + int(d[0:2]), int(d[2:4]), int(d[4:6]), int(d[6:8]), int(d[8:10]),
                     int(d[10:12]), tzinfo=zone)
    return local.astimezone(UTC)


def binary_time(data: bytes, zone: tzinfo) -> datetime:
    """Six bytes year-2000, month, day, hour, minute, second in `zone`, as UTC."""
    local = datetime(2000 + data[0], data[1], data[2], data[3], data[4], data[5], tzinfo=zone)
    return local.astimezone(UTC)
