"""Use cases of alarms: turning `vehicle.alarm` findings into alarms by the tenant's rules,
routing them to inboxes, and the handling of an alarm by people (acknowledge, assign,
resolve, false alarm, notes), every change written to its history and the audit trail.

Changes are announced as `alarm.changed` (for the live console and the notifier)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from fengkong.alerts import people, rules
from fengkong.alerts.models import Alarm, AlarmHistory, AlarmRecipient
from fengkong.alerts.permissions import HANDLE, READ
from fengkong.alerts.rule_service import rule_for
from fengkong.alerts.rules import Action, Finding, OpenAlarm, Recipient
from fengkong.alerts.vocabulary import CLOSED_STATES, OPEN_STATES
from fengkong.core import audit_service as audit
from fengkong.core.audit_service import SystemActor
from fengkong.core.clock import as_utc
from fengkong.core.errors import InvalidInput, NotFound
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.org.auth_service import user_principal
from fengkong.org.models import OrgUnit, User
from fengkong.org.scoping import Principal, reaches_unit, scoped

SYSTEM = "alerts"


def system_actor(tenant_id: str) -> SystemActor:
    return SystemActor(tenant_id=tenant_id, actor_id=SYSTEM, name="alarm rules")


# --- findings into alarms --------------------------------------------------------------------


def ingest(uow: UnitOfWork, tenant_id: str, payload: Mapping[str, Any]) -> Alarm | None:
    """Apply one `vehicle.alarm` finding; the alarm it created or changed, if any."""
    rules.check_finding(payload)
    finding = Finding(payload["type"], payload["severity"], payload.get("state", "raised"),
                      payload["key"], as_utc(datetime.fromisoformat(payload["occurred_at"])))
    rule = rule_for(uow, tenant_id, finding.type)
    open_alarm = uow.session.scalar(select(Alarm).where(
        Alarm.tenant_id == tenant_id, Alarm.key == finding.key,
        Alarm.state.in_(OPEN_STATES)).order_by(Alarm.id.desc()).limit(1))
    last_closed = uow.session.scalar(select(Alarm.closed_at).where(
        Alarm.tenant_id == tenant_id, Alarm.key == finding.key,
        Alarm.state.in_(CLOSED_STATES)).order_by(Alarm.closed_at.desc()).limit(1))
    decision = rules.decide(rule, finding, OpenAlarm(open_alarm.first_at, open_alarm.last_at)
                            if open_alarm else None, last_closed)
    if decision.action is Action.CREATE:
        return _create(uow, tenant_id, payload, finding, decision.severity, rule)
    if open_alarm is None:
        return None
    if decision.action is Action.MERGE:
        open_alarm.count += 1
        open_alarm.last_at = max(open_alarm.last_at, finding.occurred_at)
        open_alarm.cleared_at = None
        return open_alarm
    open_alarm.cleared_at = finding.occurred_at
    if decision.action is Action.RESOLVE:
        _move(uow, system_actor(tenant_id), open_alarm, "resolved", "auto_resolved",
              _cleared_note(payload))
    else:
        _history(uow, open_alarm, SYSTEM, "cleared", None, _cleared_note(payload))
        _announce(uow, open_alarm, "cleared")
    return open_alarm


def _cleared_note(payload: Mapping[str, Any]) -> str:
    text = (payload.get("evidence") or {}).get("text")
    return f"the condition ended: {text}" if text else "the condition ended"


def _create(uow: UnitOfWork, tenant_id: str, payload: Mapping[str, Any], finding: Finding,
            severity: str, rule: rules.Rule) -> Alarm:
    now = uow.clock.now()
    alarm = Alarm(
        id=new_id(), tenant_id=tenant_id, org_unit_id=payload["org_unit_id"],
        type=finding.type, severity=severity, state="new", key=finding.key,
        vehicle_id=payload.get("vehicle_id"), device_id=payload.get("device_id"),
        loan_id=payload.get("loan_id"), evidence=dict(payload.get("evidence") or {}),
        first_at=finding.occurred_at, last_at=finding.occurred_at, count=1, created_at=now,
        escalation_level=0,
        next_escalation_at=rules.next_escalation_at(rule, severity, now, 0))
    uow.session.add(alarm)
    uow.session.flush()
    _history(uow, alarm, SYSTEM, "raised", None, "new", alarm.evidence.get("text"))
    path = people.unit_path(uow, alarm.org_unit_id)
    monitors = people.holders_by_unit(uow, tenant_id, rules.ancestors(path),
                                      people.MONITOR_ROLES)
    add_recipients(uow, alarm, rules.route(path, severity, monitors))
    audit.record(uow, system_actor(tenant_id), "alarm.raised", entity_type="alarm",
                 entity_id=alarm.id, changes={"type": alarm.type, "severity": severity,
                                              "key": alarm.key, "vehicle_id": alarm.vehicle_id})
    _announce(uow, alarm, "raised", path)
    return alarm


def add_recipients(uow: UnitOfWork, alarm: Alarm, recipients: Sequence[Recipient]) -> None:
    have = set(uow.session.scalars(select(AlarmRecipient.user_id).where(
        AlarmRecipient.alarm_id == alarm.id)))
    for r in recipients:
        if r.user_id not in have:
            have.add(r.user_id)
            uow.session.add(AlarmRecipient(alarm_id=alarm.id, user_id=r.user_id,
                                           tenant_id=alarm.tenant_id, unit_id=r.unit_id,
                                           level=r.level, added_at=uow.clock.now()))
    uow.session.flush()


def _history(uow: UnitOfWork, alarm: Alarm, actor_id: str, action: str, from_state: str | None,
             to_state: str | None, note: str | None = None) -> None:
    uow.session.add(AlarmHistory(id=new_id(), tenant_id=alarm.tenant_id, alarm_id=alarm.id,
                                 at=uow.clock.now(), actor_id=actor_id, action=action,
                                 from_state=from_state, to_state=to_state, note=note))


def _announce(uow: UnitOfWork, alarm: Alarm, change: str, path: str | None = None) -> None:
    uow.emit("alarm.changed", alarm.tenant_id, alarm_id=alarm.id, change=change,
             type=alarm.type, severity=alarm.severity, state=alarm.state,
             vehicle_id=alarm.vehicle_id, device_id=alarm.device_id,
             org_unit_id=alarm.org_unit_id,
             unit_path=path or people.unit_path(uow, alarm.org_unit_id),
             assigned_to=alarm.assigned_to, escalation_level=alarm.escalation_level,
             at=uow.clock.now().isoformat())


# --- reading ---------------------------------------------------------------------------------


def get_alarm(uow: UnitOfWork, principal: Principal, alarm_id: str,
              permission: str = READ) -> Alarm:
    alarm = uow.session.scalar(scoped(select(Alarm), Alarm, principal, permission)
                               .where(Alarm.id == alarm_id))
    if alarm is None:
        raise NotFound("alarm", alarm_id)
    return alarm


def list_alarms(uow: UnitOfWork, principal: Principal, *, vehicle_id: str | None = None,
                type_: str | None = None, state: str | None = None,
                severity: str | None = None, inbox: bool = False, after: str | None = None,
                limit: int = 50) -> Sequence[Alarm]:
    """Newest first, `limit` + 1 at most (the extra one says there is a next page)."""
    stmt = scoped(select(Alarm), Alarm, principal, READ)
    for column, value in ((Alarm.vehicle_id, vehicle_id), (Alarm.type, type_),
                          (Alarm.severity, severity)):
        if value is not None:
            stmt = stmt.where(column == value)
    if state == "open":
        stmt = stmt.where(Alarm.state.in_(OPEN_STATES))
    elif state is not None:
        stmt = stmt.where(Alarm.state == state)
    if inbox:
        stmt = stmt.where(Alarm.id.in_(select(AlarmRecipient.alarm_id).where(
            AlarmRecipient.user_id == principal.actor_id)))
    if after:
        stmt = stmt.where(Alarm.id < after)
    return uow.session.scalars(stmt.order_by(Alarm.id.desc()).limit(limit + 1)).all()


def history(uow: UnitOfWork, alarm: Alarm) -> Sequence[AlarmHistory]:
    return uow.session.scalars(select(AlarmHistory).where(
        AlarmHistory.alarm_id == alarm.id).order_by(AlarmHistory.id)).all()


def recipients(uow: UnitOfWork, alarm: Alarm) -> Sequence[AlarmRecipient]:
    return uow.session.scalars(select(AlarmRecipient).where(
        AlarmRecipient.alarm_id == alarm.id).order_by(AlarmRecipient.level,
                                                      AlarmRecipient.user_id)).all()


# --- handling --------------------------------------------------------------------------------


def _move(uow: UnitOfWork, actor: Principal | SystemActor, alarm: Alarm, target: str,
          action: str, note: str | None, extra: dict[str, Any] | None = None) -> Alarm:
    rules.check_transition(alarm.state, target)
    before, now = alarm.state, uow.clock.now()
    alarm.state = target
    if target in ("acknowledged", "assigned") and alarm.acknowledged_at is None:
        alarm.acknowledged_at, alarm.acknowledged_by = now, actor.actor_id
    if target in CLOSED_STATES:
        alarm.closed_at, alarm.closed_by = now, actor.actor_id
    if target != "new":
        alarm.next_escalation_at = None  # someone has it: the SLA clock stops
    _history(uow, alarm, actor.actor_id, action, before, target, note)
    uow.session.flush()
    audit.record(uow, actor, f"alarm.{action}", entity_type="alarm", entity_id=alarm.id,
                 changes={"from": before, "to": target, "note": note, **(extra or {})})
    _announce(uow, alarm, action)
    return alarm


def acknowledge(uow: UnitOfWork, principal: Principal, alarm_id: str,
                note: str | None = None) -> Alarm:
    alarm = get_alarm(uow, principal, alarm_id, HANDLE)
    return _move(uow, principal, alarm, "acknowledged", "acknowledged", note)


def assign(uow: UnitOfWork, principal: Principal, alarm_id: str, user_id: str,
           note: str | None = None) -> Alarm:
    """Give the alarm to someone (a field agent to go and look, a collector to call)."""
    alarm = get_alarm(uow, principal, alarm_id, HANDLE)
    rules.check_transition(alarm.state, "assigned")
    user = uow.session.scalar(select(User).where(User.id == user_id,
                                                 User.tenant_id == principal.tenant_id,
                                                 User.is_active.is_(True)))
    unit = uow.session.get(OrgUnit, user.org_unit_id) if user is not None else None
    if user is None or unit is None or not reaches_unit(principal, HANDLE, unit):
        raise InvalidInput(f"no user {user_id} you may assign to", code="unknown_reference",
                           field="user_id")
    if not user_principal(uow, user).can(HANDLE):
        raise InvalidInput("that user may not handle alarms", code="cannot_handle",
                           field="user_id")
    alarm.assigned_to, alarm.assigned_at = user.id, uow.clock.now()
    return _move(uow, principal, alarm, "assigned", "assigned", note, {"assigned_to": user.id})


def resolve(uow: UnitOfWork, principal: Principal, alarm_id: str,
            note: str | None = None) -> Alarm:
    alarm = get_alarm(uow, principal, alarm_id, HANDLE)
    return _move(uow, principal, alarm, "resolved", "resolved", note)


def false_alarm(uow: UnitOfWork, principal: Principal, alarm_id: str, note: str) -> Alarm:
    alarm = get_alarm(uow, principal, alarm_id, HANDLE)
    return _move(uow, principal, alarm, "false_alarm", "false_alarm", note)


def add_note(uow: UnitOfWork, principal: Principal, alarm_id: str, text: str) -> Alarm:
    alarm = get_alarm(uow, principal, alarm_id, HANDLE)
    _history(uow, alarm, principal.actor_id, "note", None, None, text)
    uow.session.flush()
    audit.record(uow, principal, "alarm.noted", entity_type="alarm", entity_id=alarm.id,
                 changes={"note": text})
    _announce(uow, alarm, "noted")
    return alarm
