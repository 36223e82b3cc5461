"""Simulation reports and the persistent random numbers of champion/challenger."""

from __future__ import annotations

from pathlib import Path

import pytest

from fengkong.decision.arms import random_number
from fengkong.decision.document import compile_strategy
from fengkong.decision.simulation import Case, expected_bad_rate, read_csv, simulate
from tests.unit.decision.samples import GOOD_APPLICANT, strategy

CHAMPION = compile_strategy(strategy())


def _candidate() -> dict:
    doc = strategy()
    doc["tree"]["branches"][0]["when"] = "score < 560"  # declines what the champion refers
    return doc


def test_random_numbers_are_stable_spread_and_differ_between_tenants() -> None:
    assert random_number("t1", "A-1") == random_number("t1", "A-1")
    numbers = [random_number("t1", f"A-{i}") for i in range(5000)]
    assert all(0 <= n <= 999 for n in numbers)
    assert 400 < sum(n >= 500 for n in numbers) / 5 < 600  # about half above the middle
    assert sum(random_number("t2", f"A-{i}") == numbers[i] for i in range(5000)) < 50


def test_a_simulation_compares_approval_scores_and_swaps() -> None:
    good = Case(dict(GOOD_APPLICANT), 10, False)
    middling = Case({**GOOD_APPLICANT, "age": 22, "monthly_debt": 8000}, 10, True)
    report = simulate(compile_strategy(_candidate()), CHAMPION, [good, middling, good])
    assert report["cases"] == 3
    assert report["baseline"]["approval_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["candidate"]["approval_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["baseline"]["refer_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["candidate"]["decline_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["swap_set"]["refer"]["decline"] == 1
    assert report["swap_set"]["approve"]["approve"] == 2
    assert report["swap_out"] == 0
    bands = {(b["lower"], b["upper"]): b for b in report["bad_rate_by_band"]}
    assert bands[(580, 600)]["observed_bad_rate"] == 0.0  # score 590, good twice
    assert bands[(540, 560)]["observed_bad_rate"] == 1.0  # score 540, bad
    assert sum(b["count"] for b in report["candidate"]["score_distribution"]) == 3


def test_expected_bad_rate_follows_the_scaling() -> None:
    # 600 points at 50:1 good:bad odds, doubling every 20 points
    assert expected_bad_rate(CHAMPION, 600) == pytest.approx(1 / 51)
    assert expected_bad_rate(CHAMPION, 580) == pytest.approx(1 / 26)


def test_cases_that_fail_are_counted_not_fatal() -> None:
    broken = Case({**GOOD_APPLICANT, "age": "old"}, 1, None)
    report = simulate(CHAMPION, None, [broken, Case(dict(GOOD_APPLICANT), 1, None)])
    assert report["candidate"]["errors"] == 1
    assert "age" in report["candidate"]["first_error"]
    assert report["candidate"]["decided"] == 1


def test_a_csv_of_history_is_read_by_the_declared_types(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("age,income,monthly_debt,channel,blacklisted,loan_amount,car_price,"
                    "bureau_hits,bad,random_number\n"
                    "35,20000,4000,branch,false,100000,150000,,0,950\n"
                    "22,20000,8000,online,no,100000,150000,1,bad,3\n", encoding="utf-8")
    cases = list(read_csv(path, CHAMPION))
    assert cases[0].inputs == {**GOOD_APPLICANT, "bureau_hits": None}
    assert (cases[0].random_number, cases[0].bad) == (950, False)
    assert cases[1].inputs["blacklisted"] is False and cases[1].bad is True
    report = simulate(CHAMPION, None, cases)
    assert report["candidate"]["arms"]["tight"]["decided"] == 1


def test_a_bad_csv_value_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    path.write_text("age,income\nthirty,100\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2, column age"):
        list(read_csv(path, CHAMPION))


def test_the_lean_path_agrees_with_the_full_evaluation() -> None:
    import random

    from benchmarks._strategies import application_case, application_strategy
    from fengkong.decision.engine import coerce_inputs, decide_only, evaluate

    compiled = compile_strategy(application_strategy())
    rnd = random.Random(5)
    seen = set()
    for _ in range(2000):
        case, number = application_case(rnd), rnd.randrange(1000)
        values, _ = coerce_inputs(compiled, case)
        full = evaluate(compiled, dict(values), number)
        assert decide_only(compiled, dict(values), number) == (full.decision, full.score,
                                                                full.arm)
        seen.add(full.decision)
    assert seen == {"approve", "refer", "decline"}


def test_workers_give_the_same_report_as_one_process() -> None:
    import random

    from benchmarks._strategies import application_case, application_strategy

    champion = compile_strategy(application_strategy())
    doc = application_strategy()
    doc["tree"]["branches"][0]["when"] = "score < 490"
    candidate = compile_strategy(doc)
    rnd = random.Random(9)
    cases = [Case(application_case(rnd), rnd.randrange(1000), rnd.random() < 0.2)
             for _ in range(3000)]
    one = simulate(candidate, champion, cases)
    two = simulate(candidate, champion, cases, workers=2, chunk=500)
    for key in ("cases", "swap_set", "swap_in", "swap_out", "bad_rate_by_band"):
        assert one[key] == two[key], key
    for side in ("candidate", "baseline"):
        for key in ("decided", "approval_rate", "mean_score", "score_distribution", "arms"):
            assert one[side][key] == two[side][key], (side, key)
    assert one["swap_set"]["refer"]["decline"] > 0  # the stricter cut-off declines referrals
