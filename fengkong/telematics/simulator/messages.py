"""What a simulated tracker has to say, before any protocol: readings, the messages made of
them, the frames that carry them, and the interface each protocol's speaker implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Protocol

from fengkong.telematics.protocols.messages import FrameResult
from fengkong.telematics.simulator.geo import LatLon


class Kind(Enum):
    LOCATION = "location"
    HEARTBEAT = "heartbeat"
    ALARM = "alarm"


class Event(Enum):
    """Alarms the simulator raises; each speaker maps them to its protocol's code."""

    POWER_CUT = "power_cut"
    REMOVAL = "removal"


class Why(Enum):
    """Why a location was sent (GT06 carries it as the upload mode)."""

    TIMED = "timed"
    ACC_CHANGE = "acc_change"


@dataclass(frozen=True, slots=True)
class Reading:
    """What the tracker measures at one moment (whole seconds: the protocols carry no more)."""

    time: datetime
    point: LatLon
    speed_kmh: float
    course: float
    altitude_m: int
    satellites: int
    valid: bool
    engine_on: bool
    external_power: bool
    battery_level: int               # 0-6, the GT06 voltage level
    signal: int                      # GSM CSQ 0-31
    odometer_m: float
    fuel_l: float
    relay_cut: bool                  # fuel / ignition cut engaged by a command


@dataclass(slots=True)
class Item:
    """One message; `attempts` counts its transmissions, so a second one is a re-send."""

    kind: Kind
    reading: Reading
    event: Event | None = None
    why: Why = Why.TIMED
    attempts: int = 0


Key = tuple[int, int]
"""What an acknowledgement names: (message type or id, serial)."""


@dataclass(slots=True)
class Envelope:
    """Frames that carry some items, and the acknowledgements that settle them all (a
    sub-packaged JT/T 808 batch is settled when every part is)."""

    frames: list[bytes]
    keys: set[Key]
    items: list[Item] = field(default_factory=list)
    sent_at: float = 0.0             # monotonic seconds


@dataclass(frozen=True, slots=True)
class Heard:
    """A platform frame, read: acknowledgements it carries and a command to answer."""

    acks: tuple[Key, ...] = ()
    command: object | None = None


@dataclass(frozen=True, slots=True)
class LoginProgress:
    done: bool = False
    send: Envelope | None = None     # the next step of the handshake
    refused: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    frame: bytes
    relay_cut: bool | None = None    # the command engaged (True) or released (False) the relay


class Speaker(Protocol):
    """One device's side of a protocol: serial numbers, login handshake, encoding messages,
    reading the platform's frames and answering its commands."""

    framer: Callable[[bytes], FrameResult]
    markers: bytes                   # bytes line noise must not contain (frame starts)

    def hello(self) -> Envelope: ...

    def on_login_frame(self, frame: bytes) -> LoginProgress: ...

    def envelopes(self, items: list[Item], *, stored: bool) -> list[Envelope]: ...

    def hear(self, frame: bytes) -> Heard: ...

    def answer(self, command: object, reading: Reading) -> Answer: ...

    def with_bad_checksum(self, frame: bytes) -> bytes: ...
