"""A frame's envelope for the queue between gateway and pipeline: every field survives, the
device clock's zone included, and decoding it again gives what the gateway decoded."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.telematics.gateway.ports import Inbound
from fengkong.telematics.jetstream import (
    BadEnvelope,
    ReceivedFrame,
    envelope,
    from_envelope,
    zone_from_text,
    zone_to_text,
)
from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.protocols.messages import DecodeContext
from fengkong.telematics.protocols.position import Position
from tests.unit.telematics.reference import gt06_frame

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
IMEI = "868120145233604"


def gt06_location(local: datetime) -> bytes:
    """A 0x22 location whose clock reads `local` (the device's own zone)."""
    when = bytes([local.year - 2000, local.month, local.day, local.hour, local.minute,
                  local.second])
    lat, lon = int(31.23 * 1_800_000), int(121.47 * 1_800_000)
    content = (when + bytes([0xC9]) + lat.to_bytes(4, "big") + lon.to_bytes(4, "big")
               + bytes([40]) + (0x1400 | 90).to_bytes(2, "big")
               + bytes.fromhex("01cc00287d001fb8") + bytes([1, 0, 0]))
    return gt06_frame(0x22, content, 7)


def test_an_envelope_round_trips_and_a_foreign_message_is_refused() -> None:
    sent = ReceivedFrame(tenant_id="T1", device_id="D1", identifier=IMEI, protocol="gt06",
                         received_at=T0, frame=b"\x78\x78", sequence=9, model="ET25",
                         timezone="Asia/Shanghai", accept_bad_crc=True)
    assert from_envelope(envelope(sent), sent.frame) == replace(sent, sequence=0)
    with pytest.raises(BadEnvelope, match="Protocol"):
        from_envelope({"Fk-Tenant": "T1"}, b"x")
    with pytest.raises(BadEnvelope, match="unknown protocol"):
        from_envelope({**envelope(sent), "Fk-Protocol": "tk103"}, b"x")
    with pytest.raises(BadEnvelope):
        from_envelope({**envelope(sent), "Fk-Tz": "Mars/Olympus"}, b"x")
    with pytest.raises(BadEnvelope, match="zone"):
        from_envelope({**envelope(sent), "Fk-Received": "2026-03-01T08:00:00"}, b"x")


@given(st.one_of(st.none(), st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York"]),
                 st.integers(-12 * 4, 14 * 4).map(lambda q: q * 900)))
def test_a_device_clock_zone_survives_as_text(zone: str | int | None) -> None:
    tz = (None if zone is None else ZoneInfo(zone) if isinstance(zone, str)
          else timezone(timedelta(seconds=zone)))
    back = zone_from_text(zone_to_text(tz))
    assert (back is None) == (tz is None)
    if tz is not None and back is not None:
        assert back.utcoffset(T0.replace(tzinfo=None)) == tz.utcoffset(T0.replace(tzinfo=None))


def test_a_frame_decoded_again_after_the_queue_gives_the_gateways_position() -> None:
    # The login said the device's clock runs at +03:00; only the session knew that.
    zone = timezone(timedelta(hours=3))
    local = datetime(2026, 3, 1, 11, 30, 5)
    frame = gt06_location(local)
    ctx = DecodeContext(received_at=T0, device_id=IMEI, timezone=zone)
    at_gateway = PROTOCOLS["gt06"].decode(frame, ctx)
    inbound = Inbound("T1", "D1", "gt06", T0, at_gateway.messages, frame, ctx)

    queued = ReceivedFrame.of(inbound, 5)
    again = from_envelope(envelope(queued), queued.frame).decode()

    assert again.messages == at_gateway.messages
    position = again.messages[0]
    assert isinstance(position, Position)
    assert position.fix_time == datetime(2026, 3, 1, 8, 30, 5, tzinfo=UTC)
