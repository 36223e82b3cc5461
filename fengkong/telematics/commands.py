"""Use cases of device commands: request, approve, reject, cancel, and the reads. The
dispatcher (`dispatch`) sends what is pending and records the devices' answers.

Each use case takes a unit of work and the acting principal, loads the command through its
device with `scoped()` (out of reach reads as missing), moves it by the rules of
`command_rules`, writes the audit record and emits `device.command_changed`; none commits.

An engine command names the loan it concerns. The loan is checked through the loans
context's own scoped read (`loan_service.get_loan`), the only place telematics asks about
loans: it must be a loan the requester reaches, the one the vehicle secures when the vehicle
names a loan, and still owing money for an engine stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from fengkong.core import audit_service as audit
from fengkong.core.audit_service import Actor, SystemActor
from fengkong.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.loans import loan_service
from fengkong.org.scoping import Principal, scoped
from fengkong.telematics.command_models import DeviceCommand
from fengkong.telematics.command_rules import (
    CANCELLABLE,
    ENGINE,
    LOAN_OPEN_FOR_STOP,
    OPEN,
    Addressee,
    Kind,
    Request,
    State,
    Timing,
    check_request,
    move,
    needs_approval,
    protocol_command,
)
from fengkong.telematics.device_service import get_device
from fengkong.telematics.models import Device, DeviceInstallation, Vehicle
from fengkong.telematics.permissions import (
    COMMANDS_APPROVE,
    COMMANDS_CUSTOM,
    COMMANDS_ENGINE,
    COMMANDS_READ,
    COMMANDS_REQUEST,
)
from fengkong.telematics.protocols import PROTOCOLS

TOPIC = "device.command_changed"


def kind_permission(kind: Kind) -> str:
    """The permission a kind needs besides `commands.request`."""
    if kind in ENGINE:
        return COMMANDS_ENGINE
    return COMMANDS_CUSTOM if kind is Kind.CUSTOM else COMMANDS_REQUEST


# --- requesting ------------------------------------------------------------------------------


def request(uow: UnitOfWork, principal: Principal, device_id: str, asked: Request, *,
            timing: Timing | None = None) -> DeviceCommand:
    """Queue a command for a device: awaiting approval for an engine command, pending
    otherwise. Refused whole, with the field at fault, when anything is wrong."""
    timing = timing or Timing()
    principal.scope_for(COMMANDS_REQUEST)
    permission = kind_permission(asked.kind)
    device = get_device(uow, principal, device_id, permission)
    asked = check_request(asked)
    if asked.kind in ENGINE:
        _check_engine(uow, principal, device, asked)
    elif asked.loan_id is not None:
        _loan(uow, principal, asked.loan_id, permission)
    _check_encodable(device, asked)
    now = uow.clock.now()
    state = State.AWAITING_APPROVAL if needs_approval(asked.kind) else State.PENDING
    command = DeviceCommand(
        id=new_id(), tenant_id=device.tenant_id, device_id=device.id, kind=asked.kind,
        state=state, text=asked.text, reason=asked.reason, loan_id=asked.loan_id,
        requested_by=principal.actor_id, requested_at=now, expires_at=now + timing.ttl,
        updated_at=now)
    uow.session.add(command)
    uow.session.flush()
    record(uow, principal, command, "requested", kind=asked.kind, device_id=device.id,
           loan_id=asked.loan_id, reason=asked.reason, text=asked.text,
           expires_at=command.expires_at.isoformat())
    return command


def _check_engine(uow: UnitOfWork, principal: Principal, device: Device,
                  asked: Request) -> None:
    """An engine command is for an installed device, about the loan its vehicle secures,
    and the only open engine command of the device."""
    assert asked.loan_id is not None
    vehicle = uow.session.scalar(select(Vehicle).join(
        DeviceInstallation, DeviceInstallation.vehicle_id == Vehicle.id).where(
        DeviceInstallation.device_id == device.id, DeviceInstallation.removed_at.is_(None)))
    if vehicle is None:
        raise Conflict("the device is not installed on a vehicle", code="not_installed",
                       field="device_id")
    status = _loan(uow, principal, asked.loan_id, COMMANDS_ENGINE)
    if vehicle.loan_id is not None and vehicle.loan_id != asked.loan_id:
        raise InvalidInput("the vehicle secures another loan", code="loan_mismatch",
                           field="loan_id")
    if asked.kind is Kind.ENGINE_STOP and status not in LOAN_OPEN_FOR_STOP:
        raise Conflict(f"the loan is {status}: nothing is owed to stop the car for",
                       code="loan_not_open", field="loan_id")
    if uow.session.scalar(select(DeviceCommand.id).where(
            DeviceCommand.device_id == device.id, DeviceCommand.kind.in_(list(ENGINE)),
            DeviceCommand.state.in_(list(OPEN)))):
        raise Conflict("the device has an open engine command: wait for it or cancel it",
                       code="engine_command_open", field="kind")


def _loan(uow: UnitOfWork, principal: Principal, loan_id: str, permission: str) -> str:
    """The status of a loan the caller reaches with `permission`; unknown reads the same as
    out of reach."""
    try:
        return loan_service.get_loan(uow, principal, loan_id, permission).status
    except NotFound:
        raise InvalidInput(f"no loan {loan_id} that you may act on",
                           code="unknown_reference", field="loan_id") from None


def _check_encodable(device: Device, asked: Request) -> None:
    """The device's protocol can carry the command (a GT06 text is ASCII, at most 240
    characters; JT/T 808 text is GBK): tried now, so a bad text is refused, not queued."""
    to = Addressee(device.protocol, device.identifier, device.model)
    PROTOCOLS[device.protocol].encode(protocol_command(asked.kind, to, 1, asked.text))


# --- deciding --------------------------------------------------------------------------------


def approve(uow: UnitOfWork, principal: Principal, command_id: str, *,
            note: str | None = None) -> DeviceCommand:
    """A second person lets an engine command go: it becomes pending (and is sent when the
    device and, for a stop, the vehicle allow)."""
    command = _decidable(uow, principal, command_id)
    command.state = move(command.state, State.PENDING)
    command.approved_by, command.approved_at = principal.actor_id, uow.clock.now()
    command.updated_at = command.approved_at
    record(uow, principal, command, "approved", note=note)
    return command


def reject(uow: UnitOfWork, principal: Principal, command_id: str, *,
           reason: str) -> DeviceCommand:
    return _close(uow, principal, _decidable(uow, principal, command_id), State.REJECTED,
                  reason)


def _decidable(uow: UnitOfWork, principal: Principal, command_id: str) -> DeviceCommand:
    """A command the caller may decide on: in reach of their approval, asked by someone
    else, by a person (an API key cannot be the second pair of eyes)."""
    command = _load(uow, principal, command_id, COMMANDS_APPROVE, lock=True)
    if principal.kind != "user":
        raise PermissionDenied("an engine command is approved by a person, not an API key",
                               code="person_required")
    if command.requested_by == principal.actor_id:
        raise PermissionDenied("someone other than the requester must decide",
                               code="own_request")
    if command.state != State.AWAITING_APPROVAL:
        raise Conflict(f"the command is {command.state}, not awaiting approval",
                       code="wrong_state", field="state")
    return command


def cancel(uow: UnitOfWork, principal: Principal, command_id: str, *,
           reason: str | None = None) -> DeviceCommand:
    """Withdraw a command that has not gone out. Anyone who may request its kind for the
    device may cancel it; a sent command waits for its answer or its expiry."""
    command = _load(uow, principal, command_id, COMMANDS_REQUEST, lock=True)
    extra = kind_permission(Kind(command.kind))
    if extra != COMMANDS_REQUEST:
        _load(uow, principal, command_id, extra)  # 403 without it, 404 beyond its reach
    if command.state == State.SENT:
        raise Conflict("the command went out already; it ends with the device's answer or "
                       "its expiry", code="already_sent", field="state")
    if command.state not in CANCELLABLE:
        raise Conflict(f"the command is {command.state}", code="wrong_state", field="state")
    return _close(uow, principal, command, State.CANCELLED, reason)


def _close(uow: UnitOfWork, principal: Principal, command: DeviceCommand, state: State,
           reason: str | None) -> DeviceCommand:
    """Reject or cancel: the command ends by someone's decision, with their reason."""
    command.state = move(command.state, state)
    command.closed_by, command.closed_reason = principal.actor_id, reason
    command.updated_at = uow.clock.now()
    record(uow, principal, command, state.value, reason=reason)
    return command


