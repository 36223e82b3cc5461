"""Every captured packet of the shared corpus through framer and decoder: nothing raises, bad
checksums are rejected for that reason, and the expectation written beside each packet holds
(in fengkong's names and units) unless the packet is listed below as not decoded, with why."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.protocols.jt808_frames import wire
from fengkong.telematics.protocols.messages import CommandReply, DecodeContext, Decoded, Reason
from fengkong.telematics.protocols.position import Position
from tests.unit.telematics.corpus import MISSING, Vector, available, vectors

pytestmark = pytest.mark.skipif(not available(), reason=MISSING)

NOW = datetime(2026, 9, 1, tzinfo=UTC)
DEVICE = "123456789012345"          # the corpus maps every packet to this device

# Traccar attribute names in the corpus -> fengkong attribute keys (same units: volts,
# metres, percent). "sat" is the Position.satellites field, "result" a CommandReply's text.
KEYS = {"alarm": "alarm", "power": "power", "battery": "battery",
        "batteryLevel": "battery_level", "charge": "charging", "ignition": "ignition",
        "iccid": "iccid", "door": "door", "motion": "motion", "event": "event", "imei": "imei",
        "sat": "sat", "result": "result"}

# Attributes fengkong does not decode yet: vendor sensors (temperature, humidity, tyres,
# BLE tags), OBD and tachograph data, dashcam media, driver cards and e-lock details. The
# packets carrying them must still decode (or be listed in NOT_DECODED).
LATER_KEYS = {"driverUniqueId", "tag1Temp", "eventFiles", "steps", "temp1", "temp3",
              "humidity", "networkTechnology", "altitude", "drivingTime", "serial", "hours",
              "adc1", "rpm", "videoAlarm", "tire1Pressure", "fuelUsed", "cardCode", "timezone",
              "unlockResult", "lock2Battery", "lock1Locked", "dtcs", "driver", "tilt", "fuel1",
              "fuel2", "alarmLabel", "tag1Mac", "deviceTemp"}

# Packets fengkong rejects on purpose, by vector number, with the reason it gives.
NOT_DECODED: dict[str, tuple[Reason, str]] = {
    **{f"gt06-{n}": (Reason.UNKNOWN_TYPE, why) for ns, why in [
        ((5,), "0x61 iButton driver login"),
        ((9, 10), "0xA3 short status of SEEWORLD step counters"),
        ((11, 46, 67, 130, 131), "0x94 sub-types for humidity, RFID, fuel sensors"),
        ((12, 28), "0x95 JC400 dashcam media lists"),
        ((15, 16), "0xF2 peripheral TLVs"),
        ((31, 58, 62, 74), "0x9B serial passthrough of external devices"),
        ((60, 79), "0x8C OBD strings"),
        ((177,), "0x25 XT40 driver card"),
    ] for n in ns},
    "gt06-39": (Reason.TRUNCATED, "capture lacks the cell block, serial and CRC"),
    "gt06-106": (Reason.TRUNCATED, "capture lacks the serial and CRC"),
    "gt06-71": (Reason.TRUNCATED, "capture lacks the 0A of the stop bits"),
    **{f"jt808-{n}": (Reason.UNKNOWN_TYPE, why) for ns, why in [
        ((8,), "0x0702 driver identity cards"),
        ((20, 23, 40, 46, 54, 111, 112), "0x0900 vendor transparent data (OBD, BLE tags)"),
        ((33, 34, 35, 45, 66, 69, 70), "0x5501/0x5502 JT600 e-lock binary locations"),
        ((60,), "0x2070 accelerometer samples"),
    ] for n in ns},
    "jt808-67": (Reason.MALFORMED, "an e-lock's ASCII sentence, not a JT/T 808 frame"),
}

# Packets that decode, but whose attribute named in the corpus sits in a vendor layout
# fengkong does not read yet.
VALUE_NOT_DECODED = {
    "gt06-175": "XT40 supply voltage after its driver block",
    "gt06-176": "XT40 battery voltage after its driver block",
    "gt06-185": "VL103 0x36 battery field",
    "jt808-73": "e-lock battery inside a '*M00' text item",
}

# CRC-less GT06 Wi-Fi reports (byte 2 counts access points): "crc=BAD" is not an error there.
WIFI_WITHOUT_CRC = {77, 78, 100, 101, 102, 103, 104, 105, 107, 108, 161}


def _all() -> list[Vector]:
    return vectors("gt06") + vectors("jt808") if available() else []


def _decode(v: Vector, *, relaxed: bool) -> Decoded:
    ctx = DecodeContext(received_at=NOW, device_id=DEVICE, model=v.model, accept_bad_crc=relaxed)
    return PROTOCOLS[v.protocol].decode(v.data, ctx)


def _reported(decoded: Decoded, key: str) -> list[Any]:
    values: list[Any] = []
    for message in decoded.messages:
        if key == "sat" and isinstance(message, Position) and message.satellites is not None:
            values.append(message.satellites)
        elif key == "result" and isinstance(message, CommandReply):
            values.append(message.text)
        attributes = getattr(message, "attributes", {})
        if key in attributes:
            values.append(attributes[key])
    return values


def _expected(text: str) -> Any:
    text = text.strip().strip('"')
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if text.lower().startswith("0x"):
        return int(text, 16)
    try:
        return int(text.rstrip("L"))
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return " ".join(text.split())


def _plausible(p: Position) -> bool:
    return p.fix_time.year >= 2000 and abs(p.latitude) <= 90 and abs(p.longitude) <= 180


@pytest.mark.parametrize("v", _all(), ids=lambda v: v.id)
def test_every_packet_frames_and_decodes_without_raising(v: Vector) -> None:
    # JT/T 808 vectors are stored unescaped; on the wire they are escaped.
    binary = v.data[0] == 0x7E
    stream = wire(v.data) if v.protocol == "jt808" and binary else v.data
    frames, rest, errors = PROTOCOLS[v.protocol].framer(stream)
    for frame in frames:
        _ = PROTOCOLS[v.protocol].decode(frame, DecodeContext(received_at=NOW))
    if v.protocol == "jt808" and not binary:        # an e-lock's ASCII sentence
        assert not frames and [e.reason for e in errors] == ["garbage"]
    elif v.protocol == "jt808":
        assert frames == [v.data]
    elif "len=ok" in v.info:
        assert frames == [v.data] and not errors
    else:
        assert b"".join(frames) + rest == v.data


@pytest.mark.parametrize("v", _all(), ids=lambda v: v.id)
def test_a_packet_with_a_wrong_checksum_is_rejected_for_it(v: Vector) -> None:
    decoded = _decode(v, relaxed=False)
    if v.protocol == "gt06" and v.number in WIFI_WITHOUT_CRC:
        assert decoded.rejected is None
    elif v.checksum_bad:
        short = len(v.data) < 10
        expected = Reason.TRUNCATED if short else (
            Reason.BAD_CRC if v.protocol == "gt06" else Reason.BAD_CHECKSUM)
        assert decoded.rejected == expected
    else:
        assert decoded.rejected not in (Reason.BAD_CRC, Reason.BAD_CHECKSUM)


@pytest.mark.parametrize("v", _all(), ids=lambda v: v.id)
def test_the_expectation_beside_each_packet_holds(v: Vector) -> None:
    decoded = _decode(v, relaxed=True)      # the corpus is replayed with CRC checks relaxed
    positions = [m for m in decoded.messages if isinstance(m, Position)]
    if v.id in NOT_DECODED:
        reason, _ = NOT_DECODED[v.id]
        assert decoded.rejected == reason and not positions
        return
    if v.check == "verifyNull":
        assert not positions
        return
    assert decoded.rejected is None, decoded.detail
    assert decoded.messages
    if v.check in ("verifyPosition", "verifyPositions"):
        assert positions and all(_plausible(p) for p in positions)
    if v.check == "verifyPosition" and v.expected:
        _assert_exact(positions[0], v.expected)
    elif v.check == "verifyAttributes":
        assert any(getattr(m, "attributes", None) or isinstance(m, CommandReply)
                   for m in decoded.messages)
    elif v.check == "verifyAttribute" and v.key in KEYS and v.id not in VALUE_NOT_DECODED:
        assert v.expected is not None
        values = _reported(decoded, KEYS[v.key])
        expected = _expected(v.expected)
        if expected is None:
            assert not values
            return
        assert values, f"no {KEYS[v.key]} reported"
        if isinstance(values[0], str):                # identifiers stay text
            assert " ".join(values[0].split()) == " ".join(v.expected.strip('"').split())
        elif isinstance(expected, float):
            assert values[0] == pytest.approx(expected)
        else:
            assert values[0] == expected
    elif v.check == "verifyAttribute":
        assert v.key in LATER_KEYS or v.id in VALUE_NOT_DECODED


def _assert_exact(p: Position, expected: str) -> None:
    fields = dict(part.split("=", 1) for part in expected.split() if "=" in part)
    day = expected.split("time=")[1][:23]
    assert p.fix_time == datetime.strptime(day, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    assert p.valid == (fields["valid"] == "true")
    assert p.latitude == pytest.approx(float(fields["lat"]), abs=1e-5)
    assert p.longitude == pytest.approx(float(fields["lon"]), abs=1e-5)


def test_the_corpus_has_the_packets_its_header_announces() -> None:
    assert len(vectors("gt06")) == 187
    assert len(vectors("jt808")) == 112
