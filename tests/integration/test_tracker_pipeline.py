"""The tracker side end to end on the real database: simulated cars over real sockets into
stored positions and live state; and the durability promise: kill the process (SIGKILL) in
the middle of a stream, start it again, and every position the device heard acknowledged is
stored exactly once — in one process, and on the JetStream path with the worker killed."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fengkong.bootstrap import Container, bootstrap
from fengkong.core.config import Settings
from fengkong.demo import DemoWorld, principal_of
from fengkong.telematics import device_service, runtime
from fengkong.telematics.device_side import gt06
from fengkong.telematics.device_side.platform import Ack, read_gt06
from fengkong.telematics.directory import Directory
from fengkong.telematics.gateway.settings import GatewaySettings
from fengkong.telematics.models import DeviceState, PendingDevice, StoredPosition
from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.simulator import Fleet, FleetConfig, identifiers
from tests.conftest import TEST_NATS_URL, requires_nats

SEED = 77


def register(container: Container, protocol: str, identifiers_: list[str]) -> list[str]:
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        ids = [device_service.register_device(uow, admin, identifier=i, protocol=protocol,
                                               org_unit="EAST-SH").id for i in identifiers_]
        uow.commit()
    return ids


def positions_of(container: Container, device_ids: list[str]) -> dict[str, list[datetime]]:
    with container.uow() as uow:
        rows = uow.session.execute(select(StoredPosition.device_id, StoredPosition.fix_time)
                                   .where(StoredPosition.device_id.in_(device_ids))).all()
    found: dict[str, list[datetime]] = {d: [] for d in device_ids}
    for device_id, fix_time in rows:
        found[device_id].append(fix_time)
    return found


def test_simulated_cars_report_into_the_database(container: Container, world: DemoWorld,
                                                 settings: Settings) -> None:
    live = bootstrap(settings, engine=container.engine)  # the real clock: fixes are of now
    devices = {p: register(container, p, identifiers(p, 4, SEED)) for p in ("gt06", "jt808")}

    async def scenario() -> runtime.DatabaseWriter:
        writer = runtime.DatabaseWriter(live.uow)
        gateway = runtime.build_gateway(
            live.uow, Directory(live.session_factory, live.clock), live.clock,
            GatewaySettings(host="127.0.0.1", ports={"gt06": 0, "jt808": 0}), writer)
        await gateway.start()
        fleets = [Fleet(FleetConfig(devices=5, protocol=p, port=gateway.ports[p], seed=SEED,
                                    speedup=30, driving_at_start=1.0)) for p in devices]
        try:
            for fleet in fleets:
                fleet.start()
            await asyncio.sleep(4)
        finally:
            for fleet in fleets:
                await fleet.stop()
            await gateway.stop()
            await writer.close()
        for fleet in fleets:
            assert fleet.errors == []
            assert fleet.totals().acknowledged > 0
        return writer

    writer = asyncio.run(scenario())

    stored = positions_of(container, [d for ids in devices.values() for d in ids])
    assert all(len(times) >= 2 for times in stored.values()), stored
    assert writer.counts.commits < writer.counts.frames  # frames of many devices per commit
    with container.uow() as uow:
        states = {device: status for device, status in uow.session.execute(
            select(DeviceState.device_id, DeviceState.status))}
        pending = uow.session.scalar(select(func.count()).select_from(PendingDevice))
    assert set(states.values()) == {"offline"} and len(states) == 8  # they came and went
    assert pending == 2  # the fifth simulated device of each fleet is not registered
    for times in stored.values():  # a device's fixes move on (the simulated clock runs 30x)
        assert max(times) - min(times) >= timedelta(seconds=10)


# --- SIGKILL -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Child:
    """A fengkong command in a child process, killed with SIGKILL and started again."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "fengkong", *self.args],
                                         env={**os.environ, **self.env}, stdout=out,
                                         stderr=subprocess.STDOUT)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def running(children: list[Child]) -> Iterator[list[Child]]:
    try:
        for child in children:
            child.start()
        yield children
    finally:
        for child in children:
            child.stop()


