"""Penalty interest and late fees, worked by hand."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from fengkong.loans.account import (
    LoanContract,
    PenaltyRule,
    ScheduledInstallment,
    Txn,
    capped_ppm,
    penalty_for_day,
    replay,
)

from .support import d, loan, money, three_installments, txn


def one_installment(penalty: PenaltyRule, principal: str = "10000.00") -> LoanContract:
    """One installment of `principal` and 100.00 interest, due 2024-02-01."""
    schedule = (ScheduledInstallment(1, d("2024-02-01"), money(principal), money("100.00"),
                                     money("0.00")),)
    base = loan(principal=principal, term=1, disbursement_date="2024-01-01")
    return LoanContract(principal=money(principal), disbursement_date=d("2024-01-01"),
                        terms=base.terms, schedule=schedule, penalty=penalty)


HALF_PERMILLE = PenaltyRule(daily_rate_ppm=500, base="overdue_principal")


def penalty_on(contract: LoanContract, as_of: str, txns: list[Txn] | None = None) -> Decimal:
    return replay(contract, txns or [], d(as_of)).installments[0].penalty


def test_the_daily_formula_is_rounded_half_up_in_fen() -> None:
    assert penalty_for_day(1_000_000, 500) == 500
    assert penalty_for_day(100_000, 500) == 50
    assert penalty_for_day(1, 500_000) == 1       # half a fen rounds up
    assert penalty_for_day(999, 500) == 0         # 0.4995 fen rounds down
    assert penalty_for_day(0, 500) == 0


def test_ten_thousand_overdue_at_500_ppm_costs_5_a_day_and_50_over_ten_days() -> None:
    contract = one_installment(HALF_PERMILLE)
    assert penalty_on(contract, "2024-02-01") == 0          # due today: not late yet
    assert penalty_on(contract, "2024-02-02") == money("5.00")
    assert penalty_on(contract, "2024-02-11") == money("50.00")


def test_one_thousand_overdue_at_500_ppm_costs_half_a_yuan_a_day() -> None:
    contract = one_installment(HALF_PERMILLE, principal="1000.00")
    assert penalty_on(contract, "2024-02-11") == money("5.00")


def test_the_late_fee_falls_once_on_the_day_after_the_grace() -> None:
    rule = PenaltyRule(daily_rate_ppm=500, late_fee=money("30.00"), late_fee_grace_days=3)
    contract = one_installment(rule)
    assert penalty_on(contract, "2024-02-04") == money("15.00")
    assert penalty_on(contract, "2024-02-05") == money("50.00")      # 4 days + 30.00
    state = replay(contract, [], d("2024-02-11"))
    assert state.installments[0].penalty == money("80.00")
    assert state.installments[0].late_fee_charged == money("30.00")


@pytest.mark.parametrize("on", ["2024-02-04", "2024-02-05"])
def test_no_late_fee_when_the_installment_is_paid_by_the_end_of_the_fee_day(on: str) -> None:
    # The fee falls on 02-05 (due 02-01 + 3 days' grace + 1) only if something is still
    # owed at the end of that day: paying within the grace or on 02-05 itself avoids it.
    rule = PenaltyRule(daily_rate_ppm=0, late_fee=money("30.00"), late_fee_grace_days=3)
    contract = one_installment(rule)
    paid = [txn("pay", "repayment", on, "10100.00")]
    assert penalty_on(contract, "2024-03-01", paid) == 0


def test_a_payment_on_the_day_after_the_due_date_stops_that_days_penalty() -> None:
    contract = one_installment(HALF_PERMILLE)
    state = replay(contract, [txn("pay", "repayment", "2024-02-02", "10105.00")],
                   d("2024-03-01"))
    # Penalties run through 02-01 before the payment: none (the due date is not late). The
    # payment clears 10,000.00 + 100.00, so nothing is owed at the end of 02-02 and that
    # day's 5.00 is never charged: the extra 5.00 is credit balance.
    a = state.allocations["pay"]
    assert (a.penalty, a.interest, a.principal) == (money("0"), money("100.00"),
                                                    money("10000.00"))
    assert a.overpayment == state.credit_balance == money("5.00")
    assert state.installments[0].penalty == 0
    assert (state.status, state.closed_on) == ("closed", d("2024-02-02"))


def test_money_paid_on_a_day_stops_that_days_penalty_and_the_business_date_changes_nothing(
) -> None:
    # Due D = 02-01, overdue from D+1. Everything owed is repaid on D+3 = 02-04: penalties
    # for D+1 and D+2 only (2 × 5.00 = 10.00; 10,000.00 × 0.05 % = 5.00 a day), so the
    # amount is 10,000.00 + 100.00 + 10.00; nothing is owed at the end of D+3.
    contract = one_installment(HALF_PERMILLE)
    pay = [txn("pay", "repayment", "2024-02-04", "10110.00")]
    state = replay(contract, pay, d("2024-02-04"))
    a = state.allocations["pay"]
    assert (a.penalty, a.interest, a.principal, a.overpayment) == (
        money("10.00"), money("100.00"), money("10000.00"), money("0"))
    assert state.installments[0].penalty == money("10.00")
    assert (state.status, state.closed_on) == ("closed", d("2024-02-04"))
    # A business date a week later charges nothing more: the same state but for the date.
    later = replay(contract, pay, d("2024-02-11"))
    assert later.penalties_through == d("2024-02-11")
    assert dataclasses.replace(later, as_of=state.as_of,
                               penalties_through=state.penalties_through) == state


def test_a_back_dated_repayment_lowers_the_penalties_after_it() -> None:
    contract = one_installment(HALF_PERMILLE)
    later = txn("later", "repayment", "2024-02-10", "10.00")
    # 8 days at 5.00 (02-02 to 02-09) before it; it pays 10.00 of them and leaves the
    # principal alone; 02-10 and 02-11 at 5.00: 40.00 + 10.00.
    assert penalty_on(contract, "2024-02-11", [later]) == money("50.00")
    back = txn("back", "repayment", "2024-02-06", "5000.00")
    # 4 days at 5.00 (02-02 to 02-05); the payment clears them, the interest and 4,880.00 of
    # principal; then 02-06 to 02-11, 6 days at 2.56 (5,120.00 × 0.05 % = 2.56), the
    # later 10.00 paying penalty only: 20.00 + 6 × 2.56 = 35.36.
    state = replay(contract, [later, back], d("2024-02-11"))
    assert state.installments[0].penalty == money("35.36")
    assert state.installments[0].principal_outstanding == money("5120.00")
    assert state.allocations["back"].penalty == money("20.00")
    assert state.allocations["later"].penalty == money("10.00")
    assert state == replay(contract, [back, later], d("2024-02-11"))


def test_the_overdue_installment_base_counts_interest_and_fees_too() -> None:
    contract = one_installment(PenaltyRule(daily_rate_ppm=500, base="overdue_installment"))
    # 10,100.00 × 0.05 % = 5.05 a day
    assert penalty_on(contract, "2024-02-03") == money("10.10")


def test_the_cost_cap_lowers_the_daily_rate() -> None:
    assert capped_ppm(500, Decimal(24), Decimal(36)) == 328     # 12 % a year left: 328 ppm
    assert capped_ppm(500, Decimal(10), Decimal(40)) == 500
    assert capped_ppm(500, Decimal(36), Decimal(30)) == 0
    assert capped_ppm(500, Decimal(24), None) == 500
    contract = loan(principal="10000.00", annual_rate="24", annual_cost_cap=Decimal(36),
                    fees={"penalty_rate": {"daily_rate": "0.05"}})
    state = replay(contract, [], d("2024-02-17"))               # #1 due 2024-02-15
    assert state.penalty_rate_ppm == 328
    assert state.installments[0].penalty == money("0.54")      # 2 × 0.27 (833.33 × 0.0328 %)
    assert 24 + Decimal(state.penalty_rate_ppm) * 365 / 10_000 <= 36


def test_penalties_stop_when_the_loan_is_written_off() -> None:
    contract = one_installment(HALF_PERMILLE)
    state = replay(contract, [txn("off", "writeoff", "2024-02-05")], d("2024-06-01"))
    # 02-02 to 02-04 at 5.00; nothing is owed at the end of 02-05, the day written off.
    assert state.installments[0].penalty == money("15.00")
    assert state.written_off_penalty == money("15.00")


@pytest.mark.parametrize("as_of", ["2024-03-04", "2024-03-05", "2024-04-15"])
def test_penalties_charged_before_a_payment_never_depend_on_the_business_date(as_of: str
                                                                              ) -> None:
    # Whether close of business has run through the day before the payment or long after
    # it, the payment pays the penalties of the days before its own: #1 (1,000.00 at
    # 0.50 a day) 02-02 to 03-04, 32 days = 16.00; #2 03-02 to 03-04, 3 days = 1.50.
    contract = three_installments(penalty=HALF_PERMILLE)
    pay = txn("pay", "repayment", "2024-03-05", "2000.00")
    assert replay(contract, [pay], d(as_of)).allocations["pay"].penalty == money("17.50")


def test_the_state_says_through_which_day_penalties_were_charged() -> None:
    contract = one_installment(HALF_PERMILLE)
    assert replay(contract, [], d("2024-02-11")).penalties_through == d("2024-02-11")
    # A payment dated after the business date never takes penalties past it: 10 days,
    # 02-02 to 02-11, at 5.00; the 1.00 pays 1.00 of them.
    for on in ("2024-02-12", "2024-02-20"):
        state = replay(contract, [txn("pay", "repayment", on, "1.00")], d("2024-02-11"))
        assert state.penalties_through == d("2024-02-11")
        assert state.installments[0].penalty == money("50.00")
        assert state.installments[0].penalty_outstanding == money("49.00")
