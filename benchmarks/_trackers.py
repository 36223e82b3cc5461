"""What the tracker benchmarks (`ingest`, `connections`) share: a database with the demo tenant
and N registered GT06 devices; the gateway (or a plain echo server) in a process of its own;
lean load generators in processes of their own that speak GT06 over real TCP; and readings of
a process's CPU time and memory from /proc.

Processes are started with the "spawn" method and driven over pipes, so that the gateway, the
load and the benchmark's own bookkeeping never share an interpreter (nor its GIL):

    gateway = ServerProcess.start(ServerSpec(kind="database", database_url=url, data_dir=d))
    load = LoadProcess.start(LoadSpec(imeis=imeis, first_index=0))
    load.send("connect", "gw", gateway.port)       # every device logs in, is acknowledged
    gather([load])
    load.send("prepare", "gw", [100] * len(imeis), 1)   # 100 locations each, encoded
    gather([load])
    load.send("burst", "gw", 60.0)                 # sent, each acknowledged: latencies back
    replies = gather([load], on_progress)
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import resource
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select, text

from fengkong import demo
from fengkong.bootstrap import Container, bootstrap
from fengkong.core.config import Settings
from fengkong.core.migrate import upgrade
from fengkong.schema import metadata
from fengkong.telematics import device_service
from fengkong.telematics.device_side import gt06
from fengkong.telematics.gateway.ports import Inbound
from fengkong.telematics.models import StoredPosition
from fengkong.telematics.position_store import PARTITION_SCHEMA
from fengkong.telematics.protocols.crc import crc16_x25
from fengkong.telematics.protocols.position import Position
from fengkong.telematics.simulator import identifiers

SEED = 4242
ORG_UNIT = "EAST-SH"
ACK_SIZE = 10                 # 7878 05 type serial(2) crc(2) 0d0a
_CTX = multiprocessing.get_context("spawn")
_CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- /proc ---------------------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]                     # idle + iowait
    total = sum(values[:8])                          # without guest time (counted in user)
    return (total - idle) / _CLK_TCK, total / _CLK_TCK


@dataclass
class CpuWindow:
    """CPU seconds used by groups of processes ("gateway": [pid], ...) and by the whole
    machine between `start()` and `stop()`; a process that is gone counts nothing."""

    groups: dict[str, list[int]]
    used: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0
    machine_total: float = 0.0
    _start: dict[int, float] = field(default_factory=dict)
    _machine: tuple[float, float] = (0.0, 0.0)

    def start(self) -> None:
        self._start = {pid: _cpu_or_zero(pid) for pids in self.groups.values() for pid in pids}
        self._machine = machine_cpu()

    def stop(self) -> None:
        self.used = {name: sum(max(0.0, _cpu_or_zero(pid) - self._start[pid]) for pid in pids)
                     for name, pids in self.groups.items()}
        busy, total = machine_cpu()
        self.machine_busy = busy - self._machine[0]
        self.machine_total = total - self._machine[1]


def _cpu_or_zero(pid: int) -> float:
    try:
        return cpu_seconds(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def database_server_pids(engine: Engine) -> list[int]:
    """PostgreSQL: the server processes of the other sessions on this database (the
    gateway's pooled connections, when it is the only client); none for SQLite, whose work
    runs inside the gateway's process."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND pid <> pg_backend_pid()")).all()
    return [int(pid) for (pid,) in rows if Path(f"/proc/{pid}").exists()]


def raise_fd_limit(wanted: int) -> int:
    """Raise this process's soft limit on open files towards `wanted` (at most the hard
    limit); children inherit it. Returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return int(soft)


# --- the database --------------------------------------------------------------------------


def settings_for(url: str, data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, database_url=url, secret_key="benchmark",
                    password_hash_cost="low", log_format="text")


def open_database(url: str, data_dir: Path, *, reset: bool = False) -> Container:
    """The app's composition root over `url`, schema upgraded and the demo tenant seeded.
    A PostgreSQL database must hold no tables (or `reset` drops them first)."""
    container = bootstrap(settings_for(url, data_dir))
    if inspect(container.engine).get_table_names():
        if not reset:
            container.close()
            raise SystemExit(f"{container.engine.url.render_as_string()} holds tables: point "
                             "--database-url at an empty database, or pass --reset")
        drop_tables(container.engine)
    upgrade(container.engine)
    demo.seed(container)
    return container


def drop_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PARTITION_SCHEMA} CASCADE"))


def register_devices(container: Container, count: int, on_done: Callable[[int], object],
                     chunk: int = 500) -> list[tuple[str, str]]:
    """`count` GT06 devices of the demo tenant in EAST-SH, registered the way an installer
    does (`device_service.register_device`, audited); (IMEI, device id) each."""
    imeis = identifiers("gt06", count, seed=SEED)
    out: list[tuple[str, str]] = []
    for start in range(0, count, chunk):
        with container.uow() as uow:
            admin = demo.principal_of(uow, "demo.admin")
            for imei in imeis[start:start + chunk]:
                device = device_service.register_device(uow, admin, identifier=imei,
                                                        protocol="gt06", org_unit=ORG_UNIT)
                out.append((imei, device.id))
            uow.commit()
        on_done(min(chunk, count - start))
    return out


@dataclass(frozen=True)
class StoredCount:
    rows: int
    distinct: int           # distinct (device, fix time): rows - distinct are duplicates
    devices: int


def stored_positions(container: Container) -> StoredCount:
    with container.uow() as uow:
        rows = uow.session.scalar(select(func.count()).select_from(StoredPosition)) or 0
        distinct = uow.session.scalar(select(func.count()).select_from(
            select(StoredPosition.device_id, StoredPosition.fix_time).distinct().subquery()))
        devices = uow.session.scalar(select(func.count(func.distinct(StoredPosition.device_id))))
    return StoredCount(rows, distinct or 0, devices or 0)


# --- the server process: the gateway (database or in-memory sink) or an echo server ---------


@dataclass(frozen=True)
class ServerSpec:
    """`kind`: "database" (the gateway with `DatabaseWriter`, as `fengkong serve` runs it),
    "memory" (the same gateway whose sink keeps nothing: acknowledged as soon as decoded) or
    "echo" (a plain asyncio server that writes back what it reads)."""

    kind: str
    database_url: str = ""
    data_dir: str = ""
    frames_per_second: float | None = None   # None: GatewaySettings' defaults
    burst: int | None = None
    fd_limit: int = 0


class MemorySink:
    """A `PacketSink` that keeps nothing durable: it counts and returns at once."""

    def __init__(self) -> None:
        self.frames = 0
        self.positions = 0

    async def store(self, batch: Sequence[Inbound]) -> None:
        self.frames += len(batch)
        self.positions += sum(isinstance(m, Position) for i in batch for m in i.messages)


class GcPauses:
    """The server process's garbage-collection pauses (gc.callbacks): a full collection stops
    the event loop for as long as it takes to traverse every tracked object. `take()` gives
    the pauses of at least 1 ms since the last call, by generation, in milliseconds."""

    def __init__(self) -> None:
        self._started = 0.0
        self._pauses: list[tuple[int, float]] = []
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._started) * 1000
        if ms >= 1.0 and len(self._pauses) < 100_000:
            self._pauses.append((info["generation"], ms))

    def take(self) -> list[tuple[int, float]]:
        pauses, self._pauses = self._pauses, []
        return pauses


def server_main(conn: Connection, spec: ServerSpec) -> None:
    """Entry point of the server process."""
    if spec.fd_limit:
        raise_fd_limit(spec.fd_limit)
    asyncio.run(_serve(conn, spec, GcPauses()))


async def _serve(conn: Connection, spec: ServerSpec, pauses: GcPauses) -> None:
    commands = _pipe_queue(conn)
    if spec.kind == "echo":
        echo = await asyncio.start_server(_echo, "127.0.0.1", 0, backlog=4096)
        conn.send({"port": echo.sockets[0].getsockname()[1], "pid": os.getpid()})
        while (await commands.get())[0] != "stop":
            conn.send({"rss": rss_bytes(os.getpid()), "gc_pauses": pauses.take(),
                       "tracked_objects": len(gc.get_objects())})
        echo.close()
        conn.send({"stopped": True})
        return
    from prometheus_client import CollectorRegistry

    from fengkong.telematics import heap
    from fengkong.telematics.directory import Directory
    from fengkong.telematics.gateway.settings import GatewaySettings
    from fengkong.telematics.runtime import DatabaseWriter, build_gateway

    container = bootstrap(settings_for(spec.database_url, Path(spec.data_dir)))
    limits: dict[str, Any] = {}
    if spec.frames_per_second is not None:
        limits = {"frames_per_second": spec.frames_per_second, "burst": spec.burst or 100,
                  "rate_limit_close_after": None}
    settings = GatewaySettings(host="127.0.0.1", ports={"gt06": 0}, backlog=4096, **limits)
    sink: DatabaseWriter | MemorySink = (DatabaseWriter(container.uow)
                                         if spec.kind == "database" else MemorySink())
    registry = CollectorRegistry()
    gateway = build_gateway(container.uow, Directory(container.session_factory, container.clock),
                            container.clock, settings, sink, registry=registry)
    await gateway.start()
    heap.settle()                      # as `fengkong serve` and `fengkong gateway` do
    conn.send({"port": gateway.ports["gt06"], "pid": os.getpid()})
    try:
        while (await commands.get())[0] != "stop":
            conn.send({**_gateway_stats(registry, sink, gateway.open_connections),
                       "gc_pauses": pauses.take(), "tracked_objects": len(gc.get_objects())})
    finally:
        await gateway.stop()
        if isinstance(sink, DatabaseWriter):
            await sink.close()
        container.close()
    conn.send({"stopped": True})


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(16 * 1024):
            writer.write(data)
            await writer.drain()
    writer.close()


def _gateway_stats(registry: Any, sink: Any, open_connections: int) -> dict[str, Any]:
    counters: dict[str, float] = {}
    rejected: dict[str, int] = {}
    for family in registry.collect():
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            name = sample.name.removeprefix("fengkong_gateway_").removesuffix("_total")
            if name == "frames_rejected":
                rejected[sample.labels["reason"]] = int(sample.value)
            elif name == "connections_closed":
                counters[f"closed_{sample.labels['reason']}"] = sample.value
            else:
                counters[name] = counters.get(name, 0) + sample.value
    stats: dict[str, Any] = {**{k: int(v) for k, v in counters.items()}, "rejected": rejected,
                             "open_connections": open_connections,
                             "rss": rss_bytes(os.getpid())}
    writer = getattr(sink, "counts", None)
    if writer is not None:
        stats.update(commits=writer.commits, written_frames=writer.frames,
                     reports=writer.reports, failures=writer.failures,
                     outcomes=dict(writer.outcomes))
    else:
        stats.update(sink_frames=sink.frames, sink_positions=sink.positions)
    return stats


def _pipe_queue(conn: Connection) -> asyncio.Queue[tuple[Any, ...]]:
    """Commands from the parent's pipe, read by the event loop when they arrive (no thread of
    the default executor is held, the gateway needs those)."""
    queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            while conn.poll():
                queue.put_nowait(conn.recv())
        except EOFError:                       # the parent went away
            loop.remove_reader(conn.fileno())
            queue.put_nowait(("stop",))

    loop.add_reader(conn.fileno(), readable)
    return queue


class ServerProcess:
    """The parent's handle on a server process."""

    def __init__(self, process: Any, conn: Connection, port: int, pid: int) -> None:
        self.process, self.conn, self.port, self.pid = process, conn, port, pid

    @classmethod
    def start(cls, spec: ServerSpec, timeout: float = 60.0) -> ServerProcess:
        ours, theirs = _CTX.Pipe()
        process = _CTX.Process(target=server_main, args=(theirs, spec), daemon=True,
                               name=f"bench-{spec.kind}")
        process.start()
        theirs.close()
        if not ours.poll(timeout):
            process.kill()
            raise RuntimeError(f"the {spec.kind} server did not start within {timeout:.0f} s")
        ready = ours.recv()
        return cls(process, ours, ready["port"], ready["pid"])

    def stats(self) -> dict[str, Any]:
        self.conn.send(("stats",))
        reply: dict[str, Any] = self.conn.recv()
        return reply

    def stop(self, timeout: float = 30.0) -> None:
        with contextlib.suppress(OSError, EOFError):
            self.conn.send(("stop",))
            if self.conn.poll(timeout):
                self.conn.recv()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


