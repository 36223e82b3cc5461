"""Routes of device commands: request one for a device, see a device's commands or all of
them (the approval queue), approve, reject and cancel. Times are UTC, ISO 8601."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status
from pydantic import Field

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Id, Input, Output
from fengkong.org.scoping import Principal
from fengkong.telematics import commands as svc
from fengkong.telematics.command_models import DeviceCommand
from fengkong.telematics.command_rules import Kind, Request
from fengkong.telematics.permissions import COMMANDS_APPROVE, COMMANDS_READ, COMMANDS_REQUEST

router = APIRouter(tags=["device commands"])

KindName = Literal["engine_stop", "engine_resume", "position_request", "custom"]
StateName = Literal["awaiting_approval", "pending", "sent", "acknowledged", "failed",
                    "expired", "rejected", "cancelled"]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
After = Annotated[str | None, Query(max_length=26, description="`next` of the last page")]
Limit = Annotated[int, Query(ge=1, le=500)]


class CommandIn(Input):
    kind: KindName
    reason: Reason | None = Field(None, description="required for engine commands")
    loan_id: Id | None = Field(None, description="the loan an engine command concerns "
                                                 "(required for engine commands)")
    text: Annotated[str, Field(min_length=1, max_length=240)] | None = Field(
        None, description="the text of a custom command")


class NoteIn(Input):
    note: Reason | None = None


class RejectIn(Input):
    reason: Reason


class CancelIn(Input):
    reason: Reason | None = None


class CommandOut(Output):
    id: str
    device_id: str
    kind: str
    state: str
    hold_reason: str | None = Field(description="why a pending command waits: offline, "
                                                "no_fix, stale_fix or moving")
    text: str | None
    reason: str | None
    loan_id: str | None
    requested_by: str
    requested_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    closed_by: str | None
    closed_reason: str | None
    sent_at: datetime | None
    answered_at: datetime | None
    reply_text: str | None
    result: int | None = Field(description="JT/T 808 result: 0 ok, 1 failed, 2 bad message, "
                                           "3 unsupported")
    expires_at: datetime
    updated_at: datetime


class CommandPage(Output):
    items: list[CommandOut]
    next: str | None


def _page(rows: Sequence[DeviceCommand], limit: int) -> CommandPage:
    page = rows[:limit]
    return CommandPage(items=[CommandOut.model_validate(c) for c in page],
                       next=page[-1].id if len(rows) > limit else None)


@router.post("/devices/{device_id}/commands", response_model=CommandOut,
             status_code=status.HTTP_201_CREATED)
def request_command(device_id: str, body: CommandIn, uow: UoW,
                    principal: Principal = require(COMMANDS_REQUEST)) -> CommandOut:
    """Queue a command. Engine commands need `telematics.commands.engine`, a reason and the
    loan, and wait for another user's approval; custom text needs
    `telematics.commands.custom`."""
    asked = Request(Kind(body.kind), body.reason, body.loan_id, body.text)
    command = svc.request(uow, principal, device_id, asked)
    uow.commit()
    return CommandOut.model_validate(command)


@router.get("/devices/{device_id}/commands", response_model=CommandPage)
def device_commands(device_id: str, uow: UoW, principal: Principal = require(COMMANDS_READ),
                    state: Annotated[StateName | None, Query()] = None, after: After = None,
                    limit: Limit = 50) -> CommandPage:
    """A device's commands, newest first."""
    rows = svc.list_for_device(uow, principal, device_id, state=state, after=after,
                               limit=limit)
    return _page(rows, limit)


@router.get("/commands", response_model=CommandPage)
def list_commands(uow: UoW, principal: Principal = require(COMMANDS_READ),
                  state: Annotated[StateName | None, Query()] = None,
                  kind: Annotated[KindName | None, Query()] = None, after: After = None,
                  limit: Limit = 50) -> CommandPage:
    """Every command the caller may see, newest first; `state=awaiting_approval` is the
    approval queue."""
    rows = svc.list_commands(uow, principal, state=state, kind=kind, after=after, limit=limit)
    return _page(rows, limit)


@router.get("/commands/{command_id}", response_model=CommandOut)
def get_command(command_id: str, uow: UoW,
                principal: Principal = require(COMMANDS_READ)) -> CommandOut:
    return CommandOut.model_validate(svc.get(uow, principal, command_id))


@router.post("/commands/{command_id}/approve", response_model=CommandOut)
def approve(command_id: str, uow: UoW, body: NoteIn | None = None,
            principal: Principal = require(COMMANDS_APPROVE)) -> CommandOut:
    """Approve another user's engine command: it is sent when the device is connected (an
    engine stop only once the vehicle has a recent valid fix below the speed limit)."""
    command = svc.approve(uow, principal, command_id, note=body.note if body else None)
    uow.commit()
    return CommandOut.model_validate(command)


@router.post("/commands/{command_id}/reject", response_model=CommandOut)
def reject(command_id: str, body: RejectIn, uow: UoW,
           principal: Principal = require(COMMANDS_APPROVE)) -> CommandOut:
    command = svc.reject(uow, principal, command_id, reason=body.reason)
    uow.commit()
    return CommandOut.model_validate(command)


@router.post("/commands/{command_id}/cancel", response_model=CommandOut)
def cancel(command_id: str, uow: UoW, body: CancelIn | None = None,
           principal: Principal = require(COMMANDS_REQUEST)) -> CommandOut:
    """Withdraw a command that has not been sent."""
    command = svc.cancel(uow, principal, command_id, reason=body.reason if body else None)
    uow.commit()
    return CommandOut.model_validate(command)
