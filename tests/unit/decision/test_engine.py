"""Evaluating compiled strategies: rules, scorecards, tables, the tree, arms and the trace."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.decision import scorecard as sc
from fengkong.decision.document import compile_strategy
from fengkong.decision.engine import DecisionError, Outcome, coerce_inputs, evaluate
from fengkong.decision.problems import Problems
from tests.unit.decision.samples import GOOD_APPLICANT, scorecard, strategy

STRATEGY = compile_strategy(strategy())


def decide(number: int = 10, **changes: Any) -> Outcome:
    values, bad = coerce_inputs(STRATEGY, {**GOOD_APPLICANT, **changes})
    assert bad == []
    return evaluate(STRATEGY, values, number)


def test_a_good_applicant_is_approved_with_outputs_and_a_full_trace() -> None:
    out = decide()
    assert out.decision == "approve"
    assert out.score == 590.0  # 500 + 30 (age 35) + 40 (dti 0.2) + 20 (branch)
    assert out.outputs == {"decision": "approve", "credit_limit": 100000, "price_tier": "A",
                           "rate": 6.5, "gps_devices": 1, "down_payment": 50000}
    assert out.reason_codes == ["AGE"]  # 15 points short of the best age bin
    assert out.trace["path"] == ["root", "high"]
    assert out.trace["derived"] == {"dti": 0.2, "ltv": pytest.approx(2 / 3)}
    assert out.trace["tables"] == [{"table": "pricing", "rows": [0],
                                    "outputs": {"price_tier": "A", "rate": 6.5}}]
    points = out.trace["scorecards"][0]["points"]
    assert [p["points"] for p in points] == [30.0, 40.0, 20.0]
    assert out.arm == "champion"


def test_knock_out_rules_decline_whatever_the_score_says() -> None:
    out = decide(blacklisted=True, age=70)
    assert out.decision == "decline"
    assert [h["id"] for h in out.trace["rule_hits"]] == ["KO_BL", "KO_AGE"]
    assert out.reason_codes[:2] == ["BLACKLIST", "AGE_LIMIT"]


def test_a_refer_rule_turns_an_approval_into_a_referral() -> None:
    out = decide(bureau_hits=4)
    assert out.decision == "refer"
    assert out.reason_codes[0] == "INQUIRIES"


def test_a_low_score_takes_the_decline_leaf_and_ranks_reasons_by_points_lost() -> None:
    out = decide(age=22, monthly_debt=12000, channel="online")
    # age: 45-10=35 lost, dti 0.6: 40-0=40 lost, channel: 20-5=15 lost
    assert out.score == 515.0
    assert out.decision == "decline"
    assert out.reason_codes == ["DTI", "AGE", "CHANNEL"]
    assert out.trace["path"] == ["root", "low"]
    assert out.outputs["price_tier"] == "C"


def test_the_challenger_arm_follows_its_own_branch() -> None:
    out = decide(number=950)
    assert out.arm == "tight"
    assert out.decision == "refer"
    assert out.trace["path"] == ["root", "middle"]
    assert out.outputs["credit_limit"] == 60000


def test_inputs_are_checked_against_the_declared_features() -> None:
    _, bad = coerce_inputs(STRATEGY, {**GOOD_APPLICANT, "age": "35", "shoe_size": 9,
                                      "income": None})
    assert ("age", "wrong_type", "age is a number") in bad
    assert ("shoe_size", "unknown_field", "the strategy has no input shoe_size") in bad
    assert ("income", "required", "income is required") in bad


def test_an_evaluation_error_names_the_rule_and_the_position() -> None:
    doc = strategy()
    doc["rule_sets"][0]["rules"].append({"id": "BAD", "when": "channel > 5",
                                         "action": "refer", "reason_code": "X"})
    compiled = compile_strategy(doc)
    values, _ = coerce_inputs(compiled, GOOD_APPLICANT)
    with pytest.raises(DecisionError) as caught:
        evaluate(compiled, values, 1)
    assert caught.value.where == "rule BAD"
    assert "position 8" in caught.value.message


def test_a_scorecard_without_a_missing_bin_names_the_characteristic() -> None:
    doc = scorecard()
    doc["characteristics"][0]["bins"].pop()  # no missing bin for age
    card = sc.parse(doc, Problems())
    assert card is not None
    with pytest.raises(sc.ScoringError, match="characteristic age"):
        sc.evaluate(card, {"dti": 0.1, "channel": "x"})


def test_categorical_bins_take_other_and_missing_values() -> None:
    card = sc.parse(scorecard(), Problems())
    assert card is not None
    result = sc.evaluate(card, {"age": 50, "dti": None, "channel": "kiosk"})
    assert [p["bin"] for p in result.points] == [2, 3, 2]
    assert result.score == 550.0
    # dti lost 35, channel lost 20: ties would go by characteristic order
    assert result.reason_codes == ["DTI", "CHANNEL"]


def test_reason_code_ties_go_by_characteristic_order() -> None:
    doc = scorecard()
    doc["characteristics"][1]["bins"][2]["points"] = 5.0  # dti >= 0.5 loses 35, like age < 25
    card = sc.parse(doc, Problems())
    assert card is not None
    result = sc.evaluate(card, {"age": 20, "dti": 0.9, "channel": "branch"})
    assert result.reason_codes == ["AGE", "DTI"]


def _table_strategy(policy: str, rows: list[dict[str, Any]]) -> Any:
    doc = strategy()
    doc["tables"] = [{"name": "t", "hit_policy": policy, "complete": False,
                      "inputs": ["age", "channel"], "outputs": ["tag"], "rows": rows}]
    doc["outputs"]["tag"] = {"type": "any"}
    doc["tables"].append(strategy()["tables"][0])
    return compile_strategy(doc)


def test_collect_gathers_every_matching_row_and_priority_takes_the_highest() -> None:
    rows = [{"when": ["< 40", ""], "then": {"tag": "young"}, "priority": 1},
            {"when": ["", '"branch","dealer"'], "then": {"tag": "branch"}, "priority": 5},
            {"when": ["> 60", ""], "then": {"tag": "old"}, "priority": 9}]
    for policy, expected in (("collect", ["young", "branch"]), ("priority", "branch"),
                             ("first", "young")):
        compiled = _table_strategy(policy, rows)
        values, _ = coerce_inputs(compiled, GOOD_APPLICANT)
        assert evaluate(compiled, values, 1).outputs["tag"] == expected, policy


@settings(max_examples=60)
@given(age=st.integers(18, 65), income=st.integers(1, 100_000),
       debt=st.integers(0, 100_000), number=st.integers(0, 999),
       channel=st.sampled_from(["branch", "online", "dealer", "kiosk"]))
def test_the_same_inputs_always_give_the_same_outcome(age: int, income: int, debt: int,
                                                       number: int, channel: str) -> None:
    first = decide(number, age=age, income=income, monthly_debt=debt, channel=channel)
    again = decide(number, age=age, income=income, monthly_debt=debt, channel=channel)
    assert first == again
    assert first.decision in ("approve", "refer", "decline")
    assert first.score == round(500 + sum(p["points"] for p in
                                          first.trace["scorecards"][0]["points"]), 2)


def _stage_strategy(stage: str) -> Any:
    return compile_strategy({
        "kind": "strategy", "name": stage, "stage": stage, "product": "CAR",
        "inputs": {"dpd": "number", "balance": "number", "gps_offline_days": "number",
                   "limit": "number", "next_due": "date", "as_of": "date"},
        "derived": {"days_to_due": "days_between(as_of, next_due)"},
        "tables": [{"name": "bucket", "hit_policy": "first", "inputs": ["dpd"],
                    "outputs": ["bucket"], "rows": [
                        {"when": ["< 1"], "then": {"bucket": "M0"}},
                        {"when": ["[1..30]"], "then": {"bucket": "M1"}},
                        {"when": ["(30..60]"], "then": {"bucket": "M2"}},
                        {"when": ["> 60"], "then": {"bucket": "M3+"}}]}],
        "tree": {"id": "root", "branches": [
            {"when": "gps_offline_days >= 3 and dpd > 0", "node": {
                "id": "vehicle_risk", "actions": {
                    "collections_queue": "field", "action_path": ["call", "field_visit"],
                    "account_actions": ["freeze"], "decision": "refer"},
                "compute": {"limit_change": "-limit"}}},
            {"when": "bucket == 'M1' and balance < 50000", "node": {
                "id": "early", "actions": {"collections_queue": "robot",
                                           "action_path": ["sms", "ivr"]}}},
        ], "else": {"id": "standard", "actions": {"collections_queue": "desk",
                                                  "action_path": ["call"]},
                    "compute": {"reminder_on": "next_due - 3"}}},
        "outputs": {"collections_queue": "string", "action_path": "list",
                    "account_actions": "list", "limit_change": "number",
                    "reminder_on": "date", "bucket": "string",
                    "days_to_due": {"type": "number", "value": "days_to_due"}},
    })


@pytest.mark.parametrize("stage", ["account_management", "collections"])
def test_account_and_collections_strategies_route_by_bucket_and_vehicle_signals(
        stage: str) -> None:
    compiled = _stage_strategy(stage)
    base = {"dpd": 12, "balance": 30000, "gps_offline_days": 0, "limit": 80000,
            "next_due": "2026-02-10", "as_of": "2026-01-31"}
    cases = [({}, "robot", ["sms", "ivr"], "approve"),
             ({"gps_offline_days": 5}, "field", ["call", "field_visit"], "refer"),
             ({"dpd": 45}, "desk", ["call"], "approve")]
    for change, queue, path, decision in cases:
        values, bad = coerce_inputs(compiled, {**base, **change})
        assert bad == []
        out = evaluate(compiled, values, 1)
        assert (out.outputs["collections_queue"], out.outputs["action_path"]) == (queue, path)
        assert out.decision == decision
    values, _ = coerce_inputs(compiled, {**base, "gps_offline_days": 5})
    frozen = evaluate(compiled, values, 1).outputs
    assert frozen["account_actions"] == ["freeze"] and frozen["limit_change"] == -80000
    values, _ = coerce_inputs(compiled, {**base, "dpd": 45})
    late = evaluate(compiled, values, 1).outputs
    assert late["bucket"] == "M2" and late["reminder_on"] == "2026-02-07"
    assert late["days_to_due"] == 10
