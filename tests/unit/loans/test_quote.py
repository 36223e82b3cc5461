"""The quote as the API and CLI hand it out: JSON shape, independent of the decimal context."""

from __future__ import annotations

import decimal
from typing import Any

from fengkong.loans import parse_terms, quote, quote_to_dict

TERMS: dict[str, Any] = {
    "principal": "5000.00", "annual_rate": "12", "term": 3, "disbursement_date": "2024-01-31",
    "fees": {"upfront": {"percent": "3.33", "mode": "financed"}, "per_installment": "50"},
}


def test_the_json_shape_has_money_as_strings_and_dates_in_iso() -> None:
    shape = quote_to_dict(quote(parse_terms(TERMS)))
    # 5,166.50 × 1 % = 51.665, rounded half-even to 51.66; installment 1,756.72 + 50 fee.
    assert shape["installments"][0] == {
        "number": 1, "due_date": "2024-02-29", "principal": "1705.06", "interest": "51.66",
        "fees": "50.00", "total": "1806.72", "balance": "3461.44"}
    assert [row["due_date"] for row in shape["installments"]] == [
        "2024-02-29", "2024-03-31", "2024-04-30"]
    assert {key: shape[key] for key in ("principal", "upfront_fee", "financed_principal",
                                        "disbursed_amount", "total_principal", "total_fees")
            } == {"principal": "5000.00", "upfront_fee": "166.50",
                  "financed_principal": "5166.50", "disbursed_amount": "5000.00",
                  "total_principal": "5166.50", "total_fees": "150.00"}
    assert shape["apr_method"] == "periodic_irr"
    assert isinstance(shape["apr"], str) and len(shape["apr"].split(".")[1]) == 6


def test_a_callers_decimal_context_does_not_change_the_quote() -> None:
    expected = quote_to_dict(quote(parse_terms(TERMS)))
    with decimal.localcontext(prec=5, rounding=decimal.ROUND_UP):
        assert quote_to_dict(quote(parse_terms(TERMS))) == expected


def test_rates_beyond_any_statable_figure_are_left_out_rather_than_failing() -> None:
    q = quote(parse_terms({"principal": "100", "annual_rate": "0", "term": 1, "digits": 0,
                           "frequency": "daily", "disbursement_date": "2024-01-01",
                           "fees": {"per_installment": "30"}}))
    assert q.effective_annual_rate is None   # 30 % a day compounds past 10^15 % a year
    assert q.apr is not None and q.apr > 10_000
    assert quote_to_dict(q)["effective_annual_rate"] is None
