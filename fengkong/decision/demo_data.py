"""Demo data of the decision engine: an application strategy over the German Credit features
(knock-out rules, a pricing table, a scorecard, a segmentation tree, a 90/10 challenger) for
each demo product, active, and a few decisions with their reasons.

The scorecard here is written by hand in the shared scorecard format, with points in the
direction the German Credit data shows (longer, larger credits and no savings score lower);
a scorecard trained by `fengkong scorecard train` takes its place unchanged."""

from __future__ import annotations

import copy
from typing import Any

from fengkong.core.uow import UnitOfWork
from fengkong.decision import decision_service, strategy_service

PRODUCTS = {"AUTO-60": 2, "LEASE-48": 1, "CASH-24": 0}  # product -> GPS devices when approved


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
                     [(["A11"], 0.0), (["A12"], 12.0), (["A13"], 30.0), (["A14"], 42.0)]),
        _numeric("duration_in_month", "DURATION", "Duration of the credit in months",
                 [12, 24, 36], [38.0, 25.0, 12.0, 0.0]),
        _categorical("credit_history", "HISTORY", "Credit history",
                     [(["A30", "A31"], 0.0), (["A32"], 18.0), (["A33"], 22.0),
                      (["A34"], 34.0)]),
        _numeric("credit_amount", "AMOUNT", "Credit amount",
                 [2500, 5000, 10000], [30.0, 24.0, 12.0, 0.0]),
        _categorical("savings_account_and_bonds", "SAVINGS", "Savings account and bonds",
                     [(["A61"], 0.0), (["A62"], 8.0), (["A63", "A64"], 24.0),
                      (["A65"], 16.0)]),
        _numeric("age_in_years", "AGE", "Age in years", [26, 35, 50],
                 [0.0, 12.0, 20.0, 16.0]),
        _categorical("present_employment_since", "EMPLOYMENT", "Present employment since",
                     [(["A71", "A72"], 0.0), (["A73"], 10.0), (["A74", "A75"], 18.0)]),
    ],
    "development": {"target": "creditability", "bad_value": "bad",
                    "note": "hand-written demo points, not fitted"},
}


def application_strategy(product: str, gps_devices: int) -> dict[str, Any]:
    strings = ("status_of_existing_checking_account", "credit_history",
               "savings_account_and_bonds", "present_employment_since")
    inputs: dict[str, Any] = {name: "string" for name in strings}
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
        "scorecards": [{"variable": "score", "scorecard": copy.deepcopy(SCORECARD)}],
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
                        {"when": [">= 560", "<= 24"], "then": {"price_tier": "A", "rate": 6.8}},
                        {"when": [">= 560", ""], "then": {"price_tier": "A", "rate": 7.4}},
                        {"when": ["[520..560)", ""], "then": {"price_tier": "B", "rate": 9.6}},
                        {"when": ["[480..520)", ""], "then": {"price_tier": "C", "rate": 12.9}},
                        {"when": ["", ""], "then": {"price_tier": "D", "rate": 15.9}},
                    ]}],
        "tree": {"id": "score_band", "branches": [
            {"when": "score < 460", "node": {"id": "decline_low_score",
                                             "actions": {"decision": "decline"}}},
            {"when": "score < 500 or (arm == 'challenger' and score < 515)", "node": {
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
    ("DEMO-APP-002", {"status_of_existing_checking_account": "A11", "duration_in_month": 48,
                      "credit_amount": 12000, "savings_account_and_bonds": "A61",
                      "age_in_years": 23, "present_employment_since": "A72"}),
    ("DEMO-APP-003", {"blacklisted": True}),
    ("DEMO-APP-004", {"status_of_existing_checking_account": "A12", "duration_in_month": 30,
                      "credit_amount": 6000, "inquiries_6m": 7}),
]
SOLID: dict[str, Any] = {"status_of_existing_checking_account": "A14", "duration_in_month": 18,
         "credit_history": "A34", "credit_amount": 3000, "savings_account_and_bonds": "A63",
         "age_in_years": 38, "present_employment_since": "A74", "monthly_income": 9000}


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