class Tracker:
    """One GT06 device over a plain socket: logs in, sends fixes in bursts, and remembers
    which fixes the platform acknowledged (by the serial it echoes). A fix not acknowledged
    is sent again after a reconnect, as a real device does."""

    def __init__(self, imei: str, port: int) -> None:
        self.imei, self.port = imei, port
        self.serial = 0
        self.acked: set[datetime] = set()
        self.unacked: list[datetime] = []
        self.sock: socket.socket | None = None
        self.reconnects = 0

    def _next(self) -> int:
        self.serial = self.serial % 0xFFFF + 1
        return self.serial

    def _connect(self, deadline: float) -> socket.socket:
        while time.monotonic() < deadline:
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                serial = self._next()
                sock.sendall(gt06.login(self.imei, serial))
                if serial in self._acks(sock, 1):
                    return sock
                sock.close()
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the gateway did not come back")

    def _acks(self, sock: socket.socket, wanted: int) -> set[int]:
        """Serials acknowledged, until `wanted` acks came or the connection failed."""
        got: set[int] = set()
        buffer = b""
        while len(got) < wanted:
            data = sock.recv(4096)
            if not data:
                raise ConnectionError("closed")
            found = PROTOCOLS["gt06"].framer(buffer + data)
            buffer = found.rest
            for frame in found.frames:
                reply = read_gt06(frame)
                if isinstance(reply, Ack):
                    got.add(reply.serial)
        return got

    def run(self, fixes: list[datetime], burst: int, deadline: float) -> None:
        queue = list(fixes)
        while queue or self.unacked:
            if self.sock is None:
                self.sock = self._connect(deadline)
                self.reconnects += 1
            sending = self.unacked + queue[:burst - len(self.unacked)]
            queue = queue[len(sending) - len(self.unacked):]
            serials = {}
            try:
                frames = b""
                for fix_time in sending:
                    serial = self._next()
                    serials[serial] = fix_time
                    frames += gt06.location(gt06.GpsFix(fix_time, 31.2, 121.4, 30.0),
                                            gt06.Cell(), serial, acc=True)
                self.sock.sendall(frames)
                acked = self._acks(self.sock, len(sending))
            except OSError:
                acked = set()
                self.sock.close()
                self.sock = None
            done = {serials[s] for s in acked if s in serials}
            self.acked |= done
            self.unacked = [t for t in sending if t not in done]


def kill_and_restart(child: Child, after_s: float, down_s: float) -> threading.Thread:
    def act() -> None:
        time.sleep(after_s)
        child.kill()
        time.sleep(down_s)
        child.start()

    thread = threading.Thread(target=act)
    thread.start()
    return thread


def child_env(settings: Settings, database_url: str, tmp_path: Path, gt06_port: int,
              **more: str) -> dict[str, str]:
    return {"FENGKONG_DATABASE_URL": database_url, "FENGKONG_DATA_DIR": str(tmp_path),
            "FENGKONG_SECRET_KEY": settings.secret_key, "FENGKONG_LOG_FORMAT": "text",
            "FENGKONG_GATEWAY_HOST": "127.0.0.1", "FENGKONG_GT06_PORT": str(gt06_port),
            "FENGKONG_JT808_PORT": str(free_port()), **more}


def fixes(count: int) -> list[datetime]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    return [start + timedelta(seconds=n) for n in range(count)]


def assert_each_acknowledged_fix_stored_once(container: Container, device_id: str,
                                             tracker: Tracker, sent: list[datetime]) -> None:
    stored = positions_of(container, [device_id])[device_id]
    assert len(stored) == len(set(stored))
    assert tracker.acked <= set(stored)
    assert tracker.acked == set(sent)  # the tracker kept at it until all were heard
    assert tracker.reconnects >= 2     # it really lost its connection


def test_a_killed_process_loses_no_acknowledged_position(
    container: Container, world: DemoWorld, settings: Settings, database_url: str,
    tmp_path: Path
) -> None:
    imei = identifiers("gt06", 1, SEED + 1)[0]
    (device_id,) = register(container, "gt06", [imei])
    port = free_port()
    server = Child(["serve", "--port", str(free_port())],
                   child_env(settings, database_url, tmp_path, port), tmp_path / "serve.log")
    tracker = Tracker(imei, port)
    sent = fixes(600)
    with running([server]):
        killer = kill_and_restart(server, after_s=4.0, down_s=1.0)
        tracker.run(sent, burst=8, deadline=time.monotonic() + 120)
        killer.join()
    assert_each_acknowledged_fix_stored_once(container, device_id, tracker, sent)


@requires_nats
def test_a_killed_worker_loses_no_acknowledged_position(
    container: Container, world: DemoWorld, settings: Settings, database_url: str,
    tmp_path: Path
) -> None:
    imei = identifiers("gt06", 1, SEED + 2)[0]
    (device_id,) = register(container, "gt06", [imei])
    port = free_port()
    stream = f"FKTEST_{os.getpid()}_{int(time.time())}"
    env = child_env(settings, database_url, tmp_path, port, FENGKONG_BUS_URL=TEST_NATS_URL,
                    FENGKONG_FRAMES_STREAM=stream)
    gateway = Child(["gateway"], env, tmp_path / "gateway.log")
    worker = Child(["worker", "--batch", "50"], env, tmp_path / "worker.log")
    tracker = Tracker(imei, port)
    sent = fixes(600)
    try:
        with running([gateway, worker]):
            killer = kill_and_restart(worker, after_s=3.0, down_s=1.0)
            gateway_killer = kill_and_restart(gateway, after_s=6.0, down_s=1.0)
            tracker.run(sent, burst=8, deadline=time.monotonic() + 120)
            killer.join()
            gateway_killer.join()
            wait_until(lambda: len(positions_of(container, [device_id])[device_id])
                       >= len(tracker.acked), 60)
    finally:
        asyncio.run(_delete_stream(stream))
    assert_each_acknowledged_fix_stored_once(container, device_id, tracker, sent)


def wait_until(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the worker did not catch up")
        time.sleep(0.3)


async def _delete_stream(stream: str) -> None:
    import nats

    nc = await nats.connect(TEST_NATS_URL)
    try:
        await nc.jetstream().delete_stream(stream)
    except Exception:  # noqa: BLE001 - nothing to clean when the stream never came
        pass
    finally:
        await nc.close()
