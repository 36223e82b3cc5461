"""The in-process event bus: delivery by topic, wildcard subscribers, dead letters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fengkong.core.bus import Event, InProcessBus, make_bus
from fengkong.core.errors import InvalidInput

AT = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def event(topic: str = "loan.overdue", **payload: object) -> Event:
    return Event(topic, "tenant-1", dict(payload), AT)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.seen.append(event)


class Flaky:
    """Fails until told to recover."""

    def __init__(self) -> None:
        self.broken = True
        self.seen: list[Event] = []

    def __call__(self, event: Event) -> None:
        if self.broken:
            raise RuntimeError("subscriber bug")
        self.seen.append(event)


def test_an_event_reaches_the_subscribers_of_its_topic_only() -> None:
    bus = InProcessBus()
    overdue, alarm = Recorder(), Recorder()
    bus.subscribe("loan.overdue", overdue)
    bus.subscribe("vehicle.alarm", alarm)
    sent = event("loan.overdue", loan_id="L1")
    bus.publish(sent)
    assert overdue.seen == [sent]
    assert alarm.seen == []


def test_a_wildcard_subscriber_hears_every_topic() -> None:
    bus = InProcessBus()
    everything = Recorder()
    bus.subscribe("*", everything)
    first, second = event("loan.overdue"), event("vehicle.alarm")
    bus.publish(first)
    bus.publish(second)
    assert everything.seen == [first, second]


def test_every_subscriber_of_a_topic_hears_the_event_in_subscription_order() -> None:
    bus = InProcessBus()
    order: list[str] = []
    bus.subscribe("*", lambda e: order.append("wildcard"))
    bus.subscribe("loan.overdue", lambda e: order.append("first"))
    bus.subscribe("loan.overdue", lambda e: order.append("second"))
    bus.publish(event())
    assert order == ["first", "second", "wildcard"]


def test_an_event_nobody_listens_to_is_simply_not_delivered() -> None:
    bus = InProcessBus()
    bus.publish(event("nobody.cares"))
    assert bus.dead_letters == []


def test_a_failing_handler_does_not_stop_the_others() -> None:
    bus = InProcessBus()
    before, after, everything = Recorder(), Recorder(), Recorder()
    flaky = Flaky()
    bus.subscribe("loan.overdue", before)
    bus.subscribe("loan.overdue", flaky)
    bus.subscribe("loan.overdue", after)
    bus.subscribe("*", everything)
    sent = event()
    bus.publish(sent)
    assert before.seen == [sent]
    assert after.seen == [sent]
    assert everything.seen == [sent]


def test_a_failed_delivery_is_kept_as_a_dead_letter_with_its_error() -> None:
    bus = InProcessBus()
    flaky = Flaky()
    bus.subscribe("loan.overdue", flaky)
    sent = event()
    bus.publish(sent)
    assert len(bus.dead_letters) == 1
    failed = bus.dead_letters[0]
    assert failed.event is sent
    assert failed.handler is flaky
    assert isinstance(failed.error, RuntimeError)


def test_retrying_dead_letters_redelivers_to_the_handler_that_failed_only() -> None:
    bus = InProcessBus()
    healthy, flaky = Recorder(), Flaky()
    bus.subscribe("loan.overdue", healthy)
    bus.subscribe("loan.overdue", flaky)
    sent = event()
    bus.publish(sent)
    flaky.broken = False
    assert bus.retry_dead_letters() == 0
    assert flaky.seen == [sent]
    assert healthy.seen == [sent]  # not delivered twice
    assert bus.dead_letters == []


def test_a_handler_still_failing_on_retry_stays_a_dead_letter() -> None:
    bus = InProcessBus()
    bus.subscribe("loan.overdue", Flaky())
    bus.publish(event())
    bus.publish(event())
    assert bus.retry_dead_letters() == 2
    assert len(bus.dead_letters) == 2


def test_a_closed_bus_delivers_nothing() -> None:
    bus = InProcessBus()
    listener = Recorder()
    bus.subscribe("*", listener)
    bus.close()
    bus.publish(event())
    assert listener.seen == []


def test_each_event_gets_its_own_id() -> None:
    assert event().id != event().id


@pytest.mark.parametrize("url", ["memory://", "", "nats://127.0.0.1:4222"])
def test_domain_events_stay_in_process(url: str) -> None:
    assert isinstance(make_bus(url), InProcessBus)


def test_an_unavailable_bus_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match="redis://") as refused:
        make_bus("redis://localhost")
    assert refused.value.field == "FENGKONG_BUS_URL"
