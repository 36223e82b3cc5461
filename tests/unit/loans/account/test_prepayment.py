"""Partial prepayment: reduce the term or reduce the installment.

The loan: 1,200.00 at 12 % a year, 12 monthly equal installments of 106.62 from 2024-01-15;
prepayment fee 1 %. On 2024-02-15, 606.62 pays installment 1 (106.62) and leaves 500.00:
495.05 of principal prepaid and its 1 % fee, 4.95.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.loans.account import AccountState, LoanContract, Txn, replay

from .support import d, loan, money, txn


def annuity() -> LoanContract:
    return loan(amortization="equal_installments", prepayment_fee_percent=Decimal(1))


def prepaid(mode: str, on: str = "2024-02-15", amount: str = "606.62") -> AccountState:
    return replay(annuity(), [txn("p", "prepayment", on, amount, mode=mode)], d(on))


def future(state: AccountState) -> list[tuple[Decimal, Decimal]]:
    """(principal, interest) of the installments not yet due."""
    return [(r.principal, r.interest) for r in state.installments if r.completed_on is None]


def pay_off(contract: LoanContract, state: AccountState, txns: list[Txn]) -> AccountState:
    """Pay every remaining installment on its due date."""
    rest = [txn(f"r{r.number}", "repayment", r.due_date.isoformat(), f"{r.outstanding}")
            for r in state.installments if r.completed_on is None]
    return replay(contract, [*txns, *rest], d("2026-01-01"))


def test_the_prepayment_clears_what_is_due_then_prepays_principal_with_its_fee() -> None:
    a = prepaid("reduce_installment").allocations["p"]
    assert a.by_installment == ((1, money("94.62"), money("12.00"), money("0"), money("0")),
                                (2, money("495.05"), money("0"), money("0"), money("0")))
    assert (a.principal, a.interest, a.prepayment_fee, a.overpayment) == (
        money("589.67"), money("12.00"), money("4.95"), money("0"))


def test_reduce_term_keeps_the_installment_and_shortens_the_schedule() -> None:
    state = prepaid("reduce_term")
    rows = future(state)
    assert len(rows) == 6                       # 11 installments were left
    assert all(p + i <= money("106.62") for p, i in rows)
    assert {p + i for p, i in rows[:-1]} == {money("105.31")}
    assert sum(p for p, _ in rows) == money("1200.00") - money("94.62") - money("495.05")
    assert [r.due_date for r in state.installments if r.completed_on is None] == [
        d(f"2024-0{m}-15") for m in range(3, 9)]


def test_reduce_installment_keeps_the_number_and_lowers_the_installment() -> None:
    rows = future(prepaid("reduce_installment"))
    assert len(rows) == 11
    assert {p + i for p, i in rows[:-1]} == {money("58.87")}
    assert rows[0] == (money("52.77"), money("6.10"))    # 1 % of 610.33


@pytest.mark.parametrize("mode", ["reduce_term", "reduce_installment"])
def test_after_a_prepayment_principal_is_conserved_and_the_last_payment_closes_it(mode: str
                                                                                  ) -> None:
    contract = annuity()
    first = [txn("p", "prepayment", "2024-03-01", "606.62", mode=mode)]
    state = replay(contract, first, d("2024-03-01"))
    assert sum(r.principal for r in state.installments) == contract.principal
    closed = pay_off(contract, state, first)
    assert closed.status == "closed" and closed.principal_outstanding == 0
    assert closed.principal_paid == contract.principal


def test_a_prepayment_mid_period_keeps_the_interest_accrued_to_its_date() -> None:
    state = prepaid("reduce_term", on="2024-03-01")
    stub = state.installments[1]
    # #2 ran 15 of its 29 days: 11.05 × 15 / 29 = 5.72, due and paid on the day.
    assert (stub.due_date, stub.interest, stub.interest_paid) == (
        d("2024-03-01"), money("5.72"), money("5.72"))
    assert stub.principal == stub.principal_paid == money("489.39")
    # The next period runs from the prepayment: 14 days on 615.99 at 12 % (2024 has 366).
    assert state.installments[2].start_date == d("2024-03-01")
    assert state.installments[2].interest == money("2.83")


def test_interest_paid_in_advance_for_cancelled_days_goes_back_to_the_credit() -> None:
    contract = annuity()
    txns = [txn("two", "repayment", "2024-02-15", "213.24"),     # #1 and #2 in advance
            txn("p", "prepayment", "2024-03-01", "300.00"),
            txn("r", "repayment", "2024-03-15", "50.00")]
    state = replay(contract, txns, d("2024-03-15"))
    # #2's 11.05 of interest paid ahead covers 15 of its 29 days (5.72); 5.33 is released.
    assert state.allocations["p"].released == money("5.33")
    assert state.allocations["r"].overpayment == 0              # credit is not used up
    assert state.credit_balance == money("5.33")
    assert state.status == "active"


@pytest.mark.parametrize(("amount", "principal", "fee", "left"), [
    ("101.00", "98.08", "0.98", "0.00"),
    ("101.43", "98.50", "0.98", "0.01"),   # 98.51 + 0.99 is a fen too much
])
def test_the_largest_principal_whose_fee_fits_is_prepaid_and_what_is_left_is_credit(
        amount: str, principal: str, fee: str, left: str) -> None:
    state = replay(annuity(), [txn("p", "prepayment", "2024-01-20", amount)], d("2024-01-20"))
    a = state.allocations["p"]
    # Nothing is due on 01-20 but the interest accrued since 01-15: 12.00 × 5 / 31 = 1.94.
    assert a.interest == money("1.94")
    assert (a.principal, a.prepayment_fee, a.overpayment) == (
        money(principal), money(fee), money(left))
    assert state.credit_balance == money(left)


def test_more_than_everything_owed_prepays_all_principal_and_closes_the_loan() -> None:
    contract = annuity()
    state = replay(contract, [txn("p", "prepayment", "2024-02-15", "2000.00")],
                   d("2024-02-15"))
    a = state.allocations["p"]
    assert a.principal == contract.principal and a.prepayment_fee == money("11.05")
    assert a.overpayment == money("2000.00") - money("1200.00") - money("12.00") - \
        money("11.05")
    assert state.status == "closed"


def test_an_unknown_prepayment_mode_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        prepaid("shorter")
    assert (caught.value.code, caught.value.field) == ("invalid_choice", "mode")
