"""Annuity schedules agree with numpy-financial's pmt, ipmt and ppmt on thousands of loans."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import numpy_financial as npf

from fengkong.loans import LoanTerms, quote
from fengkong.loans.schedule import annuity

CASES = 2000


def _random_terms(rng: random.Random, digits: int) -> LoanTerms:
    return LoanTerms(
        principal=Decimal(rng.randrange(100_00, 2_000_000_00)).scaleb(-2),
        annual_rate=Decimal(rng.randrange(1, 36_0000)).scaleb(-4),
        term=rng.randrange(1, 121),
        disbursement_date=date(2020, 1, 1) + timedelta(days=rng.randrange(2000)),
        digits=digits,
    )


def test_the_unrounded_annuity_payment_equals_pmt() -> None:
    rng = random.Random(20240101)
    for _ in range(CASES):
        terms = _random_terms(rng, 2)
        rate = float(terms.annual_rate) / 1200
        expected = -npf.pmt(rate, terms.term, float(terms.principal))
        got = annuity(terms.principal, terms.annual_rate / 1200, terms.term)
        assert abs(float(got) - expected) <= 1e-9 * expected


def _compounded(rate: float, n: int) -> np.ndarray:
    """(1 + rate)^k for k = 0 … n-1: how a rounding error made k periods ago has grown."""
    return (1 + rate) ** np.arange(n)


def test_schedules_to_six_digits_follow_ipmt_and_ppmt_period_by_period() -> None:
    """Each period may differ from the exact schedule only by the roundings (half a unit of
    the sixth digit, in the installment and in each interest) grown at the loan's rate."""
    rng = random.Random(7)
    for _ in range(CASES):
        terms = _random_terms(rng, 6)
        rows = quote(terms).installments
        rate, n, pv = float(terms.annual_rate) / 1200, terms.term, float(terms.principal)
        periods = np.arange(1, n + 1)
        interest = -npf.ipmt(rate, periods, n, pv)
        principal = -npf.ppmt(rate, periods, n, pv)
        half_unit = 5e-7
        tolerance = 2 * half_unit * np.cumsum(_compounded(rate, n) + 1) + 1e-9 * pv
        assert np.all(np.abs([float(r.interest) for r in rows] - interest) <= tolerance)
        assert np.all(np.abs([float(r.principal) for r in rows] - principal) <= tolerance)
        assert rows[-1].balance == 0


def test_schedules_to_the_fen_stay_within_a_fen_of_numpy_financial_each_period() -> None:
    """Given the same rounded installment (through the residual it would leave), the interest
    of every period agrees with ipmt to half a fen grown at the loan's rate: a schedule rounded
    to the fen carries each rounding forward in its balance (up to 2 fen apart in these loans
    of up to 10 years at up to 36 %), and it ends at exactly zero."""
    rng = random.Random(99)
    for _ in range(CASES):
        terms = _random_terms(rng, 2)
        rows = quote(terms).installments
        rate, n, pv = float(terms.annual_rate) / 1200, terms.term, float(terms.principal)
        level = float(rows[0].total)
        growth = (1 + rate) ** n
        residual = pv * growth - level * ((growth - 1) / rate if rate else n)
        interest = -npf.ipmt(rate, np.arange(1, n + 1), n, pv, -residual)
        tolerance = 0.005 * _compounded(rate, n) + 1e-9 * pv
        difference = np.abs([float(r.interest) for r in rows] - interest)
        assert np.all(difference <= tolerance)
        assert sum(r.principal for r in rows) == terms.principal
        assert rows[-1].balance == Decimal("0.00")
        assert {r.total for r in rows[:-1]} <= {rows[0].total}
