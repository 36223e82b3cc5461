"""The canonical decoded position and status, their attribute keys and the alarm vocabulary.

Every protocol decodes into these types, so that the pipeline after decoding never needs to
know which tracker spoke. Typed fields hold what every fix has; everything else goes into
`attributes` under one of the keys below, in fengkong's units (not Traccar's knots).

| key             | type      | meaning                                                      |
|-----------------|-----------|--------------------------------------------------------------|
| `ignition`      | bool      | ACC line high (engine key on)                                |
| `charging`      | bool      | external power connected / internal battery charging         |
| `power`         | float, V  | external (vehicle) supply voltage                            |
| `battery`       | float, V  | internal backup battery voltage                              |
| `battery_level` | int, %    | internal backup battery charge                               |
| `rssi`          | int       | GSM signal: GT06 level 0-4, JT/T 808 CSQ 0-31                |
| `odometer`      | int, m    | device odometer                                              |
| `fuel`          | float, L  | fuel level (JT/T 808 item 0x02)                              |
| `obd_speed`     | float,km/h| tachograph / vehicle bus speed                               |
| `blocked`       | bool      | oil or electric circuit cut (relay engaged: engine cut off)  |
| `armed`         | bool      | device armed (GT06 "defence")                                |
| `door`          | bool      | door open                                                    |
| `motion`        | bool      | device reports it is moving                                  |
| `alarm`         | str       | comma-separated names from `Alarm`, in the order decoded     |
| `event`         | int       | vendor event / report-reason code                            |
| `status`        | int       | raw status bits (GT06 terminal info, JT/T 808 status DWORD)  |
| `mcc` `mnc`     | int       | serving cell: country and network codes                      |
| `lac` `cid`     | int       | serving cell: location area and cell id                      |
| `archived`      | bool      | re-uploaded history (blind area, buffered), not a live report|
| `geofence`      | int       | device-side geofence number                                  |
| `iccid` `imei`  | str       | SIM card and module identifiers                              |
| `result`        | str       | text a device sent back (status sync, command echo)          |
| `engine_cut`    | bool      | GT06 status sync `DYD=01`: the fuel/power cut is engaged     |
| `input` `io`    | int       | raw input / IO signal words                                  |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

IGNITION: Final = "ignition"
CHARGING: Final = "charging"
POWER: Final = "power"
BATTERY: Final = "battery"
BATTERY_LEVEL: Final = "battery_level"
RSSI: Final = "rssi"
ODOMETER: Final = "odometer"
FUEL: Final = "fuel"
OBD_SPEED: Final = "obd_speed"
BLOCKED: Final = "blocked"
ARMED: Final = "armed"
DOOR: Final = "door"
MOTION: Final = "motion"
ALARM: Final = "alarm"
EVENT: Final = "event"
STATUS: Final = "status"
MCC: Final = "mcc"
MNC: Final = "mnc"
LAC: Final = "lac"
CID: Final = "cid"
ARCHIVED: Final = "archived"
GEOFENCE: Final = "geofence"
ICCID: Final = "iccid"
IMEI: Final = "imei"
RESULT: Final = "result"
ENGINE_CUT: Final = "engine_cut"
INPUT: Final = "input"
IO: Final = "io"


class Alarm(StrEnum):
    """One vocabulary for every vendor's alarm codes (Traccar's names, for interoperability)."""

    SOS = "sos"
    POWER_CUT = "powerCut"            # external power wire cut or unplugged
    POWER_OFF = "powerOff"            # device switched off
    POWER_ON = "powerOn"
    POWER_RESTORED = "powerRestored"
    LOW_BATTERY = "lowBattery"        # internal battery (or main power under-voltage, JT/T 808)
    LOW_POWER = "lowPower"            # vehicle supply low
    VIBRATION = "vibration"
    MOVEMENT = "movement"             # displaced while parked
    TAMPERING = "tampering"
    REMOVING = "removing"             # device taken off the vehicle (light / case sensor)
    TOW = "tow"
    GEOFENCE = "geofence"             # area alarm, direction unknown
    GEOFENCE_ENTER = "geofenceEnter"
    GEOFENCE_EXIT = "geofenceExit"
    OVERSPEED = "overspeed"
    GPS_ANTENNA_CUT = "gpsAntennaCut"
    JAMMING = "jamming"
    DOOR = "door"
    ACCIDENT = "accident"
    FAULT = "fault"
    FATIGUE_DRIVING = "fatigueDriving"
    PARKING = "parking"
    GENERAL = "general"
    HARD_ACCELERATION = "hardAcceleration"
    HARD_BRAKING = "hardBraking"
    HARD_CORNERING = "hardCornering"
    FALL_DOWN = "fallDown"
    TEMPERATURE = "temperature"
    LOCK = "lock"
    UNLOCK = "unlock"
    FUEL_LEAK = "fuelLeak"
    IDLE = "idle"


@dataclass(frozen=True, slots=True)
class Position:
    """A fix reported by a device. `valid` is the device's own fix flag; filtering invalid,
    zero or future fixes is the pipeline's job, not the decoder's."""

    device_id: str | None
    fix_time: datetime            # UTC-aware
    valid: bool
    latitude: float               # WGS-84 degrees, south negative
    longitude: float              # WGS-84 degrees, west negative
    altitude: float | None = None  # metres
    speed_kmh: float = 0.0
    course: float | None = None   # degrees clockwise from north
    satellites: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Status:
    """A heartbeat or status report without a fix of its own (terminal info, LBS-only alarm,
    battery, cell towers). The pipeline pairs it with the device's last known position."""

    device_id: str | None
    device_time: datetime | None = None   # UTC-aware, when the packet carries a time
    attributes: dict[str, Any] = field(default_factory=dict)


def add_alarm(attributes: dict[str, Any], alarm: Alarm | None) -> None:
    """Append `alarm` to the comma-separated `alarm` attribute, once."""
    if alarm is None:
        return
    present = attributes.get(ALARM)
    if not present:
        attributes[ALARM] = alarm.value
    elif alarm.value not in present.split(","):
        attributes[ALARM] = f"{present},{alarm.value}"


def alarms(attributes: dict[str, Any]) -> tuple[str, ...]:
    """The alarm names an attribute dict carries, in order."""
    value = attributes.get(ALARM)
    return tuple(value.split(",")) if value else ()
