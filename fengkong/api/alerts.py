"""Routes of the alerts context: the alarm inbox and its handling, the live stream, alarm
rules and notification channels. Times are UTC, ISO 8601."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import Field

from fengkong.alerts import alarm_service as svc
from fengkong.alerts import channel_service, rule_service, stream
from fengkong.alerts.models import Alarm, AlarmDelivery, AlarmHistory, NotificationChannel
from fengkong.alerts.permissions import CHANNELS_MANAGE, HANDLE, READ, RULES_MANAGE
from fengkong.alerts.vocabulary import ALARM_TYPES
from fengkong.api.deps import UoW, get_container, require
from fengkong.api.schemas import Id, Input, Output
from fengkong.org.scoping import Principal

router = APIRouter(tags=["alerts"])

Severity = Literal["info", "warning", "critical"]
State = Literal["new", "acknowledged", "assigned", "resolved", "false_alarm", "open"]
AlarmType = Annotated[str, Field(min_length=1, max_length=40)]
Note = Annotated[str, Field(min_length=1, max_length=2000)]
Clock = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class AlarmOut(Output):
    id: str
    type: str
    severity: str
    state: str
    vehicle_id: str | None
    device_id: str | None
    loan_id: str | None
    org_unit_id: str
    key: str
    evidence: dict[str, Any]
    count: int
    first_at: datetime
    last_at: datetime
    cleared_at: datetime | None
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    assigned_to: str | None
    assigned_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    escalation_level: int
    next_escalation_at: datetime | None


class AlarmPage(Output):
    items: list[AlarmOut]
    next: str | None


class HistoryOut(Output):
    at: datetime
    actor_id: str
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None


class RecipientOut(Output):
    user_id: str
    unit_id: str
    level: int
    added_at: datetime


class DeliveryOut(Output):
    id: str
    channel_id: str
    event: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    response_code: int | None
    created_at: datetime
    sent_at: datetime | None


class AlarmDetail(AlarmOut):
    history: list[HistoryOut]
    recipients: list[RecipientOut]
    deliveries: list[DeliveryOut]


def _detail(uow: Any, alarm: Alarm) -> AlarmDetail:
    history: Sequence[AlarmHistory] = svc.history(uow, alarm)
    deliveries: Sequence[AlarmDelivery] = channel_service.deliveries_of(uow, alarm)
    return AlarmDetail(
        **AlarmOut.model_validate(alarm).model_dump(),
        history=[HistoryOut.model_validate(h) for h in history],
        recipients=[RecipientOut.model_validate(r) for r in svc.recipients(uow, alarm)],
        deliveries=[DeliveryOut.model_validate(d) for d in deliveries])


@router.get("/alarms", response_model=AlarmPage)
def list_alarms(
    uow: UoW, principal: Principal = require(READ),
    vehicle_id: Annotated[str | None, Query(max_length=26)] = None,
    type: Annotated[str | None, Query(max_length=40)] = None,  # noqa: A002  the contract's name
    state: State | None = None, severity: Severity | None = None,
    inbox: Annotated[bool, Query(description="only alarms routed or escalated to me")] = False,
    after: Annotated[str | None, Query(max_length=26, description="cursor from `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlarmPage:
    """Alarms the caller may see, newest first."""
    rows = svc.list_alarms(uow, principal, vehicle_id=vehicle_id, type_=type, state=state,
                           severity=severity, inbox=inbox, after=after, limit=limit)
    items = [AlarmOut.model_validate(a) for a in rows[:limit]]
    return AlarmPage(items=items, next=items[-1].id if len(rows) > limit else None)


@router.get("/alarms/stream", response_class=StreamingResponse)
def alarm_stream(request: Request, uow: UoW, principal: Principal = require(READ),
                 lasts_s: Annotated[float, Query(ge=0, le=3600, description=(
                     "seconds the stream stays open; EventSource reconnects"))] = 300,
                 ) -> StreamingResponse:
    """Server-sent events: one `alarm` event per change of an alarm the caller may see."""
    broker = stream.broker_for(get_container(request).bus)
    uow.close()  # a stream stays open for minutes: it must not hold a transaction that long
    return StreamingResponse(stream.events(broker, principal, lasts_s),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/alarms/{alarm_id}", response_model=AlarmDetail)
def get_alarm(alarm_id: str, uow: UoW, principal: Principal = require(READ)) -> AlarmDetail:
    """An alarm with its history, its recipients and its deliveries."""
    return _detail(uow, svc.get_alarm(uow, principal, alarm_id))


class NoteIn(Input):
    note: Note | None = None


class RequiredNoteIn(Input):
    note: Note


class AssignIn(Input):
    user_id: Id
    note: Note | None = None


class TextIn(Input):
    text: Note


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmDetail)
def acknowledge(alarm_id: str, body: NoteIn, uow: UoW,
                principal: Principal = require(HANDLE)) -> AlarmDetail:
    alarm = svc.acknowledge(uow, principal, alarm_id, body.note)
    uow.commit()
    return _detail(uow, alarm)


@router.post("/alarms/{alarm_id}/assign", response_model=AlarmDetail)
def assign(alarm_id: str, body: AssignIn, uow: UoW,
           principal: Principal = require(HANDLE)) -> AlarmDetail:
    alarm = svc.assign(uow, principal, alarm_id, body.user_id, body.note)
    uow.commit()
    return _detail(uow, alarm)


@router.post("/alarms/{alarm_id}/resolve", response_model=AlarmDetail)
def resolve(alarm_id: str, body: NoteIn, uow: UoW,
            principal: Principal = require(HANDLE)) -> AlarmDetail:
    alarm = svc.resolve(uow, principal, alarm_id, body.note)
    uow.commit()
    return _detail(uow, alarm)


@router.post("/alarms/{alarm_id}/false-alarm", response_model=AlarmDetail)
def false_alarm(alarm_id: str, body: RequiredNoteIn, uow: UoW,
                principal: Principal = require(HANDLE)) -> AlarmDetail:
    """Close as a false alarm; say why (it tunes the rules)."""
    alarm = svc.false_alarm(uow, principal, alarm_id, body.note)
    uow.commit()
    return _detail(uow, alarm)


@router.post("/alarms/{alarm_id}/notes", response_model=AlarmDetail,
             status_code=status.HTTP_201_CREATED)
def add_note(alarm_id: str, body: TextIn, uow: UoW,
             principal: Principal = require(HANDLE)) -> AlarmDetail:
    alarm = svc.add_note(uow, principal, alarm_id, body.text)
    uow.commit()
    return _detail(uow, alarm)


# --- rules -----------------------------------------------------------------------------------

Seconds = Annotated[int, Field(ge=0, le=rule_service.MAX_WINDOW_S)]


class RuleOut(Output):
    type: str
    severity: str | None
    enabled: bool
    dedup_window_s: int
    cooldown_s: int
    auto_resolve: bool
    escalate_after_s: int
    escalate_again_s: int


class RuleList(Output):
    items: list[RuleOut]


class RuleChange(Input):
    type: Literal[ALARM_TYPES]  # type: ignore[valid-type]
    severity: Severity | None = None
    enabled: bool | None = None
    dedup_window_s: Seconds | None = None
    cooldown_s: Seconds | None = None
    auto_resolve: bool | None = None
    escalate_after_s: Annotated[int, Field(ge=1, le=rule_service.MAX_WINDOW_S)] | None = None
    escalate_again_s: Annotated[int, Field(ge=1, le=rule_service.MAX_WINDOW_S)] | None = None


class RulesIn(Input):
    rules: Annotated[list[RuleChange], Field(min_length=1, max_length=len(ALARM_TYPES))]


@router.get("/alarm-rules", response_model=RuleList)
def list_rules(uow: UoW, principal: Principal = require(READ)) -> RuleList:
    """The tenant's rule of every alarm type (its own changes over the defaults)."""
    return RuleList(items=[RuleOut.model_validate(r) for r in
                           rule_service.list_rules(uow, principal)])


