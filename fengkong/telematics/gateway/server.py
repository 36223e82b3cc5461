"""The tracker gateway: one asyncio TCP listener per protocol, the live connection of each
device (for commands), and device online/offline announcements."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from functools import partial
from types import MappingProxyType

from prometheus_client import CollectorRegistry

from fengkong.core.clock import Clock, SystemClock
from fengkong.telematics.gateway.connection import Connection, Wiring
from fengkong.telematics.gateway.metrics import GatewayMetrics, LedgerCollector, RejectLedger
from fengkong.telematics.gateway.ports import (
    DeviceDirectory,
    NoStatusListener,
    PacketSink,
    StatusListener,
)
from fengkong.telematics.gateway.session import Session
from fengkong.telematics.gateway.settings import GatewaySettings

log = logging.getLogger("fengkong.telematics.gateway")


class LiveConnections:
    """The connection each device currently speaks over; a newer one replaces the older."""

    def __init__(self) -> None:
        self._by_device: dict[str, Connection] = {}

    def bind(self, device_id: str, connection: Connection) -> Connection | None:
        """Make `connection` the device's; return the one it replaces, if any."""
        older = self._by_device.get(device_id)
        self._by_device[device_id] = connection
        return older if older is not connection else None

    def release(self, device_id: str, connection: Connection) -> bool:
        """Forget `connection`; True if it was still the device's (the device went offline)."""
        if self._by_device.get(device_id) is not connection:
            return False
        del self._by_device[device_id]
        return True

    def get(self, device_id: str) -> Connection | None:
        return self._by_device.get(device_id)

    def __len__(self) -> int:
        return len(self._by_device)


class Gateway:
    """Listens, serves connections, and lets the rest of fengkong send commands.

        gateway = Gateway(settings, directory, sink, status=listener, registry=registry)
        await gateway.start()          # gateway.ports: the ports actually bound
        await gateway.send(device_id, payload)
        await gateway.stop()
    """

    def __init__(self, settings: GatewaySettings, directory: DeviceDirectory, sink: PacketSink,
                 *, status: StatusListener | None = None,
                 registry: CollectorRegistry | None = None, clock: Clock | None = None,
                 ledger_size: int = 10_000) -> None:
        self.settings = settings
        self.directory = directory
        self.status: StatusListener = status or NoStatusListener()
        self.clock: Clock = clock or SystemClock()
        registry = registry if registry is not None else CollectorRegistry()
        self.metrics = GatewayMetrics(registry)
        self.ledger = RejectLedger(ledger_size)
        registry.register(LedgerCollector(self.ledger))
        self.wiring = Wiring(settings, sink, self.metrics, self.ledger, self.clock,
                             self._on_identified, self._on_closed)
        self.live = LiveConnections()
        self._servers: dict[str, asyncio.Server] = {}
        self._ports: dict[str, int] = {}
        self._connections: set[Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    @property
    def ports(self) -> Mapping[str, int]:
        """The port each protocol listens on (known after `start`, also for port 0)."""
        return MappingProxyType(self._ports)

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    async def start(self) -> None:
        self._stopping = False
        try:
            for protocol, port in self.settings.ports.items():
                server = await asyncio.start_server(
                    partial(self._serve, protocol), self.settings.host, port,
                    backlog=self.settings.backlog)
                self._servers[protocol] = server
                self._ports[protocol] = server.sockets[0].getsockname()[1]
                log.info("tracker listener started",
                         extra={"protocol": protocol, "port": self._ports[protocol]})
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop listening, close every connection (announcing its device offline) and let the
        connections finish their current batch, for `stop_grace` seconds; then cancel them."""
        self._stopping = True
        for server in self._servers.values():
            server.close()
        for connection in list(self._connections):
            connection.shut("stopped")
        if self._tasks:
            _, late = await asyncio.wait(list(self._tasks), timeout=self.settings.stop_grace)
            for task in late:              # stuck in a store: nothing of it was acknowledged
                task.cancel()
            if late:
                await asyncio.wait(late)
        for server in self._servers.values():
            await server.wait_closed()
        self._servers.clear()
        self._ports.clear()

    async def send(self, device_id: str, payload: bytes) -> bool:
        """Write `payload` (an encoded command) to the device's live connection. False when
        the device is not connected or the write fails; the caller keeps the command queued."""
        connection = self.live.get(device_id)
        if connection is None:
            return False
        return await connection.send(payload)

    def is_connected(self, device_id: str) -> bool:
        return self.live.get(device_id) is not None

    def header_version(self, device_id: str) -> int | None:
        """The JT/T 808-2019 version byte the device's connection announced; None for a 2013
        header, a GT06 device or a device not connected."""
        connection = self.live.get(device_id)
        return None if connection is None else connection.session.binding.header_version

    def rejects_for(self, device_id: str) -> dict[str, int]:
        """Rejected frames of a device by reason, since the gateway started (bounded)."""
        return self.ledger.for_device(device_id)

    async def _serve(self, protocol: str, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        session = Session(protocol, self.directory, _remote(writer),
                          require_authentication=self.settings.jt808_require_authentication)
        connection = Connection(reader, writer, session, self.wiring)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._connections.add(connection)
        try:
            if self._stopping:
                connection.shut("stopped")
            await connection.serve()
        finally:
            self._connections.discard(connection)
            if task is not None:
                self._tasks.discard(task)

    async def _on_identified(self, connection: Connection) -> None:
        device = connection.device
        if device is None:
            return
        older = self.live.bind(device.device_id, connection)
        if older is not None:
            older.shut("replaced")
        log.info("device online", extra={"protocol": connection.protocol,
                                         "remote": connection.remote,
                                         "device_id": device.device_id})
        try:
            await self.status.device_online(device, connection.remote, self.clock.now())
        except Exception:
            # A failing listener must not cost the device its connection.
            log.exception("device online listener failed", extra={"device_id": device.device_id})

    async def _on_closed(self, connection: Connection) -> None:
        device = connection.device
        if device is None or not self.live.release(device.device_id, connection):
            return
        log.info("device offline", extra={"protocol": connection.protocol,
                                          "device_id": device.device_id,
                                          "reason": connection.close_reason})
        try:
            await self.status.device_offline(device, self.clock.now())
        except Exception:
            log.exception("device offline listener failed",
                          extra={"device_id": device.device_id})


def _remote(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)
