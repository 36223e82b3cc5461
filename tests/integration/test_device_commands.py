"""Device commands on a real database: requests and their checks, the second person's approval,
the dispatcher holding an engine stop until the car is slow on a fresh fix, sending through a
fake connection, the devices' answers correlated, expiry, and every step in the audit trail.
Over real sockets: `test_device_commands_gateway`."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.bus import Event
from fengkong.core.clock import FixedClock
from fengkong.core.errors import Conflict, FengkongError, InvalidInput, PermissionDenied
from fengkong.demo import DemoWorld, principal_of
from fengkong.org import service as org
from fengkong.telematics import commands
from fengkong.telematics.command_models import DeviceCommand
from fengkong.telematics.command_rules import Kind, Request, Timing
from fengkong.telematics.device_side.platform import OnlineCommand, read_gt06, read_jt808
from fengkong.telematics.dispatch import CommandDispatcher, correlate
from fengkong.telematics.protocols import gt06, jt808
from fengkong.telematics.protocols.commands import EngineStop, PositionQuery
from fengkong.telematics.protocols.messages import CommandReply, TerminalResponse
from tests.integration.device_commands_world import (
    NOW,
    PHONE,
    FakeLink,
    Fleet,
    approved_stop,
    as_user,
    command,
    fix,
    imei,
    jt808_wire,
    make_fleet,
    stop,
    tick,
    trail,
)


@pytest.fixture
def fleet(container: Container, world: DemoWorld) -> Fleet:
    return make_fleet(container, world)


# --- requests and decisions ------------------------------------------------------------------


def test_an_engine_stop_waits_for_a_second_persons_approval_and_is_audited(
        container: Container, fleet: Fleet) -> None:
    heard: list[Event] = []
    container.bus.subscribe("device.command_changed", heard.append)
    asked = as_user(container, "demo.monitor", commands.request, fleet.gt06, stop(fleet))
    assert (asked.state, asked.kind, asked.loan_id) == ("awaiting_approval", "engine_stop",
                                                        fleet.loan)
    assert asked.expires_at == NOW + timedelta(hours=24)

    with pytest.raises(PermissionDenied) as own:
        as_user(container, "demo.monitor", commands.approve, asked.id)
    assert own.value.code == "own_request"
    with pytest.raises(PermissionDenied) as lacking:
        as_user(container, "demo.sh", commands.approve, asked.id)
    assert lacking.value.code == "permission_denied"

    done = as_user(container, "demo.hq", commands.approve, asked.id, note="checked the file")
    assert done.state == "pending" and done.approved_by != done.requested_by
    with pytest.raises(Conflict) as twice:
        as_user(container, "demo.strategist", commands.approve, asked.id)
    assert twice.value.code == "wrong_state"

    users = world_users(container)
    assert trail(container, asked.id) == [
        ("device_command.requested", users["demo.monitor"]),
        ("device_command.approved", users["demo.hq"])]
    assert [e.payload["state"] for e in heard] == ["awaiting_approval", "pending"]


def world_users(container: Container) -> dict[str, str]:
    with container.uow() as uow:
        return {u: principal_of(uow, u).actor_id
                for u in ("demo.monitor", "demo.hq", "demo.admin")}


def test_a_rejected_engine_stop_frees_the_device_for_another_request(
        container: Container, fleet: Fleet) -> None:
    first = as_user(container, "demo.monitor", commands.request, fleet.gt06, stop(fleet))
    with pytest.raises(Conflict) as open_one:
        as_user(container, "demo.admin", commands.request, fleet.gt06,
                Request(Kind.ENGINE_RESUME, reason="paid", loan_id=fleet.loan))
    assert (open_one.value.code, open_one.value.field) == ("engine_command_open", "kind")

    rejected = as_user(container, "demo.strategist", commands.reject, first.id,
                       reason="customer paid this morning")
    assert (rejected.state, rejected.closed_reason) == ("rejected",
                                                        "customer paid this morning")
    second = as_user(container, "demo.admin", commands.request, fleet.gt06, stop(fleet))
    assert second.state == "awaiting_approval"
    cancelled = as_user(container, "demo.monitor", commands.cancel, second.id)
    assert cancelled.state == "cancelled"
    assert trail(container, second.id)[-1][0] == "device_command.cancelled"


@pytest.mark.parametrize(("device", "asked", "error", "code", "field"), [
    ("gt06", lambda f: stop(f, "01KA0000000000000000000000"), InvalidInput,
     "unknown_reference", "loan_id"),
    ("gt06", lambda f: stop(f, f.other_loan), InvalidInput, "loan_mismatch", "loan_id"),
    ("jt808", lambda f: stop(f, f.unbooked_loan), Conflict, "loan_not_open", "loan_id"),
    ("spare", lambda f: stop(f), Conflict, "not_installed", "device_id"),
    ("gt06", lambda f: Request(Kind.ENGINE_STOP, loan_id=f.loan), InvalidInput, "required",
     "reason"),
    ("gt06", lambda f: Request(Kind.CUSTOM, text="服务器#"), InvalidInput, "invalid_input",
     "text"),
    ("gt06", lambda f: Request(Kind.CUSTOM, text="S" * 241), InvalidInput, "invalid_input",
     "text"),
])
def test_a_bad_request_is_refused_with_its_field_and_nothing_is_stored(
        container: Container, fleet: Fleet, device: str, asked: Any,
        error: type[FengkongError], code: str, field: str) -> None:
    with pytest.raises(error) as caught:
        as_user(container, "demo.monitor", commands.request, getattr(fleet, device),
                asked(fleet))
    assert (caught.value.code, caught.value.field) == (code, field)
    with container.uow() as uow:
        assert uow.session.scalars(select(DeviceCommand)).all() == []


def test_an_engine_resume_may_name_a_repaid_loan_but_a_stop_may_not(
        container: Container, fleet: Fleet) -> None:
    resume = Request(Kind.ENGINE_RESUME, reason="restored", loan_id=fleet.unbooked_loan)
    asked = as_user(container, "demo.monitor", commands.request, fleet.jt808, resume)
    assert asked.state == "awaiting_approval"


def test_an_installer_may_ask_for_a_position_but_not_for_an_engine_stop(
        container: Container, world: DemoWorld, fleet: Fleet) -> None:
    with container.uow() as uow:
        org.create_user(uow, principal_of(uow, "demo.admin"), container.hasher,
                        username="demo.fitter", display_name="Fitter",
                        password="fitter-pass-1", org_unit_id=world.units["EAST-SH"],
                        roles=["installer"], min_password_length=8)
        uow.commit()
    where = as_user(container, "demo.fitter", commands.request, fleet.gt06,
                    Request(Kind.POSITION_REQUEST))
    assert where.state == "pending"
    with pytest.raises(PermissionDenied):
        as_user(container, "demo.fitter", commands.request, fleet.gt06, stop(fleet))


# --- the dispatcher --------------------------------------------------------------------------


def test_an_approved_stop_is_held_until_the_car_is_slow_on_a_fresh_valid_fix(
        container: Container, fleet: Fleet) -> None:
    command_id = approved_stop(container, fleet)
    link = FakeLink()
    dispatcher = CommandDispatcher(container.uow, link.send, link.is_connected)

    assert tick(dispatcher).held == 1
    assert command(container, command_id).hold_reason == "offline"
    link.connected.add(fleet.gt06)
    tick(dispatcher)
    assert command(container, command_id).hold_reason == "no_fix"
    fix(container, fleet, fleet.gt06, NOW - timedelta(minutes=30), speed=0.0)
    tick(dispatcher)
    assert command(container, command_id).hold_reason == "stale_fix"
    fix(container, fleet, fleet.gt06, NOW - timedelta(minutes=1), speed=64.0)
    tick(dispatcher)
    assert command(container, command_id).hold_reason == "moving"
    assert link.written == []

    fix(container, fleet, fleet.gt06, NOW - timedelta(seconds=20), speed=3.0)
    report = tick(dispatcher)
    assert report.sent == [command_id]
    sent = command(container, command_id)
    assert (sent.state, sent.hold_reason, sent.serial, sent.server_flag) == ("sent", None, 1, 0)
    assert sent.expires_at == NOW + timedelta(hours=1)
    assert link.written == [(fleet.gt06, gt06.encode(protocol_stop(imei(1), 1)))]
    assert read_gt06(link.written[0][1]) == OnlineCommand(1, 0, "Relay,1#")
    assert trail(container, command_id)[-1] == ("device_command.sent", "command-dispatcher")


def protocol_stop(identifier: str, serial: int) -> EngineStop:
    return EngineStop(device_id=identifier, serial=serial)


def test_the_speed_limit_is_the_dispatchers_setting(container: Container,
                                                    fleet: Fleet) -> None:
    command_id = approved_stop(container, fleet)
    fix(container, fleet, fleet.gt06, NOW - timedelta(seconds=20), speed=8.0)
    link = FakeLink(fleet.gt06)
    strict = CommandDispatcher(container.uow, link.send, link.is_connected,
                               timing=Timing(max_speed_kmh=5.0))
    tick(strict)
    assert command(container, command_id).hold_reason == "moving"
    tick(CommandDispatcher(container.uow, link.send, link.is_connected))
    assert command(container, command_id).state == "sent"


def test_a_gt06_reply_echoing_the_flag_acknowledges_the_command_with_its_text(
        container: Container, fleet: Fleet) -> None:
    heard: list[Event] = []
    container.bus.subscribe("device.command_changed", heard.append)
    first = as_user(container, "demo.monitor", commands.request, fleet.gt06,
                    Request(Kind.CUSTOM, text="TIMER,10#"))
    second = as_user(container, "demo.monitor", commands.request, fleet.gt06,
                     Request(Kind.CUSTOM, text="STATUS#"))
    link = FakeLink(fleet.gt06)
    tick(CommandDispatcher(container.uow, link.send, link.is_connected))
    flags = [read_gt06(payload) for _, payload in link.written]
    assert flags == [OnlineCommand(1, 1, "TIMER,10#"), OnlineCommand(2, 2, "STATUS#")]

    with container.uow() as uow:
        answered = correlate(uow, fleet.tenant_id, fleet.gt06, [
            CommandReply(imei(1), "Battery:4.1V, GPS:OK", 7, server_flag=2)])
        uow.commit()
    assert [c.id for c in answered] == [second.id]
    done = command(container, second.id)
    assert (done.state, done.reply_text, done.answered_at) == (
        "acknowledged", "Battery:4.1V, GPS:OK", NOW)
    assert command(container, first.id).state == "sent"
    assert [e.payload["state"] for e in heard if e.payload["command_id"] == second.id] == [
        "pending", "sent", "acknowledged"]
    assert trail(container, second.id)[-1] == ("device_command.acknowledged",
                                               "command-dispatcher")


def test_a_jt808_general_response_with_a_failure_fails_the_command(
        container: Container, fleet: Fleet) -> None:
    where = as_user(container, "demo.admin", commands.request, fleet.jt808,
                    Request(Kind.POSITION_REQUEST))
    link = FakeLink(fleet.jt808)
    tick(CommandDispatcher(container.uow, link.send, link.is_connected))
    assert link.written == [(fleet.jt808, jt808.encode(
        protocol_where(PHONE, 1)))]
    with container.uow() as uow:
        other = TerminalResponse(PHONE, 9, 1, 0x8105, 0)   # answers a message never sent
        assert correlate(uow, fleet.tenant_id, fleet.jt808, [other]) == []
        correlate(uow, fleet.tenant_id, fleet.jt808, [TerminalResponse(PHONE, 9, 1, 0x8201, 3)])
        uow.commit()
    failed = command(container, where.id)
    assert (failed.state, failed.result, failed.reply_text) == ("failed", 3, "unsupported")
    assert trail(container, where.id)[-1][0] == "device_command.failed"


def protocol_where(identifier: str, serial: int) -> PositionQuery:
    return PositionQuery(device_id=identifier, serial=serial)


def test_serials_continue_from_the_devices_last_command(container: Container,
                                                        fleet: Fleet) -> None:
    link = FakeLink(fleet.jt808)
    dispatcher = CommandDispatcher(container.uow, link.send, link.is_connected)
    for _ in range(3):
        as_user(container, "demo.admin", commands.request, fleet.jt808,
                Request(Kind.POSITION_REQUEST))
        tick(dispatcher)
    assert [read_jt808(jt808_wire(p)).serial for _, p in link.written] == [1, 2, 3]


def test_a_failed_write_puts_the_command_back_to_pending(container: Container,
                                                         fleet: Fleet) -> None:
    where = as_user(container, "demo.admin", commands.request, fleet.gt06,
                    Request(Kind.POSITION_REQUEST))
    link = FakeLink(fleet.gt06, fail=True)
    dispatcher = CommandDispatcher(container.uow, link.send, link.is_connected)
    report = tick(dispatcher)
    assert (report.sent, report.requeued) == ([], 1)
    back = command(container, where.id)
    assert (back.state, back.serial, back.sent_at) == ("pending", None, None)
    assert back.expires_at == back.requested_at + timedelta(hours=24)
    link.fail = False
    assert tick(dispatcher).sent == [where.id]
    assert [a for a, _ in trail(container, where.id)] == [
        "device_command.requested", "device_command.sent", "device_command.requeued",
        "device_command.sent"]


def test_commands_expire_unsent_after_their_ttl_and_unanswered_after_the_window(
        container: Container, clock: FixedClock, fleet: Fleet) -> None:
    waiting = as_user(container, "demo.monitor", commands.request, fleet.gt06, stop(fleet))
    where = as_user(container, "demo.admin", commands.request, fleet.jt808,
                    Request(Kind.POSITION_REQUEST))
    link = FakeLink(fleet.jt808)
    dispatcher = CommandDispatcher(container.uow, link.send, link.is_connected)
    tick(dispatcher)
    assert command(container, where.id).state == "sent"

    clock.advance(hours=1, seconds=1)
    assert tick(dispatcher).expired == 1
    assert command(container, where.id).state == "expired"
    assert command(container, waiting.id).state == "awaiting_approval"
    clock.set(NOW + timedelta(hours=24))
    tick(dispatcher)
    assert command(container, waiting.id).state == "expired"
    assert trail(container, waiting.id)[-1] == ("device_command.expired", "command-dispatcher")
    with container.uow() as uow:      # a late answer changes nothing
        assert correlate(uow, fleet.tenant_id, fleet.jt808,
                         [TerminalResponse(PHONE, 9, 1, 0x8201, 0)]) == []
def test_an_api_key_cannot_be_the_second_pair_of_eyes(container: Container,
                                                      fleet: Fleet) -> None:
    asked = as_user(container, "demo.monitor", commands.request, fleet.gt06, stop(fleet))
    with container.uow() as uow:
        key = replace(principal_of(uow, "demo.hq"), kind="api_key", actor_id="K" * 26)
        with pytest.raises(PermissionDenied) as caught:
            commands.approve(uow, key, asked.id)
    assert caught.value.code == "person_required"


def test_a_sent_command_cannot_be_cancelled(container: Container, fleet: Fleet) -> None:
    where = as_user(container, "demo.monitor", commands.request, fleet.gt06,
                    Request(Kind.POSITION_REQUEST))
    link = FakeLink(fleet.gt06)
    tick(CommandDispatcher(container.uow, link.send, link.is_connected))
    with pytest.raises(Conflict) as caught:
        as_user(container, "demo.monitor", commands.cancel, where.id)
    assert (caught.value.code, caught.value.field) == ("already_sent", "state")


def test_the_running_dispatcher_sends_a_command_soon_after_it_is_queued(
        container: Container, fleet: Fleet) -> None:
    link = FakeLink(fleet.gt06)
    dispatcher = CommandDispatcher(container.uow, link.send, link.is_connected)

    async def scenario() -> None:
        running = asyncio.create_task(dispatcher.run(interval_s=0.01))
        await asyncio.to_thread(as_user, container, "demo.monitor", commands.request,
                                fleet.gt06, Request(Kind.POSITION_REQUEST))
        async with asyncio.timeout(5):
            while not link.written:
                await asyncio.sleep(0.01)
        running.cancel()

    asyncio.run(scenario())
    assert read_gt06(link.written[0][1]) == OnlineCommand(1, 0, "WHERE#")
