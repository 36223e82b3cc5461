"""Sending queued commands through the gateway, and matching the devices' answers to them.

    dispatcher = CommandDispatcher(container.uow, gateway.send, gateway.is_connected)
    task = asyncio.create_task(dispatcher.run())      # a tick a second, until cancelled
    ...
    # in the transaction that stores a batch of frames:
    correlate(uow, inbound.tenant_id, inbound.device_id, inbound.messages)

A tick expires what waited too long, then goes through the pending commands: a command of a
device that is not connected, or an engine stop the vehicle's state holds back, shows why
(`hold_reason`); the others are encoded with the device's protocol, marked `sent` (with the
serial and GT06 server flag their answer will name) and committed, and only then written to
the connection. Marking first means an answer arriving at once always finds its command,
and a crash between commit and write can never send a cut-off twice: the command expires
unanswered instead. A write that fails puts the command back to pending. A change of
`hold_reason` is announced (`device.command_changed`) but not audited: holding is waiting,
not a step.

Database work runs in a worker thread, so the event loop of the gateway never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from fengkong.core.audit_service import SystemActor
from fengkong.core.errors import InvalidInput
from fengkong.core.uow import UnitOfWork
from fengkong.telematics.command_models import DeviceCommand
from fengkong.telematics.command_rules import (
    OPEN,
    Addressee,
    Kind,
    LiveFix,
    Sent,
    State,
    Timing,
    hold_for,
    match_reply,
    move,
    next_serial,
    protocol_command,
    server_flag,
)
from fengkong.telematics.commands import changed, record
from fengkong.telematics.models import Device, DeviceState
from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.protocols.messages import CommandReply, Message, TerminalResponse

log = logging.getLogger(__name__)

MAX_REPLY_TEXT = 1000


@dataclass(frozen=True)
class Outgoing:
    """A command marked sent, to be written to its device's connection."""

    command_id: str
    device_id: str
    payload: bytes


@dataclass
class TickReport:
    expired: int = 0
    held: int = 0
    failed: int = 0
    requeued: int = 0
    sent: list[str] = field(default_factory=list)


class CommandDispatcher:
    """Sends the pending commands of connected devices. `send` and `is_connected` are the
    gateway's (`Gateway.send`, `Gateway.is_connected`), or fakes in tests; `header_version`
    says which JT/T 808 header a device speaks (None: 2013) when something knows it."""

    def __init__(self, new_uow: Callable[[], UnitOfWork],
                 send: Callable[[str, bytes], Awaitable[bool]],
                 is_connected: Callable[[str], bool], *, timing: Timing | None = None,
                 header_version: Callable[[str], int | None] | None = None,
                 batch: int = 500) -> None:
        self.new_uow = new_uow
        self.send = send
        self.is_connected = is_connected
        self.timing = timing or Timing()
        self.header_version = header_version or (lambda device_id: None)
        self.batch = batch
        self._lock = asyncio.Lock()

    async def run(self, interval_s: float = 1.0) -> None:
        """Tick every `interval_s` seconds until cancelled."""
        while True:
            try:
                await self.tick()
            except Exception:
                # A database outage must not end the loop: the commands wait for the next tick.
                log.exception("dispatching device commands failed")
            await asyncio.sleep(interval_s)

    async def tick(self, now: datetime | None = None) -> TickReport:
        """Expire, hold, send: one pass over the queue (`now`: the uow clock's by default)."""
        async with self._lock:
            report = TickReport()
            devices = await asyncio.to_thread(self._expire_and_list, now, report)
            if not devices:
                return report
            connected = {d: self.is_connected(d) for d in devices}
            versions = {d: self.header_version(d) for d, up in connected.items() if up}
            outgoing = await asyncio.to_thread(self._prepare, now, connected, versions, report)
            unsent = [item for item in outgoing if not await self.send(item.device_id,
                                                                       item.payload)]
            report.sent = [item.command_id for item in outgoing if item not in unsent]
            if unsent:
                await asyncio.to_thread(self._requeue, now, unsent, report)
            return report

    def _expire_and_list(self, now: datetime | None, report: TickReport) -> set[str]:
        """Expire open commands whose time is up; the devices with pending commands."""
        with self.new_uow() as uow:
            at = now or uow.clock.now()
            due = uow.session.scalars(
                select(DeviceCommand).where(DeviceCommand.state.in_(list(OPEN)),
                                            DeviceCommand.expires_at <= at)
                .order_by(DeviceCommand.expires_at).limit(self.batch)
                .with_for_update(skip_locked=True)).all()
            for command in due:
                was = command.state
                command.state = move(command.state, State.EXPIRED)
                command.updated_at = at
                record(uow, _system(command), command, "expired", was=was)
            report.expired = len(due)
            devices = set(uow.session.scalars(select(DeviceCommand.device_id).where(
                DeviceCommand.state == State.PENDING).distinct()))
            uow.commit()
        return devices

    def _prepare(self, now: datetime | None, connected: dict[str, bool],
                 versions: dict[str, int | None], report: TickReport) -> list[Outgoing]:
        """Hold what must wait; mark the rest sent and encode it, in one transaction. A
        command that became pending since the devices were listed waits for the next tick."""
        outgoing: list[Outgoing] = []
        with self.new_uow() as uow:
            at = now or uow.clock.now()
            rows = uow.session.execute(
                select(DeviceCommand, Device, DeviceState)
                .join(Device, Device.id == DeviceCommand.device_id)
                .outerjoin(DeviceState, DeviceState.device_id == DeviceCommand.device_id)
                .where(DeviceCommand.state == State.PENDING)
                .order_by(DeviceCommand.requested_at, DeviceCommand.id).limit(self.batch)
                .with_for_update(of=DeviceCommand, skip_locked=True)).all()
            serials: dict[str, int | None] = {}
            for command, device, state in rows:
                if device.id not in connected:
                    continue
                live = None if state is None else LiveFix(state.valid, state.fix_time,
                                                          state.speed_kmh)
                hold = hold_for(Kind(command.kind), connected[device.id], live, at,
                                self.timing)
                if hold is not None:
                    report.held += 1
                    if command.hold_reason != hold:
                        command.hold_reason, command.updated_at = hold, at
                        changed(uow, command)
                    continue
                if device.id not in serials:
                    serials[device.id] = _last_serial(uow, device.id)
                serial = serials[device.id] = next_serial(serials[device.id])
                to = Addressee(device.protocol, device.identifier, device.model,
                               versions.get(device.id))
                item = self._mark_sent(uow, command, to, serial, at, report)
                if item is not None:
                    outgoing.append(item)
            uow.commit()
        return outgoing

    def _mark_sent(self, uow: UnitOfWork, command: DeviceCommand, to: Addressee, serial: int,
                   at: datetime, report: TickReport) -> Outgoing | None:
        kind = Kind(command.kind)
        try:
            payload = PROTOCOLS[to.protocol].encode(
                protocol_command(kind, to, serial, command.text))
        except InvalidInput as exc:  # checked at the request; a model changed since
            command.state = move(command.state, State.FAILED)
            command.reply_text, command.updated_at = exc.detail[:MAX_REPLY_TEXT], at
            report.failed += 1
            record(uow, _system(command), command, "failed", error=exc.detail)
            return None
        command.state = move(command.state, State.SENT)
        command.serial, command.server_flag = serial, server_flag(to.protocol, kind, serial)
        command.sent_at = command.updated_at = at
        command.expires_at = at + self.timing.answer_window
        command.hold_reason = None
        record(uow, _system(command), command, "sent", serial=serial,
               server_flag=command.server_flag, protocol=to.protocol)
        return Outgoing(command.id, command.device_id, payload)

    def _requeue(self, now: datetime | None, unsent: Sequence[Outgoing],
                 report: TickReport) -> None:
        """Writes that failed (the device went away meanwhile): pending again."""
        with self.new_uow() as uow:
            at = now or uow.clock.now()
            commands = uow.session.scalars(select(DeviceCommand).where(
                DeviceCommand.id.in_([item.command_id for item in unsent]),
                DeviceCommand.state == State.SENT).with_for_update()).all()
            for command in commands:
                command.state = move(command.state, State.PENDING)
                command.serial = command.server_flag = command.sent_at = None
                command.expires_at = command.requested_at + self.timing.ttl
                command.updated_at = at
                record(uow, _system(command), command, "requeued")
            report.requeued = len(commands)
            uow.commit()


