"""The unit of work: events reach the bus only after a successful commit."""

from __future__ import annotations

from typing import Any

import pytest

from fengkong.core.bus import Event, InProcessBus
from fengkong.core.clock import FixedClock
from fengkong.core.uow import RequestContext, UnitOfWork


class FakeSession:
    def __init__(self, fail_commit: bool = False) -> None:
        self.fail_commit = fail_commit
        self.committed = False
        self.calls: list[str] = []

    def commit(self) -> None:
        self.calls.append("commit")
        if self.fail_commit:
            raise RuntimeError("database went away")
        self.committed = True

    def rollback(self) -> None:
        self.calls.append("rollback")

    def close(self) -> None:
        self.calls.append("close")


class World:
    """A unit of work over fake sessions, with a bus subscriber that notes what was committed
    at the moment each event arrived."""

    def __init__(self, fail_commit: bool = False) -> None:
        self.sessions: list[FakeSession] = []
        self.fail_commit = fail_commit
        self.bus = InProcessBus()
        self.clock = FixedClock()
        self.heard: list[tuple[Event, bool]] = []
        self.bus.subscribe("*", self._hear)

    def _hear(self, event: Event) -> None:
        self.heard.append((event, self.sessions[-1].committed))

    def _session(self) -> Any:
        session = FakeSession(self.fail_commit)
        self.sessions.append(session)
        return session

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._session, self.bus, self.clock)


@pytest.fixture
def world() -> World:
    return World()


def test_no_session_is_opened_until_one_is_needed(world: World) -> None:
    with world.uow() as uow:
        uow.emit("org.unit_created", "t1", unit_id="u1")
    assert world.sessions == []


def test_emitted_events_are_published_only_after_the_commit(world: World) -> None:
    with world.uow() as uow:
        uow.emit("org.unit_created", "t1", unit_id="u1")
        uow.emit("org.user_created", "t1", user_id="p1")
        assert world.heard == []
        uow.commit()
    assert [(e.topic, e.payload, committed) for e, committed in world.heard] == [
        ("org.unit_created", {"unit_id": "u1"}, True),
        ("org.user_created", {"user_id": "p1"}, True),
    ]


def test_events_carry_the_tenant_and_the_clock_time(world: World) -> None:
    with world.uow() as uow:
        uow.emit("org.unit_created", "t1", unit_id="u1")
        uow.commit()
    event, _ = world.heard[0]
    assert event.tenant_id == "t1"
    assert event.occurred_at == world.clock.now()


def test_an_event_is_published_once_even_after_a_second_commit(world: World) -> None:
    with world.uow() as uow:
        uow.emit("org.unit_created", "t1")
        uow.commit()
        uow.commit()
    assert len(world.heard) == 1


def test_events_emitted_before_a_rollback_are_dropped(world: World) -> None:
    with world.uow() as uow:
        uow.emit("org.unit_created", "t1")
        uow.session  # noqa: B018 - open the session
        uow.rollback()
        uow.emit("org.user_created", "t1")
        uow.commit()
    assert [e.topic for e, _ in world.heard] == ["org.user_created"]
    assert world.sessions[0].calls[0] == "rollback"


def test_leaving_without_a_commit_rolls_back_closes_and_publishes_nothing(world: World) -> None:
    with world.uow() as uow:
        uow.session  # noqa: B018
        uow.emit("org.unit_created", "t1")
    assert world.heard == []
    assert world.sessions[0].calls == ["rollback", "close"]


def test_an_error_inside_the_work_rolls_back_and_publishes_nothing(world: World) -> None:
    with pytest.raises(ValueError), world.uow() as uow:
        uow.session  # noqa: B018
        uow.emit("org.unit_created", "t1")
        raise ValueError("use case failed")
    assert world.heard == []
    assert "commit" not in world.sessions[0].calls
    assert world.sessions[0].calls[-1] == "close"


def test_a_failed_commit_publishes_nothing() -> None:
    world = World(fail_commit=True)
    with pytest.raises(RuntimeError), world.uow() as uow:
        uow.emit("org.unit_created", "t1")
        uow.commit()
    assert world.heard == []
    assert world.sessions[0].calls == ["commit", "rollback", "close"]


def test_the_session_is_reopened_after_close(world: World) -> None:
    uow = world.uow()
    first = uow.session
    uow.close()
    assert uow.session is not first
    assert len(world.sessions) == 2


def test_a_unit_of_work_without_a_context_gets_an_empty_one(world: World) -> None:
    uow = world.uow()
    assert uow.context == RequestContext()
    given = RequestContext(request_id="r1", client_addr="10.0.0.1", purpose="collections")
    assert UnitOfWork(world._session, world.bus, world.clock, given).context is given
