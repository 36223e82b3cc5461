"""Small strategy and scorecard documents for the decision engine's tests."""

from __future__ import annotations

import copy
from typing import Any


def scorecard() -> dict[str, Any]:
    return {
        "kind": "scorecard", "name": "mini", "version": 1,
        "scaling": {"base_points": 600, "base_odds": 50, "pdo": 20},
        "base_score": 500.0,
        "characteristics": [
            {"feature": "age", "type": "number", "reason_code": "AGE",
             "bins": [{"lower": None, "upper": 25, "points": 10.0},
                      {"lower": 25, "upper": 40, "points": 30.0},
                      {"lower": 40, "upper": None, "points": 45.0},
                      {"missing": True, "points": 0.0}]},
            {"feature": "dti", "type": "number", "reason_code": "DTI",
             "bins": [{"lower": None, "upper": 0.3, "points": 40.0},
                      {"lower": 0.3, "upper": 0.5, "points": 20.0},
                      {"lower": 0.5, "upper": None, "points": 0.0},
                      {"missing": True, "points": 5.0}]},
            {"feature": "channel", "type": "string", "reason_code": "CHANNEL",
             "bins": [{"categories": ["branch"], "points": 20.0},
                      {"categories": ["online", "dealer"], "points": 5.0},
                      {"other": True, "points": 0.0},
                      {"missing": True, "points": 0.0}]},
        ],
    }


STRATEGY: dict[str, Any] = {
    "kind": "strategy", "name": "car_application", "stage": "application", "product": "CAR",
    "inputs": {
        "age": {"type": "number"}, "income": {"type": "number"},
        "monthly_debt": {"type": "number"}, "channel": {"type": "string"},
        "blacklisted": {"type": "boolean"}, "loan_amount": {"type": "number"},
        "car_price": {"type": "number"},
        "bureau_hits": {"type": "number", "required": False},
    },
    "derived": {
        "dti": "if income > 0 then monthly_debt / income else null",
        "ltv": "loan_amount / car_price",
    },
    "scorecards": [{"variable": "score", "scorecard": scorecard()}],
    "rule_sets": [{"name": "knockouts", "rules": [
        {"id": "KO_BL", "when": "blacklisted", "action": "decline", "reason_code": "BLACKLIST",
         "text": "Applicant is on a blacklist"},
        {"id": "KO_AGE", "when": "age < 18 or age > 65", "action": "decline",
         "reason_code": "AGE_LIMIT", "text": "Age outside 18 to 65"},
        {"id": "RF_BUREAU", "when": "coalesce(bureau_hits, 0) >= 3", "action": "refer",
         "reason_code": "INQUIRIES", "text": "Many recent bureau inquiries"},
    ]}],
    "tables": [{
        "name": "pricing", "hit_policy": "first",
        "inputs": ["score", "ltv"], "outputs": ["price_tier", "rate"],
        "rows": [
            {"when": [">= 580", "< 0.8"], "then": {"price_tier": "A", "rate": 6.5}},
            {"when": ["[540..580)", "< 0.8"], "then": {"price_tier": "B", "rate": 8.9}},
            {"when": ["", ""], "then": {"price_tier": "C", "rate": 12.0}},
        ],
    }],
    "tree": {"id": "root", "branches": [
        {"when": "score < 530", "node": {"id": "low", "actions": {"decision": "decline"}}},
        {"when": "score < 560 or arm == 'tight'", "node": {
            "id": "middle", "actions": {"decision": "refer", "gps_devices": 2},
            "compute": {"credit_limit": "min(income * 3, car_price * 0.7)"}}},
    ], "else": {"id": "high", "actions": {"decision": "approve", "gps_devices": 1},
                "compute": {"credit_limit": "round(min(income * 5, car_price * 0.8), 0)"}}},
    "outputs": {"credit_limit": {"type": "number"}, "price_tier": {"type": "string"},
                "rate": {"type": "number"}, "gps_devices": {"type": "number"},
                "down_payment": {"type": "number", "value": "car_price - loan_amount"}},
    "challengers": [{"arm": "champion", "from": 0, "to": 899},
                    {"arm": "tight", "from": 900, "to": 999}],
}

GOOD_APPLICANT = {"age": 35, "income": 20000, "monthly_debt": 4000, "channel": "branch",
                  "blacklisted": False, "loan_amount": 100000, "car_price": 150000}


def strategy() -> dict[str, Any]:
    return copy.deepcopy(STRATEGY)
