"""GT06 framing: cutting frames out of a byte stream, and building frames to send.

    7878 | LEN(1) | type | content | serial(2) | CRC(2) | 0D0A     LEN = 1 + content + 2 + 2
    7979 | LEN(2) | type | content | serial(2) | CRC(2) | 0D0A     (extended: 2-byte LEN)

CRC-16/X.25 covers LEN through serial. Some Wi-Fi reports (0x17, 0x69) put the number of
access points where LEN belongs and carry no serial or CRC; the framer finds their end by the
stop bits, as Traccar does.
"""

from __future__ import annotations

from typing import NamedTuple

from fengkong.telematics.protocols.crc import crc16_x25
from fengkong.telematics.protocols.messages import FrameError, FrameResult

SHORT = b"\x78\x78"
LONG = b"\x79\x79"
STOP = b"\r\n"
MAX_FRAME = 4096


class Packet(NamedTuple):
    """A checked frame, split for the per-type decoders."""

    type: int
    serial: int
    content: bytes           # between the type byte and the serial
    extended: bool           # 7979 frame
    length: int              # the LEN field as sent (vendor variants are told apart by it)


def frame(buffer: bytes, max_length: int = MAX_FRAME) -> FrameResult:
    """Cut complete frames out of `buffer`; keep an incomplete tail as `rest`; report and
    skip garbage before a start marker and frames longer than `max_length`."""
    frames: list[bytes] = []
    errors: list[FrameError] = []
    pos, size = 0, len(buffer)
    markers = _Markers(buffer)
    while pos < size:
        start = markers.next(pos)
        if start < 0:
            keep = size - 1 if buffer[-1] in (0x78, 0x79) else size   # half a marker
            if keep > pos:
                errors.append(FrameError("garbage", buffer[pos:keep]))
            pos = keep
            break
        if start > pos:
            errors.append(FrameError("garbage", buffer[pos:start]))
            pos = start
        end = _frame_end(buffer, start, max_length)
        if end is None:
            break                                   # wait for more bytes
        if end < 0:
            errors.append(FrameError("oversize", buffer[start:start + 2]))
            pos = start + 2
            continue
        frames.append(buffer[start:end])
        pos = end
    return FrameResult(frames, buffer[pos:], errors)


class _Markers:
    """The next 7878 or 7979 at or after a position, each searched again only when passed
    (a stream of 7878 frames would otherwise rescan the whole buffer for 7979 every time)."""

    __slots__ = ("buffer", "found")

    def __init__(self, buffer: bytes) -> None:
        self.buffer = buffer
        self.found = {SHORT: -2, LONG: -2}           # -2: not searched yet; -1: none left

    def next(self, pos: int) -> int:
        best = -1
        for marker, at in self.found.items():
            if -1 < at < pos or at == -2:
                at = self.buffer.find(marker, pos)
                self.found[marker] = at
            if at >= 0 and (best < 0 or at < best):
                best = at
        return best


def _frame_end(buffer: bytes, start: int, max_length: int) -> int | None:
    """End index of the frame at `start`; None: incomplete; -1: longer than allowed."""
    size = len(buffer)
    extended = buffer[start] == 0x79
    if size - start < (4 if extended else 3):
        return None
    if extended:
        total = int.from_bytes(buffer[start + 2:start + 4], "big") + 6
    else:
        total = buffer[start + 2] + 5
    if total > max_length:
        return -1
    if size - start < total:
        return None
    if buffer[start + total - 2:start + total] == STOP:
        return start + total
    # The length disagrees with the stop bits: trust the first 0D0A, as devices that send a
    # count (Wi-Fi) or a wrong length expect.
    limit = min(size, start + max_length)
    stop = buffer.find(STOP, start + 4, limit)
    if stop >= 0:
        return stop + 2
    return -1 if limit - start >= max_length else None


def build(type_: int, body: bytes, serial: int, *, extended: bool = False) -> bytes:
    """A complete frame with length, serial and CRC."""
    length = 1 + len(body) + 4
    head = LONG + length.to_bytes(2, "big") if extended else SHORT + bytes((length,))
    core = head[2:] + bytes((type_,)) + body + serial.to_bytes(2, "big")
    return head[:2] + core + crc16_x25(core).to_bytes(2, "big") + STOP


def ack(packet: Packet, *, extended: bool | None = None) -> bytes:
    """The generic acknowledgement: same type, empty content, the device's serial echoed."""
    return build(packet.type, b"", packet.serial,
                 extended=packet.extended if extended is None else extended)
