"""The disclosed APR: the IRR of the borrower's cash flows, checked against numpy-financial."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy_financial as npf
import pytest

from fengkong.loans import Quote, parse_terms, quote
from fengkong.loans.apr import annual_rates, irr


def _quote(**terms: Any) -> Quote:
    return quote(parse_terms(terms))


def _apr(q: Quote) -> Decimal:
    assert q.apr is not None
    return q.apr


def _effective(q: Quote) -> Decimal:
    assert q.effective_annual_rate is not None
    return q.effective_annual_rate


def _periodic_irr_apr(q: Quote, per_year: int = 12) -> float:
    flows = [float(q.disbursed_amount)] + [-float(row.total) for row in q.installments]
    return float(npf.irr(flows)) * per_year * 100


FLAT_5000 = {"principal": "5000.00", "annual_rate": "12", "term": 18,
             "disbursement_date": "2022-11-01", "installment_multiple": "1",
             "amortization": "flat"}


def test_a_flat_12_percent_loan_costs_about_21_7_percent_a_year() -> None:
    q = _quote(**FLAT_5000)
    assert Decimal("21") < _apr(q) < Decimal("22")
    assert float(_apr(q)) == pytest.approx(_periodic_irr_apr(q), abs=1e-6)
    assert q.rates.method == "periodic_irr"


@pytest.mark.parametrize(("rate", "term"), [("6", 12), ("9.9", 24), ("18", 36), ("24", 60)])
def test_the_apr_of_flat_loans_matches_numpy_financials_irr(rate: str, term: int) -> None:
    q = _quote(principal="80000.00", annual_rate=rate, term=term, amortization="flat",
               disbursement_date="2024-03-31", fees={"per_installment": "35.00"})
    assert float(_apr(q)) == pytest.approx(_periodic_irr_apr(q), abs=1e-6)


def test_the_effective_annual_rate_compounds_the_periodic_irr() -> None:
    q = _quote(**FLAT_5000)
    monthly = _periodic_irr_apr(q) / 1200
    assert float(_effective(q)) == pytest.approx(((1 + monthly) ** 12 - 1) * 100,
                                                           abs=1e-6)


def test_an_annuity_without_fees_discloses_its_own_rate() -> None:
    q = _quote(principal="100000.00", annual_rate="15", term=24,
               disbursement_date="2024-01-01", installment_multiple=None)
    assert abs(_apr(q) - Decimal("15")) < Decimal("0.001")


def test_a_quarterly_loan_annualizes_with_four_periods_a_year() -> None:
    q = _quote(principal="100000.00", annual_rate="8", term=8, frequency="quarterly",
               disbursement_date="2024-01-01", amortization="flat")
    assert float(_apr(q)) == pytest.approx(_periodic_irr_apr(q, per_year=4), abs=1e-6)


def test_a_bullet_discounts_its_single_payment_over_the_whole_term() -> None:
    q = _quote(principal="10000.00", annual_rate="12", term=12, amortization="bullet",
               disbursement_date="2024-01-01")
    # 11,200 after twelve months: (1 + i)^12 = 1.12.
    assert float(_effective(q)) == pytest.approx(12.0, abs=1e-6)


def test_a_broken_first_period_switches_to_actual_days() -> None:
    q = _quote(principal="10000.00", annual_rate="12", term=12,
               disbursement_date="2024-01-10", first_repayment_date="2024-02-25",
               days_in_year="365")
    assert q.rates.method == "xirr"
    assert abs(_apr(q) - Decimal("12")) < Decimal("0.05")
    days = [(row.due_date - q.terms.disbursement_date).days for row in q.installments]
    flows = [float(row.total) for row in q.installments]
    effective = float(_effective(q)) / 100
    present = sum(f / (1 + effective) ** (d / 365) for f, d in zip(flows, days, strict=True))
    assert present == pytest.approx(float(q.disbursed_amount), rel=1e-8)  # 6 places of %


def test_loans_repaid_every_n_days_are_annualized_on_actual_days() -> None:
    q = _quote(principal="3000.00", annual_rate="18", term=12, interest_period="daily",
               days_in_year="365", frequency={"every": 14, "unit": "days"},
               disbursement_date="2024-05-01")
    assert q.rates.method == "xirr"
    assert abs(_apr(q) - Decimal("18")) < Decimal("0.05")


def test_the_solver_reaches_1e_10_on_a_known_rate() -> None:
    amounts = [110.0, 121.0]
    assert irr(200.0, [1.0, 2.0], amounts) == pytest.approx(0.1, abs=1e-12)


def test_the_solver_finds_rates_far_above_100_percent_a_period() -> None:
    assert irr(1.0, [1.0], [50.0]) == pytest.approx(49.0, rel=1e-12)


def test_paying_back_exactly_what_was_received_costs_nothing() -> None:
    rates = annual_rates(Decimal(300), [1.0, 2.0, 3.0], [Decimal(100)] * 3, Fraction(12),
                         "periodic_irr")
    assert rates.apr == Decimal("0.000000")
    assert rates.effective_annual_rate == Decimal("0.000000")