def correlate(uow: UnitOfWork, tenant_id: str, device_id: str,
              messages: Iterable[Message]) -> list[DeviceCommand]:
    """Match a device's command replies among `messages` to the commands it was sent, in the
    caller's transaction (the one storing the frame); the commands answered. Replies that
    answer nothing open (late, or unsolicited) are left alone."""
    replies = [m for m in messages if isinstance(m, (CommandReply, TerminalResponse))]
    if not replies:
        return []
    waiting = list(uow.session.scalars(select(DeviceCommand).where(
        DeviceCommand.tenant_id == tenant_id, DeviceCommand.device_id == device_id,
        DeviceCommand.state == State.SENT).order_by(DeviceCommand.sent_at, DeviceCommand.id)
        .with_for_update()).all())
    answered: list[DeviceCommand] = []
    for reply in replies:
        sent = [Sent(c.id, Kind(c.kind), c.serial or 0, c.server_flag) for c in waiting]
        answer = match_reply(reply, sent)
        if answer is None:
            continue
        command = next(c for c in waiting if c.id == answer.command_id)
        waiting.remove(command)
        command.state = move(command.state, answer.state)
        command.answered_at = command.updated_at = uow.clock.now()
        command.reply_text = None if answer.text is None else answer.text[:MAX_REPLY_TEXT]
        command.result = answer.result
        step = "acknowledged" if answer.state is State.ACKNOWLEDGED else "failed"
        record(uow, _system(command), command, step, reply=command.reply_text,
               result=answer.result)
        answered.append(command)
    return answered


def _last_serial(uow: UnitOfWork, device_id: str) -> int | None:
    """The serial of the device's most recently sent command."""
    return uow.session.scalar(
        select(DeviceCommand.serial).where(DeviceCommand.device_id == device_id,
                                           DeviceCommand.serial.is_not(None))
        .order_by(DeviceCommand.sent_at.desc(), DeviceCommand.id.desc()).limit(1))


def _system(command: DeviceCommand) -> SystemActor:
    return SystemActor(tenant_id=command.tenant_id, actor_id="command-dispatcher",
                       name="command dispatcher")
