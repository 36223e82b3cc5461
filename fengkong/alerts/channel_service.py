"""Use cases of notification channels: setting them up (secrets never read back), planning
which channels hear of an alarm, and delivering with retries and recorded outcomes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from fengkong.alerts import notify, people, rules
from fengkong.alerts.models import Alarm, AlarmDelivery, NotificationChannel
from fengkong.alerts.permissions import CHANNELS_MANAGE
from fengkong.alerts.senders import SENDERS, DeliveryFailed, Sender
from fengkong.alerts.vocabulary import ALARM_TYPES, SEVERITIES
from fengkong.core import audit_service as audit
from fengkong.core.errors import InvalidInput, NotFound
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.org.models import OrgUnit, Tenant
from fengkong.org.scoping import Principal, reaches_unit, scoped

# Per kind: required config keys, and those that are secrets (write-only).
REQUIRED = {"webhook": ("url", "secret"), "wecom": ("url",),
            "email": ("host", "sender", "to"), "sms": ("url", "token", "phones")}
SECRETS = frozenset({"secret", "password", "token", "url_key"})
CHANNEL_FIELDS = ("name", "min_severity", "types", "quiet_start", "quiet_end",
                  "critical_overrides_quiet", "enabled")


def masked_config(channel: NotificationChannel) -> dict[str, Any]:
    return {k: ("***" if k in SECRETS else v) for k, v in channel.config.items()}


def _check_config(kind: str, config: Mapping[str, Any]) -> None:
    if kind not in notify.KINDS:
        raise InvalidInput(f"a channel kind is one of {', '.join(notify.KINDS)}",
                           code="unknown_kind", field="kind")
    for name in REQUIRED[kind]:
        if not config.get(name):
            raise InvalidInput(f"a {kind} channel needs {name}", code="required",
                               field=f"config.{name}")
    for name in ("url",):
        if name in config and not str(config[name]).startswith(("http://", "https://")):
            raise InvalidInput("a URL starts with http:// or https://", code="bad_url",
                               field=f"config.{name}")
    for name in ("to", "phones", "mentioned_mobiles"):
        if name in config and not (isinstance(config[name], list)
                                   and all(isinstance(v, str) and v for v in config[name])):
            raise InvalidInput(f"{name} is a list of strings", code="bad_list",
                               field=f"config.{name}")


def _check_fields(fields: Mapping[str, Any]) -> None:
    if fields.get("min_severity", "info") not in SEVERITIES:
        raise InvalidInput("severity is info, warning or critical", code="bad_severity",
                           field="min_severity")
    unknown = [t for t in fields.get("types") or () if t not in ALARM_TYPES]
    if unknown:
        raise InvalidInput(f"unknown alarm types {unknown}", code="unknown_alarm_type",
                           field="types")
    for name in ("quiet_start", "quiet_end"):
        if fields.get(name):
            notify.parse_clock(fields[name], name)
    if bool(fields.get("quiet_start")) != bool(fields.get("quiet_end")):
        raise InvalidInput("give both ends of the quiet hours, or neither",
                           code="incomplete_quiet_hours", field="quiet_end")


def create_channel(uow: UnitOfWork, principal: Principal, *, org_unit_id: str, kind: str,
                   config: Mapping[str, Any], **fields: Any) -> NotificationChannel:
    principal.scope_for(CHANNELS_MANAGE)
    unit = uow.session.get(OrgUnit, org_unit_id)
    if unit is None or not reaches_unit(principal, CHANNELS_MANAGE, unit):
        raise InvalidInput(f"no org unit {org_unit_id} that you may use",
                           code="unknown_reference", field="org_unit_id")
    _check_config(kind, config)
    values = {"min_severity": "warning", "types": [], "quiet_start": None, "quiet_end": None,
              "critical_overrides_quiet": True, "enabled": True, **fields}
    _check_fields(values)
    now = uow.clock.now()
    channel = NotificationChannel(id=new_id(), tenant_id=principal.tenant_id,
                                  org_unit_id=unit.id, kind=kind, config=dict(config),
                                  created_at=now, updated_at=now, **values)
    uow.session.add(channel)
    uow.session.flush()
    audit.record(uow, principal, "notification_channel.created",
                 entity_type="notification_channel", entity_id=channel.id,
                 changes={"kind": kind, "org_unit_id": unit.id, **values,
                          "config": masked_config(channel)})
    return channel


def update_channel(uow: UnitOfWork, principal: Principal, channel_id: str,
                   changes: Mapping[str, Any]) -> NotificationChannel:
    channel = get_channel(uow, principal, channel_id)
    values = {name: getattr(channel, name) for name in CHANNEL_FIELDS}
    values.update({k: v for k, v in changes.items() if k in CHANNEL_FIELDS})
    _check_fields(values)
    if "config" in changes:
        config = {**channel.config, **changes["config"]}
        _check_config(channel.kind, config)
        channel.config = config
    for name, value in values.items():
        setattr(channel, name, value)
    channel.updated_at = uow.clock.now()
    uow.session.flush()
    recorded = {k: v for k, v in changes.items() if k in CHANNEL_FIELDS}
    if "config" in changes:
        recorded["config"] = sorted(changes["config"])
    audit.record(uow, principal, "notification_channel.changed",
                 entity_type="notification_channel", entity_id=channel.id, changes=recorded)
    return channel


def get_channel(uow: UnitOfWork, principal: Principal, channel_id: str) -> NotificationChannel:
    channel = uow.session.scalar(scoped(select(NotificationChannel), NotificationChannel,
                                        principal, CHANNELS_MANAGE)
                                 .where(NotificationChannel.id == channel_id))
    if channel is None:
        raise NotFound("notification channel", channel_id)
    return channel


def list_channels(uow: UnitOfWork, principal: Principal) -> Sequence[NotificationChannel]:
    return uow.session.scalars(scoped(select(NotificationChannel), NotificationChannel,
                                      principal, CHANNELS_MANAGE)
                               .order_by(NotificationChannel.id)).all()


def deliveries_of(uow: UnitOfWork, alarm: Alarm) -> Sequence[AlarmDelivery]:
    return uow.session.scalars(select(AlarmDelivery).where(
        AlarmDelivery.alarm_id == alarm.id).order_by(AlarmDelivery.id)).all()


# --- planning and delivering -----------------------------------------------------------------


def plan_deliveries(uow: UnitOfWork, alarm_id: str, event: str) -> list[str]:
    """Delivery rows for the channels of the alarm's unit and the units above it that take
    it; ids of those to send now. A channel in its quiet hours gets a `quiet` row that
    waits for the end of them (the scheduler's tick sends it then)."""
    alarm = uow.session.get(Alarm, alarm_id)
    if alarm is None:
        return []
    zone = uow.session.scalar(select(Tenant.timezone).where(Tenant.id == alarm.tenant_id))
    units = rules.ancestors(people.unit_path(uow, alarm.org_unit_id))
    channels = uow.session.scalars(select(NotificationChannel).where(
        NotificationChannel.tenant_id == alarm.tenant_id,
        NotificationChannel.org_unit_id.in_(units)).order_by(NotificationChannel.id)).all()
    now, send = uow.clock.now(), []
    for channel in channels:
        view = notify.ChannelView(channel.min_severity, channel.types, channel.quiet_start,
                                  channel.quiet_end, channel.critical_overrides_quiet,
                                  channel.enabled)
        outcome = notify.channel_outcome(view, alarm.type, alarm.severity, now,
                                         zone or "UTC")
        if outcome is None:
            continue
        due = now
        if outcome == "quiet":
            assert channel.quiet_start and channel.quiet_end
            due = notify.quiet_until(now, zone or "UTC", channel.quiet_start,
                                     channel.quiet_end)
        row = AlarmDelivery(id=new_id(), tenant_id=alarm.tenant_id, alarm_id=alarm.id,
                            channel_id=channel.id, event=event,
                            state="pending" if outcome == "send" else "quiet", attempts=0,
                            next_attempt_at=due, created_at=now)
        uow.session.add(row)
        if outcome == "send":
            send.append(row.id)
    uow.session.flush()
    return send


def alarm_message(alarm: Alarm, event: str) -> dict[str, Any]:
    return {"id": alarm.id, "event": event, "type": alarm.type, "severity": alarm.severity,
            "state": alarm.state, "vehicle_id": alarm.vehicle_id, "device_id": alarm.device_id,
            "loan_id": alarm.loan_id, "org_unit_id": alarm.org_unit_id,
            "first_at": alarm.first_at.isoformat(), "count": alarm.count,
            "escalation_level": alarm.escalation_level, "evidence": alarm.evidence}


def deliver(uow: UnitOfWork, delivery_id: str,
            senders: Mapping[str, Sender] = SENDERS) -> AlarmDelivery | None:
    """Try one pending delivery now; its outcome is recorded (sent, retry later, failed)."""
    row = uow.session.get(AlarmDelivery, delivery_id)
    if row is None or row.state not in ("pending", "quiet"):
        return row
    channel = uow.session.get(NotificationChannel, row.channel_id)
    alarm = uow.session.get(Alarm, row.alarm_id)
    assert channel is not None and alarm is not None
    row.attempts += 1
    now = uow.clock.now()
    try:
        row.response_code = senders[channel.kind](channel.config, alarm_message(alarm,
                                                                                row.event))
    except DeliveryFailed as exc:
        row.last_error, row.response_code = str(exc)[:500], exc.status
        row.next_attempt_at = notify.retry_at(row.attempts, now)
        row.state = "pending" if row.next_attempt_at is not None else "failed"
    else:
        row.state, row.sent_at, row.next_attempt_at, row.last_error = "sent", now, None, None
    uow.session.flush()
    return row


def deliver_due(new_uow: Callable[[], UnitOfWork],
                senders: Mapping[str, Sender] = SENDERS, limit: int = 100) -> int:
    """Deliveries whose (re)try time has come, each in its own short transaction."""
    with new_uow() as uow:
        due = uow.session.scalars(select(AlarmDelivery.id).where(
            AlarmDelivery.state.in_(("pending", "quiet")),
            AlarmDelivery.next_attempt_at <= uow.clock.now())
            .order_by(AlarmDelivery.next_attempt_at).limit(limit)).all()
    for delivery_id in due:
        with new_uow() as uow:
            deliver(uow, delivery_id, senders)
            uow.commit()
    return len(due)
