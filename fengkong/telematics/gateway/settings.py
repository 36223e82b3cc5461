"""Gateway settings: listeners, timeouts and per-connection limits, in one frozen value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from fengkong.telematics.protocols import PROTOCOLS


def default_ports() -> Mapping[str, int]:
    """Traccar's ports, so devices configured for it need no change: GT06 5023, JT/T 808 5015."""
    return MappingProxyType({name: codec.default_port for name, codec in PROTOCOLS.items()})


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """Listeners and limits. Times are seconds.

    - `ports`: protocol name -> TCP port (0: the OS picks one; `Gateway.ports` tells which).
    - `idle_timeout`: a connection that delivers no complete frame for this long is closed
      (half-open GPRS links otherwise linger for hours; bytes that never make a frame do not
      keep a connection alive).
    - `frame_deadline`: an incomplete frame must complete within this; otherwise the
      connection is closed (a device sending one byte a minute).
    - `frames_per_second`, `burst`: a token bucket per connection. A frame beyond it is
      dropped unanswered (the device sends it again) and counted `rate_limited`.
    - `rate_limit_close_after`: this many frames dropped without the bucket ever refilling in
      between (a sustained excess, not one burst) closes the connection; None: never.
    - `max_buffer`: bytes of an unfinished frame a connection may hold between reads.
    - `write_timeout`: a reply or command the peer does not take within this closes it.
    - `read_size`: bytes taken from the socket per read; `batch_size`: frames per store call.
    - `jt808_require_authentication`: JT/T 808 data before a successful 0x0102 is refused
      (unanswered, not stored). False accepts it, as Traccar does, for terminals that never
      authenticate.
    """

    host: str = "0.0.0.0"
    ports: Mapping[str, int] = field(default_factory=default_ports)
    idle_timeout: float = 600.0
    frame_deadline: float = 60.0
    frames_per_second: float = 20.0
    burst: int = 100
    rate_limit_close_after: int | None = 500
    max_buffer: int = 16 * 1024
    read_size: int = 16 * 1024
    batch_size: int = 256
    jt808_require_authentication: bool = True
    write_timeout: float = 30.0
    backlog: int = 1024
    stop_grace: float = 5.0

    def __post_init__(self) -> None:
        unknown = set(self.ports) - set(PROTOCOLS)
        if unknown:
            raise ValueError(f"no codec for protocol(s) {sorted(unknown)}")
        if any(not 0 <= port <= 65535 for port in self.ports.values()):
            raise ValueError("ports are 0-65535")
        positive = {"idle_timeout": self.idle_timeout, "frame_deadline": self.frame_deadline,
                    "frames_per_second": self.frames_per_second, "burst": self.burst,
                    "max_buffer": self.max_buffer, "read_size": self.read_size,
                    "batch_size": self.batch_size, "write_timeout": self.write_timeout}
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be positive")
