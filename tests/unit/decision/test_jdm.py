"""GoRules JDM export and import of decision tables, checked against zen-engine itself."""

from __future__ import annotations

import pytest
import zen

from benchmarks._strategies import TABLE_INPUTS, table_cases, table_jdm, table_strategy
from fengkong.core.errors import InvalidInput
from fengkong.decision.document import compile_strategy
from fengkong.decision.engine import coerce_inputs, evaluate
from fengkong.decision.jdm import export_table, import_table


def _ours(doc: dict, case: dict) -> dict:
    strategy = compile_strategy(doc)
    values, _ = coerce_inputs(strategy, case)
    return evaluate(strategy, values, 0).outputs


def test_an_exported_table_gives_zen_the_same_answers() -> None:
    doc = table_strategy()
    graph = export_table(doc["tables"][0])
    decision = zen.ZenEngine({"loader": {"type": "static", "content": {"t": graph}}})
    for case in table_cases(300, seed=3):
        theirs = decision.evaluate("t", case)["result"]
        mine = _ours(doc, case)
        assert (theirs["decision"], theirs["reason_code"]) == (mine["decision"],
                                                               mine["reason_code"])


def test_a_zen_table_imports_into_a_strategy_that_decides_alike() -> None:
    table = import_table(table_jdm())
    assert table["inputs"] == [f"applicant_{n}" for n in TABLE_INPUTS]
    doc = {"kind": "strategy", "name": "imported", "stage": "application", "product": "X",
           "inputs": {f"applicant_{n}": ("boolean" if n == "blacklisted" else "number")
                      for n in TABLE_INPUTS},
           "tables": [{**table, "outputs": ["table_decision", "reasonCode"],
                       "rows": [{"when": r["when"], "then": {
                           "table_decision": r["then"]["decision"].lower(),
                           "reasonCode": r["then"]["reasonCode"]}} for r in table["rows"]]}],
           "outputs": {"reasonCode": "string",
                       "decision_from_table": {"type": "string", "value": "table_decision"}}}
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {"t": table_jdm()}}})
    for case in table_cases(200, seed=5):
        mine = _ours(doc, {f"applicant_{k}": v for k, v in case.items()})
        theirs = engine.evaluate("t", {"applicant": case})["result"]
        assert mine["reasonCode"] == theirs["reasonCode"]
        assert mine["decision_from_table"] == theirs["decision"].lower()


def test_round_trip_keeps_the_table() -> None:
    table = table_strategy()["tables"][0]
    back = import_table(export_table(table))
    assert back["rows"] == [{"when": r["when"], "then": r["then"]} for r in table["rows"]]
    assert back["hit_policy"] == "first" and back["outputs"] == table["outputs"]


def test_unsupported_jdm_is_refused_with_a_field() -> None:
    graph = table_jdm()
    graph["nodes"][1]["content"]["rules"][0]["o_dec"] = "score * 2"
    with pytest.raises(InvalidInput) as caught:
        import_table(graph)
    assert caught.value.code == "jdm_unsupported"
    with pytest.raises(InvalidInput):
        import_table({"nodes": []})
    with pytest.raises(InvalidInput):
        export_table({**table_strategy()["tables"][0], "hit_policy": "priority"})
