"""Allocation orders on a hand-worked loan: two installments overdue, one due, 1,500.00 paid.

A payment dated 2024-04-01 comes after the penalties through 03-31 (it stops 04-01's own), so
the loan owes, at 0.1 % a day of overdue principal (1.00 a day on 1,000.00):
  #1 due 02-01: principal 1,000, interest 30, fee 5, penalty 59 (02-02 to 03-31, 59 days)
  #2 due 03-01: principal 1,000, interest 20, fee 5, penalty 30 (03-02 to 03-31, 30 days)
  #3 due 04-01: principal 1,000, interest 10, fee 5 (due on the value date)
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.loans.account import Allocation, PenaltyRule, Rule, allocation_order, replay

from .support import d, money, three_installments, txn

PENALTY = PenaltyRule(daily_rate_ppm=1000, base="overdue_principal")


def pay_on_april_first(allocation: str | tuple[str, ...], amount: str = "1500.00"
                       ) -> Allocation:
    contract = three_installments(allocation, PENALTY)
    state = replay(contract, [txn("pay", "repayment", "2024-04-01", amount)], d("2024-04-01"))
    return state.allocations["pay"]


def split(*values: str) -> tuple[Decimal, ...]:
    return tuple(money(v) for v in values)


def test_penalties_fees_interest_principal_pays_installment_by_installment_oldest_first(
) -> None:
    a = pay_on_april_first("penalties_fees_interest_principal")
    # #1 takes 59 + 5 + 30 + 1,000 = 1,094; #2 the other 406: 30 + 5 + 20 + 351.
    assert (a.penalty, a.fee, a.interest, a.principal) == split("89", "10", "50", "1351")
    assert a.by_installment == ((1, *split("1000", "30", "5", "59")),
                                (2, *split("351", "20", "5", "30")))


def test_interest_principal_penalties_fees_leaves_the_second_penalty_and_fee_unpaid() -> None:
    a = pay_on_april_first("interest_principal_penalties_fees")
    # #1 takes 30 + 1,000 + 59 + 5 = 1,094; #2 the other 406: 20 + 386.
    assert (a.interest, a.principal, a.penalty, a.fee) == split("50", "1386", "59", "5")
    assert a.by_installment == ((1, *split("1000", "30", "5", "59")),
                                (2, *split("386", "20", "0", "0")))


def test_rbi_pays_every_due_charge_and_interest_before_any_principal() -> None:
    a = pay_on_april_first("rbi")
    # Charges and interest of #1..#3: 94 + 55 + 15 = 164; principal 1,336: #1 1,000, #2 336.
    assert (a.penalty, a.fee, a.interest, a.principal) == split("89", "15", "60", "1336")
    assert a.by_installment == ((1, *split("1000", "30", "5", "59")),
                                (2, *split("336", "20", "5", "30")),
                                (3, *split("0", "10", "5", "0")))


def test_the_rule_list_pays_each_part_across_installments_before_the_next_rule() -> None:
    # Fineract's e2e default order: past due P, F, Pr, I; due P, F, Pr, I; in advance ditto.
    rules = tuple(f"{when}.{part}" for when in ("past_due", "due", "in_advance")
                  for part in ("penalty", "fee", "principal", "interest"))
    a = pay_on_april_first(rules)
    # Past-due penalties 89, fees 10, then principal 1,401: #1 1,000, #2 401.
    assert (a.penalty, a.fee, a.principal, a.interest) == split("89", "10", "1401", "0")
    assert a.by_installment == ((1, *split("1000", "0", "5", "59")),
                                (2, *split("401", "0", "5", "30")))


def test_due_rules_before_past_due_rules_pay_the_installment_due_today_first() -> None:
    rules = tuple(f"{when}.{part}" for when in ("due", "past_due", "in_advance")
                  for part in ("interest", "principal", "penalty", "fee"))
    a = pay_on_april_first(rules, "1200.00")
    assert a.by_installment[-1] == (3, *split("1000", "10", "5", "0"))
    assert a.by_installment[:2] == ((1, *split("135", "30", "0", "0")),
                                    (2, *split("0", "20", "0", "0")))
    assert a.interest == money("60") and a.principal == money("1135")


def test_money_beyond_everything_owed_is_kept_as_credit_balance() -> None:
    contract = three_installments(penalty=PENALTY)
    state = replay(contract, [txn("pay", "repayment", "2024-04-01", "4000.00")],
                   d("2024-04-01"))
    owed = money("3000") + money("60") + money("15") + money("89")   # 3,164: 836 over
    assert state.allocations["pay"].overpayment == money("4000") - owed == money("836")
    assert state.credit_balance == money("4000") - owed
    assert state.status == "closed" and state.closed_on == d("2024-04-01")


def test_a_refund_pays_back_part_of_the_credit_balance_even_after_closing() -> None:
    contract = three_installments()
    state = replay(contract, [txn("early", "repayment", "2024-01-20", "3100.00"),
                              txn("back", "refund", "2024-05-01", "10.00")], d("2024-05-01"))
    assert state.allocations["early"].overpayment == money("25.00")
    assert state.allocations["back"].overpayment == money("-10.00")
    assert state.credit_balance == money("15.00") and state.status == "closed"


def test_a_payment_before_the_due_date_goes_to_the_next_installment_in_advance() -> None:
    contract = three_installments()
    state = replay(contract, [txn("early", "repayment", "2024-01-20", "1100.00")],
                   d("2024-01-31"))
    assert state.allocations["early"].by_installment == (
        (1, *split("1000", "30", "5", "0")), (2, *split("40", "20", "5", "0")))
    assert state.installments[0].completed_on == d("2024-01-20")


def test_presets_expand_to_their_rules() -> None:
    assert allocation_order("penalties_fees_interest_principal") == (
        Rule(("past_due", "due", "in_advance"), ("penalty", "fee", "interest", "principal")),)
    assert [str(r) for r in allocation_order("rbi")] == [
        "past_due+due.penalty,fee,interest", "past_due+due.principal",
        "in_advance.penalty,fee,interest,principal"]
    assert allocation_order(("due.fee", "past_due.interest")) == (
        Rule(("due",), ("fee",)), Rule(("past_due",), ("interest",)))


@pytest.mark.parametrize("allocation", ["fifo", ("due.fees",), ("soon.fee",), ()])
def test_an_unknown_order_is_refused_with_its_field(allocation: str | tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput) as caught:
        allocation_order(allocation)
    assert caught.value.field is not None and caught.value.field.startswith("allocation")
