"""One tracker connection over asyncio streams: read, cut frames, apply the limits, hand each
frame to the session, store what it decoded, and only then write the replies.

Frames of one connection are handled strictly in order; connections run concurrently. Nothing
a single frame does (a codec rejection, an exception while handling it) ends the connection;
what does is stated in the close reason: `eof`, `reset`, `idle_timeout`, `frame_deadline`,
`buffer_overflow`, `rate_limited`, `store_failed`, `write_timeout`, `replaced` (the device
connected again), `stopped` (the gateway stopped), `internal`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from fengkong.core.clock import Clock
from fengkong.telematics.gateway.limits import Admission, FrameRateLimiter, ReadTimers
from fengkong.telematics.gateway.metrics import GatewayMetrics, RejectLedger
from fengkong.telematics.gateway.ports import DeviceInfo, Inbound, PacketSink
from fengkong.telematics.gateway.rules import Refusal
from fengkong.telematics.gateway.session import Outcome, Session
from fengkong.telematics.gateway.settings import GatewaySettings

log = logging.getLogger("fengkong.telematics.gateway")

BUFFER_OVERFLOW = "buffer_overflow"
_FAILED = Outcome()          # a frame whose handling raised: neither decoded nor answered


@dataclass(frozen=True, slots=True)
class Wiring:
    """What every connection shares with the gateway that accepted it."""

    settings: GatewaySettings
    sink: PacketSink
    metrics: GatewayMetrics
    ledger: RejectLedger
    clock: Clock
    on_identified: Callable[[Connection], Awaitable[None]]
    on_closed: Callable[[Connection], Awaitable[None]]


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 session: Session, wiring: Wiring) -> None:
        self.reader = reader
        self.writer = writer
        self.session = session
        self.protocol = session.protocol
        self.remote = session.remote
        self.wiring = wiring
        settings = wiring.settings
        now = self._monotonic()
        self.timers = ReadTimers(settings.idle_timeout, settings.frame_deadline, now)
        self.limiter = FrameRateLimiter(settings.frames_per_second, settings.burst,
                                        settings.rate_limit_close_after, now)
        self.close_reason: str | None = None
        self.announced = False           # made the device's connection at the gateway
        # the counters of this protocol, resolved once (a labels() look-up per frame cost
        # more than the frame's decoding of its header)
        metrics = wiring.metrics
        self._decoded = metrics.decoded.labels(self.protocol)
        self._stored = metrics.stored.labels(self.protocol)
        self._acks = metrics.acks.labels(self.protocol)
        self._rest = b""
        self._write_lock = asyncio.Lock()
        # the read timeout: one timer per connection, re-armed lazily (see `_arm`)
        self._task: asyncio.Task[None] | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._reading = False
        self._expired: str | None = None

    @property
    def device(self) -> DeviceInfo | None:
        return self.session.device

    async def serve(self) -> None:
        metrics = self.wiring.metrics
        metrics.connections.labels(self.protocol).inc()
        self._task = asyncio.current_task()
        try:
            while self.close_reason is None:
                data = await self._read()
                if data:
                    await self._on_data(data)
        except Exception:
            # A bug must cost this connection at most, never the listener.
            log.exception("tracker connection failed", extra=self._log_fields())
            self.close("internal")
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()
            metrics.connections.labels(self.protocol).dec()
            metrics.closed.labels(self.protocol, self.close_reason or "internal").inc()
            self.writer.close()
            log.info("tracker connection closed",
                     extra={**self._log_fields(), "reason": self.close_reason})
            await self.wiring.on_closed(self)

    def close(self, reason: str) -> None:
        """Stop after the frames in hand (their batch is still stored and answered)."""
        if self.close_reason is None:
            self.close_reason = reason

    def shut(self, reason: str) -> None:
        """Close now, from outside: the pending read ends and nothing more is written."""
        self.close(reason)
        self.writer.close()

    async def send(self, payload: bytes) -> bool:
        """Write a command; False when the connection is closing or the write fails."""
        return await self._write(payload)

    async def _read(self) -> bytes:
        """The next bytes, or b"" with the close reason set (eof, reset, or a timer's). The
        timers bound only the wait for bytes, never the storing of a batch."""
        now = self._monotonic()
        wait, _ = self.timers.next_expiry(now)
        self._arm(now + wait)
        self._reading = True
        try:
            data = await self.reader.read(self.wiring.settings.read_size)
        except asyncio.CancelledError:
            task = self._task
            if self._expired is None or task is None or task.uncancel() > 0:
                raise                          # cancelled from outside: not a timeout
            self.close(self._expired)
            return b""
        except ConnectionError:
            self.close("reset")
            return b""
        finally:
            self._reading = False
        if not data:
            self.close("eof")
        return data

    def _arm(self, deadline: float) -> None:
        """Make sure the watchdog fires by `deadline` (loop time). A timer already due by
        then is kept (when it fires early it looks again), so a busy connection schedules a
        timer once per idle period instead of once per read, as `asyncio.timeout` would."""
        if self._watchdog is not None:
            if self._watchdog.when() <= deadline:
                return
            self._watchdog.cancel()
        self._watchdog = asyncio.get_running_loop().call_at(deadline, self._on_watchdog)

    def _on_watchdog(self) -> None:
        self._watchdog = None
        if not self._reading or self._task is None:
            return                             # the next read arms it again
        now = self._monotonic()
        wait, expiry = self.timers.next_expiry(now)
        if wait > 0.0:
            self._arm(now + wait)
            return
        self._expired = str(expiry)
        self._task.cancel()

    async def _on_data(self, data: bytes) -> None:
        settings = self.wiring.settings
        found = self.session.codec.framer(self._rest + data)
        self._rest = found.rest
        for error in found.errors:
            self._count_rejected(error.reason)
        now = self._monotonic()
        self.timers.on_read(now, frames=len(found.frames),
                            partial=bool(self._rest))
        received_at = self.wiring.clock.now()
        frames = found.frames
        for start in range(0, len(frames), settings.batch_size):
            await self._process(frames[start:start + settings.batch_size], received_at,
                                now if start == 0 else self._monotonic())
            if self.close_reason is not None:
                return
        # The framers cap a frame at 4 KiB, so this is a backstop, checked after the complete
        # frames of the read are stored and answered.
        if len(self._rest) > settings.max_buffer:
            self._count_rejected(BUFFER_OVERFLOW)
            self.close(BUFFER_OVERFLOW)

    async def _process(self, frames: Sequence[bytes], received_at: datetime,
                       now: float) -> None:
        """Handle a batch of frames in order, store what they decoded in one call, then send
        their replies: a device hears an acknowledgement only for what is durable. `now`:
        when the batch's frames came (they arrived together, so the limiter reads it once)."""
        outcomes: list[Outcome] = []
        for frame in frames:
            admission = self.limiter.admit(now)
            if admission is not Admission.ACCEPT:
                self._count_rejected(Refusal.RATE_LIMITED)
                if admission is Admission.CLOSE:
                    self.close("rate_limited")
                    break
                continue
            outcomes.append(await self._handle(frame, received_at))
        decoded = sum(1 for o in outcomes if o.rejected is None and o is not _FAILED)
        if decoded:
            self._decoded.inc(decoded)
        if not await self._store([o.inbound for o in outcomes if o.inbound is not None]):
            return
        replies = [reply for outcome in outcomes for reply in outcome.replies]
        if replies and await self._write(b"".join(replies)):
            self._acks.inc(len(replies))
        if self.session.identified and not self.announced:
            self.announced = True
            await self.wiring.on_identified(self)

    async def _handle(self, frame: bytes, received_at: datetime) -> Outcome:
        try:
            outcome = await self.session.handle(frame, received_at)
        except Exception:
            # Decoders never raise by contract, but the directory may, and so may a bug: the
            # frame is dropped unanswered (the device sends it again), the connection goes on.
            log.exception("tracker frame handling failed",
                          extra={**self._log_fields(), "frame": frame.hex()})
            self._count_rejected(Refusal.INTERNAL)
            return _FAILED
        if outcome.rejected is not None:
            self._count_rejected(outcome.rejected)
            log.debug("tracker frame rejected",
                      extra={**self._log_fields(), "reason": outcome.rejected})
        return outcome

    async def _store(self, batch: list[Inbound]) -> bool:
        if not batch:
            return True
        metrics = self.wiring.metrics
        try:
            await self.wiring.sink.store(batch)
        except Exception:
            # Whatever the sink's failure, nothing of the batch is acknowledged and the device
            # will send it again on a new connection.
            metrics.store_failures.labels(self.protocol).inc()
            log.warning("storing tracker frames failed; closing without acknowledgement",
                        exc_info=True, extra={**self._log_fields(), "frames": len(batch)})
            self.close("store_failed")
            return False
        self._stored.inc(len(batch))
        return True

    async def _write(self, payload: bytes) -> bool:
        if self.writer.is_closing():
            return False
        async with self._write_lock:
            try:
                self.writer.write(payload)
                transport = self.writer.transport
                if not transport.get_write_buffer_size() and not transport.is_closing():
                    return True                # all of it is in the socket: nothing to drain
                async with asyncio.timeout(self.wiring.settings.write_timeout):
                    await self.writer.drain()
            except TimeoutError:
                self.shut("write_timeout")
                return False
            except ConnectionError:
                self.shut("reset")
                return False
        return True

    def _count_rejected(self, reason: str) -> None:
        self.wiring.metrics.rejected.labels(self.protocol, reason).inc()
        device = self.device
        if device is not None:
            self.wiring.ledger.add(device.device_id, reason)

    def _log_fields(self) -> dict[str, object]:
        device = self.device
        return {"protocol": self.protocol, "remote": self.remote,
                "device_id": device.device_id if device else None}

    @staticmethod
    def _monotonic() -> float:
        return asyncio.get_running_loop().time()
