"""Settlement in full: the quote for a date, and settling with it.

The loan: 1,200.00 at 12 % a year, 12 monthly installments of 100.00 principal (equal
principal) from 2024-01-15, the first period's interest 12.00; prepayment fee 2 %.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.loans.account import replay, settlement_quote

from .support import d, loan, money, txn

FEE = {"prepayment_fee_percent": Decimal(2)}


def test_a_quote_mid_period_charges_the_periods_interest_pro_rata_by_days() -> None:
    q = settlement_quote(loan(**FEE), [], d("2024-01-30"))
    # 15 of the 31 days from 01-15 to 02-15: 12.00 × 15 / 31 = 5.806…
    assert (q.principal, q.interest, q.fee, q.penalty) == (
        money("1200.00"), money("5.81"), money("0.00"), money("0.00"))
    assert q.prepayment_fee == money("24.00")
    assert q.total == q.gross == money("1229.81")


def test_settling_with_the_quoted_amount_closes_the_loan_early() -> None:
    contract = loan(**FEE)
    state = replay(contract, [txn("s", "settlement", "2024-01-30", "1229.81")],
                   d("2024-03-01"))
    assert state.status == "settled_early" and state.closed_on == d("2024-01-30")
    assert state.principal_outstanding == 0 and state.penalties_due == 0
    a = state.allocations["s"]
    assert (a.principal, a.interest, a.prepayment_fee) == (
        money("1200.00"), money("5.81"), money("24.00"))
    assert a.by_installment == ((1, money("1200.00"), money("5.81"), money("0.00"),
                                 money("0.00")),)
    # The later interest is cancelled: one installment remains, the stub up to the date.
    assert [(r.due_date, r.interest) for r in state.installments] == [
        (d("2024-01-30"), money("5.81"))]


@pytest.mark.parametrize("amount", ["1229.80", "1229.82", "1300.00"])
def test_settling_with_any_other_amount_is_refused(amount: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        replay(loan(**FEE), [txn("s", "settlement", "2024-01-30", amount)], d("2024-01-30"))
    assert (caught.value.code, caught.value.field) == ("settlement_amount_mismatch", "amount")
    assert caught.value.extra == {"expected": "1229.81"}


def test_a_quote_after_a_missed_installment_adds_due_interest_and_penalties() -> None:
    contract = loan(**FEE, fees={"penalty_rate": {"daily_rate": "0.05"}})
    q = settlement_quote(contract, [], d("2024-03-01"))
    # #1 (100.00 + 12.00) is late from 02-16; a settlement dated 03-01 stops that day's
    # penalty, so 02-16 to 02-29, 14 days at 0.05 = 0.70. #2 has run 15 of its 29 days
    # (11.00 × 15 / 29 = 5.69); the fee is 2 % of the 1,100.00 not yet due.
    # 1,200.00 + 17.69 + 0.70 + 22.00 = 1,240.39.
    assert (q.principal, q.interest, q.penalty, q.prepayment_fee) == (
        money("1200.00"), money("17.69"), money("0.70"), money("22.00"))
    assert q.total == money("1240.39")
    state = replay(contract, [txn("s", "settlement", "2024-03-01", "1240.39")],
                   d("2024-03-01"))
    assert state.status == "settled_early" and state.allocations["s"].penalty == money("0.70")
    assert state.installments[0].penalty == money("0.70")


def test_the_credit_balance_is_applied_to_a_settlement() -> None:
    contract = loan(**FEE)
    early = txn("early", "repayment", "2024-01-20", "300.00")
    # Paid in advance: #1 and #2 whole, #3's interest 10.00 and 67.00 of its principal.
    # Settling on 01-30 keeps 5.81 of that interest; the other 27.19 goes back to credit.
    q = settlement_quote(contract, [early], d("2024-01-30"))
    assert (q.principal, q.interest, q.prepayment_fee) == (
        money("933.00"), money("0.00"), money("18.66"))
    assert q.credit_balance == money("27.19") and q.total == money("924.47")
    state = replay(contract, [early, txn("s", "settlement", "2024-01-30", "924.47")],
                   d("2024-01-30"))
    a = state.allocations["s"]
    assert a.credit_used == money("27.19") and a.released == money("27.19")
    assert state.credit_balance == 0 and state.status == "settled_early"
    assert state.principal_paid == money("1200.00")


def test_no_quote_for_a_loan_already_closed_or_not_yet_disbursed() -> None:
    contract = loan(**FEE)
    settled = [txn("s", "settlement", "2024-01-30", "1229.81")]
    with pytest.raises(InvalidInput) as caught:
        settlement_quote(contract, settled, d("2024-02-01"))
    assert caught.value.code == "loan_closed"
    with pytest.raises(InvalidInput) as caught:
        settlement_quote(contract, [], d("2024-01-01"))
    assert caught.value.code == "before_disbursement"


def test_a_quote_ignores_transactions_dated_after_it() -> None:
    contract = loan(**FEE)
    later = [txn("r", "repayment", "2024-03-01", "500.00")]
    assert settlement_quote(contract, later, d("2024-01-30")).total == money("1229.81")