# --- reading ---------------------------------------------------------------------------------


def get(uow: UnitOfWork, principal: Principal, command_id: str) -> DeviceCommand:
    return _load(uow, principal, command_id, COMMANDS_READ)


def list_for_device(uow: UnitOfWork, principal: Principal, device_id: str, *,
                    state: str | None = None, after: str | None = None,
                    limit: int = 50) -> Sequence[DeviceCommand]:
    """A device's commands, newest first, `limit` + 1 at most."""
    device = get_device(uow, principal, device_id, COMMANDS_READ)
    stmt = select(DeviceCommand).where(DeviceCommand.device_id == device.id)
    return _page(uow, stmt, state, None, after, limit)


def list_commands(uow: UnitOfWork, principal: Principal, *, state: str | None = None,
                  kind: str | None = None, after: str | None = None,
                  limit: int = 50) -> Sequence[DeviceCommand]:
    """Every command the caller may see, newest first: with `state=awaiting_approval`, the
    approval queue."""
    return _page(uow, _reachable(principal, COMMANDS_READ), state, kind, after, limit)


def _page(uow: UnitOfWork, stmt: Select[Any], state: str | None, kind: str | None,
          after: str | None, limit: int) -> Sequence[DeviceCommand]:
    if state is not None:
        stmt = stmt.where(DeviceCommand.state == state)
    if kind is not None:
        stmt = stmt.where(DeviceCommand.kind == kind)
    if after:
        stmt = stmt.where(DeviceCommand.id < after)
    return uow.session.scalars(stmt.order_by(DeviceCommand.id.desc()).limit(limit + 1)).all()


