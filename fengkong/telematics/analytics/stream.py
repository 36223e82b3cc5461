"""The analytics behind the gateway: a `position.received` handler that only queues (the bus
runs it in the position writer's thread, after its commit), and a worker thread that takes
the queue in batches, each tenant's share in a short transaction of its own."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from fengkong.core.bus import Event, EventBus
from fengkong.core.uow import UnitOfWork
from fengkong.telematics.analytics.live import LiveAnalytics

log = logging.getLogger(__name__)
_CHANGED = "geofence.changed"


class AnalyticsWorker:
    def __init__(self, new_uow: Callable[[], UnitOfWork], *, max_positions: int = 20_000,
                 live: LiveAnalytics | None = None) -> None:
        self.new_uow = new_uow
        self.max_positions = max_positions
        self.live = live or LiveAnalytics()
        self.queue: queue.SimpleQueue[tuple[str, str | None, dict[str, Any]]] = (
            queue.SimpleQueue())
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self, bus: EventBus) -> AnalyticsWorker:
        bus.subscribe("position.received", self.on_event)
        bus.subscribe(_CHANGED, self.on_event)
        return self

    def on_event(self, event: Event) -> None:
        self.queue.put((event.topic, event.tenant_id, event.payload))

    def start(self) -> AnalyticsWorker:
        self._thread = threading.Thread(target=self._main, name="gps-analytics", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def drain(self) -> int:
        """Process everything queued now, in this thread (tests, the CLI); returns how many
        events were taken."""
        taken = 0
        while True:
            batch = self._take(block=False)
            if not batch:
                return taken
            taken += len(batch)
            self._process(batch)

    def _main(self) -> None:
        while not self._stop.is_set():
            batch = self._take(block=True)
            if batch:
                self._process(batch)

    def _take(self, block: bool) -> list[tuple[str, str | None, dict[str, Any]]]:
        items: list[tuple[str, str | None, dict[str, Any]]] = []
        size = 0
        try:
            items.append(self.queue.get(timeout=0.2) if block else self.queue.get_nowait())
        except queue.Empty:
            return items
        size += len(items[0][2].get("positions") or ())
        while size < self.max_positions:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            items.append(item)
            size += len(item[2].get("positions") or ())
        return items

    def _process(self, items: list[tuple[str, str | None, dict[str, Any]]]) -> None:
        by_tenant: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for topic, tenant_id, payload in items:
            if topic == _CHANGED:
                self._flush(by_tenant)   # positions before the change see the old fences
                self.live.invalidate(tenant_id)
            elif tenant_id is not None:
                by_tenant[tenant_id].append(payload)
        self._flush(by_tenant)

    def _flush(self, by_tenant: dict[str, list[dict[str, Any]]]) -> None:
        for tenant_id, payloads in by_tenant.items():
            started = time.perf_counter()
            try:
                with self.new_uow() as uow:
                    self.live.process(uow, tenant_id, payloads)
                    uow.commit()
            except Exception:  # a bad batch is logged and skipped; the stream goes on
                self.failures += 1
                self.live.invalidate(tenant_id)
                log.exception("gps analytics failed on a batch", extra={
                    "tenant_id": tenant_id, "events": len(payloads),
                    "seconds": round(time.perf_counter() - started, 3)})
        by_tenant.clear()


def start_analytics(new_uow: Callable[[], UnitOfWork], bus: EventBus) -> AnalyticsWorker:
    """The composition root's one call: subscribe and start the worker thread."""
    return AnalyticsWorker(new_uow).subscribe(bus).start()
