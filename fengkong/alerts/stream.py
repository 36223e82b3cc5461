"""Live alarm updates for the console: a broker that fans `alarm.changed` out to the
server-sent-event streams open in this process, each seeing only what its caller may."""

from __future__ import annotations

import asyncio
import json
import threading
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fengkong.alerts.permissions import READ
from fengkong.core.bus import Event, EventBus
from fengkong.org.permissions import DataScope
from fengkong.org.scoping import Principal

QUEUE_LIMIT = 1000
HEARTBEAT_S = 15.0


def visible(principal: Principal, tenant_id: str | None, payload: Mapping[str, Any]) -> bool:
    """Whether the caller may see this alarm change (the same reach as `scoped()`)."""
    if tenant_id != principal.tenant_id or not principal.can(READ):
        return False
    scope = principal.scope_for(READ)
    if scope is DataScope.TENANT:
        return True
    if scope is DataScope.SUBTREE:
        return str(payload.get("unit_path", "")).startswith(principal.unit_path)
    if scope is DataScope.OWN:
        return payload.get("assigned_to") == principal.actor_id
    return payload.get("org_unit_id") == principal.org_unit_id


@dataclass(eq=False)
class Subscription:
    principal: Principal
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(
        QUEUE_LIMIT))

    def offer(self, item: dict[str, Any]) -> None:
        if not self.queue.full():  # a stalled console misses updates, never blocks the bus
            self.queue.put_nowait(item)


class Broker:
    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self, principal: Principal) -> Subscription:
        sub = Subscription(principal, asyncio.get_running_loop())
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def publish(self, event: Event) -> None:
        """Bus handler of `alarm.changed`: runs in the publisher's thread."""
        item = {"id": event.id, **event.payload}
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            if visible(sub.principal, event.tenant_id, event.payload):
                try:
                    sub.loop.call_soon_threadsafe(sub.offer, item)
                except RuntimeError:  # the stream's loop has closed
                    self.unsubscribe(sub)


_brokers: weakref.WeakKeyDictionary[EventBus, Broker] = weakref.WeakKeyDictionary()


def broker_for(bus: EventBus) -> Broker:
    """The broker fed by this bus (one per bus, made on first use)."""
    broker = _brokers.get(bus)
    if broker is None:
        broker = _brokers[bus] = Broker()
    return broker


def frame(item: Mapping[str, Any]) -> str:
    return (f"id: {item['id']}\nevent: alarm\n"
            f"data: {json.dumps(dict(item), separators=(',', ':'), default=str)}\n\n")


async def events(broker: Broker, principal: Principal, lasts_s: float,
                 heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[str]:
    """The stream: a ready comment, then each visible change as it comes, a comment every
    `heartbeat_s` to keep proxies from closing it, until `lasts_s` (the browser's
    EventSource reconnects by itself)."""
    sub = broker.subscribe(principal)
    loop = asyncio.get_running_loop()
    end = loop.time() + lasts_s
    try:
        yield ": ready\n\n"
        while (left := end - loop.time()) > 0:
            try:
                item = await asyncio.wait_for(sub.queue.get(), min(left, heartbeat_s))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield frame(item)
    finally:
        broker.unsubscribe(sub)
