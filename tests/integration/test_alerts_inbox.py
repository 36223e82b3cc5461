"""Alarms from findings by the tenant's rules, routed up the org tree, handled through their
states with history and audit, escalated by the SLA timer on an injected clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fengkong.alerts import alarm_service as svc
from fengkong.alerts import escalation_service, rule_service
from fengkong.alerts.models import AlarmRecipient
from fengkong.bootstrap import Container
from fengkong.core import audit_service
from fengkong.core.clock import FixedClock
from fengkong.core.errors import Conflict, InvalidInput, NotFound
from fengkong.core.models import AuditRecord
from fengkong.demo import DemoWorld, principal_of
from tests.integration.alerts_world import alarms, publish, wire


@pytest.fixture
def wired(container: Container, world: DemoWorld) -> Container:
    wire(container)
    return container


def inbox_of(container: Container, alarm_id: str) -> dict[str, int]:
    with container.uow() as uow:
        from fengkong.org.models import User
        rows = uow.session.execute(select(User.username, AlarmRecipient.level).join(
            AlarmRecipient, AlarmRecipient.user_id == User.id).where(
            AlarmRecipient.alarm_id == alarm_id)).all()
    return dict(rows)


def actions(container: Container, alarm_id: str) -> list[str]:
    with container.uow() as uow:
        return list(uow.session.scalars(select(AuditRecord.action).where(
            AuditRecord.entity_id == alarm_id).order_by(AuditRecord.seq)))


def test_a_finding_becomes_an_alarm_routed_to_the_monitors_up_the_tree(
        wired: Container, world: DemoWorld) -> None:
    publish(wired, world)
    (alarm,) = alarms(wired)
    assert (alarm.type, alarm.severity, alarm.state, alarm.org_unit_id) == (
        "powerCut", "critical", "new", world.units["EAST-SH"])
    assert alarm.evidence["text"] == "external power lost"
    # EAST-SH and EAST have no monitor; a critical alarm climbs to the HQ monitor
    assert inbox_of(wired, alarm.id) == {"demo.monitor": 0}
    assert actions(wired, alarm.id) == ["alarm.raised"]
    assert alarm.next_escalation_at == alarm.created_at + timedelta(minutes=15)


def test_repeats_are_merged_and_a_clearing_auto_resolves(wired: Container,
                                                         world: DemoWorld,
                                                         clock: FixedClock) -> None:
    publish(wired, world)
    publish(wired, world, at=clock.now() + timedelta(minutes=5))
    (alarm,) = alarms(wired)
    assert alarm.count == 2
    publish(wired, world, state="cleared", at=clock.now() + timedelta(minutes=6))
    (alarm,) = alarms(wired)
    assert (alarm.state, alarm.closed_by) == ("resolved", "alerts")
    assert actions(wired, alarm.id) == ["alarm.raised", "alarm.auto_resolved"]
    # raised again inside the cool-down: nothing new; after it: a new alarm
    clock.advance(minutes=1)
    publish(wired, world)
    assert len(alarms(wired)) == 1
    clock.advance(minutes=10)
    publish(wired, world)
    assert [a.state for a in alarms(wired)] == ["resolved", "new"]


def test_an_alarm_moves_through_its_states_with_notes_and_audit(
        wired: Container, world: DemoWorld) -> None:
    publish(wired, world, type_="removal", key="removal:V-1")
    (alarm,) = alarms(wired)
    with wired.uow() as uow:
        monitor = principal_of(uow, "demo.monitor")
        svc.acknowledge(uow, monitor, alarm.id, "looking")
        svc.assign(uow, monitor, alarm.id, world.users["demo.field"], "go and see")
        uow.commit()
    with wired.uow() as uow:
        field = principal_of(uow, "demo.field")
        mine = svc.list_alarms(uow, field)
        assert [a.id for a in mine] == [alarm.id]  # own scope: assigned to them
        svc.add_note(uow, field, alarm.id, "tracker found under the seat")
        svc.resolve(uow, field, alarm.id, "refitted")
        uow.commit()
    with wired.uow() as uow:
        stored = svc.get_alarm(uow, principal_of(uow, "demo.monitor"), alarm.id)
        steps = [(h.action, h.from_state, h.to_state) for h in svc.history(uow, stored)]
    assert steps == [("raised", None, "new"), ("acknowledged", "new", "acknowledged"),
                     ("assigned", "acknowledged", "assigned"), ("note", None, None),
                     ("resolved", "assigned", "resolved")]
    assert actions(wired, alarm.id) == ["alarm.raised", "alarm.acknowledged", "alarm.assigned",
                                        "alarm.noted", "alarm.resolved"]
    with wired.uow() as uow, pytest.raises(Conflict):
        svc.false_alarm(uow, principal_of(uow, "demo.monitor"), alarm.id, "too late")


def test_alarms_out_of_reach_do_not_exist_and_assignees_must_be_reachable(
        wired: Container, world: DemoWorld) -> None:
    publish(wired, world)
    (alarm,) = alarms(wired)
    with wired.uow() as uow:
        with pytest.raises(NotFound):
            svc.get_alarm(uow, principal_of(uow, "demo.hz"), alarm.id)
        assert svc.list_alarms(uow, principal_of(uow, "demo.hz")) == []
        with pytest.raises(InvalidInput) as error:
            svc.assign(uow, principal_of(uow, "demo.sh"), alarm.id, world.users["demo.hz"])
        assert error.value.field == "user_id"
        with pytest.raises(InvalidInput) as error:  # finance may not handle alarms
            svc.assign(uow, principal_of(uow, "demo.monitor"), alarm.id,
                       world.users["demo.finance"])
        assert error.value.code == "cannot_handle"
        before = audit_service.count(uow.session)
    assert alarms(wired)[0].state == "new"
    with wired.uow() as uow:
        assert audit_service.count(uow.session) == before


def test_an_unacknowledged_critical_alarm_escalates_up_the_managers(
        wired: Container, world: DemoWorld, clock: FixedClock) -> None:
    publish(wired, world)
    (alarm,) = alarms(wired)
    clock.advance(minutes=14, seconds=59)
    assert escalation_service.tick(wired.uow, clock) == 0
    clock.advance(seconds=1)
    assert escalation_service.tick(wired.uow, clock) == 1
    assert inbox_of(wired, alarm.id) == {"demo.monitor": 0, "demo.sh": 1}
    clock.advance(minutes=15)
    escalation_service.tick(wired.uow, clock)
    assert inbox_of(wired, alarm.id) == {"demo.monitor": 0, "demo.sh": 1, "demo.east": 2}
    with wired.uow() as uow:
        svc.acknowledge(uow, principal_of(uow, "demo.east"), alarm.id)
        uow.commit()
    clock.advance(hours=2)
    assert escalation_service.tick(wired.uow, clock) == 0
    assert alarms(wired)[0].escalation_level == 2
    assert actions(wired, alarm.id).count("alarm.escalated") == 2


def test_a_warning_alarm_never_escalates(wired: Container, world: DemoWorld,
                                         clock: FixedClock) -> None:
    publish(wired, world, type_="offline", severity="warning", key="offline:D-1")
    clock.advance(hours=3)
    assert escalation_service.tick(wired.uow, clock) == 0
    assert alarms(wired)[0].next_escalation_at is None


def test_a_tenants_rule_changes_severity_and_is_audited(wired: Container,
                                                        world: DemoWorld) -> None:
    with wired.uow() as uow:
        strategist = principal_of(uow, "demo.strategist")
        rules = rule_service.update_rules(uow, strategist, [
            {"type": "lowBattery", "severity": "critical", "escalate_after_s": 60}])
        uow.commit()
    assert {r.type: r.severity for r in rules}["lowBattery"] == "critical"
    publish(wired, world, type_="lowBattery", severity="info", key="lowBattery:D-1")
    (alarm,) = alarms(wired)
    assert alarm.severity == "critical"
    assert alarm.next_escalation_at == alarm.created_at + timedelta(seconds=60)
    with wired.uow() as uow:
        (record,) = uow.session.scalars(select(AuditRecord).where(
            AuditRecord.action == "alarm_rules.changed")).all()
        assert "lowBattery" in (record.changes or "")
        with pytest.raises(InvalidInput) as error:
            rule_service.update_rules(uow, strategist, [{"type": "nope"}])
        assert error.value.field == "rules.0.type"


def test_a_disabled_type_raises_no_alarm(wired: Container, world: DemoWorld) -> None:
    with wired.uow() as uow:
        rule_service.update_rules(uow, principal_of(uow, "demo.admin"),
                                  [{"type": "vibration", "enabled": False}])
        uow.commit()
    publish(wired, world, type_="vibration", severity="info", key="vibration:D-1")
    assert alarms(wired) == []
