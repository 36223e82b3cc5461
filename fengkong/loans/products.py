"""Loan products, pure: the parameters a lender sets once and every loan of the product keeps.

A product version is immutable: a loan keeps the version it was booked under, and a change
makes a new version. Parameters are a JSON document checked by `parse_product`; a quote or a
booking against a product merges the product's term template with the few things that vary
per loan (`LOAN_OVERRIDES`) and then checks the product's ranges and its cost cap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from fengkong.core.errors import InvalidInput
from fengkong.loans.parse import (
    MAX_ANNUAL_RATE,
    MAX_PRINCIPAL,
    MAX_TERM,
    _integer,
    _known_keys,
    _money,
    _rate,
    parse_terms,
)
from fengkong.loans.quote import Quote
from fengkong.loans.terms import LoanTerms

# What a single loan may set; everything else comes from the product.
LOAN_OVERRIDES = frozenset({"principal", "term", "annual_rate", "disbursement_date",
                            "first_repayment_date", "balloon_amount"})
# The template may hold every term except these per-loan facts.
_TEMPLATE_FORBIDDEN = frozenset({"principal", "term", "disbursement_date",
                                 "first_repayment_date"})

ALLOCATION_PRESETS = {
    # installment by installment, oldest first: penalties, fees, interest, principal
    "penalties_fees_interest_principal",
    "interest_principal_penalties_fees",
    # all interest (overdue and due) before any principal
    "rbi",
}
ALLOCATION_TIMES = ("past_due", "due", "in_advance")
ALLOCATION_PARTS = ("penalty", "fee", "interest", "principal")


@dataclass(frozen=True, slots=True)
class Bucket:
    code: str
    min_days: int
    max_days: int | None  # None: open-ended, the last bucket


DEFAULT_BUCKETS = (
    Bucket("M0", 0, 0), Bucket("M1", 1, 30), Bucket("M2", 31, 60), Bucket("M3", 61, 90),
    Bucket("M4", 91, 120), Bucket("M5", 121, 150), Bucket("M6", 151, 180),
    Bucket("M7+", 181, None),
)

_KEYS = frozenset({"currency", "principal_min", "principal_max", "term_min", "term_max",
                   "annual_rate_min", "annual_rate_max", "annual_cost_cap", "terms",
                   "allocation", "delinquency_buckets", "npa_days", "prepayment_fee_percent",
                   "org_unit_ids"})


@dataclass(frozen=True, slots=True)
class ProductParams:
    principal_min: Decimal
    principal_max: Decimal
    term_min: int
    term_max: int
    annual_rate_min: Decimal
    annual_rate_max: Decimal
    terms: Mapping[str, Any]
    currency: str = "CNY"
    annual_cost_cap: Decimal | None = None  # percent a year, compared with the quote's APR
    allocation: str | tuple[str, ...] = "penalties_fees_interest_principal"
    delinquency_buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS
    npa_days: int = 90
    prepayment_fee_percent: Decimal = Decimal(0)
    org_unit_ids: tuple[str, ...] = field(default_factory=tuple)


def parse_product(data: Mapping[str, Any]) -> ProductParams:
    """Product parameters from JSON, every broken rule an `InvalidInput` naming its field."""
    _known_keys(data, _KEYS, "")
    currency = data.get("currency", "CNY")
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        raise InvalidInput("currency is an ISO 4217 code such as CNY", code="invalid_choice",
                           field="currency")
    p_min = _money(data, "principal_min", 2, required=True, positive=True,
                   at_most=MAX_PRINCIPAL)
    p_max = _money(data, "principal_max", 2, required=True, positive=True,
                   at_most=MAX_PRINCIPAL)
    _ordered(p_min, p_max, "principal_max")
    t_min = _integer(data, "term_min", None, 1, MAX_TERM)
    t_max = _integer(data, "term_max", None, 1, MAX_TERM)
    _ordered(t_min, t_max, "term_max")
    r_min = _rate(data, "annual_rate_min", MAX_ANNUAL_RATE)
    r_max = _rate(data, "annual_rate_max", MAX_ANNUAL_RATE)
    _ordered(r_min, r_max, "annual_rate_max")
    cap = _rate(data, "annual_cost_cap", Decimal(1000)) if data.get(
        "annual_cost_cap") is not None else None
    params = ProductParams(
        principal_min=p_min, principal_max=p_max, term_min=t_min, term_max=t_max,
        annual_rate_min=r_min, annual_rate_max=r_max, terms=_template(data.get("terms", {})),
        currency=currency.upper(), annual_cost_cap=cap,
        allocation=_allocation(data.get("allocation", "penalties_fees_interest_principal")),
        delinquency_buckets=_buckets(data.get("delinquency_buckets")),
        npa_days=_integer(data, "npa_days", 90, 1, 3650),
        prepayment_fee_percent=_rate(data, "prepayment_fee_percent", Decimal(100))
        if data.get("prepayment_fee_percent") is not None else Decimal(0),
        org_unit_ids=_unit_ids(data.get("org_unit_ids", [])),
    )
    # The template must make valid terms for the product's smallest loan.
    sample = {**params.terms, "principal": str(p_min), "term": t_min,
              "annual_rate": params.terms.get("annual_rate", str(r_min)),
              "disbursement_date": "2024-01-01"}
    if sample.get("amortization") == "balloon":  # the residual is set per loan
        sample["balloon_amount"] = "0.01"
    _prefixed(lambda: parse_terms(sample), "terms.")
    return params


def product_to_dict(params: ProductParams) -> dict[str, Any]:
    """The stored JSON of a product version (the inverse of `parse_product`)."""
    return {
        "currency": params.currency,
        "principal_min": f"{params.principal_min:f}", "principal_max": f"{params.principal_max:f}",
        "term_min": params.term_min, "term_max": params.term_max,
        "annual_rate_min": f"{params.annual_rate_min:f}",
        "annual_rate_max": f"{params.annual_rate_max:f}",
        "annual_cost_cap": None if params.annual_cost_cap is None
        else f"{params.annual_cost_cap:f}",
        "terms": dict(params.terms),
        "allocation": params.allocation if isinstance(params.allocation, str)
        else list(params.allocation),
        "delinquency_buckets": [{"code": b.code, "min_days": b.min_days,
                                 "max_days": b.max_days} for b in params.delinquency_buckets],
        "npa_days": params.npa_days,
        "prepayment_fee_percent": f"{params.prepayment_fee_percent:f}",
        "org_unit_ids": list(params.org_unit_ids),
    }


def loan_terms(params: ProductParams, loan: Mapping[str, Any]) -> LoanTerms:
    """The terms of one loan of this product: the template plus the loan's own values,
    within the product's ranges."""
    for key in loan:
        if key not in LOAN_OVERRIDES:
            raise InvalidInput(f"{key} is set by the product and cannot vary per loan",
                               code="set_by_product", field=key)
    merged = {**params.terms, **loan}
    if "annual_rate" not in merged:
        raise InvalidInput("annual_rate is required", code="missing_field", field="annual_rate")
    terms = parse_terms(merged)
    if not params.principal_min <= terms.principal <= params.principal_max:
        raise InvalidInput(f"principal must be from {params.principal_min} to "
                           f"{params.principal_max} for this product", code="out_of_range",
                           field="principal")
    if not params.term_min <= terms.term <= params.term_max:
        raise InvalidInput(f"term must be from {params.term_min} to {params.term_max} "
                           "for this product", code="out_of_range", field="term")
    if not params.annual_rate_min <= terms.annual_rate <= params.annual_rate_max:
        raise InvalidInput(f"annual_rate must be from {params.annual_rate_min} to "
                           f"{params.annual_rate_max} for this product", code="out_of_range",
                           field="annual_rate")
    return terms


