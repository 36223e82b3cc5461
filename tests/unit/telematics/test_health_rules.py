"""Pure device-health rules and the installation check's judgement."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from fengkong.telematics.health import installation, rules
from fengkong.telematics.health.rules import HealthPolicy, Memory, Observation, Silent

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
POLICY = HealthPolicy()


def fix(minutes: float, **attributes: object) -> Observation:
    return Observation(T0 + timedelta(minutes=minutes), True, "P", 31.2, 121.4, 0.0,
                       attributes)


def test_a_condition_is_raised_once_and_cleared_once() -> None:
    out = rules.judge_reports("D", True, Memory(), [fix(0, charging=False),
                                                    fix(1, charging=False)], POLICY)
    assert [(f.type, f.state) for f in out.findings] == [("powerCut", "raised")]
    back = rules.judge_reports("D", True, out.memory, [fix(2, charging=True)], POLICY)
    assert [(f.type, f.state) for f in back.findings] == [("powerCut", "cleared")]
    assert back.memory.active == frozenset()


def test_reports_not_after_the_newest_judged_are_history() -> None:
    memory = Memory(judged_at=T0 + timedelta(minutes=10))
    out = rules.judge_reports("D", True, memory, [fix(5, charging=False, battery_level=1)],
                              POLICY)
    assert out.findings == [] and out.memory.judged_at == memory.judged_at


def test_reports_are_judged_in_time_order_whatever_the_arrival() -> None:
    out = rules.judge_reports("D", True, Memory(), [fix(2, charging=True),
                                                    fix(1, charging=False)], POLICY)
    assert [(f.type, f.state) for f in out.findings] == [("powerCut", "raised"),
                                                         ("powerCut", "cleared")]


def test_device_alarms_map_to_the_vocabulary_and_history_is_ignored() -> None:
    out = rules.judge_device_alarms("D", Memory(), ["removing", "tow", "door"], T0, None,
                                    False, POLICY)
    assert [f.type for f in out.findings] == ["removal", "towing"]
    assert rules.judge_device_alarms("D", Memory(), ["sos"], T0, None, True,
                                     POLICY).findings == []
    late = Memory(judged_at=T0 + timedelta(hours=1))
    assert rules.judge_device_alarms("D", late, ["sos"], T0, None, False,
                                     POLICY).findings == []


def test_removal_needs_the_wireless_unit_heard_after_the_wired_one_fell_silent() -> None:
    wired = Silent("W", T0, 0.0, False, None)
    now = T0 + timedelta(minutes=11)
    assert rules.judge_removal(wired, "X", now - timedelta(minutes=1), now, POLICY)
    assert rules.judge_removal(wired, "X", now - timedelta(minutes=11), now, POLICY) is None
    assert rules.judge_removal(wired, "X", now, T0 + timedelta(minutes=9), POLICY) is None
    # the wireless unit fell silent soon after the wired one: no removal
    assert rules.judge_removal(wired, "X", T0 + timedelta(minutes=2), now, POLICY) is None


@given(st.floats(0, 200), st.integers(0, 120))
def test_offline_severity_depends_on_the_last_known_motion(speed: float, minutes: int) -> None:
    silent = Silent("D", T0, speed, None, None)
    found = rules.judge_offline(silent, T0 + timedelta(minutes=minutes), POLICY)
    if minutes < 20:
        assert found is None
    else:
        assert found is not None
        assert found.severity == ("critical" if speed > POLICY.moving_kmh else "warning")
        assert found.occurred_at == T0 + POLICY.offline_after


def test_jamming_needs_several_cells_without_a_fix() -> None:
    reports = [Observation(T0 + timedelta(minutes=i), False,
                           attributes={"mcc": 460, "mnc": 0, "lac": 1, "cid": c})
               for i, c in enumerate((1, 1, 2))]
    out = rules.judge_reports("D", False, Memory(), reports, POLICY)
    assert [f.type for f in out.findings] == ["jamming"]
    same = [Observation(r.at, False, attributes={**r.attributes, "cid": 1}) for r in reports]
    assert rules.judge_reports("D", False, Memory(), same, POLICY).findings == []


def facts(**changes: object) -> installation.DeviceFacts:
    base = dict(device_id="D", wired=True, installed_at=T0, install_latitude=31.2,
                install_longitude=121.4, last_seen=T0 + timedelta(minutes=1),
                fix_time=T0 + timedelta(minutes=1), valid=True, latitude=31.2005,
                longitude=121.4005, external_power=True)
    return installation.DeviceFacts(**{**base, **changes})  # type: ignore[arg-type]


def test_installation_reasons() -> None:
    policy = installation.CheckPolicy()
    assert installation.reasons(facts(), policy) == []
    assert installation.reasons(facts(latitude=31.3), policy) == ["far_from_installation"]
    assert installation.reasons(facts(fix_time=T0 - timedelta(hours=1)), policy) == [
        "no_valid_fix"]
    assert installation.reasons(facts(external_power=None), policy) == ["no_external_power"]
    assert installation.reasons(facts(wired=False, external_power=None), policy) == []
    assert installation.reasons(facts(install_latitude=None, install_longitude=None,
                                      latitude=40.0), policy) == []


def test_installation_verdict() -> None:
    deadline = T0 + timedelta(minutes=30)
    assert installation.verdict([("D", [])], T0, deadline) == "passed"
    assert installation.verdict([("D", ["no_valid_fix"])], T0, deadline) == "pending"
    assert installation.verdict([("D", ["no_valid_fix"])], deadline, deadline) == "failed"
    assert installation.verdict([], deadline, deadline) == "failed"
