"""The unit of work: one database transaction, committed explicitly, rolled back otherwise.

Events collected during the work are published only after the commit succeeds, so no
subscriber hears of something that was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session

from fengkong.core.bus import Event, EventBus
from fengkong.core.clock import Clock


@dataclass
class RequestContext:
    """Who is acting and from where; stamped onto audit records."""

    request_id: str | None = None
    client_addr: str | None = None
    purpose: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class UnitOfWork:
    def __init__(
        self,
        session_factory: Callable[[], Session],
        bus: EventBus,
        clock: Clock,
        context: RequestContext | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.bus = bus
        self.clock = clock
        self.context = context or RequestContext()
        self._events: list[Event] = []
        self._session: Session | None = None
        self.audit_count = 0

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._session_factory()
        return self._session

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def emit(self, topic: str, tenant_id: str | None, **payload: Any) -> None:
        self._events.append(Event(topic, tenant_id, payload, self.clock.now()))

    def commit(self) -> None:
        self.session.commit()
        events, self._events = self._events, []
        for event in events:
            self.bus.publish(event)

    def rollback(self) -> None:
        self._events.clear()
        if self._session is not None:
            self._session.rollback()

    def close(self) -> None:
        self._events.clear()
        if self._session is not None:
            self.rollback()
            self._session.close()
            self._session = None
