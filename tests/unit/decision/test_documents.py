"""Bad strategy documents are refused with the JSON path and a code for each problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.decision.document import check, compile_strategy
from tests.unit.decision.samples import strategy


def _problems(change: Callable[[dict[str, Any]], None]) -> list[tuple[str, str]]:
    doc = strategy()
    change(doc)
    return [(p["path"], p["code"]) for p in check(doc)]


def test_the_sample_strategy_is_valid() -> None:
    assert check(strategy()) == []


def _table(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["tables"][0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.update(kind="rules"), ("$.kind", "invalid_choice")),
    (lambda d: d.update(stage="origination"), ("$.stage", "invalid_choice")),
    (lambda d: d.update(surprise=1), ("$.surprise", "unknown_field")),
    (lambda d: d.pop("inputs"), ("$.inputs", "required")),
    (lambda d: d["inputs"].update(x={"type": "money"}), ("$.inputs.x.type", "invalid_choice")),
    (lambda d: d["derived"].update(ratio="income / salary"),
     ("$.derived.ratio", "unknown_name")),
    (lambda d: d["derived"].update(ratio="income +"), ("$.derived.ratio", "expression_syntax")),
    (lambda d: d["derived"].update(x="y + 1", y="z * 2", z="x - 1"), ("$.derived.x", "cycle")),
    (lambda d: d["derived"].update(age="1"), ("$.derived.age", "duplicate_name")),
    (lambda d: d["rule_sets"][0]["rules"][1].update(when="__import__('os')"),
     ("$.rule_sets[0].rules[1].when", "forbidden_name")),
    (lambda d: d["rule_sets"][0]["rules"][1].update(action="ban"),
     ("$.rule_sets[0].rules[1].action", "invalid_choice")),
    (lambda d: d["rule_sets"][0]["rules"][1].update(id="KO_BL"),
     ("$.rule_sets[0].rules[1].id", "duplicate")),
    (lambda d: d["rule_sets"][0]["rules"][1].pop("reason_code"),
     ("$.rule_sets[0].rules[1].reason_code", "required")),
    (lambda d: d["scorecards"][0]["scorecard"]["characteristics"][0].update(feature="height"),
     ("$.scorecards[0].scorecard.characteristics[0].feature", "unknown_feature")),
    (lambda d: d["scorecards"][0]["scorecard"]["characteristics"][0]["bins"][1].update(
        lower=26), ("$.scorecards[0].scorecard.characteristics[0].bins[1].lower",
                    "bins_incomplete")),
    (lambda d: d["scorecards"][0]["scorecard"]["characteristics"][0]["bins"][1].update(
        lower=20), ("$.scorecards[0].scorecard.characteristics[0].bins[1]", "bin_overlap")),
    (lambda d: d["scorecards"][0]["scorecard"]["characteristics"][2]["bins"][1].update(
        categories=["branch"]),
     ("$.scorecards[0].scorecard.characteristics[2].bins[1].categories", "bin_overlap")),
    (lambda d: _table(d)["rows"].pop(), ("$.tables[0].rows", "table_incomplete")),
    (lambda d: _table(d)["rows"].insert(2, {"when": [">= 600", "< 0.5"], "then": {}}),
     ("$.tables[0].rows[2]", "table_row_unreachable")),
    (lambda d: _table(d).update(hit_policy="unique"), ("$.tables[0].rows[2]", "table_overlap")),
    (lambda d: _table(d).update(hit_policy="loose"), ("$.tables[0].hit_policy",
                                                      "invalid_choice")),
    (lambda d: _table(d)["rows"][0].update(when=["> 'A'", ""]),
     ("$.tables[0].rows[0].when[0]", "invalid_cell")),
    (lambda d: _table(d)["rows"][0].update(when=['"A"', ""]),
     ("$.tables[0].rows[0].when[0]", "cell_type")),
    (lambda d: _table(d)["rows"][0].update(when=["[9..1]", ""]),
     ("$.tables[0].rows[0].when[0]", "invalid_cell")),
    (lambda d: _table(d)["rows"][0].update(when=[""]), ("$.tables[0].rows[0].when",
                                                        "wrong_width")),
    (lambda d: _table(d)["rows"][0]["then"].update(colour="red"),
     ("$.tables[0].rows[0].then.colour", "unknown_output")),
    (lambda d: d["tree"].pop("else"), ("$.tree.else", "tree_incomplete")),
    (lambda d: d["tree"]["else"].update(id="low"), ("$.tree.else.id", "duplicate")),
    (lambda d: d["tree"]["else"]["actions"].update(decision="maybe"),
     ("$.tree.else.actions.decision", "invalid_choice")),
    (lambda d: d["tree"]["else"]["actions"].update(colour="red"),
     ("$.tree.else.actions.colour", "unknown_output")),
    (lambda d: d["tree"]["branches"][0].update(when="score <"),
     ("$.tree.branches[0].when", "expression_syntax")),
    (lambda d: d["challengers"].append({"arm": "x", "from": 950, "to": 999}),
     ("$.challengers[2]", "arm_overlap")),
    (lambda d: d["challengers"].append({"arm": "x", "from": 5, "to": 1000}),
     ("$.challengers[2]", "invalid_arm")),
])
def test_each_kind_of_mistake_is_pointed_at(change: Callable[[dict[str, Any]], None],
                                            expected: tuple[str, str]) -> None:
    assert expected in _problems(change)


def test_a_cycle_through_a_table_and_a_scorecard_is_found() -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["derived"]["ltv"] = "if price_tier == 'A' then 0.5 else loan_amount / car_price"
    assert ("$.derived.ltv", "cycle") in _problems(change)


def test_the_error_lists_every_problem_and_names_the_first() -> None:
    doc = strategy()
    doc["derived"]["ratio"] = "income +"
    doc["tree"].pop("else")
    with pytest.raises(InvalidInput) as caught:
        compile_strategy(doc)
    assert caught.value.code == "invalid_strategy"
    assert caught.value.field == "$.derived.ratio"
    assert len(caught.value.extra["problems"]) == 2
    assert "position 8" in caught.value.extra["problems"][0]["message"]


def test_collect_tables_may_overlap_and_leave_gaps() -> None:
    doc = strategy()
    _table(doc).update(hit_policy="collect")
    _table(doc)["rows"].pop()
    assert check(doc) == []


def test_a_table_can_opt_out_of_completeness() -> None:
    doc = strategy()
    _table(doc)["rows"].pop()
    _table(doc)["complete"] = False
    assert check(doc) == []


def test_priority_tables_refuse_overlaps_at_equal_priority_only() -> None:
    doc = strategy()
    _table(doc)["hit_policy"] = "priority"
    assert ("$.tables[0].rows[2]", "table_overlap") in _problems(
        lambda d: _table(d).update(hit_policy="priority"))
    for i, row in enumerate(_table(doc)["rows"]):
        row["priority"] = 10 - i
    assert check(doc) == []
