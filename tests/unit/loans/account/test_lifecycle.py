"""Write-off and recovery, refunds, waivers, restructuring, status, and refused transactions.

The loan: 1,200.00 at 12 % a year, 12 monthly installments of 100.00 principal (equal
principal) from 2024-01-15: interest 12.00, 11.00, 10.00, …
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from fengkong.core.errors import InvalidInput
from fengkong.loans.account import Txn, replay

from .support import d, loan, money, txn


def test_a_write_off_writes_off_everything_owed_and_keeps_the_split() -> None:
    contract = loan(fees={"penalty_rate": {"daily_rate": "0.05"}})
    state = replay(contract, [txn("off", "writeoff", "2024-03-01")], d("2024-06-01"))
    # #1 (100.00 at 0.05 a day) is charged 02-16 to 02-29, 14 days = 0.70 (nothing is owed
    # at the end of 03-01, the day written off); #2 has accrued 11.00 × 15 / 29 = 5.69.
    assert (state.written_off_principal, state.written_off_interest,
            state.written_off_fee, state.written_off_penalty) == (
        money("1200.00"), money("17.69"), money("0.00"), money("0.70"))
    assert state.written_off == money("1218.39")
    assert state.status == "written_off" and state.closed_on == d("2024-03-01")
    assert state.principal_outstanding == 0 and state.days_past_due == 0
    a = state.allocations["off"]
    assert (a.principal, a.interest, a.penalty) == (
        money("1200.00"), money("17.69"), money("0.70"))


def test_recoveries_after_a_write_off_are_recorded_not_allocated() -> None:
    txns = [txn("off", "writeoff", "2024-03-01"),
            txn("back1", "recovery", "2024-04-01", "300.00"),
            txn("back2", "recovery", "2024-05-01", "150.50")]
    state = replay(loan(), txns, d("2024-06-01"))
    assert state.recovered == money("450.50")
    assert state.allocations["back1"].recovered == money("300.00")
    assert state.allocations["back1"].total == 0
    assert state.principal_paid == 0


def test_a_recovery_before_any_write_off_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        replay(loan(), [txn("back", "recovery", "2024-04-01", "10.00")], d("2024-04-01"))
    assert caught.value.code == "not_written_off" and caught.value.entity_id == "back"


def test_an_overpayment_can_be_refunded_but_never_more_than_the_credit() -> None:
    pay = txn("pay", "repayment", "2024-02-01", "1300.00")
    # Everything is in advance on 02-01: principal 1,200.00 and interest 78.00.
    state = replay(loan(), [pay, txn("back", "refund", "2024-02-02", "22.00")],
                   d("2024-02-02"))
    assert state.credit_balance == 0 and state.status == "closed"
    with pytest.raises(InvalidInput) as caught:
        replay(loan(), [pay, txn("back", "refund", "2024-02-02", "22.01")], d("2024-02-02"))
    assert (caught.value.code, caught.value.field) == ("exceeds_credit_balance", "amount")


def test_a_waiver_forgives_interest_oldest_installment_first() -> None:
    state = replay(loan(), [txn("w", "waiver", "2024-04-01", "20.00", component="interest")],
                   d("2024-04-01"))
    assert state.allocations["w"].by_installment == (
        (1, money("0"), money("12.00"), money("0"), money("0")),
        (2, money("0"), money("8.00"), money("0"), money("0")))
    assert state.interest_due == money("3.00")


def test_a_waiver_of_every_penalty_leaves_the_installments_to_pay() -> None:
    contract = loan(fees={"penalty_rate": {"daily_rate": "0.05"}})
    # Before the waiver dated 03-01: 02-16 to 02-29, 14 days × 0.05 = 0.70, all waived. The
    # principal is still owed at the end of 03-01, so that day's 0.05 is charged after it.
    state = replay(contract, [txn("w", "waiver", "2024-03-01", "0.70", component="penalty")],
                   d("2024-03-01"))
    assert state.installments[0].penalty_waived == money("0.70")
    assert state.penalties_due == money("0.05")
    assert (state.principal_due, state.interest_due) == (money("100.00"), money("12.00"))


@pytest.mark.parametrize(("amount", "component", "code", "field"), [
    ("12.01", "interest", "waiver_exceeds_outstanding", "amount"),
    ("1.00", "principal", "invalid_choice", "component"),
    ("1.00", None, "invalid_choice", "component"),
])
def test_a_waiver_beyond_what_is_owed_or_of_principal_is_refused(
        amount: str, component: str | None, code: str, field: str) -> None:
    contract = loan(term=1)
    with pytest.raises(InvalidInput) as caught:
        replay(contract, [txn("w", "waiver", "2024-02-20", amount, component=component)],
               d("2024-02-20"))
    assert (caught.value.code, caught.value.field) == (code, field)


def test_a_restructure_capitalises_what_is_owed_into_a_new_schedule() -> None:
    new_terms = {"annual_rate": "6", "term": 6, "amortization": "equal_installments"}
    txns = [txn("re", "restructure", "2024-04-01", new_terms=new_terms)]
    state = replay(loan(), txns, d("2024-04-01"))
    # Overdue #1 (100 + 12) and #2 (100 + 11), #3's 10.00 × 17 / 31 = 5.48 accrued, and the
    # 1,000.00 not yet due become a principal of 1,228.48; 28.48 of it was interest.
    a = state.allocations["re"]
    assert (a.principal, a.interest) == (money("1200.00"), money("28.48"))
    assert state.capitalised == money("28.48")
    assert state.terms.principal == money("1228.48") and state.terms.annual_rate == 6
    new = [r for r in state.installments if r.completed_on is None]
    assert [r.due_date for r in new] == [d(f"2024-{m:02}-01") for m in range(5, 11)]
    assert sum(r.principal for r in new) == money("1228.48")
    assert state.status == "restructured" and state.days_past_due == 0
    assert state.principal_outstanding == money("1228.48")


def test_a_restructured_loan_falls_overdue_on_its_new_schedule() -> None:
    new_terms = {"annual_rate": "6", "term": 6}
    state = replay(loan(), [txn("re", "restructure", "2024-04-01", new_terms=new_terms)],
                   d("2024-05-03"))
    assert state.status == "overdue" and state.days_past_due == 2


@pytest.mark.parametrize(("new_terms", "field"), [
    (None, "new_terms"),
    ({"term": 6}, "new_terms.annual_rate"),
    ({"annual_rate": "6", "term": 6, "principal": "10"}, "new_terms.principal"),
    ({"annual_rate": "6", "term": 6, "first_repayment_date": "2024-03-01"},
     "new_terms.first_repayment_date"),
])
def test_a_restructure_with_bad_terms_is_refused_with_the_field(
        new_terms: dict[str, object] | None, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        replay(loan(), [txn("re", "restructure", "2024-04-01", new_terms=new_terms)],
               d("2024-04-01"))
    assert caught.value.field == field


def test_the_status_moves_from_active_to_overdue_to_closed() -> None:
    contract = loan(term=2)
    assert replay(contract, [], d("2024-02-15")).status == "active"
    late = replay(contract, [], d("2024-02-20"))
    assert (late.status, late.days_past_due, late.oldest_unpaid_due_date) == (
        "overdue", 5, d("2024-02-15"))
    assert (late.principal_due, late.interest_due) == (money("600.00"), money("12.00"))
    paid = replay(contract, [txn("a", "repayment", "2024-02-20", "612.00"),
                             txn("b", "repayment", "2024-03-15", "606.00")], d("2024-04-01"))
    assert (paid.status, paid.closed_on) == ("closed", d("2024-03-15"))


def test_accrued_interest_not_yet_due_is_pro_rata_in_the_current_period() -> None:
    state = replay(loan(), [], d("2024-01-30"))
    assert state.interest_accrued_not_due == money("5.81")      # 12.00 × 15 / 31


@pytest.mark.parametrize(("transaction", "code", "field"), [
    (Txn("t", "repayment", d("2024-02-01"), Decimal("0")), "not_positive", "amount"),
    (Txn("t", "repayment", d("2024-02-01"), Decimal("-5")), "not_positive", "amount"),
    (Txn("t", "refund", d("2024-02-01"), Decimal("0")), "not_positive", "amount"),
    (Txn("t", "repayment", d("2024-02-01"), Decimal("1.001")), "too_many_decimals", "amount"),
    (Txn("t", "repayment", d("2024-01-14"), Decimal("10")), "before_disbursement",
     "value_date"),
    (Txn("t", "chargeback", d("2024-02-01"), Decimal("10")),  # type: ignore[arg-type]
     "invalid_choice", "kind"),
])
def test_a_malformed_transaction_is_refused_with_its_code_and_field(
        transaction: Txn, code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        replay(loan(), [transaction], d("2024-02-01"))
    assert (caught.value.code, caught.value.field, caught.value.entity_id) == (code, field, "t")


@pytest.mark.parametrize("kind", ["repayment", "prepayment", "waiver", "writeoff",
                                  "restructure"])
def test_nothing_but_refunds_and_recoveries_touches_a_closed_loan(kind: str) -> None:
    done = txn("all", "repayment", "2024-02-01", "1300.00")
    later = txn("late", kind, "2024-03-01", "1.00", component="interest",
                new_terms={"annual_rate": "1", "term": 1})
    with pytest.raises(InvalidInput) as caught:
        replay(loan(), [done, later], d("2024-03-01"))
    assert (caught.value.code, caught.value.field) == ("loan_closed", "value_date")


def test_a_transaction_id_used_twice_is_refused() -> None:
    twice = [txn("a", "repayment", "2024-02-01", "1.00"),
             txn("a", "repayment", "2024-02-02", "1.00")]
    with pytest.raises(InvalidInput) as caught:
        replay(loan(), twice, d("2024-02-02"))
    assert caught.value.code == "duplicate_transaction"
