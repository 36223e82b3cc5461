"""The tracker side put together: the gateway's directory, sink and status listener over the
database, and the three ways to run them.

- In one process (`fengkong serve`, `fengkong demo`): listeners → `DatabaseWriter` → database.
- Apart (`fengkong gateway` + `fengkong worker`): listeners → `JetStreamSink` → JetStream →
  `FrameConsumer` → `DatabaseWriter` → database.

Either way the command dispatcher runs beside the listeners (it needs the live connections)
and the writer matches command replies to their commands in the transaction that stores them.

`DatabaseWriter` commits in groups: the batches of every connection waiting at the same
moment go into one transaction, so the cost of a commit (an fsync on PostgreSQL, the write
lock on SQLite) is shared by many devices, and each connection still hears its
acknowledgements only after the commit that holds its frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry

from fengkong.core.clock import Clock
from fengkong.core.uow import UnitOfWork
from fengkong.telematics import heap, position_store
from fengkong.telematics.command_rules import Timing
from fengkong.telematics.directory import Directory, KnownDevice
from fengkong.telematics.dispatch import CommandDispatcher, correlate
from fengkong.telematics.gateway.ports import DeviceInfo, Inbound, PacketSink
from fengkong.telematics.gateway.server import Gateway
from fengkong.telematics.gateway.settings import GatewaySettings
from fengkong.telematics.jetstream import FrameConsumer, ReceivedFrame
from fengkong.telematics.position_store import Report, reports_from

log = logging.getLogger(__name__)

LOOKUP_TTL_S = 30.0          # a registration or change reaches a connected gateway this fast
UNKNOWN_NOTE_EVERY_S = 10.0  # an unregistered identifier is written down at most this often


class DirectoryAdapter:
    """The gateway's `DeviceDirectory` over the device registry: each call in a worker thread
    on a short transaction of its own, lookups cached for `LOOKUP_TTL_S` (an unknown
    identifier too, so that a chatty unregistered device costs one query per period)."""

    def __init__(self, directory: Directory, ttl_s: float = LOOKUP_TTL_S) -> None:
        self.directory = directory
        self.ttl_s = ttl_s
        self._cache: dict[tuple[str, str], tuple[float, DeviceInfo | None]] = {}
        self._noted: dict[tuple[str, str], float] = {}

    async def lookup(self, protocol: str, identifier: str) -> DeviceInfo | None:
        key, now = (protocol, identifier), time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        known = await asyncio.to_thread(self.directory.lookup, protocol, identifier)
        info = device_info(known) if known is not None else None
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[key] = (now + self.ttl_s, info)
        return info

    async def note_unknown(self, protocol: str, identifier: str, remote: str) -> None:
        key, now = (protocol, identifier), time.monotonic()
        if self._noted.get(key, 0.0) > now:
            return
        if len(self._noted) > 100_000:
            self._noted.clear()
        self._noted[key] = now + UNKNOWN_NOTE_EVERY_S
        await asyncio.to_thread(self.directory.note_unknown, protocol, identifier, remote)

    async def issue_auth_code(self, device: DeviceInfo) -> str:
        return await asyncio.to_thread(self.directory.issue_auth_code, device.device_id)

    async def check_auth_code(self, device: DeviceInfo, code: str) -> bool:
        return await asyncio.to_thread(self.directory.check_auth_code, device.device_id, code)


def device_info(known: KnownDevice) -> DeviceInfo:
    return DeviceInfo(tenant_id=known.tenant_id, device_id=known.device_id,
                      identifier=known.identifier, protocol=known.protocol, model=known.model,
                      accept_bad_crc=known.accept_bad_crc,
                      timezone=ZoneInfo(known.timezone) if known.timezone else None)


@dataclass
class WriterCounts:
    commits: int = 0
    frames: int = 0
    reports: int = 0
    failures: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


@dataclass
class _Waiting:
    frames: Sequence[Inbound]
    done: asyncio.Future[None]


class DatabaseWriter:
    """A `PacketSink` that stores positions and statuses, committing in groups."""

    def __init__(self, new_uow: Callable[[], UnitOfWork], *, max_reports: int = 5000) -> None:
        self.new_uow = new_uow
        self.max_reports = max_reports
        self.counts = WriterCounts()
        self._queue: asyncio.Queue[_Waiting] | None = None
        self._task: asyncio.Task[None] | None = None

    async def store(self, batch: Sequence[Inbound]) -> None:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._drain(self._queue), name="position-writer")
        waiting = _Waiting(batch, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(waiting)
        await waiting.done

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _drain(self, queue: asyncio.Queue[_Waiting]) -> None:
        while True:
            group = [await queue.get()]
            size = len(group[0].frames)
            while size < self.max_reports and not queue.empty():
                group.append(queue.get_nowait())
                size += len(group[-1].frames)
            frames = [f for waiting in group for f in waiting.frames]
            try:
                await asyncio.to_thread(self.write, frames)
            except Exception as exc:  # every waiting connection hears of it, none is acked
                for waiting in group:
                    if not waiting.done.done():
                        waiting.done.set_exception(exc)
                continue
            for waiting in group:
                if not waiting.done.done():
                    waiting.done.set_result(None)

    def write(self, frames: Sequence[Inbound]) -> None:
        """Store the frames' positions and statuses in one transaction (synchronous: runs in a
        worker thread, or directly in the pipeline worker)."""
        reports: list[Report] = []
        for inbound in frames:
            reports += reports_from(inbound.tenant_id, inbound.device_id, inbound.received_at,
                                    inbound.messages)
        try:
            with self.new_uow() as uow:
                result = position_store.store_batch(uow, reports)
                for inbound in frames:  # command replies answer their commands in this commit
                    correlate(uow, inbound.tenant_id, inbound.device_id, inbound.messages)
                uow.commit()
        except Exception:
            self.counts.failures += 1
            log.exception("storing a batch of positions failed", extra={"frames": len(frames)})
            raise
        self.counts.commits += 1
        self.counts.frames += len(frames)
        self.counts.reports += len(reports)
        for outcome, n in result.counts.items():
            self.counts.outcomes[outcome] = self.counts.outcomes.get(outcome, 0) + n


class StatusRecorder:
    """The gateway's `StatusListener`: a device's connection state in its live state row, and
    `device.status_changed` when it changes."""

    def __init__(self, new_uow: Callable[[], UnitOfWork]) -> None:
        self.new_uow = new_uow

    async def device_online(self, device: DeviceInfo, remote: str, at: datetime) -> None:
        await asyncio.to_thread(self._set, device, position_store.ONLINE, at)

    async def device_offline(self, device: DeviceInfo, at: datetime) -> None:
        await asyncio.to_thread(self._set, device, position_store.OFFLINE, at)

    def _set(self, device: DeviceInfo, status: str, at: datetime) -> None:
        with self.new_uow() as uow:
            notice = position_store.set_connection_status(
                uow.session, device.device_id, device.tenant_id, status, at)
            if notice is not None:
                uow.emit(notice.topic, notice.tenant_id, **notice.payload)
            uow.commit()


def inbound_of(frame: ReceivedFrame) -> Inbound | None:
    """A frame from the queue, decoded again to what the gateway decoded."""
    decoded = frame.decode()
    if decoded.rejected is not None or not decoded.messages:
        return None
    return Inbound(frame.tenant_id, frame.device_id, frame.protocol, frame.received_at,
                   decoded.messages, frame.frame)


async def run_worker(consumer: FrameConsumer, writer: DatabaseWriter, stop: asyncio.Event
                     ) -> None:
    """The pipeline apart from the gateway: frames from JetStream into the database, each
    batch acknowledged to JetStream only after its commit."""

    async def handle(frames: list[ReceivedFrame]) -> None:
        items = [i for i in (inbound_of(f) for f in frames) if i is not None]
        if items:
            await asyncio.to_thread(writer.write, items)

    await consumer.run(handle, stop)


def start_dispatcher(new_uow: Callable[[], UnitOfWork], gateway: Gateway, *,
                     timing: Timing | None = None, interval_s: float = 1.0
                     ) -> asyncio.Task[None]:
    """Send queued commands through `gateway` once a second (on the running loop) until the
    task is cancelled. The dispatcher runs where the connections are: beside the listeners."""
    dispatcher = CommandDispatcher(new_uow, gateway.send, gateway.is_connected, timing=timing,
                                   header_version=gateway.header_version)
    return asyncio.get_running_loop().create_task(dispatcher.run(interval_s),
                                                  name="command-dispatcher")


def build_gateway(new_uow: Callable[[], UnitOfWork], directory: Directory, clock: Clock,
                  settings: GatewaySettings, sink: PacketSink,
                  registry: CollectorRegistry | None = None) -> Gateway:
    return Gateway(settings, DirectoryAdapter(directory), sink, status=StatusRecorder(new_uow),
                   registry=registry, clock=clock)


class GatewayThread:
    """The gateway and the in-process pipeline on an event loop of their own, beside the HTTP
    server (`fengkong serve`, `fengkong demo`)."""

    def __init__(self, make: Callable[[], Gateway], *,
                 after_start: Callable[[Gateway], object] | None = None,
                 dispatch: Callable[[Gateway], asyncio.Task[None]] | None = None) -> None:
        self._make = make
        self._after_start = after_start
        self._dispatch = dispatch
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, name="tracker-gateway", daemon=True)
        self.gateway: Gateway | None = None
        self.error: BaseException | None = None

    def start(self, timeout: float = 30.0) -> Gateway:
        self._thread.start()
        self._started.wait(timeout)
        if self.error is not None:
            raise RuntimeError(f"the tracker gateway did not start: {self.error}")
        if self.gateway is None:
            raise RuntimeError("the tracker gateway did not start in time")
        return self.gateway

    def stop(self, timeout: float = 15.0) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start(); the HTTP server goes on
            self.error = exc
            log.exception("the tracker gateway stopped")
            self._started.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        gateway = self._make()
        await gateway.start()
        heap.settle()
        self.gateway = gateway
        dispatcher = self._dispatch(gateway) if self._dispatch else None
        extra = self._after_start(gateway) if self._after_start else None
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            for task in (extra, dispatcher):
                if isinstance(task, asyncio.Task):
                    task.cancel()
            await gateway.stop()