# --- the load: trackers over TCP -----------------------------------------------------------


def fix_base(steps: int) -> datetime:
    """Where a device's fix times start so that `steps` fixes a second apart end before now
    (the pipeline drops fixes more than a day ahead of their arrival)."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=steps + 60)


@dataclass(frozen=True)
class LoadSpec:
    """One load process's devices (IMEIs with their index in the fleet), what they expect
    back, and where fix times start (`fix_base`)."""

    imeis: tuple[str, ...]
    first_index: int
    fix_base: datetime = field(default_factory=lambda: fix_base(3600))
    expect: str = "ack"          # "ack": GT06 acknowledgements; "echo": the bytes sent back
    connect_concurrency: int = 200
    fd_limit: int = 0


def load_main(conn: Connection, spec: LoadSpec) -> None:
    """Entry point of a load process."""
    if spec.fd_limit:
        raise_fd_limit(spec.fd_limit)
    asyncio.run(_run_load(conn, spec))


async def _run_load(conn: Connection, spec: LoadSpec) -> None:
    await _Load(conn, spec).run()


def fix_of(device: int, step: int, base: datetime) -> gt06.GpsFix:
    """Device `device`'s `step`-th fix: one a second, 11 m apart (40 km/h), north and back
    south every 20,000 fixes, from its own corner of Shanghai, so no filter drops it."""
    leg = step % 20_000
    north = leg if leg < 10_000 else 20_000 - leg
    return gt06.GpsFix(base + timedelta(seconds=step),
                       31.0 + (device % 500) * 0.002 + north * 0.0001,
                       121.0 + (device // 500) * 0.002, speed_kmh=40.0, course=0.0)


def location_frame(device: int, step: int, base: datetime) -> bytes:
    serial = (step + 2) & 0xFFFF                    # serial 1 is the login
    return gt06.location(fix_of(device, step, base), gt06.Cell(), serial, acc=True)


def serial_of(frame: bytes) -> int:
    return int.from_bytes(frame[-6:-4], "big")


class _Tracker(asyncio.Protocol):
    """One device's connection: frames go out, and each is done when its acknowledgement (or,
    against the echo server, its echo) has come back. A wrong acknowledgement fails the run."""

    def __init__(self, load: _Load, index: int, imei: str) -> None:
        self.load, self.index, self.imei = load, index, imei
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        # (reply size, type, serial, sent at) of each frame not answered yet
        self.flight: deque[tuple[int, int, int, float]] = deque()
        self.lost: asyncio.Future[None] = load.loop.create_future()
        self.idle: asyncio.Future[None] | None = None
        self.step = 0                                # next fix to send
        self.queued = b""                            # pre-encoded frames to send
        self.cursor = 0                              # how much of `queued` went out
        self.frame_size = 0
        self.window = 1

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if not self.lost.done():
            self.lost.set_result(None)
        if self.flight or self.cursor < len(self.queued):
            self.load.fail(f"device {self.imei}: connection closed with {len(self.flight)} "
                           "frames unacknowledged")

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        buffer = self.buffer + data if self.buffer else data
        pos, flight, load = 0, self.flight, self.load
        while flight and len(buffer) - pos >= flight[0][0]:
            size, type_, serial, sent = flight.popleft()
            reply = buffer[pos:pos + size]
            pos += size
            if load.spec.expect == "ack" and not _acknowledges(reply, type_, serial):
                load.fail(f"device {self.imei}: expected the ack of type {type_:#04x} serial "
                          f"{serial}, got {reply.hex()}")
                return
            load.latencies.append(now - sent)
            load.answered_at.append(now)
            load.acked += 1
        self.buffer = buffer[pos:]
        if self.cursor < len(self.queued):
            self.pump()
        if not flight and self.idle is not None and not self.idle.done():
            self.idle.set_result(None)

    # sending
    def send(self, frame: bytes, reply_size: int) -> None:
        """One frame now (the login, or a periodic report)."""
        if self.transport is None:
            self.load.fail(f"device {self.imei}: not connected")
            return
        self.flight.append((reply_size, frame[3], serial_of(frame), time.monotonic()))
        self.transport.write(frame)

    def pump(self) -> None:
        """Send queued frames until `window` are in flight (one write)."""
        room = self.window - len(self.flight)
        if room <= 0 or self.cursor >= len(self.queued) or self.transport is None:
            return
        size, start = self.frame_size, self.cursor
        chunk = self.queued[start:start + room * size]
        self.cursor += len(chunk)
        now = time.monotonic()
        reply = ACK_SIZE if self.load.spec.expect == "ack" else size
        for at in range(0, len(chunk), size):
            frame = chunk[at:at + size]
            self.flight.append((reply, frame[3], serial_of(frame), now))
        self.transport.write(chunk)

    def drained(self) -> asyncio.Future[None]:
        self.idle = self.load.loop.create_future()
        if not self.flight and self.cursor >= len(self.queued):
            self.idle.set_result(None)
        return self.idle


def _acknowledges(reply: bytes, type_: int, serial: int) -> bool:
    """The platform's GT06 acknowledgement: 7878 05, the frame's type and serial echoed, a
    correct CRC-16/X.25, 0D0A."""
    return (reply[:3] == b"\x78\x78\x05" and reply[-2:] == b"\r\n" and reply[3] == type_
            and int.from_bytes(reply[4:6], "big") == serial
            and crc16_x25(reply[2:6]) == int.from_bytes(reply[6:8], "big"))


class _Load:
    """The load process: its devices' connections to each server ("target"), driven by
    commands from the parent. A device keeps one connection per target, and its own run of
    fix times on each."""

    def __init__(self, conn: Connection, spec: LoadSpec) -> None:
        self.conn, self.spec = conn, spec
        self.loop = asyncio.get_running_loop()
        self.targets: dict[str, list[_Tracker]] = {}
        self.latencies: array[float] = array("d")
        self.answered_at: array[float] = array("d")      # monotonic time of each answer
        self.acked = 0
        self.error: str | None = None
        self.failed: asyncio.Future[None] = self.loop.create_future()

    def fail(self, message: str) -> None:
        if self.error is None:
            self.error = message
            if not self.failed.done():
                self.failed.set_result(None)

    def reply(self, **message: Any) -> None:
        self.conn.send(message)

    async def run(self) -> None:
        commands = _pipe_queue(self.conn)
        while True:
            command, *args = await commands.get()
            if command == "stop":
                for target in self.targets.values():
                    _close(target)
                return
            handler = getattr(self, f"do_{command}")
            try:
                await handler(*args)
            except Exception as exc:                  # reported; the parent decides
                self.reply(error=f"{type(exc).__name__}: {exc}")

    def _reset(self) -> None:
        self.acked, self.latencies, self.error = 0, array("d"), None
        self.answered_at = array("d")
        self.failed = self.loop.create_future()

    # commands ---------------------------------------------------------------------------

    async def do_connect(self, target: str, port: int, lo: int = 0, hi: int | None = None
                         ) -> None:
        """Connect devices `lo:hi` of this process (default all) to `port` and log each in;
        done when every login is answered (acknowledged, or echoed). Progress as they are.
        The connections join the target's (a target may be connected in parts)."""
        self._reset()
        started = time.monotonic()
        gate = asyncio.Semaphore(self.spec.connect_concurrency)

        async def one(offset: int, imei: str) -> _Tracker:
            async with gate:
                _, tracker = await self.loop.create_connection(
                    lambda: _Tracker(self, self.spec.first_index + offset, imei),
                    "127.0.0.1", port)
                frame = gt06.login(imei, 1)
                tracker.send(frame, ACK_SIZE if self.spec.expect == "ack" else len(frame))
                await self._settle(tracker.drained(), 120.0)
                return tracker

        chosen = list(enumerate(self.spec.imeis))[lo:hi]
        work = asyncio.ensure_future(asyncio.gather(*(one(i, imei) for i, imei in chosen)))
        await self._progress([], work, 120.0)
        trackers = work.result()
        self.targets.setdefault(target, []).extend(trackers)
        self.reply(connected=len(trackers), first=started, last=time.monotonic(),
                   latencies=self.latencies.tobytes(), answered_at=self.answered_at.tobytes())

    async def do_prepare(self, target: str, counts: Sequence[int], window: int) -> None:
        """Encode each device's next `counts[i]` locations (not timed)."""
        trackers = self.targets[target]
        for t, count in zip(trackers, counts, strict=True):
            frames = [location_frame(t.index, t.step + k, self.spec.fix_base)
                      for k in range(count)]
            t.frame_size = len(frames[0]) if frames else 0
            t.queued, t.cursor = b"".join(frames), 0
            t.step += count
            t.window = window
        self.reply(prepared=sum(counts))

    async def do_burst(self, target: str, timeout: float) -> None:
        """Send the prepared frames, each device keeping its window in flight and sending
        more as acknowledgements come back; progress every 0.2 s; at the end, when the first
        frame went and the last acknowledgement came, and every frame's latency."""
        self._reset()
        trackers = self.targets[target]
        first = time.monotonic()
        for t in trackers:
            t.pump()
        done = asyncio.gather(*(t.drained() for t in trackers))
        await self._progress(trackers, done, timeout)
        self.reply(acked=self.acked, first=first, last=time.monotonic(),
                   latencies=self.latencies.tobytes(), answered_at=self.answered_at.tobytes())

    async def do_report(self, target: str, interval: float, duration: float, start_at: float,
                        wall_start: float, fleet: int, timeout: float) -> None:
        """Each device sends one location every `interval` s from `start_at` (monotonic
        time) plus its phase (the `fleet` devices of all load processes spread evenly over
        the interval) until `duration` is over; then waits for the last answers."""
        self._reset()
        trackers = self.targets[target]
        base = datetime.fromtimestamp(wall_start, UTC).replace(microsecond=0)
        end = start_at + duration
        sent = [0]
        expect_ack = self.spec.expect == "ack"
        to_loop = self.loop.time() - time.monotonic()

        def tick(t: _Tracker, due: float) -> None:
            if self.error is not None or t.transport is None:
                return
            step = t.step
            t.step += 1
            # the fix time: whole seconds after the start, distinct for a device's reports
            fix = _periodic_fix(t.index, step, base, due - start_at)
            frame = gt06.location(fix, gt06.Cell(), (step + 2) & 0xFFFF, acc=True)
            t.send(frame, ACK_SIZE if expect_ack else len(frame))
            sent[0] += 1
            if due + interval < end:
                self.loop.call_at(due + interval + to_loop, tick, t, due + interval)

        for t in trackers:
            due = start_at + (t.index % fleet) / fleet * interval
            if due < end:
                self.loop.call_at(due + to_loop, tick, t, due)
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        done = asyncio.gather(*(t.drained() for t in trackers))
        await self._progress(trackers, done, timeout, sent=sent)
        self.reply(acked=self.acked, sent=sent[0], first=start_at, last=time.monotonic(),
                   latencies=self.latencies.tobytes(), answered_at=self.answered_at.tobytes())

    async def do_close(self, target: str) -> None:
        trackers = self.targets.pop(target, [])
        _close(trackers)
        await asyncio.gather(*(t.lost for t in trackers))
        self.reply(closed=len(trackers))

    # helpers ----------------------------------------------------------------------------

    async def _settle(self, fut: asyncio.Future[Any], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            await asyncio.wait([fut, self.failed], return_when=asyncio.FIRST_COMPLETED)
        if self.error is not None:
            raise RuntimeError(self.error)

    async def _progress(self, trackers: list[_Tracker], done: asyncio.Future[Any],
                        timeout: float, sent: list[int] | None = None) -> None:
        """Wait for `done`, telling the parent how many frames were answered so far; fail
        when frames are waiting and none was answered for `timeout` seconds."""
        reported, quiet_since = 0, time.monotonic()
        while not done.done():
            await asyncio.wait([done, self.failed], timeout=0.2,
                               return_when=asyncio.FIRST_COMPLETED)
            if self.error is not None:
                done.cancel()
                raise RuntimeError(self.error)
            now = time.monotonic()
            if self.acked != reported:
                self.reply(progress=self.acked - reported)
                reported, quiet_since = self.acked, now
            elif now - quiet_since > timeout and (sent is None or sent[0] > self.acked):
                done.cancel()
                waiting = sum(len(t.flight) for t in trackers)
                raise RuntimeError(f"nothing answered for {timeout:.0f} s; {waiting} "
                                   "frames in flight")
        if self.acked != reported:
            self.reply(progress=self.acked - reported)


def _close(trackers: list[_Tracker]) -> None:
    for t in trackers:
        t.queued, t.cursor = b"", 0
        if t.transport is not None:
            t.transport.close()


def _periodic_fix(device: int, step: int, base: datetime, after: float) -> gt06.GpsFix:
    fix = fix_of(device, step, base)
    return gt06.GpsFix(base + timedelta(seconds=int(after)), fix.latitude, fix.longitude,
                       speed_kmh=fix.speed_kmh, course=fix.course)


class LoadProcess:
    """The parent's handle on a load process."""

    def __init__(self, process: Any, conn: Connection) -> None:
        self.process, self.conn = process, conn

    @classmethod
    def start(cls, spec: LoadSpec) -> LoadProcess:
        ours, theirs = _CTX.Pipe()
        process = _CTX.Process(target=load_main, args=(theirs, spec), daemon=True,
                               name="bench-load")
        process.start()
        theirs.close()
        return cls(process, ours)

    @property
    def pid(self) -> int:
        pid: int = self.process.pid
        return pid

    def send(self, command: str, *args: Any) -> None:
        self.conn.send((command, *args))

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def gather(loads: Sequence[LoadProcess], on_progress: Callable[[int], object] | None = None
           ) -> list[dict[str, Any]]:
    """The final reply of every load process to the command just sent, passing progress
    messages on; raises if one reports an error or dies."""
    results: dict[int, dict[str, Any]] = {}
    pending = {load.conn: i for i, load in enumerate(loads)}
    while pending:
        for conn in wait(list(pending), timeout=1.0):
            assert isinstance(conn, Connection)
            try:
                message = conn.recv()
            except (EOFError, OSError):
                raise RuntimeError("a load process died") from None
            if "error" in message:
                raise RuntimeError(f"load process: {message['error']}")
            if "progress" in message:
                if on_progress is not None:
                    on_progress(message["progress"])
                continue
            results[pending.pop(conn)] = message
        for load in loads:
            if load.conn in pending and not load.process.is_alive():
                raise RuntimeError(f"a load process exited with {load.process.exitcode}")
    return [results[i] for i in range(len(loads))]


def split(items: Sequence[str], parts: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    """`items` in `parts` contiguous shares: (index of the first, the share)."""
    size, extra = divmod(len(items), parts)
    start = 0
    for part in range(parts):
        end = start + size + (part < extra)
        yield start, tuple(items[start:end])
        start = end


def samples(replies: Sequence[dict[str, Any]], key: str = "latencies") -> list[float]:
    out: list[float] = []
    for reply in replies:
        values = array("d")
        values.frombytes(reply[key])
        out.extend(values)
    return out
