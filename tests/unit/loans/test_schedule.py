"""How each amortization, grace and fee shapes the installments of a quote."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fengkong.loans import Quote, parse_terms, quote

BASE = {"principal": "12000.00", "annual_rate": "12", "term": 12,
        "disbursement_date": "2024-01-15"}


def _quote(**overrides: Any) -> Quote:
    return quote(parse_terms({**BASE, **overrides}))


def _apr(q: Quote) -> Decimal:
    assert q.apr is not None
    return q.apr


def test_interest_only_repays_the_whole_principal_with_the_last_installment() -> None:
    q = _quote(amortization="interest_only")
    *regular, last = q.installments
    assert {row.principal for row in regular} == {Decimal("0.00")}
    assert {row.interest for row in q.installments} == {Decimal("120.00")}
    assert last.principal == Decimal("12000.00")
    assert last.total == Decimal("12120.00")


def test_a_bullet_loan_has_one_installment_at_maturity_with_all_the_interest() -> None:
    q = _quote(amortization="bullet")
    (only,) = q.installments
    assert only.number == 1
    assert only.due_date.isoformat() == "2025-01-15"
    assert (only.principal, only.interest) == (Decimal("12000.00"), Decimal("1440.00"))
    assert only.balance == Decimal("0.00")


def test_a_balloon_leaves_the_residual_to_the_last_installment() -> None:
    plain = _quote(amortization="equal_installments")
    q = _quote(amortization="balloon", balloon_amount="4000.00")
    *regular, last = q.installments
    level = regular[0].total
    assert {row.total for row in regular} == {level}
    assert level < plain.installments[0].total
    assert regular[-1].balance >= Decimal("4000.00")
    assert abs(last.total - level - Decimal("4000.00")) <= Decimal("0.10")
    assert q.total_principal == Decimal("12000.00")


def test_grace_on_principal_defers_principal_and_spreads_it_over_the_rest() -> None:
    q = _quote(grace_on_principal=3)
    grace, rest = q.installments[:3], q.installments[3:]
    assert {(row.principal, row.interest) for row in grace} == {
        (Decimal("0.00"), Decimal("120.00"))}
    assert {row.balance for row in grace} == {Decimal("12000.00")}
    assert len({row.total for row in rest[:-1]}) == 1
    assert q.total_principal == Decimal("12000.00")


def test_grace_on_interest_charges_interest_but_collects_it_after_the_grace() -> None:
    plain = _quote()
    q = _quote(grace_on_interest=2)
    assert [row.interest for row in q.installments[:2]] == [Decimal("0.00")] * 2
    deferred = sum(row.interest for row in plain.installments[:3])
    assert q.installments[2].interest == deferred
    assert q.total_interest == plain.total_interest
    assert [row.balance for row in q.installments] == [row.balance for row in plain.installments]


def test_grace_on_principal_and_interest_together_leave_the_first_installments_empty() -> None:
    q = _quote(grace_on_principal=2, grace_on_interest=2)
    assert {row.total for row in q.installments[:2]} == {Decimal("0.00")}
    assert q.installments[2].interest == Decimal("360.00")


def test_a_per_installment_fee_appears_in_fees_and_total_of_every_installment() -> None:
    plain = _quote()
    q = _quote(fees={"per_installment": "80.00"})
    for with_fee, without in zip(q.installments, plain.installments, strict=True):
        assert with_fee.fees == Decimal("80.00")
        assert with_fee.total == without.total + Decimal("80.00")
    assert q.total_fees == Decimal("960.00")
    assert q.total_repayment == plain.total_repayment + Decimal("960.00")


def test_a_deducted_upfront_fee_lowers_the_disbursed_amount_and_raises_the_apr() -> None:
    plain = _quote()
    q = _quote(fees={"upfront": {"amount": "300.00", "mode": "deducted"}})
    assert q.disbursed_amount == Decimal("11700.00")
    assert q.installments == plain.installments
    assert _apr(q) > _apr(plain)


def test_a_financed_upfront_fee_is_lent_on_top_and_repaid_with_interest() -> None:
    plain = _quote()
    q = _quote(fees={"upfront": {"percent": "2.5", "mode": "financed"}})
    assert q.upfront_fee == Decimal("300.00")
    assert q.disbursed_amount == Decimal("12000.00")
    assert q.financed_principal == Decimal("12300.00")
    assert q.total_principal == Decimal("12300.00")
    assert q.total_interest > plain.total_interest
    assert _apr(q) > _apr(plain)


def test_deducting_a_fee_costs_the_borrower_more_than_financing_it() -> None:
    deducted = _quote(fees={"upfront": {"amount": "300.00"}})
    financed = _quote(fees={"upfront": {"amount": "300.00", "mode": "financed"}})
    # Both pay 300 for 11,700 of use, but financing pays the fee later, with interest.
    assert _apr(deducted) > _apr(financed) > _apr(_quote())


def test_a_broken_first_period_charges_interest_for_its_actual_days() -> None:
    q = _quote(disbursement_date="2024-01-10", first_repayment_date="2024-03-01",
               days_in_year="365")
    first = q.installments[0]
    assert first.due_date.isoformat() == "2024-03-01"
    assert first.interest == Decimal("201.21")   # 12,000 × 12 % × 51/365
    assert q.installments[1].interest < Decimal("120.00")
    assert q.installments[-1].balance == Decimal("0.00")


def test_a_short_first_period_charges_less_interest_than_a_whole_month() -> None:
    q = _quote(disbursement_date="2024-01-25", first_repayment_date="2024-02-01",
               days_in_year="360")
    assert q.installments[0].interest == Decimal("28.00")   # 12,000 × 12 % × 7/360
    assert q.installments[1].due_date.isoformat() == "2024-03-01"


def test_a_weekly_loan_charges_seven_days_of_interest_a_week() -> None:
    q = _quote(frequency="weekly", term=10, days_in_year="365", amortization="interest_only")
    assert {row.interest for row in q.installments} == {Decimal("27.62")}  # 12,000×12%×7/365


def test_every_ten_days_with_daily_interest_on_360_days() -> None:
    q = _quote(frequency={"every": 10, "unit": "days"}, term=6, interest_period="daily",
               days_in_year="360", amortization="equal_principal")
    assert q.installments[0].interest == Decimal("40.00")
    assert q.installments[-1].due_date.isoformat() == "2024-03-15"
    assert q.total_principal == Decimal("12000.00")


def test_daily_interest_on_actual_days_varies_with_the_length_of_the_month() -> None:
    q = _quote(interest_period="daily", days_in_year="365", amortization="interest_only")
    interest = [row.interest for row in q.installments]
    assert interest[0] == Decimal("122.30")   # 15 Jan → 15 Feb: 31 days
    assert interest[1] == Decimal("114.41")   # 15 Feb → 15 Mar 2024: 29 days


def test_a_flat_loan_without_a_multiple_rounds_the_installment_to_the_fen() -> None:
    q = _quote(principal="10000.00", term=7, amortization="flat")
    assert {row.interest for row in q.installments} == {Decimal("100.00")}
    assert {row.principal for row in q.installments[:-1]} == {Decimal("1428.57")}
    assert q.installments[-1].principal == Decimal("1428.58")


def test_a_flat_loan_charges_exactly_principal_times_rate_times_term_in_all() -> None:
    q = _quote(principal="10000.00", annual_rate="10", amortization="flat")
    assert {row.interest for row in q.installments[:-1]} == {Decimal("83.33")}
    assert q.installments[-1].interest == Decimal("83.37")
    assert q.total_interest == Decimal("1000.00")


def test_rounding_down_to_a_multiple_leaves_more_for_the_last_installment() -> None:
    q = _quote(installment_multiple="10", rounding="down")
    *regular, last = q.installments
    assert {row.total for row in regular} == {Decimal("1060.00")}
    assert last.total > Decimal("1060.00")


def test_zero_interest_splits_the_principal_evenly() -> None:
    q = _quote(annual_rate="0", principal="1000.00", term=3)
    assert [row.principal for row in q.installments] == [
        Decimal("333.33"), Decimal("333.33"), Decimal("333.34")]
    assert q.total_interest == Decimal("0.00")
    assert q.apr == Decimal("0.000000")


def test_zero_digits_gives_whole_amounts() -> None:
    q = _quote(digits=0, principal="12000")
    assert all(row.total == row.total.to_integral_value() for row in q.installments)
    assert str(q.installments[0].total) == "1066"
