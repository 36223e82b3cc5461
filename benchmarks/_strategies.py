"""Strategy documents and random cases for the decision benchmark (and its tests)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

# The 10-row first-hit table over four inputs of the decisioning notes (age, score, dti,
# blacklisted -> decision, reason code), in both engines' shapes.
TABLE_ROWS = [  # age, score, dti, blacklisted -> decision, reason (first hit wins)
    ("", "", "", "true", "decline", "BL01"),
    ("< 18", "", "", "", "decline", "AGE01"),
    ("> 65", "", "", "", "decline", "AGE02"),
    ("", "< 450", "", "", "decline", "SC01"),
    ("", "", "> 0.6", "", "decline", "DTI01"),
    ("", "[450..549]", "> 0.4", "", "decline", "SC02"),
    ("", "[450..549]", "", "", "refer", "SC03"),
    ("[18..25]", "[550..649]", "", "", "refer", "AGE03"),
    ("", ">= 700", "<= 0.3", "", "approve", "OK01"),
    ("", "", "", "", "approve", "OK02"),
]
TABLE_INPUTS = ("age", "score", "dti", "blacklisted")


def table_strategy() -> dict[str, Any]:
    return {
        "kind": "strategy", "name": "policy_table", "stage": "application", "product": "BENCH",
        "inputs": {"age": "number", "score": "number", "dti": "number",
                   "blacklisted": "boolean"},
        "tables": [{"name": "preloan_policy", "hit_policy": "first",
                    "inputs": list(TABLE_INPUTS), "outputs": ["decision", "reason_code"],
                    "rows": [{"when": list(r[:4]),
                              "then": {"decision": r[4], "reason_code": r[5]}}
                             for r in TABLE_ROWS]}],
        "outputs": {"reason_code": "string"},
    }


def table_jdm() -> dict[str, Any]:
    """The same table as a GoRules JDM graph (fields under "applicant")."""
    ids = [f"c_{n}" for n in TABLE_INPUTS]
    rules = []
    for i, r in enumerate(TABLE_ROWS):
        row = {"_id": f"r{i}", **dict(zip(ids, r[:4], strict=True)),
               "o_dec": f'"{r[4].upper()}"', "o_rc": f'"{r[5]}"'}
        rules.append(row)
    table = {"id": "dt1", "name": "preloan_policy", "type": "decisionTableNode",
             "position": {"x": 300, "y": 0},
             "content": {"hitPolicy": "first",
                         "inputs": [{"id": c, "name": n, "field": f"applicant.{n}"}
                                    for c, n in zip(ids, TABLE_INPUTS, strict=True)],
                         "outputs": [{"id": "o_dec", "name": "decision", "field": "decision"},
                                     {"id": "o_rc", "name": "reasonCode",
                                      "field": "reasonCode"}],
                         "rules": rules}}
    return {"nodes": [{"id": "in", "name": "request", "type": "inputNode",
                       "position": {"x": 0, "y": 0}}, table,
                      {"id": "out", "name": "response", "type": "outputNode",
                       "position": {"x": 600, "y": 0}}],
            "edges": [{"id": "e1", "sourceId": "in", "targetId": "dt1", "type": "edge"},
                      {"id": "e2", "sourceId": "dt1", "targetId": "out", "type": "edge"}]}


def table_cases(n: int, seed: int = 42) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    return [{"age": rnd.randint(16, 70), "score": rnd.randint(350, 850),
             "dti": round(rnd.random() * 0.8, 3), "blacklisted": rnd.random() < 0.03}
            for _ in range(n)]


CHANNELS = ["branch", "dealer", "online", "partner"]
REGIONS = ["EAST", "WEST", "NORTH", "SOUTH"]
DEVICES = ["normal"] * 18 + ["emulator", "rooted"]


def _bins(edges: Sequence[float], points: Sequence[float],
          missing: float) -> list[dict[str, Any]]:
    lows: list[float | None] = [None, *edges]
    highs: list[float | None] = [*edges, None]
    bins: list[dict[str, Any]] = [{"lower": lo, "upper": hi, "points": p}
                                  for lo, hi, p in zip(lows, highs, points, strict=True)]
    return [*bins, {"missing": True, "points": missing}]


def application_scorecard() -> dict[str, Any]:
    num: list[tuple[str, str, list[float], list[float]]] = [
        ("age", "AGE", [25, 35, 50], [5, 20, 30, 25]),
        ("income", "INCOME", [5000, 10000, 20000], [0, 15, 30, 40]),
        ("dti", "DTI", [0.2, 0.4, 0.6], [40, 25, 10, 0]),
        ("employment_years", "EMPLOYMENT", [1, 3, 8], [0, 10, 20, 30]),
        ("bureau_inquiries_6m", "INQUIRIES", [1, 3, 6], [30, 20, 8, 0]),
        ("overdue_count_12m", "DELINQUENCY", [1, 2, 4], [45, 20, 5, 0]),
        ("ltv", "LTV", [0.5, 0.7, 0.85], [30, 20, 10, 0]),
        ("phone_tenure_months", "PHONE_TENURE", [6, 24, 60], [0, 10, 18, 25]),
    ]
    chars = [{"feature": f, "type": "number", "reason_code": code,
              "bins": _bins(edges, pts, 0.0)} for f, code, edges, pts in num]
    chars.append({"feature": "channel", "type": "string", "reason_code": "CHANNEL",
                  "bins": [{"categories": ["branch"], "points": 25},
                           {"categories": ["dealer", "partner"], "points": 15},
                           {"other": True, "points": 5}, {"missing": True, "points": 0}]})
    chars.append({"feature": "region", "type": "string", "reason_code": "REGION",
                  "bins": [{"categories": ["EAST", "SOUTH"], "points": 20},
                           {"other": True, "points": 10}, {"missing": True, "points": 0}]})
    return {"kind": "scorecard", "name": "bench_application", "version": 1,
            "scaling": {"base_points": 600, "base_odds": 50, "pdo": 20},
            "base_score": 300.0, "characteristics": chars}


RULES = [
    ("KO01", "blacklisted", "decline", "BLACKLIST"),
    ("KO02", "court_listed", "decline", "COURT_LIST"),
    ("KO03", "age < 18", "decline", "AGE_MIN"),
    ("KO04", "age > 65", "decline", "AGE_MAX"),
    ("KO05", "fraud_score > 85", "decline", "FRAUD"),
    ("KO06", "not id_verified", "decline", "ID_UNVERIFIED"),
    ("KO07", "max_dpd_12m > 90", "decline", "SEVERE_DPD"),
    ("KO08", "overdue_count_12m >= 5", "decline", "DELINQUENT"),
    ("KO09", "dti > 0.8", "decline", "DTI_MAX"),
    ("KO10", "ltv > 0.95", "decline", "LTV_MAX"),
    ("KO11", "income < 2000", "decline", "INCOME_MIN"),
    ("KO12", "device_risk in ['emulator', 'rooted'] and fraud_score > 40", "decline",
     "DEVICE"),
    ("KO13", "bureau_inquiries_6m > 12", "decline", "INQUIRIES_MAX"),
    ("KO14", "term > 60", "decline", "TERM_MAX"),
    ("KO15", "loan_amount > car_price", "decline", "AMOUNT_OVER_PRICE"),
    ("RF01", "fraud_score > 60", "refer", "FRAUD_REVIEW"),
    ("RF02", "phone_tenure_months < 3", "refer", "NEW_PHONE"),
    ("RF03", "bureau_inquiries_6m > 6", "refer", "MANY_INQUIRIES"),
    ("RF04", "max_dpd_12m > 30", "refer", "RECENT_DPD"),
    ("RF05", "dti > 0.6", "refer", "HIGH_DTI"),
    ("RF06", "ltv > 0.85 and channel == 'online'", "refer", "ONLINE_HIGH_LTV"),
    ("RF07", "employment_years < 0.5", "refer", "NEW_JOB"),
    ("RF08", "region == 'NORTH' and loan_amount > 300000", "refer", "REGION_LIMIT"),
    ("RF09", "age < 21 and loan_amount > 100000", "refer", "YOUNG_LARGE"),
    ("RF10", "pti > 0.5", "refer", "PTI"),
    ("RF11", "device_risk == 'emulator'", "refer", "EMULATOR"),
    ("RF12", "coalesce(overdue_count_12m, 0) >= 2 and dti > 0.4", "refer", "STRETCHED"),
    ("RF13", "channel == 'partner' and fraud_score > 30", "refer", "PARTNER_RISK"),
    ("RF14", "age > 60 and term > 36", "refer", "TERM_AGE"),
    ("RF15", "income > 100000 and employment_years < 1", "refer", "INCOME_CHECK"),
]


def application_strategy() -> dict[str, Any]:
    inputs = {n: "number" for n in (
        "age", "income", "monthly_debt", "employment_years", "bureau_inquiries_6m",
        "overdue_count_12m", "max_dpd_12m", "loan_amount", "car_price", "term",
        "phone_tenure_months", "fraud_score")}
    inputs |= {"channel": "string", "region": "string", "device_risk": "string",
               "blacklisted": "boolean", "court_listed": "boolean", "id_verified": "boolean"}
    pricing_rows = [
        ([">= 560", "< 0.7", "", "<= 36"], "A", 5.9),
        ([">= 560", "< 0.7", "", ""], "A", 6.4),
        ([">= 560", "", "", ""], "B", 7.9),
        (["[520..560)", "< 0.6", '"branch"', ""], "B", 8.5),
        (["[520..560)", "< 0.8", "", ""], "C", 9.9),
        (["[520..560)", "", "", ""], "C", 10.9),
        (["[480..520)", "< 0.6", "", "<= 36"], "D", 12.5),
        (["[480..520)", "", "", ""], "D", 13.9),
        (["< 480", "", '"branch","dealer"', ""], "E", 15.9),
        (["", "", "", ""], "E", 17.9),
    ]
    return {
        "kind": "strategy", "name": "bench_application", "stage": "application",
        "product": "BENCH", "inputs": inputs,
        "derived": {"dti": "if income > 0 then monthly_debt / income else null",
                    "ltv": "loan_amount / car_price",
                    "installment": "loan_amount / term",
                    "pti": "if income > 0 then installment / income else null"},
        "scorecards": [{"variable": "score", "scorecard": application_scorecard()}],
        "rule_sets": [{"name": "knockouts", "rules": [
            {"id": i, "when": w, "action": a, "reason_code": c, "text": c.lower()}
            for i, w, a, c in RULES]}],
        "tables": [{"name": "pricing", "hit_policy": "first",
                    "inputs": ["score", "ltv", "channel", "term"],
                    "outputs": ["price_tier", "rate"],
                    "rows": [{"when": w, "then": {"price_tier": t, "rate": r}}
                             for w, t, r in pricing_rows]}],
        "tree": {"id": "root", "branches": [
            {"when": "score < 470", "node": {"id": "decline_band",
                                             "actions": {"decision": "decline"}}},
            {"when": "score < 510", "node": {
                "id": "refer_band", "actions": {"decision": "refer", "gps_devices": 2},
                "compute": {"credit_limit": "min(income * 3, car_price * 0.6)"}}},
        ], "else": {"id": "approve_band", "actions": {"decision": "approve", "gps_devices": 1},
                    "compute": {"credit_limit": "round(min(income * 6, car_price * 0.8), 0)"}}},
        "outputs": {"credit_limit": "number", "price_tier": "string", "rate": "number",
                    "gps_devices": "number",
                    "down_payment": {"type": "number", "value": "car_price - loan_amount"}},
        "challengers": [{"arm": "champion", "from": 0, "to": 899},
                        {"arm": "challenger", "from": 900, "to": 999}],
    }


def application_case(rnd: random.Random) -> dict[str, Any]:
    """A plausible applicant: most pass the knock-outs, a minority do not."""
    price = rnd.randrange(60_000, 400_000, 1000)
    income = rnd.randrange(3000, 60_000, 100)
    return {
        "age": rnd.randint(19, 68), "income": income,
        "monthly_debt": int(income * rnd.uniform(0, 0.7)),
        "employment_years": round(rnd.expovariate(0.25), 1),
        "bureau_inquiries_6m": min(int(rnd.expovariate(0.45)), 14),
        "overdue_count_12m": rnd.choice([0] * 12 + [1, 1, 2, 3, 5]),
        "max_dpd_12m": rnd.choice([0] * 14 + [5, 15, 45, 95]),
        "loan_amount": int(price * rnd.uniform(0.4, 0.92)), "car_price": price,
        "term": rnd.choice([12, 24, 36, 48, 60]),
        "phone_tenure_months": rnd.randint(1, 120),
        "fraud_score": int(rnd.betavariate(1.3, 6) * 100), "channel": rnd.choice(CHANNELS),
        "region": rnd.choice(REGIONS), "device_risk": rnd.choice(DEVICES),
        "blacklisted": rnd.random() < 0.02, "court_listed": rnd.random() < 0.01,
        "id_verified": rnd.random() > 0.02,
    }


def application_cases(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    return [application_case(rnd) for _ in range(n)]
