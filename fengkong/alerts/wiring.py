"""The alerts context on the bus: findings into alarms, alarm changes into notifications and
live streams, and the periodic tick (escalations and delivery retries)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence

from fengkong.alerts import alarm_service, channel_service, escalation_service
from fengkong.alerts.senders import SENDERS, Sender
from fengkong.alerts.stream import broker_for
from fengkong.core.bus import Event, EventBus
from fengkong.core.clock import Clock
from fengkong.core.errors import FengkongError
from fengkong.core.uow import UnitOfWork

log = logging.getLogger(__name__)
NOTIFY_ON = frozenset({"raised", "escalated"})


class Notifier:
    """Plans deliveries when an alarm is raised or escalated, and sends them on a thread of
    its own (a webhook may take seconds; the bus handler must not)."""

    def __init__(self, new_uow: Callable[[], UnitOfWork],
                 senders: Mapping[str, Sender] = SENDERS, *, background: bool = True) -> None:
        self.new_uow, self.senders = new_uow, senders
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, name="alarm-notifier",
                                            daemon=True)
            self._thread.start()

    def on_alarm_changed(self, event: Event) -> None:
        if event.payload.get("change") not in NOTIFY_ON:
            return
        with self.new_uow() as uow:
            ids = channel_service.plan_deliveries(uow, event.payload["alarm_id"],
                                                  event.payload["change"])
            uow.commit()
        for delivery_id in ids:
            if self._thread is None:
                self._send(delivery_id)
            else:
                self._queue.put(delivery_id)

    def _send(self, delivery_id: str) -> None:
        with self.new_uow() as uow:
            channel_service.deliver(uow, delivery_id, self.senders)
            uow.commit()

    def _run(self) -> None:
        while (delivery_id := self._queue.get()) is not None:
            try:
                self._send(delivery_id)
            except Exception:  # the row stays pending; the tick retries it
                log.exception("alarm delivery failed", extra={"delivery": delivery_id})

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=5)


def ingest_handler(new_uow: Callable[[], UnitOfWork]) -> Callable[[Event], None]:
    def handle(event: Event) -> None:
        if event.tenant_id is None:
            return
        with new_uow() as uow:
            try:
                alarm_service.ingest(uow, event.tenant_id, event.payload)
            except FengkongError:  # an analyzer's malformed finding: logged, not retried
                log.exception("vehicle.alarm refused", extra={"event_id": event.id})
                return
            uow.commit()
    return handle


def wire(bus: EventBus, new_uow: Callable[[], UnitOfWork], *,
         senders: Mapping[str, Sender] = SENDERS, background: bool = True) -> Notifier:
    """Subscribe the alerts context's handlers; the notifier (close it on the way out)."""
    notifier = Notifier(new_uow, senders, background=background)
    bus.subscribe("vehicle.alarm", ingest_handler(new_uow))
    bus.subscribe("alarm.changed", broker_for(bus).publish)
    bus.subscribe("alarm.changed", notifier.on_alarm_changed)
    return notifier


def alerts_tick(new_uow: Callable[[], UnitOfWork], clock: Clock,
                senders: Mapping[str, Sender] = SENDERS) -> dict[str, int]:
    """One tick of the alerts schedule."""
    return {"escalated": escalation_service.tick(new_uow, clock),
            "delivered": channel_service.deliver_due(new_uow, senders)}


Tick = Callable[[], object]


class AlarmScheduler:
    """Runs the ticks every `interval_s` seconds on a daemon thread until stopped; one
    tick's failure is logged and the others still run."""

    def __init__(self, ticks: Sequence[Tick], interval_s: float = 30.0) -> None:
        self._ticks, self._interval = list(ticks), interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="alarm-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def run_once(self) -> None:
        for tick in self._ticks:
            try:
                tick()
            except Exception:  # one tick's bug must not stop escalations
                log.exception("alarm scheduler tick failed")

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.run_once()
