"""Use cases of alarm rules: the tenant's effective rule of every type, and changing them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from fengkong.alerts.models import AlarmRuleRow
from fengkong.alerts.permissions import READ, RULES_MANAGE
from fengkong.alerts.vocabulary import ALARM_TYPES, RULE_FIELDS, SEVERITIES, Rule, default_rule
from fengkong.core import audit_service as audit
from fengkong.core.errors import InvalidInput
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.org.scoping import Principal, scoped

MAX_WINDOW_S = 30 * 24 * 3600


def _from_row(row: AlarmRuleRow) -> Rule:
    return Rule(row.type, row.severity, row.enabled, row.dedup_window_s, row.cooldown_s,
                row.auto_resolve, row.escalate_after_s, row.escalate_again_s)


def tenant_rules(uow: UnitOfWork, tenant_id: str) -> dict[str, Rule]:
    """Every type's rule for a tenant: its own where it changed one, else the default
    (system use: the event handlers)."""
    rules = {t: default_rule(t) for t in ALARM_TYPES}
    rows = uow.session.scalars(select(AlarmRuleRow).where(AlarmRuleRow.tenant_id == tenant_id))
    rules.update({row.type: _from_row(row) for row in rows})
    return rules


def rule_for(uow: UnitOfWork, tenant_id: str, type_: str) -> Rule:
    row = uow.session.scalar(select(AlarmRuleRow).where(AlarmRuleRow.tenant_id == tenant_id,
                                                        AlarmRuleRow.type == type_))
    return _from_row(row) if row is not None else default_rule(type_)


def list_rules(uow: UnitOfWork, principal: Principal) -> list[Rule]:
    rows = uow.session.scalars(scoped(select(AlarmRuleRow), AlarmRuleRow, principal, READ))
    rules = {t: default_rule(t) for t in ALARM_TYPES}
    rules.update({row.type: _from_row(row) for row in rows})
    return list(rules.values())


def _check(index: int, changes: Mapping[str, Any]) -> None:
    where = f"rules.{index}"
    if changes.get("type") not in ALARM_TYPES:
        raise InvalidInput(f"unknown alarm type {changes.get('type')!r}",
                           code="unknown_alarm_type", field=f"{where}.type")
    if "severity" in changes and changes["severity"] not in (None, *SEVERITIES):
        raise InvalidInput("severity is info, warning or critical", code="bad_severity",
                           field=f"{where}.severity")
    for name in ("dedup_window_s", "cooldown_s", "escalate_after_s", "escalate_again_s"):
        value = changes.get(name)
        if value is not None and not 0 <= value <= MAX_WINDOW_S:
            raise InvalidInput(f"{name} is between 0 and {MAX_WINDOW_S} seconds",
                               code="out_of_range", field=f"{where}.{name}")
    if changes.get("escalate_after_s") == 0 or changes.get("escalate_again_s") == 0:
        raise InvalidInput("an escalation period is at least one second", code="out_of_range",
                           field=f"{where}.escalate_after_s")


def update_rules(uow: UnitOfWork, principal: Principal,
                 changes: Sequence[Mapping[str, Any]]) -> list[Rule]:
    """Change some types' rules at once (all or none); audited with the before and after."""
    principal.scope_for(RULES_MANAGE)
    for index, change in enumerate(changes):
        _check(index, change)
    if len({c["type"] for c in changes}) != len(changes):
        raise InvalidInput("name each type once", code="duplicate_type", field="rules")
    rows = {row.type: row for row in uow.session.scalars(scoped(
        select(AlarmRuleRow), AlarmRuleRow, principal, RULES_MANAGE))}
    recorded = []
    for change in changes:
        row = rows.get(change["type"])
        before = _from_row(row) if row is not None else default_rule(change["type"])
        after = before.with_changes({k: v for k, v in change.items() if k in RULE_FIELDS})
        if row is None:
            row = AlarmRuleRow(id=new_id(), tenant_id=principal.tenant_id, type=after.type)
            uow.session.add(row)
        for name in RULE_FIELDS:
            setattr(row, name, getattr(after, name))
        row.updated_at, row.updated_by = uow.clock.now(), principal.actor_id
        recorded.append({"type": after.type, "before": _fields(before),
                         "after": _fields(after)})
    uow.session.flush()
    audit.record(uow, principal, "alarm_rules.changed", entity_type="alarm_rules",
                 entity_id=principal.tenant_id, changes={"rules": recorded})
    return list_rules(uow, principal)


def _fields(rule: Rule) -> dict[str, Any]:
    return {k: v for k, v in asdict(rule).items() if k in RULE_FIELDS}