def check_cost_cap(params: ProductParams, quote: Quote) -> None:
    """The product's annualized cost cap (interest and fees together, as the APR) holds."""
    cap = params.annual_cost_cap
    if cap is None:
        return
    if quote.apr is None or quote.apr > cap:
        raise InvalidInput(f"the annual cost of this loan ({quote.apr} %) exceeds the "
                           f"product's cap of {cap} %", code="above_cost_cap",
                           field="annual_rate")


def _ordered(low: Decimal | int, high: Decimal | int, field: str) -> None:
    if high < low:
        raise InvalidInput(f"{field} is below its minimum", code="out_of_range", field=field)


def _template(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput("terms is an object of loan terms", code="invalid_type",
                           field="terms")
    for key in value:
        if key in _TEMPLATE_FORBIDDEN:
            raise InvalidInput(f"{key} varies per loan and has no place in the product",
                               code="set_per_loan", field=f"terms.{key}")
    return dict(value)


def _allocation(value: object) -> str | tuple[str, ...]:
    if isinstance(value, str):
        if value not in ALLOCATION_PRESETS:
            raise InvalidInput(f"allocation is one of {sorted(ALLOCATION_PRESETS)} or a list "
                               "of rules", code="invalid_choice", field="allocation")
        return value
    if not isinstance(value, list) or not value:
        raise InvalidInput("allocation is a preset name or a list of rules",
                           code="invalid_type", field="allocation")
    rules = []
    for i, rule in enumerate(value):
        when, _, part = str(rule).partition(".")
        if when not in ALLOCATION_TIMES or part not in ALLOCATION_PARTS:
            raise InvalidInput(f"{rule!r} is not <past_due|due|in_advance>.<penalty|fee|"
                               "interest|principal>", code="invalid_choice",
                               field=f"allocation.{i}")
        rules.append(f"{when}.{part}")
    if len(set(rules)) != len(rules) or len(rules) != 12:
        raise InvalidInput("a rule list names each of the 12 rules exactly once",
                           code="incomplete_rules", field="allocation")
    return tuple(rules)


def _buckets(value: object) -> tuple[Bucket, ...]:
    if value is None:
        return DEFAULT_BUCKETS
    if not isinstance(value, list) or not value:
        raise InvalidInput("delinquency_buckets is a list", code="invalid_type",
                           field="delinquency_buckets")
    buckets: list[Bucket] = []
    expected_min = 0
    for i, item in enumerate(value):
        prefix = f"delinquency_buckets.{i}."
        _known_keys(item, frozenset({"code", "min_days", "max_days"}), prefix)
        code = item.get("code")
        if not isinstance(code, str) or not 0 < len(code) <= 10:
            raise InvalidInput("a bucket code is 1 to 10 characters", code="invalid_type",
                               field=prefix + "code")
        low = _integer(item, "min_days", None, 0, 100_000, prefix)
        high = None if item.get("max_days") is None else _integer(item, "max_days", None, low,
                                                                  100_000, prefix)
        if low != expected_min:
            raise InvalidInput(f"buckets must follow each other without gap or overlap: "
                               f"expected min_days {expected_min}", code="bucket_gap",
                               field=prefix + "min_days")
        if high is None and i != len(value) - 1:
            raise InvalidInput("only the last bucket is open-ended", code="bucket_gap",
                               field=prefix + "max_days")
        buckets.append(Bucket(code, low, high))
        expected_min = (high or 0) + 1
    if buckets[-1].max_days is not None:
        raise InvalidInput("the last bucket must be open-ended (max_days null)",
                           code="bucket_gap", field=f"delinquency_buckets.{len(value) - 1}")
    return tuple(buckets)


def _unit_ids(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("org_unit_ids is a list of org unit ids", code="invalid_type",
                           field="org_unit_ids")
    return tuple(value)


def _prefixed(check: Any, prefix: str) -> None:
    try:
        check()
    except InvalidInput as exc:
        exc.field = prefix + exc.field if exc.field else prefix.rstrip(".")
        raise
