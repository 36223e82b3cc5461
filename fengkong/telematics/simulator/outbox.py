"""A device's messages on their way, the way trackers keep them: fresh ones go out at once,
sent ones wait for their acknowledgement, and whatever was not acknowledged when the
connection died (or was produced while there was none) is stored for re-upload after the
next login. Heartbeats are never stored: a late heartbeat says nothing."""

from __future__ import annotations

from collections import deque

from fengkong.telematics.simulator.messages import Envelope, Item, Key, Kind


class Outbox:
    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.fresh: deque[Item] = deque()
        self.stored: deque[Item] = deque()
        self.discarded = 0
        self._pending: dict[Key, Envelope] = {}
        self._in_flight: dict[int, Envelope] = {}       # by id(), in the order sent

    def add(self, item: Item, *, online: bool) -> None:
        if online:
            self.fresh.append(item)
        elif item.kind is not Kind.HEARTBEAT:
            self._store([item])

    def _store(self, items: list[Item]) -> None:
        self.stored.extend(items)
        while len(self.stored) > self.limit:
            self.stored.popleft()
            self.discarded += 1

    def take_stored(self, count: int) -> list[Item]:
        return [self.stored.popleft() for _ in range(min(count, len(self.stored)))]

    def take_fresh(self) -> Item | None:
        return self.fresh.popleft() if self.fresh else None

    def put_back(self, items: list[Item]) -> None:
        """Items taken but never sent (the connection failed first)."""
        self._store([item for item in items if item.kind is not Kind.HEARTBEAT])

    def sending(self, envelope: Envelope, at: float) -> None:
        envelope.sent_at = at
        for key in envelope.keys:
            self._pending[key] = envelope
        self._in_flight[id(envelope)] = envelope

    def acknowledge(self, key: Key) -> Envelope | None:
        """The envelope an acknowledgement settles: none until every frame of it is."""
        envelope = self._pending.pop(key, None)
        if envelope is None:
            return None
        envelope.keys.discard(key)
        if envelope.keys:
            return None
        del self._in_flight[id(envelope)]
        return envelope

    def oldest_sent_at(self) -> float | None:
        for envelope in self._in_flight.values():
            return envelope.sent_at
        return None

    @property
    def idle(self) -> bool:
        """Nothing to send and nothing awaiting an acknowledgement."""
        return not (self.fresh or self.stored or self._in_flight)

    def connection_lost(self) -> None:
        """Unacknowledged and unsent messages go to the store, oldest first, for re-upload."""
        unsettled = [item for envelope in self._in_flight.values() for item in envelope.items]
        unsettled += self.fresh
        keep = [item for item in unsettled if item.kind is not Kind.HEARTBEAT]
        keep.sort(key=lambda item: item.reading.time)
        earlier, self.stored = list(self.stored), deque()
        self._store(sorted(earlier + keep, key=lambda item: item.reading.time))
        self.fresh.clear()
        self._pending.clear()
        self._in_flight.clear()
