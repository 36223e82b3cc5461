"""The device's half of the tracker protocols: encoders for what GT06 and JT/T 808 terminals
send, and a small reader for what the platform sends back. The simulator speaks through it,
and the round-trip tests check the product's decoders (and command encoders) against it.

    from fengkong.telematics.device_side import gt06, jt808, platform
    frame = gt06.location(gt06.GpsFix(time, 31.23, 121.47, 42.0, 90), gt06.Cell(), serial,
                          acc=True)
    frame = jt808.location(jt808.Terminal("013800000001"), serial,
                           jt808.LocationReport(time, 31.23, 121.47, speed_kmh=42.0))
    reply = platform.read_gt06(frame_from_platform)     # Ack, OnlineCommand, ServerTime, ...

Every encoder returns bytes ready for the socket (GT06 frames with CRC, JT/T 808 frames
checksummed and escaped). Serial numbers are the caller's: one `Serials` per device.
"""

from fengkong.telematics.device_side import gt06, jt808, platform
from fengkong.telematics.device_side.serials import Serials

__all__ = ["Serials", "gt06", "jt808", "platform"]
