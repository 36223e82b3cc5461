"""Reading terms from JSON-like input: defaults, and a code and field for every bad input."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.loans import Frequency, parse_terms

VALID: dict[str, Any] = {"principal": "10000.00", "annual_rate": "12", "term": 12,
                         "disbursement_date": "2024-01-31"}


def test_the_fewest_terms_give_a_monthly_annuity_with_fineracts_defaults() -> None:
    terms = parse_terms(VALID)
    assert terms.principal == Decimal("10000.00")
    assert terms.annual_rate == Decimal("12")
    assert terms.disbursement_date == date(2024, 1, 31)
    assert terms.frequency == Frequency(1, "months")
    assert (terms.amortization, terms.interest_period) == ("equal_installments",
                                                           "same_as_repayment")
    assert (terms.digits, terms.rounding, terms.installment_multiple) == (2, "half_even", None)
    assert terms.days_in_year == "actual" and terms.days_in_month == "actual"


def test_numbers_of_days_may_be_given_as_numbers_or_strings() -> None:
    assert parse_terms({**VALID, "days_in_year": 360, "days_in_month": 30}).days_in_year == "360"
    assert parse_terms({**VALID, "days_in_year": "365"}).days_in_year == "365"


def test_rates_may_be_json_numbers_but_money_may_not() -> None:
    assert parse_terms({**VALID, "annual_rate": 9.4822}).annual_rate == Decimal("9.4822")
    with pytest.raises(InvalidInput) as caught:
        parse_terms({**VALID, "principal": 10000.0})
    assert (caught.value.code, caught.value.field) == ("invalid_amount", "principal")


def test_fees_late_fees_and_penalties_are_read_into_the_terms() -> None:
    terms = parse_terms({**VALID, "fees": {
        "upfront": {"percent": "3", "mode": "financed"},
        "per_installment": "50",
        "late_fee": {"amount": "30.00", "grace_days": 3},
        "penalty_rate": {"daily_rate": "0.05", "base": "overdue_installment"},
    }})
    assert terms.upfront_fee == Decimal("300.00")
    assert terms.financed_principal == Decimal("10300.00")
    assert terms.fees.per_installment == Decimal("50")
    assert terms.fees.late_fee is not None and terms.fees.late_fee.grace_days == 3
    assert terms.fees.penalty_rate is not None
    assert terms.fees.penalty_rate.base == "overdue_installment"


def _with(**changes: Any) -> dict[str, Any]:
    data = {**VALID, **changes}
    return {k: v for k, v in data.items() if v is not _DROP}


_DROP = object()


@pytest.mark.parametrize(("data", "code", "field"), [
    (_with(principal=_DROP), "missing_field", "principal"),
    (_with(principal="0"), "not_positive", "principal"),
    (_with(principal="-100.00"), "not_positive", "principal"),
    (_with(principal=1000.5), "invalid_amount", "principal"),
    (_with(principal="ten"), "invalid_amount", "principal"),
    (_with(principal="100.001"), "too_many_decimals", "principal"),
    (_with(principal="1e13"), "out_of_range", "principal"),
    (_with(principal="NaN"), "invalid_amount", "principal"),
    (_with(annual_rate=_DROP), "missing_field", "annual_rate"),
    (_with(annual_rate="-1"), "out_of_range", "annual_rate"),
    (_with(annual_rate="100.01"), "out_of_range", "annual_rate"),
    (_with(annual_rate="twelve"), "invalid_number", "annual_rate"),
    (_with(annual_rate=True), "invalid_type", "annual_rate"),
    (_with(term=_DROP), "missing_field", "term"),
    (_with(term=0), "out_of_range", "term"),
    (_with(term=-3), "out_of_range", "term"),
    (_with(term=1201), "out_of_range", "term"),
    (_with(term="12"), "invalid_type", "term"),
    (_with(term=12.0), "invalid_type", "term"),
    (_with(term=True), "invalid_type", "term"),
    (_with(amortization="french"), "invalid_choice", "amortization"),
    (_with(interest_period="hourly"), "invalid_choice", "interest_period"),
    (_with(days_in_year=364), "invalid_choice", "days_in_year"),
    (_with(days_in_month="31"), "invalid_choice", "days_in_month"),
    (_with(rounding="ceiling"), "invalid_choice", "rounding"),
    (_with(disbursement_date=_DROP), "missing_field", "disbursement_date"),
    (_with(disbursement_date="31/01/2024"), "invalid_date", "disbursement_date"),
    (_with(disbursement_date=20240131), "invalid_date", "disbursement_date"),
    (_with(disbursement_date=datetime(2024, 1, 31, 9)), "invalid_date", "disbursement_date"),
    (_with(first_repayment_date="2024-01-30"), "before_disbursement", "first_repayment_date"),
    (_with(first_repayment_date="2024-01-31"), "before_disbursement", "first_repayment_date"),
    (_with(first_repayment_date="2024-02-30"), "invalid_date", "first_repayment_date"),
    (_with(disbursement_date="9999-06-01"), "out_of_range", "term"),
    (_with(grace_on_principal=12), "grace_too_long", "grace_on_principal"),
    (_with(grace_on_interest=13), "grace_too_long", "grace_on_interest"),
    (_with(grace_on_principal=-1), "out_of_range", "grace_on_principal"),
    (_with(amortization="bullet", grace_on_interest=1), "not_applicable", "grace_on_interest"),
    (_with(digits=7), "out_of_range", "digits"),
    (_with(digits=-1), "out_of_range", "digits"),
    (_with(digits=0), "too_many_decimals", "principal"),
    (_with(installment_multiple="0"), "not_positive", "installment_multiple"),
    (_with(installment_multiple="0.001"), "too_many_decimals", "installment_multiple"),
    (_with(amortization="balloon"), "missing_field", "balloon_amount"),
    (_with(amortization="balloon", balloon_amount="10000.00"), "balloon_too_large",
     "balloon_amount"),
    (_with(amortization="balloon", balloon_amount="-5"), "not_positive", "balloon_amount"),
    (_with(balloon_amount="100.00"), "not_applicable", "balloon_amount"),
    (_with(frequency="fortnightly"), "invalid_choice", "frequency"),
    (_with(frequency=7), "invalid_type", "frequency"),
    (_with(frequency={"every": 0, "unit": "weeks"}), "out_of_range", "frequency.every"),
    (_with(frequency={"every": 13, "unit": "months"}), "out_of_range", "frequency.every"),
    (_with(frequency={"every": 2, "unit": "years"}), "invalid_choice", "frequency.unit"),
    (_with(frequency={"every": 2, "per": "weeks"}), "unknown_field", "frequency.per"),
    (_with(grace="2"), "unknown_field", "grace"),
    (_with(fees=[]), "invalid_type", "fees"),
    (_with(fees={"gps": "50"}), "unknown_field", "fees.gps"),
    (_with(fees={"per_installment": "-1"}), "negative_amount", "fees.per_installment"),
    (_with(fees={"per_installment": 50.0}), "invalid_amount", "fees.per_installment"),
    (_with(fees={"upfront": {"amount": "1", "percent": "1"}}), "invalid_fee", "fees.upfront"),
    (_with(fees={"upfront": {"mode": "deducted"}}), "invalid_fee", "fees.upfront"),
    (_with(fees={"upfront": {"amount": "10000.00"}}), "fee_exceeds_principal", "fees.upfront"),
    (_with(fees={"upfront": {"percent": "101"}}), "out_of_range", "fees.upfront.percent"),
    (_with(fees={"upfront": {"amount": "1", "mode": "later"}}), "invalid_choice",
     "fees.upfront.mode"),
    (_with(fees={"late_fee": {"grace_days": 3}}), "missing_field", "fees.late_fee.amount"),
    (_with(fees={"late_fee": {"amount": "30", "grace_days": -1}}), "out_of_range",
     "fees.late_fee.grace_days"),
    (_with(fees={"penalty_rate": {"daily_rate": "2"}}), "out_of_range",
     "fees.penalty_rate.daily_rate"),
    (_with(fees={"penalty_rate": {"daily_rate": "0.05", "base": "balance"}}),
     "invalid_choice", "fees.penalty_rate.base"),
])
def test_each_bad_input_is_refused_with_its_code_and_field(data: dict[str, Any], code: str,
                                                           field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_terms(data)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_terms_that_are_not_an_object_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_terms(["principal", "100"])  # type: ignore[arg-type]
    assert caught.value.code == "invalid_type"