@router.patch("/alarm-rules", response_model=RuleList)
def update_rules(body: RulesIn, uow: UoW,
                 principal: Principal = require(RULES_MANAGE)) -> RuleList:
    """Change some types' rules; fields left out keep their value (severity null: keep the
    analyzer's suggestion)."""
    changes = [r.model_dump(exclude_unset=True) for r in body.rules]
    updated = rule_service.update_rules(uow, principal, changes)
    uow.commit()
    return RuleList(items=[RuleOut.model_validate(r) for r in updated])


# --- channels --------------------------------------------------------------------------------


class ChannelFields(Input):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    min_severity: Severity = "warning"
    types: Annotated[list[AlarmType], Field(max_length=len(ALARM_TYPES))] = []
    quiet_start: Clock | None = Field(None, description="local time in the tenant's zone")
    quiet_end: Clock | None = None
    critical_overrides_quiet: bool = True
    enabled: bool = True


class ChannelIn(ChannelFields):
    org_unit_id: Id
    kind: Literal["webhook", "wecom", "email", "sms"]
    config: dict[str, Any] = Field(description=(
        "webhook: url, secret; wecom: url (the robot's webhook), mentioned_mobiles; "
        "email: host, port, sender, to, starttls, username, password; sms: url, token, "
        "phones"))


