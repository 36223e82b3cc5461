"""Tracker protocol codecs, pure: `frame(buffer) -> FrameResult`, `decode(frame, ctx) ->
Decoded`, `encode(command) -> bytes`. No sockets, no database, no clock: the session layer
reads, looks devices up, stores, and only then sends the replies a decoder produced.

    from fengkong.telematics.protocols import PROTOCOLS
    codec = PROTOCOLS["gt06"]
    frames, rest, errors = codec.framer(buffer)
    for frame in frames:
        decoded = codec.decode(frame, DecodeContext(received_at=now, device_id=imei))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from fengkong.telematics.protocols import gt06, jt808
from fengkong.telematics.protocols.commands import Command
from fengkong.telematics.protocols.messages import DecodeContext, Decoded, FrameResult


class Protocol(NamedTuple):
    name: str
    framer: Callable[[bytes], FrameResult]
    decode: Callable[[bytes, DecodeContext], Decoded]
    encode: Callable[[Command], bytes]
    default_port: int


PROTOCOLS: dict[str, Protocol] = {
    gt06.NAME: Protocol(gt06.NAME, gt06.frame, gt06.decode, gt06.encode, gt06.DEFAULT_PORT),
    jt808.NAME: Protocol(jt808.NAME, jt808.frame, jt808.decode, jt808.encode,
                         jt808.DEFAULT_PORT),
}
