"""A JT/T 808 terminal's side of the conversation: registration 0x0100 (once; the auth code
from 0x8100 is kept across connections), authentication 0x0102 on every connection,
locations 0x0200, heartbeats 0x0002, stored fixes as blind-area batches 0x0704 (sub-packaged
when long), and answers to commands: 0x0001, or 0x0201 / 0x0500 with a location."""

from __future__ import annotations

from collections.abc import Callable

from fengkong.telematics.device_side import Serials
from fengkong.telematics.device_side import jt808 as encode
from fengkong.telematics.device_side.platform import (
    LocationQuery,
    PlatformResponse,
    RegistrationResult,
    TerminalControl,
    TextMessage,
    UnknownJt808,
    VehicleControl,
    read_jt808,
)
from fengkong.telematics.protocols.crc import luhn
from fengkong.telematics.protocols.jt808_frames import frame
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
)

_CUT_WORDS = frozenset({0xF0, 0x64})
_RESTORE_WORDS = frozenset({0xF1, 0x65})
_OK, _UNSUPPORTED = 0, 3


class Jt808Speaker:
    def __init__(self, phone: str, *, version: int | None = None, batch_size: int = 20) -> None:
        self.terminal = encode.Terminal(phone, version)
        self.batch_size = batch_size
        body = ("86" + phone)[-14:].rjust(14, "0")
        self.imei = body + str(luhn(int(body)))     # 2019 authentication carries the IMEI
        self.auth_code: str | None = None
        self.serials = Serials()
        self.framer: Callable[[bytes], FrameResult] = frame
        self.markers = b"\x7e"
        self._awaiting: tuple[int, int] = (0, -1)      # (message id, serial) of the handshake

    def hello(self) -> Envelope:
        if self.auth_code is None:
            return self._send(0x0100, lambda serial: encode.registration(
                self.terminal, serial, terminal_id=self.terminal.phone[-7:], plate_color=1,
                plate=f"沪A{self.terminal.phone[-5:]}"))
        code = self.auth_code
        return self._send(0x0102, lambda serial: encode.authentication(
            self.terminal, serial, code, imei=self.imei, firmware="FK-SIM-1.0"))

    def _send(self, message_id: int, build: Callable[[int], bytes]) -> Envelope:
        serial = self.serials.take()
        self._awaiting = (message_id, serial)
        return Envelope([build(serial)], {(message_id, serial)})

    def on_login_frame(self, data: bytes) -> LoginProgress:
        try:
            heard = read_jt808(data)
        except ValueError:
            return LoginProgress()
        message_id, serial = self._awaiting
        if isinstance(heard, RegistrationResult) and message_id == 0x0100 \
                and heard.reply_serial == serial:
            if heard.result != _OK or not heard.auth_code:
                return LoginProgress(refused=True)
            self.auth_code = heard.auth_code
            return LoginProgress(send=self.hello())
        if isinstance(heard, PlatformResponse) and heard.reply_id == 0x0102 \
                and heard.reply_serial == serial:
            if heard.result == _OK:
                return LoginProgress(done=True)
            self.auth_code = None                   # a code the platform forgot: register again
            return LoginProgress(send=self.hello())
        return LoginProgress()

    def envelopes(self, items: list[Item], *, stored: bool) -> list[Envelope]:
        if not stored:
            return [self._envelope(item) for item in items]
        return [self._batch(items[at:at + self.batch_size])
                for at in range(0, len(items), self.batch_size)]

    def _envelope(self, item: Item) -> Envelope:
        serial = self.serials.take()
        if item.kind is Kind.HEARTBEAT:
            return Envelope([encode.heartbeat(self.terminal, serial)], {(0x0002, serial)}, [item])
        data = encode.location(self.terminal, serial, _report(item))
        return Envelope([data], {(0x0200, serial)}, [item])

    def _batch(self, items: list[Item]) -> Envelope:
        """Stored fixes as one blind-area 0x0704, in parts when it outgrows one frame."""
        body = encode.batch_body([_report(item) for item in items], blind_area=True)
        count = encode.parts_needed(body)
        first = self.serials.take(count)
        if count == 1:
            frames = [encode.message(self.terminal, 0x0704, first, body)]
        else:
            frames = encode.sub_packages(self.terminal, 0x0704, first, body)
        keys = {(0x0704, (first + index) & 0xFFFF) for index in range(count)}
        return Envelope(frames, keys, items)

    def hear(self, data: bytes) -> Heard:
        try:
            heard = read_jt808(data)
        except ValueError:
            return Heard()
        if isinstance(heard, PlatformResponse):
            return Heard(acks=((heard.reply_id, heard.reply_serial),))
        if isinstance(heard, TerminalControl | TextMessage | LocationQuery | VehicleControl
                      | UnknownJt808):
            return Heard(command=heard)
        return Heard()

    def answer(self, command: object, reading: Reading) -> Answer:
        serial = self.serials.take()
        report = _report(Item(Kind.LOCATION, reading))
        match command:
            case LocationQuery(serial=asked):
                return Answer(encode.location_answer(self.terminal, serial, asked, report))
            case VehicleControl(serial=asked):
                return Answer(encode.location_answer(self.terminal, serial, asked, report,
                                                     message_id=0x0500))
            case TerminalControl(serial=asked, word=word):
                relay = True if word in _CUT_WORDS else False if word in _RESTORE_WORDS else None
                return Answer(self._respond(serial, asked, 0x8105), relay)
            case TextMessage(serial=asked, message_id=message_id):
                return Answer(self._respond(serial, asked, message_id))
            case UnknownJt808(serial=asked, message_id=message_id):
                return Answer(self._respond(serial, asked, message_id, _UNSUPPORTED))
        raise TypeError(f"a JT/T 808 terminal cannot answer {command!r}")

    def _respond(self, serial: int, asked: int, message_id: int, result: int = _OK) -> bytes:
        return encode.general_response(self.terminal, serial, asked, message_id, result)

    def with_bad_checksum(self, data: bytes) -> bytes:
        return encode.with_bad_checksum(data)


def _report(item: Item) -> encode.LocationReport:
    reading = item.reading
    alarm = encode.AlarmFlag(0)
    if not reading.external_power:
        alarm |= encode.AlarmFlag.POWER_OFF         # a state bit: set while the power is cut
    if item.event is Event.REMOVAL:
        alarm |= encode.AlarmFlag.TAMPER
    return encode.LocationReport(
        reading.time, reading.point.lat, reading.point.lon, altitude_m=reading.altitude_m,
        speed_kmh=round(reading.speed_kmh, 1), course=round(reading.course) % 360,
        valid=reading.valid, acc=reading.engine_on, oil_cut=reading.relay_cut, alarm=alarm,
        mileage_km=round(reading.odometer_m / 100) / 10, fuel_l=round(reading.fuel_l, 1),
        signal=reading.signal, satellites=reading.satellites)
