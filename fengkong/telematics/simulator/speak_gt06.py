"""A GT06 tracker's side of the conversation: login 0x01, locations 0x22 (re-upload flag set
on stored fixes), status 0x13, alarms 0x26, and 0x21 (or 0x15) replies to 0x80 commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, timedelta, timezone, tzinfo

from fengkong.telematics.device_side import Serials
from fengkong.telematics.device_side import gt06 as encode
from fengkong.telematics.device_side.platform import Ack, OnlineCommand, read_gt06
from fengkong.telematics.protocols.gt06_frames import frame
from fengkong.telematics.protocols.messages import FrameResult
from fengkong.telematics.simulator.messages import (
    Answer,
    Envelope,
    Event,
    Heard,
    Item,
    Kind,
    LoginProgress,
    Reading,
    Why,
)

_TYPE_ID = 0x3610                   # the type identification code this "model" logs in with
_ALARM_CODES = {Event.POWER_CUT: encode.AlarmCode.POWER_CUT,
                Event.REMOVAL: encode.AlarmCode.REMOVAL}
_CUT = re.compile(r"^(Relay,1|DYD(,\w*)?)#$", re.IGNORECASE)
_RESTORE = re.compile(r"^(Relay,0|HFYD(,\w*)?)#$", re.IGNORECASE)


class Gt06Speaker:
    def __init__(self, imei: str, *, zone: timedelta = timedelta(0),
                 reply_type: int = 0x21) -> None:
        if reply_type not in (0x15, 0x21):
            raise ValueError("GT06 command replies are 0x15 or 0x21")
        self.imei = imei
        self.offset = zone
        self.zone: tzinfo = timezone(zone) if zone else UTC
        self.reply_type = reply_type
        self.serials = Serials()
        self.framer: Callable[[bytes], FrameResult] = frame
        self.markers = b"\x78\x79"
        self._login_serial = -1

    def hello(self) -> Envelope:
        serial = self.serials.take()
        self._login_serial = serial
        login = encode.login(self.imei, serial, type_id=_TYPE_ID, zone=self.offset)
        return Envelope([login], {(0x01, serial)})

    def on_login_frame(self, data: bytes) -> LoginProgress:
        try:
            heard = read_gt06(data)
        except ValueError:
            return LoginProgress()
        return LoginProgress(done=heard == Ack(0x01, self._login_serial))

    def envelopes(self, items: list[Item], *, stored: bool) -> list[Envelope]:
        return [self._envelope(item, stored) for item in items]

    def _envelope(self, item: Item, stored: bool) -> Envelope:
        serial = self.serials.take()
        reading = item.reading
        if item.kind is Kind.HEARTBEAT:
            type_, data = 0x13, encode.heartbeat(_info(reading), serial,
                                                 voltage_level=reading.battery_level,
                                                 gsm_signal=_gsm_level(reading.signal))
        elif item.kind is Kind.ALARM and item.event is not None:
            type_, data = 0x26, encode.alarm(_fix(reading), _cell(reading), _info(reading),
                                             _ALARM_CODES[item.event], serial,
                                             voltage_level=reading.battery_level,
                                             gsm_signal=_gsm_level(reading.signal),
                                             zone=self.zone)
        else:
            mode = (encode.UploadMode.ACC_CHANGE if item.why is Why.ACC_CHANGE
                    else encode.UploadMode.TIMED)
            type_, data = 0x22, encode.location(_fix(reading), _cell(reading), serial,
                                                acc=reading.engine_on, upload_mode=mode,
                                                re_upload=stored,
                                                odometer_m=round(reading.odometer_m),
                                                zone=self.zone)
        return Envelope([data], {(type_, serial)}, [item])

    def hear(self, data: bytes) -> Heard:
        try:
            heard = read_gt06(data)
        except ValueError:
            return Heard()
        if isinstance(heard, Ack):
            return Heard(acks=((heard.type, heard.serial),))
        if isinstance(heard, OnlineCommand):
            return Heard(command=heard)
        return Heard()

    def answer(self, command: object, reading: Reading) -> Answer:
        if not isinstance(command, OnlineCommand):
            raise TypeError(f"a GT06 device cannot answer {command!r}")
        text, relay = self._reply_text(command.text.strip(), reading)
        serial = self.serials.take()
        if self.reply_type == 0x15:
            data = encode.string_reply(text, command.server_flag, serial)
        else:
            data = encode.command_reply(text, command.server_flag, serial)
        return Answer(data, relay)

    def _reply_text(self, text: str, reading: Reading) -> tuple[str, bool | None]:
        """What Concox firmware says back; the relay acts at once (holding a cut until the
        car is slow is the platform's job)."""
        if _CUT.match(text):
            return f"Cut off the fuel supply: Success! Speed: {round(reading.speed_kmh)}km/h.", True
        if _RESTORE.match(text):
            return "Restore fuel supply: Success!", False
        if text.upper() == "WHERE#":
            return _where(reading, self.zone), None
        return f"{text} OK", None

    def with_bad_checksum(self, data: bytes) -> bytes:
        return encode.with_bad_checksum(data)


def _fix(reading: Reading) -> encode.GpsFix:
    return encode.GpsFix(reading.time, reading.point.lat, reading.point.lon, reading.speed_kmh,
                         reading.course, min(reading.satellites, 15), reading.valid)


def _cell(reading: Reading) -> encode.Cell:
    """A serving cell that changes as the car moves (about one per kilometre square)."""
    row, column = int(reading.point.lat * 100), int(reading.point.lon * 100)
    return encode.Cell(460, 0, 0x1800 + (row + column) % 0x400, (row * 7919 + column) & 0xFFFFFF)


def _info(reading: Reading) -> encode.TerminalInfo:
    alarm = encode.InfoAlarm.NONE if reading.external_power else encode.InfoAlarm.POWER_CUT
    return encode.TerminalInfo(acc=reading.engine_on, charging=reading.external_power,
                               alarm=alarm, oil_cut=reading.relay_cut)


def _gsm_level(csq: int) -> int:
    return min(4, csq * 5 // 32)


def _where(reading: Reading, zone: tzinfo) -> str:
    lat, lon = reading.point
    local = reading.time.astimezone(zone)
    return (f"Current position!Lat:{'N' if lat >= 0 else 'S'}{abs(lat):.6f},"
            f"Lon:{'E' if lon >= 0 else 'W'}{abs(lon):.6f},Course:{reading.course:.2f},"
            f"Speed:{reading.speed_kmh:.2f},DateTime:{local:%Y-%m-%d %H:%M:%S}")
