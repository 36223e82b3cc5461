"""The SLA timer: unacknowledged critical alarms go up to the nearest branch manager after
the rule's time, and one level further up after each further period (a scheduler tick with
the clock it is given)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from fengkong.alerts import people, rules
from fengkong.alerts.alarm_service import _announce, _history, add_recipients, system_actor
from fengkong.alerts.models import Alarm
from fengkong.alerts.rule_service import rule_for
from fengkong.core import audit_service as audit
from fengkong.core.clock import Clock
from fengkong.core.uow import UnitOfWork

BATCH = 200


def escalate_due(uow: UnitOfWork) -> int:
    """Escalate every alarm whose timer has run out at the unit of work's clock; how many
    were escalated. Never commits."""
    now = uow.clock.now()
    due = uow.session.scalars(select(Alarm).where(
        Alarm.state == "new", Alarm.next_escalation_at.is_not(None),
        Alarm.next_escalation_at <= now).order_by(Alarm.next_escalation_at).limit(BATCH)
        .with_for_update(skip_locked=True)).all()
    for alarm in due:
        _escalate(uow, alarm)
    return len(due)


def _escalate(uow: UnitOfWork, alarm: Alarm) -> None:
    now = uow.clock.now()
    rule = rule_for(uow, alarm.tenant_id, alarm.type)
    path = people.unit_path(uow, alarm.org_unit_id)
    managers = people.holders_by_unit(uow, alarm.tenant_id, rules.ancestors(path),
                                      people.MANAGER_ROLES)
    top = len(rules.escalation_chain(path, managers))
    level = rules.escalations_due(rule, alarm.severity, alarm.created_at,
                                  alarm.escalation_level, now, top)
    reached = []
    for step in range(alarm.escalation_level + 1, level + 1):
        targets = rules.escalation_targets(path, step, managers)
        add_recipients(uow, alarm, targets)
        reached += [t.user_id for t in targets]
    previous, alarm.escalation_level = alarm.escalation_level, level
    alarm.next_escalation_at = (rules.next_escalation_at(rule, alarm.severity, alarm.created_at,
                                                         level) if level < top else None)
    if level == previous:
        return  # no manager above: the timer stops, the monitors keep it
    _history(uow, alarm, "alerts", "escalated", alarm.state, alarm.state,
             f"not acknowledged in time: escalated to level {level}")
    audit.record(uow, system_actor(alarm.tenant_id), "alarm.escalated", entity_type="alarm",
                 entity_id=alarm.id, changes={"from_level": previous, "to_level": level,
                                              "to": reached})
    _announce(uow, alarm, "escalated", path)


def tick(new_uow: Callable[[], UnitOfWork], clock: Clock) -> int:
    """One scheduler tick: escalate what is due, in batches, each its own transaction."""
    total = 0
    while True:
        with new_uow() as uow:
            done = escalate_due(uow)
            uow.commit()
        total += done
        if done < BATCH:
            return total
