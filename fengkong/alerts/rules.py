"""Pure alarm logic: what a finding does to the inbox, the states an alarm moves through,
who it is routed to up the org tree, and when it escalates. No database, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fengkong.alerts.vocabulary import CLOSED_STATES, OPEN_STATES, SEVERITIES, Rule
from fengkong.core.errors import Conflict, InvalidInput

# --- findings into alarms --------------------------------------------------------------------


class Action(StrEnum):
    CREATE = "create"            # a new alarm
    MERGE = "merge"              # counted on the open alarm of the same situation
    RESOLVE = "resolve"          # the condition ended and the rule resolves automatically
    NOTE_CLEARED = "note_cleared"  # the condition ended; a person closes the alarm
    SUPPRESS = "suppress"        # disabled type, cool-down, or a clearing of nothing open


@dataclass(frozen=True, slots=True)
class Finding:
    """A `vehicle.alarm` event, checked."""

    type: str
    severity: str
    state: str  # raised | cleared
    key: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class OpenAlarm:
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    severity: str
    why: str = ""


def decide(rule: Rule, finding: Finding, open_alarm: OpenAlarm | None,
           last_closed_at: datetime | None) -> Decision:
    """What a finding does, given the open alarm of its key (if any) and when the last alarm
    of its key was closed."""
    severity = rule.severity or finding.severity
    if not rule.enabled:
        return Decision(Action.SUPPRESS, severity, "disabled")
    if finding.state == "cleared":
        if open_alarm is None:
            return Decision(Action.SUPPRESS, severity, "nothing open")
        if finding.occurred_at < open_alarm.first_at:
            return Decision(Action.SUPPRESS, severity, "ended before it began: stale")
        return Decision(Action.RESOLVE if rule.auto_resolve else Action.NOTE_CLEARED, severity)
    window = timedelta(seconds=rule.dedup_window_s)
    if open_alarm is not None and finding.occurred_at - open_alarm.last_at <= window:
        return Decision(Action.MERGE, severity)
    if (last_closed_at is not None and open_alarm is None
            and timedelta(0) <= finding.occurred_at - last_closed_at
            < timedelta(seconds=rule.cooldown_s)):
        return Decision(Action.SUPPRESS, severity, "cool-down")
    return Decision(Action.CREATE, severity)


def check_finding(payload: Mapping[str, object]) -> None:
    """Refuse a malformed `vehicle.alarm` payload (a bug in an analyzer, not user input)."""
    for name in ("type", "key", "occurred_at", "org_unit_id"):
        if not isinstance(payload.get(name), str) or not payload[name]:
            raise InvalidInput(f"vehicle.alarm without {name}", code="bad_alarm_event",
                               field=name)
    if payload.get("severity") not in SEVERITIES:
        raise InvalidInput("vehicle.alarm with an unknown severity", code="bad_alarm_event",
                           field="severity")
    if payload.get("state", "raised") not in ("raised", "cleared"):
        raise InvalidInput("vehicle.alarm state is raised or cleared", code="bad_alarm_event",
                           field="state")


# --- the state machine -----------------------------------------------------------------------

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"acknowledged", "assigned", "resolved", "false_alarm"}),
    "acknowledged": frozenset({"assigned", "resolved", "false_alarm"}),
    "assigned": frozenset({"assigned", "resolved", "false_alarm"}),
    "resolved": frozenset(),
    "false_alarm": frozenset(),
}


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise Conflict(f"an alarm that is {current} cannot become {target}",
                       code="invalid_transition", field="state",
                       extra={"state": current, "target": target})


def is_open(state: str) -> bool:
    return state in OPEN_STATES


def is_closed(state: str) -> bool:
    return state in CLOSED_STATES


# --- routing up the tree ---------------------------------------------------------------------

# How many levels of the tree, from the vehicle's unit up, hear of an alarm at first.
ROUTE_LEVELS = {"info": 1, "warning": 2, "critical": 0}  # 0: every level up to the root


def ancestors(path: str) -> list[str]:
    """Unit ids of a materialized path, nearest first: "/root/east/sh/" -> [sh, east, root]."""
    return [part for part in reversed(path.strip("/").split("/")) if part]


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: str
    unit_id: str
    level: int  # 0: routed on arrival; n: the n-th escalation


def route(unit_path: str, severity: str,
          monitors_by_unit: Mapping[str, Sequence[str]]) -> list[Recipient]:
    """The monitors an alarm goes to: those of the vehicle's unit and, by severity, of the
    units above it; when none of those units has a monitor, the nearest one above that has."""
    chain = ancestors(unit_path)
    levels = ROUTE_LEVELS[severity] or len(chain)
    out = [Recipient(user, unit, 0) for unit in chain[:levels]
           for user in monitors_by_unit.get(unit, ())]
    if not out:
        for unit in chain[levels:]:
            if monitors_by_unit.get(unit):
                return [Recipient(user, unit, 0) for user in monitors_by_unit[unit]]
    return out


def escalation_chain(unit_path: str,
                     managers_by_unit: Mapping[str, Sequence[str]]) -> list[tuple[str, list[str]]]:
    """The units with managers from the vehicle's unit up: escalation n goes to entry n-1."""
    return [(unit, list(managers_by_unit[unit])) for unit in ancestors(unit_path)
            if managers_by_unit.get(unit)]


def escalation_targets(unit_path: str, level: int,
                       managers_by_unit: Mapping[str, Sequence[str]]) -> list[Recipient]:
    chain = escalation_chain(unit_path, managers_by_unit)
    if not 1 <= level <= len(chain):
        return []
    unit, users = chain[level - 1]
    return [Recipient(user, unit, level) for user in users]


def next_escalation_at(rule: Rule, severity: str, created_at: datetime,
                       level: int) -> datetime | None:
    """When an unacknowledged alarm at escalation `level` goes one level up; None when it
    never does (only critical alarms escalate)."""
    if severity != "critical":
        return None
    first = created_at + timedelta(seconds=rule.escalate_after_s)
    return first + timedelta(seconds=rule.escalate_again_s) * level


def escalations_due(rule: Rule, severity: str, created_at: datetime, level: int,
                    now: datetime, top: int) -> int:
    """The escalation level an unacknowledged alarm should have reached by `now` (at most
    `top`, the number of manager levels above it)."""
    reached = level
    while reached < top:
        due = next_escalation_at(rule, severity, created_at, reached)
        if due is None or due > now:
            break
        reached += 1
    return reached
