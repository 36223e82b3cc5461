"""Commands the platform sends to devices, each addressed and numbered, before encoding.

Every command carries the device's identifier (the JT/T 808 terminal phone goes into the
header; GT06 frames carry none), the platform `serial` the device will echo, and for JT/T 808
the protocol version of the device's own frames. A protocol's `encode(command) -> bytes`
raises `InvalidInput` for a command it cannot express.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    device_id: str = ""
    serial: int = 0
    protocol_version: int | None = None   # JT/T 808-2019 version byte; None: 2013 header
    model: str | None = None              # device model: picks vendor command strings


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineStop(Command):
    """Cut the fuel pump or ignition relay. GT06: `Relay,1#`, or `DYD,<password>#` when a
    password is given (`DYD#` on G109); JT/T 808: 0x8105 with the vendor word 0xF0."""

    password: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineResume(Command):
    """Restore the relay: `Relay,0#` / `HFYD,<password>#`; JT/T 808 0x8105 word 0xF1."""

    password: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TextCommand(Command):
    """Free text: GT06 0x80 online command (the device echoes `server_flag` in its reply);
    JT/T 808 0x8300 text message with its flag byte (0x01: emergency, Traccar's default)."""

    text: str
    server_flag: int = 0
    flag: int = 0x01


@dataclass(frozen=True, slots=True, kw_only=True)
class TerminalControl(Command):
    """JT/T 808 0x8105: a command word (1 upgrade, 2 connect, 3 power off, 4 reset, 5 factory
    reset, 6/7 close links; 0x64-0xFF vendor) and its `;`-separated parameters."""

    word: int
    params: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleControl(Command):
    """JT/T 808 0x8500. 2013: one control-flag byte (bit 0: 1 lock doors, 0 unlock; vendors use
    other bits for the fuel cut). 2019: a list of (control type id, parameter bytes); when
    `items` is empty the 2019 body is the door item 0x0001 carrying `flag`."""

    flag: int = 0
    items: tuple[tuple[int, bytes], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionQuery(Command):
    """Ask for a fix now: JT/T 808 0x8201; GT06 online command `WHERE#`."""
