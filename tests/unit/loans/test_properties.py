"""Properties every quote keeps, whatever the terms (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.loans import Quote, parse_terms, quote, quote_to_dict
from fengkong.loans.parse import FREQUENCIES
from fengkong.loans.terms import AMORTIZATIONS, DAYS_IN_MONTH, DAYS_IN_YEAR, ROUNDINGS


@st.composite
def terms_data(draw: st.DrawFn) -> dict[str, Any]:
    digits = draw(st.integers(0, 6))
    places = draw(st.integers(0, digits))
    principal = Decimal(draw(st.integers(100, 10**7))).scaleb(-places) * 10**places \
        if places == 0 else Decimal(draw(st.integers(100 * 10**places, 10**(7 + places)))
                                    ).scaleb(-places)
    term = draw(st.integers(1, 72))
    amortization = draw(st.sampled_from(AMORTIZATIONS))
    disbursed = draw(st.dates(date(2000, 1, 1), date(2040, 12, 31)))
    data: dict[str, Any] = {
        "principal": str(principal),
        "annual_rate": str(Decimal(draw(st.integers(0, 36_0000))).scaleb(-4)),
        "term": term,
        "amortization": amortization,
        "frequency": draw(st.sampled_from([*FREQUENCIES, {"every": 10, "unit": "days"},
                                           {"every": 2, "unit": "months"}])),
        "interest_period": draw(st.sampled_from(["same_as_repayment", "daily"])),
        "days_in_year": draw(st.sampled_from(DAYS_IN_YEAR)),
        "days_in_month": draw(st.sampled_from(DAYS_IN_MONTH)),
        "disbursement_date": disbursed.isoformat(),
        "digits": digits,
        "rounding": draw(st.sampled_from(ROUNDINGS)),
    }
    if draw(st.booleans()):
        offset = draw(st.integers(1, 90))
        data["first_repayment_date"] = (disbursed + timedelta(days=offset)).isoformat()
    if amortization != "bullet" and term > 1:
        data["grace_on_principal"] = draw(st.integers(0, term - 1))
        data["grace_on_interest"] = draw(st.integers(0, term - 1))
    if amortization == "balloon":
        share = draw(st.integers(1, 60))
        data["balloon_amount"] = str(max(Decimal(1), (principal * share / 100).quantize(1)))
    if draw(st.booleans()):
        data["installment_multiple"] = draw(st.sampled_from(
            ["1", "10", "100"] + (["0.5"] if digits >= 1 else [])))
    fees: dict[str, Any] = {}
    if draw(st.booleans()):
        mode = draw(st.sampled_from(["deducted", "financed"]))
        fees["upfront"] = {"percent": str(draw(st.integers(0, 15))), "mode": mode}
    if draw(st.booleans()):
        fees["per_installment"] = str(draw(st.integers(0, 500)))
    if fees:
        data["fees"] = fees
    return data


def _quote(data: dict[str, Any]) -> Quote:
    return quote(parse_terms(data))


@settings(max_examples=400, deadline=None)
@given(terms_data())
def test_principal_parts_sum_exactly_to_the_principal_lent(data: dict[str, Any]) -> None:
    q = _quote(data)
    assert sum(row.principal for row in q.installments) == q.terms.financed_principal
    assert q.total_principal == q.financed_principal


@settings(max_examples=400, deadline=None)
@given(terms_data())
def test_balances_never_rise_and_never_go_below_zero(data: dict[str, Any]) -> None:
    q = _quote(data)
    balances = [q.financed_principal] + [row.balance for row in q.installments]
    assert all(b >= 0 for b in balances)
    assert balances == sorted(balances, reverse=True)
    assert balances[-1] == 0
    assert all(row.principal >= 0 and row.interest >= 0 for row in q.installments)


@settings(max_examples=400, deadline=None)
@given(terms_data())
def test_totals_are_the_sums_of_the_installments(data: dict[str, Any]) -> None:
    q = _quote(data)
    rows = q.installments
    assert all(r.total == r.principal + r.interest + r.fees for r in rows)
    assert q.total_interest == sum(r.interest for r in rows)
    assert q.total_fees == sum(r.fees for r in rows)
    assert q.total_repayment == sum(r.total for r in rows)
    assert q.total_repayment == q.total_principal + q.total_interest + q.total_fees


@settings(max_examples=400, deadline=None)
@given(terms_data())
def test_every_amount_has_exactly_the_loans_digits(data: dict[str, Any]) -> None:
    q = _quote(data)
    exponent = -q.terms.digits
    amounts = [q.total_principal, q.total_interest, q.total_fees, q.total_repayment,
               q.disbursed_amount, q.upfront_fee, q.financed_principal]
    for row in q.installments:
        amounts += [row.principal, row.interest, row.fees, row.total, row.balance]
    assert {a.as_tuple().exponent for a in amounts} == {exponent}


@settings(max_examples=200, deadline=None)
@given(terms_data())
def test_due_dates_rise_and_the_apr_is_never_negative(data: dict[str, Any]) -> None:
    q = _quote(data)
    dues = [row.due_date for row in q.installments]
    assert dues == sorted(set(dues))
    assert dues[0] > q.terms.disbursement_date
    apr, effective = q.apr, q.effective_annual_rate
    assert apr is None or apr >= 0
    assert effective is None or apr is None or effective >= apr - Decimal("0.000001")


@settings(max_examples=200, deadline=None)
@given(terms_data())
def test_the_json_shape_carries_every_amount_as_a_decimal_string(data: dict[str, Any]
                                                                 ) -> None:
    q = _quote(data)
    shape = quote_to_dict(q)
    assert Decimal(shape["total_repayment"]) == q.total_repayment
    assert len(shape["installments"]) == len(q.installments)
    for row, out in zip(q.installments, shape["installments"], strict=True):
        assert out["due_date"] == row.due_date.isoformat()
        assert out["total"] == f"{row.total:f}" and "E" not in out["balance"]
