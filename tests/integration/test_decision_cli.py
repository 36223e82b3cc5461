"""`fengkong strategy validate` and `fengkong strategy simulate` on files."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from fengkong.cli import app
from tests.unit.decision.samples import strategy

runner = CliRunner()


def test_validate_passes_a_good_document_and_lists_the_problems_of_a_bad_one(
        tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(strategy()), encoding="utf-8")
    assert runner.invoke(app, ["strategy", "validate", str(good)]).stdout.strip() == "valid"
    doc = strategy()
    doc["rule_sets"][0]["rules"][0]["when"] = "__import__('os').system('x')"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["strategy", "validate", str(bad)])
    assert result.exit_code == 1
    assert "forbidden_name" in result.output and "$.rule_sets[0].rules[0].when" in result.output


def test_simulate_compares_a_candidate_with_a_baseline_on_a_csv(tmp_path: Path) -> None:
    base = tmp_path / "champion.json"
    base.write_text(json.dumps(strategy()), encoding="utf-8")
    candidate = strategy()
    candidate["tree"]["branches"][0]["when"] = "score < 560"
    cand = tmp_path / "candidate.json"
    cand.write_text(json.dumps(candidate), encoding="utf-8")
    cases = tmp_path / "history.csv"
    rows = ["age,income,monthly_debt,channel,blacklisted,loan_amount,car_price,bad,subject_id"]
    rows += [f"{age},20000,{debt},branch,false,100000,150000,{age % 2},S{age}"
             for age in range(20, 60) for debt in (4000, 9000)]
    cases.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["strategy", "simulate", str(cand), "--cases", str(cases),
                                 "--baseline", str(base)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["cases"] == 80
    assert report["swap_set"]["refer"]["decline"] > 0
    assert report["candidate"]["decline_rate"] > report["baseline"]["decline_rate"]
    assert any(b["observed_bad_rate"] is not None for b in report["bad_rate_by_band"])


def test_simulate_reports_a_bad_csv_value_and_fails(tmp_path: Path) -> None:
    doc = tmp_path / "s.json"
    doc.write_text(json.dumps(strategy()), encoding="utf-8")
    cases = tmp_path / "history.csv"
    cases.write_text("age,income\nold,1\n", encoding="utf-8")
    result = runner.invoke(app, ["strategy", "simulate", str(doc), "--cases", str(cases)])
    assert result.exit_code == 2
    assert "line 2, column age" in result.output
