"""The tracker gateway: asyncio TCP listeners that speak GT06 and JT/T 808 to devices.

    gateway = Gateway(GatewaySettings(), directory, sink, status=listener, registry=registry)
    await gateway.start()

Per connection: bytes → the codec's framer → limits (rate, frame deadline, idle, buffer) →
`Session` (identity through the `DeviceDirectory`, JT/T 808 registration and authentication,
reassembly, decoding) → a batch of `Inbound`s to the `PacketSink` → only after `store`
returned, the replies the decoder produced. Modules: `ports` (the interfaces), `settings`,
`limits` and `rules` (pure decisions), `session` (one connection's protocol state),
`connection` (the socket loop), `server` (`Gateway`), `metrics`.

Choices, stated once:
- An unregistered identifier is reported with `note_unknown`; nothing is stored and nothing
  answered, a login included, so the device keeps retrying and is picked up once registered.
- JT/T 808 data before a successful authentication is neither stored nor answered (counted
  `unauthenticated`); `GatewaySettings.jt808_require_authentication=False` accepts it, as
  Traccar does. A wrong code is answered 0x8001 "failed". Only an authenticated terminal's
  connection becomes the device's (commands, online, replacing an older connection).
- Frames over the rate are dropped unanswered (`rate_limited`); only a sustained excess closes
  the connection (see `FrameRateLimiter`).
- The parts of a JT/T 808 sub-packaged message are acknowledged as they arrive (the last one
  after the whole message is stored); a connection lost mid-message loses the earlier parts.
"""

from fengkong.telematics.gateway.ports import (
    DeviceDirectory,
    DeviceInfo,
    Inbound,
    PacketSink,
    StatusListener,
)
from fengkong.telematics.gateway.server import Gateway
from fengkong.telematics.gateway.settings import GatewaySettings

__all__ = ["DeviceDirectory", "DeviceInfo", "Gateway", "GatewaySettings", "Inbound",
           "PacketSink", "StatusListener"]
