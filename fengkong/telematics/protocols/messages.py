"""What a codec takes and gives: the decode context, the non-position messages, the result
of decoding one frame, and the result of framing a read.

A decoder is a pure function `decode(frame, ctx) -> Decoded`. It never raises on bad input:
a frame it cannot use comes back with `rejected` set to a `Reason`. `replies` are the exact
bytes the device expects back; the session layer sends them only after the messages are
durably stored (the decoder does not know whether they will be).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import NamedTuple

from fengkong.telematics.protocols.position import Position, Status


@dataclass(frozen=True, slots=True)
class DecodeContext:
    """What the session layer knows when it hands a frame to a decoder."""

    received_at: datetime               # UTC-aware time of receipt (for time-request replies)
    device_id: str | None = None        # identifier bound to the connection (GT06 after login)
    model: str | None = None            # device model, for per-model layouts and alarm codes
    accept_bad_crc: bool = False        # per-device setting for broken firmware
    timezone: tzinfo | None = None      # device clock zone; None: GT06 UTC, JT/T 808 GMT+8
    auth_code: str | None = None        # JT/T 808: code to issue if this frame is a registration
    reply_serial: int = 0               # JT/T 808: platform serial number for replies


@dataclass(frozen=True, slots=True)
class Registration:
    """JT/T 808 terminal registration data (0x0100)."""

    province: int
    city: int
    manufacturer: str
    model: str
    terminal_id: str
    plate_color: int
    plate: str                          # plate number, or the VIN when plate_color is 0


@dataclass(frozen=True, slots=True)
class Login:
    """A device announcing its identifier: GT06 login (0x01) or JT/T 808 registration."""

    device_id: str
    serial: int
    timezone: tzinfo | None = None      # GT06 login extension: the device clock's zone
    registration: Registration | None = None
    protocol_version: int | None = None  # JT/T 808-2019 version byte, None for 2013 headers


@dataclass(frozen=True, slots=True)
class Authentication:
    """JT/T 808 authentication (0x0102): the code the device presents, for the session to
    check against the one it issued."""

    device_id: str
    serial: int
    auth_code: str
    imei: str | None = None             # 2019 only
    firmware: str | None = None         # 2019 only
    protocol_version: int | None = None


@dataclass(frozen=True, slots=True)
class Logout:
    device_id: str
    serial: int


@dataclass(frozen=True, slots=True)
class CommandReply:
    """Text a device sent in answer to a command. GT06 echoes the `server_flag` the platform
    put into its 0x80 command; JT/T 808 0x1300 carries the serial it answers."""

    device_id: str | None
    text: str
    serial: int
    server_flag: int | None = None
    reply_serial: int | None = None


@dataclass(frozen=True, slots=True)
class TimeRequest:
    """The device asked for the time (GT06 0x8A, JT/T 808 0x0109); the reply is in `replies`."""

    device_id: str | None
    serial: int


@dataclass(frozen=True, slots=True)
class TerminalResponse:
    """JT/T 808 terminal general response (0x0001): the device's result for the platform
    message `reply_id` numbered `reply_serial`. Results: 0 ok, 1 failed, 2 bad message,
    3 unsupported."""

    device_id: str
    serial: int
    reply_serial: int
    reply_id: int
    result: int


@dataclass(frozen=True, slots=True)
class Fragment:
    """One part of a JT/T 808 sub-packaged message. Feed the parts to a `Reassembler`; it
    returns the whole frame, to be decoded again."""

    device_id: str
    message_id: int
    serial: int
    total: int
    index: int                          # from 1
    body: bytes
    protocol_version: int | None = None


Message = (Position | Status | Login | Authentication | Logout | CommandReply | TimeRequest
           | TerminalResponse | Fragment)


class Reason(StrEnum):
    """Why a frame was rejected."""

    BAD_CRC = "bad_crc"                 # GT06 CRC-16/X.25 mismatch
    BAD_CHECKSUM = "bad_checksum"       # JT/T 808 XOR mismatch
    TRUNCATED = "truncated"             # shorter than its layout needs
    MALFORMED = "malformed"             # wrong markers, impossible values
    UNKNOWN_TYPE = "unknown_type"       # a message type fengkong does not decode
    ENCRYPTED = "encrypted"             # JT/T 808 RSA-encrypted body


@dataclass(frozen=True, slots=True)
class Decoded:
    """The outcome of decoding one frame. A rejection may still carry replies: GT06 devices
    resend every 7878 frame that is not acknowledged, even ones fengkong cannot use."""

    messages: tuple[Message, ...] = ()
    replies: tuple[bytes, ...] = ()
    rejected: Reason | None = None
    detail: str = ""


def rejected(reason: Reason, detail: str = "", replies: tuple[bytes, ...] = ()) -> Decoded:
    return Decoded(rejected=reason, detail=detail, replies=replies)


@dataclass(frozen=True, slots=True)
class FrameError:
    """Bytes a framer skipped, and why: `garbage` (no start marker), `oversize` (a frame
    longer than the limit), `bad_escape` (JT/T 808 0x7D not followed by 0x01 or 0x02)."""

    reason: str
    skipped: bytes


class FrameResult(NamedTuple):
    frames: list[bytes]
    rest: bytes                         # an incomplete frame to prepend to the next read
    errors: list[FrameError]

