"""Pure alarm rules: findings into alarms, the state machine, routing and escalation."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.alerts import rules
from fengkong.alerts.rules import Action, Finding, OpenAlarm
from fengkong.alerts.vocabulary import ALARM_TYPES, DEFAULT_RULES, SEVERITIES, Rule, default_rule
from fengkong.core.errors import Conflict, InvalidInput

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
RULE = Rule("powerCut", "critical", dedup_window_s=600, cooldown_s=300, auto_resolve=True)


def finding(state: str = "raised", at: datetime = T0, severity: str = "warning") -> Finding:
    return Finding("powerCut", severity, state, "powerCut:D1", at)


def test_every_type_of_the_contract_has_a_default_rule() -> None:
    contract = {"geofenceExit", "geofenceEnter", "riskAreaDwell", "powerCut", "removal",
                "offline", "lowBattery", "gpsAntennaCut", "jamming", "stuckGps", "simChanged",
                "tampering", "sos", "vibration", "overspeed", "towing", "nightAway",
                "newFrequentPlace", "idleLong", "leftHomeCity", "leftHomeProvince",
                "towardBorder", "positionJump", "installationFailed"}
    assert contract <= set(ALARM_TYPES)
    assert all(DEFAULT_RULES[t].severity in SEVERITIES for t in contract - {"offline"})
    assert DEFAULT_RULES["offline"].severity is None  # the analyzer knows if it was moving
    assert all(r.escalate_after_s == 15 * 60 for r in DEFAULT_RULES.values())


def test_an_unknown_type_keeps_the_analyzers_severity() -> None:
    assert default_rule("somethingNew").severity is None
    decision = rules.decide(default_rule("somethingNew"), finding(severity="info"), None, None)
    assert (decision.action, decision.severity) == (Action.CREATE, "info")


def test_a_first_finding_creates_an_alarm_with_the_rules_severity() -> None:
    decision = rules.decide(RULE, finding(), None, None)
    assert decision == rules.Decision(Action.CREATE, "critical")


def test_a_repeat_within_the_dedup_window_is_merged() -> None:
    open_alarm = OpenAlarm(T0, T0)
    assert rules.decide(RULE, finding(at=T0 + timedelta(seconds=600)), open_alarm,
                        None).action is Action.MERGE
    assert rules.decide(RULE, finding(at=T0 + timedelta(seconds=601)), open_alarm,
                        None).action is Action.CREATE


def test_a_repeat_soon_after_closing_is_held_back_by_the_cool_down() -> None:
    assert rules.decide(RULE, finding(at=T0 + timedelta(seconds=299)), None,
                        T0).action is Action.SUPPRESS
    assert rules.decide(RULE, finding(at=T0 + timedelta(seconds=300)), None,
                        T0).action is Action.CREATE


def test_clearing_resolves_only_when_the_rule_auto_resolves() -> None:
    assert rules.decide(RULE, finding("cleared"), OpenAlarm(T0, T0), None).action is Action.RESOLVE
    manual = Rule("powerCut", "critical", auto_resolve=False)
    assert rules.decide(manual, finding("cleared"), OpenAlarm(T0, T0),
                        None).action is Action.NOTE_CLEARED
    assert rules.decide(RULE, finding("cleared"), None, None).action is Action.SUPPRESS


def test_a_clearing_from_before_the_alarm_began_is_stale() -> None:
    earlier = finding("cleared", at=T0 - timedelta(seconds=1))
    assert rules.decide(RULE, earlier, OpenAlarm(T0, T0), None).action is Action.SUPPRESS


def test_a_disabled_type_raises_nothing() -> None:
    off = Rule("powerCut", "critical", enabled=False)
    assert rules.decide(off, finding(), None, None).action is Action.SUPPRESS


@pytest.mark.parametrize(("current", "target"), [
    ("new", "acknowledged"), ("new", "assigned"), ("new", "resolved"),
    ("acknowledged", "assigned"), ("assigned", "assigned"), ("assigned", "false_alarm")])
def test_allowed_transitions(current: str, target: str) -> None:
    rules.check_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("resolved", "acknowledged"), ("false_alarm", "resolved"), ("assigned", "acknowledged"),
    ("acknowledged", "acknowledged"), ("new", "new")])
def test_forbidden_transitions_are_conflicts(current: str, target: str) -> None:
    with pytest.raises(Conflict) as error:
        rules.check_transition(current, target)
    assert error.value.code == "invalid_transition"


def test_a_malformed_finding_is_refused_with_its_field() -> None:
    with pytest.raises(InvalidInput) as error:
        rules.check_finding({"type": "powerCut", "key": "k", "occurred_at": "x",
                             "org_unit_id": "U", "severity": "loud"})
    assert error.value.field == "severity"


PATH = "/HQ/EAST/SH/"


def test_ancestors_are_nearest_first() -> None:
    assert rules.ancestors(PATH) == ["SH", "EAST", "HQ"]


def test_routing_climbs_by_severity() -> None:
    monitors = {"SH": ["m-sh"], "EAST": ["m-east"], "HQ": ["m-hq"]}
    assert [r.user_id for r in rules.route(PATH, "info", monitors)] == ["m-sh"]
    assert [r.user_id for r in rules.route(PATH, "warning", monitors)] == ["m-sh", "m-east"]
    assert [r.user_id for r in rules.route(PATH, "critical", monitors)] == [
        "m-sh", "m-east", "m-hq"]


def test_routing_finds_the_nearest_monitor_when_the_unit_has_none() -> None:
    assert [(r.user_id, r.unit_id) for r in rules.route(PATH, "info", {"HQ": ["m-hq"]})] == [
        ("m-hq", "HQ")]
    assert rules.route(PATH, "info", {}) == []


def test_escalation_goes_to_the_nearest_manager_then_further_up() -> None:
    managers = {"EAST": ["bm-east"], "HQ": ["hq"]}
    assert [r.user_id for r in rules.escalation_targets(PATH, 1, managers)] == ["bm-east"]
    assert [r.user_id for r in rules.escalation_targets(PATH, 2, managers)] == ["hq"]
    assert rules.escalation_targets(PATH, 3, managers) == []


def test_only_critical_alarms_have_an_sla_timer() -> None:
    rule = Rule("x", None, escalate_after_s=900, escalate_again_s=600)
    assert rules.next_escalation_at(rule, "warning", T0, 0) is None
    assert rules.next_escalation_at(rule, "critical", T0, 0) == T0 + timedelta(minutes=15)
    assert rules.next_escalation_at(rule, "critical", T0, 1) == T0 + timedelta(minutes=25)


@given(st.integers(0, 10_000), st.integers(0, 4))
def test_escalation_level_follows_the_timer(minutes: int, top: int) -> None:
    rule = Rule("x", None, escalate_after_s=900, escalate_again_s=600)
    now = T0 + timedelta(minutes=minutes)
    level = rules.escalations_due(rule, "critical", T0, 0, now, top)
    expected = 0 if minutes < 15 else 1 + (minutes - 15) // 10
    assert level == min(top, expected)