def _reachable(principal: Principal, permission: str) -> Select[Any]:
    return scoped(select(DeviceCommand).join(Device, Device.id == DeviceCommand.device_id),
                  Device, principal, permission)


def _load(uow: UnitOfWork, principal: Principal, command_id: str, permission: str, *,
          lock: bool = False) -> DeviceCommand:
    stmt = _reachable(principal, permission).where(DeviceCommand.id == command_id)
    if lock:
        stmt = stmt.with_for_update(of=DeviceCommand)
    command = uow.session.scalar(stmt)
    if command is None:
        raise NotFound("command", command_id)
    return command


# --- the trail -------------------------------------------------------------------------------


def record(uow: UnitOfWork, actor: Actor | SystemActor, command: DeviceCommand, step: str,
           **details: Any) -> None:
    """One step of a command: its audit record and its `device.command_changed` event."""
    changes = {"state": command.state, **{k: v for k, v in details.items() if v is not None}}
    if command.hold_reason is not None:
        changes.setdefault("hold_reason", command.hold_reason)
    audit.record(uow, actor, f"device_command.{step}", entity_type="device_command",
                 entity_id=command.id, changes=changes, tenant_id=command.tenant_id)
    changed(uow, command)


def changed(uow: UnitOfWork, command: DeviceCommand) -> None:
    uow.emit(TOPIC, command.tenant_id, command_id=command.id, device_id=command.device_id,
             kind=command.kind, state=command.state, hold_reason=command.hold_reason,
             loan_id=command.loan_id, updated_at=_iso(command.updated_at))


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
