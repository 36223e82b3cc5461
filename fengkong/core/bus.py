"""The event bus: contexts tell each other what happened without importing each other.

Events are published after the unit of work that produced them commits. The in-process bus
delivers them synchronously to every subscriber of the topic; a subscriber that fails does not
stop the others, and the failed delivery is kept (`dead_letters`) with its error for a retry,
never silently dropped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from fengkong.core.errors import InvalidInput
from fengkong.core.ids import new_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    topic: str  # "loan.overdue", "vehicle.alarm", "org.unit_created", ...
    tenant_id: str | None
    payload: dict[str, Any]
    occurred_at: datetime
    id: str = field(default_factory=new_id)


Handler = Callable[[Event], None]


class EventBus(Protocol):
    def publish(self, event: Event) -> None: ...

    def subscribe(self, topic: str, handler: Handler) -> None: ...

    def close(self) -> None: ...


@dataclass
class FailedDelivery:
    event: Event
    handler: Handler
    error: BaseException


class InProcessBus:
    """Delivers in the publishing thread; `*` subscribes to every topic."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self.dead_letters: list[FailedDelivery] = []

    def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic].append(handler)

    def publish(self, event: Event) -> None:
        for handler in [*self._handlers.get(event.topic, ()), *self._handlers.get("*", ())]:
            self._deliver(event, handler)

    def _deliver(self, event: Event, handler: Handler) -> None:
        try:
            handler(event)
        except Exception as exc:  # a subscriber's bug must not stop the publisher
            log.exception("event handler failed", extra={"topic": event.topic,
                                                         "event_id": event.id})
            self.dead_letters.append(FailedDelivery(event, handler, exc))

    def retry_dead_letters(self) -> int:
        """Deliver the failed events again; returns how many still fail."""
        pending, self.dead_letters = self.dead_letters, []
        for failed in pending:
            self._deliver(failed.event, failed.handler)
        return len(self.dead_letters)

    def close(self) -> None:
        self._handlers.clear()


def make_bus(url: str) -> EventBus:
    """The domain-event bus. A `nats://` URL puts tracker frames on JetStream between
    `fengkong gateway` and `fengkong worker`; domain events are still delivered within the
    process that emits them (the worker, for positions)."""
    if url in ("", "memory://") or url.startswith(("nats://", "tls://")):
        return InProcessBus()
    raise InvalidInput(f"FENGKONG_BUS_URL {url!r}: use memory:// or nats://host:port",
                       code="invalid_setting", field="FENGKONG_BUS_URL")