class ChannelPatch(Input):
    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    min_severity: Severity | None = None
    types: Annotated[list[AlarmType], Field(max_length=len(ALARM_TYPES))] | None = None
    quiet_start: Clock | None = None
    quiet_end: Clock | None = None
    critical_overrides_quiet: bool | None = None
    enabled: bool | None = None
    config: dict[str, Any] | None = None


class ChannelOut(Output):
    id: str
    org_unit_id: str
    name: str
    kind: str
    config: dict[str, Any]
    min_severity: str
    types: list[str]
    quiet_start: str | None
    quiet_end: str | None
    critical_overrides_quiet: bool
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ChannelList(Output):
    items: list[ChannelOut]


def _channel_out(channel: NotificationChannel) -> ChannelOut:
    out = ChannelOut.model_validate(channel)
    out.config = channel_service.masked_config(channel)
    return out


@router.get("/notification-channels", response_model=ChannelList)
def list_channels(uow: UoW, principal: Principal = require(CHANNELS_MANAGE)) -> ChannelList:
    return ChannelList(items=[_channel_out(c) for c in
                              channel_service.list_channels(uow, principal)])


@router.post("/notification-channels", response_model=ChannelOut,
             status_code=status.HTTP_201_CREATED)
def create_channel(body: ChannelIn, uow: UoW,
                   principal: Principal = require(CHANNELS_MANAGE)) -> ChannelOut:
    """A channel of a unit: it hears of the alarms of that unit's subtree."""
    fields = body.model_dump(exclude={"org_unit_id", "kind", "config"})
    channel = channel_service.create_channel(uow, principal, org_unit_id=body.org_unit_id,
                                             kind=body.kind, config=body.config, **fields)
    uow.commit()
    return _channel_out(channel)


@router.get("/notification-channels/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: str, uow: UoW,
                principal: Principal = require(CHANNELS_MANAGE)) -> ChannelOut:
    return _channel_out(channel_service.get_channel(uow, principal, channel_id))


@router.patch("/notification-channels/{channel_id}", response_model=ChannelOut)
def update_channel(channel_id: str, body: ChannelPatch, uow: UoW,
                   principal: Principal = require(CHANNELS_MANAGE)) -> ChannelOut:
    channel = channel_service.update_channel(uow, principal, channel_id,
                                             body.model_dump(exclude_unset=True))
    uow.commit()
    return _channel_out(channel)
