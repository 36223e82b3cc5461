"""The annualized cost of a loan: the internal rate of return of the borrower's cash flows.

The borrower receives the disbursed amount (net of deducted upfront fees) at disbursement and
pays each installment in full (principal, interest and fees) on its due date. The periodic
rate `i` solves  disbursed = Σ installment_k / (1 + i)^t_k,  where t_k is in periods:

- Regular schedules (every period one whole interval of months or weeks, no broken first
  period): t_k = k. This is the IRR method Chinese lenders must disclose (年化利率, IRR 口径).
- Irregular schedules (a broken first period, or repayment every N days): t_k is the actual
  days from disbursement over 365, times m (XIRR on an actual/365 clock, measured in periods).

With m periods a year (12/every for months, 52/every for weeks, 365/every for days) the APR is
the nominal rate i × m and the effective annual rate is (1 + i)^m − 1. For an irregular
schedule the effective rate is exactly the XIRR, and the APR is that rate compounded as often
as the loan is repaid, so it compares with the APR of a regular loan.

Both are percentages with six decimals (rounded half-even), as `annual_rate` is given; a rate
beyond 10^15 % is left out (None).

The root is found in floats by Newton's method kept inside a bracket that bisection narrows,
to 1e-13 relative: the cash flows of a loan (money out, then only money in) have one root.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

TOLERANCE = 1e-13
_PLACES = Decimal("0.000001")
# Rates from 10^15 % up are not rates anyone can state (a fee many times the principal due
# within days compounds to such rates): they are left out rather than failing the quote.
_STATABLE = 15


@dataclass(frozen=True, slots=True)
class AnnualRates:
    apr: Decimal | None
    effective_annual_rate: Decimal | None
    method: str  # "periodic_irr" or "xirr"


def annual_rates(disbursed: Decimal, times: Sequence[float], amounts: Sequence[Decimal],
                 per_year: Fraction, method: str) -> AnnualRates:
    """APR and effective annual rate of paying `amounts` at `times` (in periods from
    disbursement) for `disbursed` received, with `per_year` periods a year."""
    try:
        i = irr(float(disbursed), times, [float(amount) for amount in amounts])
    except OverflowError:
        return AnnualRates(None, None, method)
    with localcontext(prec=40, rounding=ROUND_HALF_EVEN):
        rate = Decimal(repr(i))
        periods = Decimal(per_year.numerator) / per_year.denominator
        apr = rate * periods * 100
        effective = ((1 + rate) ** periods - 1) * 100
        return AnnualRates(_stated(apr), _stated(effective), method)


def irr(received: float, times: Sequence[float], amounts: Sequence[float]) -> float:
    """The rate r ≥ 0 at which the amounts paid at `times` are worth `received` today.

    Paying back at least what was received puts the root at r ≥ 0, where the present value
    falls as r grows: so [0, hi] brackets it once hi is doubled far enough. Raises
    OverflowError when that takes a rate beyond 1e300 a period."""
    if received <= 0 or sum(amounts) <= received:
        return 0.0
    lo, hi = 0.0, 1.0
    while _npv(hi, received, times, amounts)[0] > 0:
        lo, hi = hi, hi * 2
        if hi > 1e300:
            raise OverflowError("no internal rate of return below 1e300 a period")
    # A first guess from the amounts' mean time: received ≈ Σ amounts / (1 + r · duration).
    duration = sum(t * a for t, a in zip(times, amounts, strict=True)) / sum(amounts)
    rate = min(max((sum(amounts) / received - 1) / duration, lo), hi)
    for _ in range(200):
        value, slope = _npv(rate, received, times, amounts)
        if value > 0:
            lo = rate
        else:
            hi = rate
        step = value / slope if slope else 0.0
        candidate = rate - step
        if not lo < candidate < hi:
            candidate = (lo + hi) / 2
        if abs(candidate - rate) <= TOLERANCE * max(1.0, rate) or hi - lo <= TOLERANCE:
            return candidate
        rate = candidate
    return rate


def _npv(rate: float, received: float, times: Sequence[float], amounts: Sequence[float]
         ) -> tuple[float, float]:
    """Present value of the payments less what was received, and its derivative in rate."""
    growth = 1.0 + rate
    value, slope = -received, 0.0
    for t, amount in zip(times, amounts, strict=True):
        discounted = amount * growth ** -t
        value += discounted
        slope -= t * discounted / growth
    return value, slope


def _stated(percent: Decimal) -> Decimal | None:
    return percent.quantize(_PLACES) if percent.adjusted() < _STATABLE else None
