"""Properties every replay keeps, whatever the loan and its transactions (hypothesis)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fengkong.core.errors import InvalidInput
from fengkong.loans import parse_terms
from fengkong.loans.account import (
    AccountState,
    LoanContract,
    Txn,
    contract_from_terms,
    replay,
    settlement_quote,
)
from fengkong.loans.account.allocation import PARTS, WHENS

RULES = [f"{when}.{part}" for when in WHENS for part in PARTS]
MONEY_IN = {"repayment", "prepayment", "settlement"}
FAST = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def contracts(draw: st.DrawFn) -> LoanContract:
    amortization = draw(st.sampled_from(["equal_installments", "equal_principal", "flat",
                                         "interest_only", "bullet", "balloon"]))
    principal = draw(st.integers(1_000, 50_000))
    term = draw(st.integers(1, 9))
    data: dict[str, Any] = {
        "principal": f"{principal}.00", "annual_rate": str(draw(st.integers(0, 24))),
        "term": term, "amortization": amortization,
        "frequency": draw(st.sampled_from(["monthly", "weekly"])),
        "interest_period": draw(st.sampled_from(["same_as_repayment", "daily"])),
        "disbursement_date": draw(st.dates(date(2023, 1, 1), date(2024, 12, 31))).isoformat(),
    }
    if amortization == "balloon":
        data["balloon_amount"] = f"{principal // 4}.00"
    if amortization not in ("bullet",) and term > 1 and draw(st.booleans()):
        data["grace_on_principal"] = draw(st.integers(0, term - 1))
    fees: dict[str, Any] = {}
    if draw(st.booleans()):
        fees["per_installment"] = str(draw(st.integers(1, 20)))
    if draw(st.booleans()):
        fees["penalty_rate"] = {"daily_rate": draw(st.sampled_from(["0.05", "0.1", "0.0333"])),
                                "base": draw(st.sampled_from(["overdue_principal",
                                                              "overdue_installment"]))}
    if draw(st.booleans()):
        fees["late_fee"] = {"amount": "15", "grace_days": draw(st.integers(0, 5))}
    if fees:
        data["fees"] = fees
    allocation: Any = draw(st.one_of(
        st.sampled_from(["penalties_fees_interest_principal",
                         "interest_principal_penalties_fees", "rbi"]),
        st.permutations(RULES).map(tuple)))
    cap = draw(st.one_of(st.none(), st.integers(24, 40).map(Decimal)))
    return contract_from_terms(parse_terms(data), allocation=allocation,
                               prepayment_fee_percent=Decimal(draw(st.integers(0, 3))),
                               annual_cost_cap=cap)


History = tuple[LoanContract, list[Txn], date]
KINDS = ["repayment"] * 5 + ["prepayment", "prepayment", "settlement", "waiver", "waiver",
                             "writeoff", "recovery", "refund", "refund", "restructure"]


@st.composite
def histories(draw: st.DrawFn) -> History:
    """A loan and the transactions a service would have accepted, in the order recorded (not
    always date order), on distinct dates."""
    contract = draw(contracts())
    span = (contract.schedule[-1].due_date - contract.disbursement_date).days + 60
    offsets = draw(st.lists(st.integers(0, span), min_size=1, max_size=7, unique=True))
    if draw(st.booleans()):
        offsets.sort()   # recorded in date order; otherwise some are back-dated
    as_of = contract.disbursement_date + timedelta(days=max(offsets) + draw(st.integers(0, 40)))
    accepted: list[Txn] = []
    for n, offset in enumerate(offsets):
        on = contract.disbursement_date + timedelta(days=offset)
        kind = draw(st.sampled_from(KINDS))
        candidate = Txn(id=f"t{n}", kind=kind, value_date=on,  # type: ignore[arg-type]
                        amount=_amount(draw, contract, kind, accepted, on),
                        component=draw(st.sampled_from(["interest", "fee", "penalty"])),
                        mode=draw(st.sampled_from(["reduce_term", "reduce_installment"])),
                        new_terms={"annual_rate": str(draw(st.integers(0, 15))),
                                   "term": draw(st.integers(1, 6)),
                                   "amortization": draw(st.sampled_from(
                                       ["equal_installments", "equal_principal"]))})
        try:
            replay(contract, [*accepted, candidate], as_of)
        except InvalidInput:
            continue
        accepted.append(candidate)
    return contract, accepted, as_of


def _amount(draw: st.DrawFn, contract: LoanContract, kind: str, accepted: list[Txn],
            on: date) -> Decimal:
    """An amount likely to be accepted: within the credit for a refund, within what is owed
    for a waiver, the quote for a settlement; mostly part of the principal otherwise."""
    try:
        if kind == "settlement":
            return settlement_quote(contract, accepted, on).total
        state = replay(contract, [t for t in accepted if t.value_date <= on], on)
    except InvalidInput:
        return Decimal("1.00")
    if kind == "refund":
        ceiling = state.credit_balance
    elif kind == "waiver":
        ceiling = state.interest_due + state.fees_due + state.penalties_due
    else:
        ceiling = contract.principal * 2
    share = draw(st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal("0.2"),
                                  Decimal("0.5"), Decimal("0.8"), Decimal(1)]))
    return max((ceiling * share).quantize(Decimal("0.01")), Decimal("0.01"))


def _money_in(txns: list[Txn], kinds: set[str]) -> Decimal:
    return sum((t.amount for t in txns if t.kind in kinds and not t.reversed), Decimal(0))


@FAST
@given(histories())
def test_every_allocation_conserves_the_amount(history: History) -> None:
    contract, txns, as_of = history
    state = replay(contract, txns, as_of)
    for t in txns:
        a = state.allocations[t.id]
        if t.kind in MONEY_IN:
            assert a.total + a.overpayment + a.prepayment_fee == t.amount + a.credit_used
        elif t.kind == "waiver":
            assert a.total == t.amount and a.principal == 0
        elif t.kind == "refund":
            assert a.overpayment == -t.amount and a.total == 0
        elif t.kind == "recovery":
            assert a.recovered == t.amount and a.total == 0
        if t.kind != "restructure":
            assert sum(sum(s[1:]) for s in a.by_installment) == a.total


@FAST
@given(histories())
def test_nothing_is_ever_negative_and_principal_is_conserved(history: History) -> None:
    contract, txns, as_of = history
    state = replay(contract, txns, as_of)
    for row in state.installments:
        for value in (row.principal_outstanding, row.interest_outstanding, row.fee_outstanding,
                      row.penalty_outstanding, row.principal, row.interest, row.fee,
                      row.penalty, row.principal_paid, row.interest_paid, row.interest_waived):
            assert value >= 0
        assert (row.outstanding == 0) == (row.completed_on is not None)
    assert state.credit_balance >= 0
    lent = contract.principal + state.capitalised
    assert state.principal_paid + state.principal_outstanding + state.written_off_principal \
        == lent
    assert sum(row.principal for row in state.installments) == lent
    assert [r.number for r in state.installments] == list(range(1, len(state.installments) + 1))
    assert [r.due_date for r in state.installments] == sorted(r.due_date
                                                              for r in state.installments)


@FAST
@given(histories())
def test_every_yuan_received_is_on_an_installment_in_fees_or_in_credit(history: History) -> None:
    contract, txns, as_of = history
    state = replay(contract, txns, as_of)
    on_rows = sum((r.principal_paid + r.interest_paid + r.fee_paid + r.penalty_paid
                   for r in state.installments), Decimal(0))
    fees = sum((a.prepayment_fee for a in state.allocations.values()), Decimal(0))
    received = _money_in(txns, MONEY_IN) - _money_in(txns, {"refund"})
    assert on_rows + fees + state.credit_balance == received
    assert state.recovered == _money_in(txns, {"recovery"})


@FAST
@given(histories(), st.data())
def test_replaying_with_a_transaction_reversed_equals_replaying_without_it(
        history: History, data: st.DataObject) -> None:
    contract, txns, as_of = history
    if not txns:
        return
    i = data.draw(st.integers(0, len(txns) - 1))
    reversed_ = [*txns[:i], dataclasses.replace(txns[i], reversed=True), *txns[i + 1:]]
    assert _outcome(contract, reversed_, as_of) == _outcome(contract, txns[:i] + txns[i + 1:],
                                                            as_of)


@FAST
@given(histories(), st.data())
def test_reversing_a_transaction_and_entering_it_again_gives_the_same_state(
        history: History, data: st.DataObject) -> None:
    contract, txns, as_of = history
    if not txns:
        return
    i = data.draw(st.integers(0, len(txns) - 1))
    again = dataclasses.replace(txns[i], id="again")
    adjusted = [*txns[:i], dataclasses.replace(txns[i], reversed=True), *txns[i + 1:], again]
    state = replay(contract, adjusted, as_of)
    assert _renamed(state, "again", txns[i].id) == replay(contract, txns, as_of)


@FAST
@given(histories(), st.randoms())
def test_back_dated_transactions_give_the_state_of_date_order(
        history: History, rng: Any) -> None:
    contract, txns, as_of = history
    shuffled = list(txns)
    rng.shuffle(shuffled)
    in_date_order = sorted(txns, key=lambda t: t.value_date)
    assert replay(contract, shuffled, as_of) == replay(contract, in_date_order, as_of)


@FAST
@given(histories())
def test_the_status_agrees_with_what_is_owed(history: History) -> None:
    contract, txns, as_of = history
    state = replay(contract, txns, as_of)
    owed = sum((r.outstanding for r in state.installments), Decimal(0))
    if state.status in ("closed", "settled_early", "written_off"):
        assert owed == 0 and state.closed_on is not None and state.days_past_due == 0
    else:
        assert owed > 0 and state.closed_on is None
        assert (state.status == "overdue") == (state.days_past_due > 0)


def _outcome(contract: LoanContract, txns: list[Txn], as_of: date) -> object:
    try:
        return replay(contract, txns, as_of)
    except InvalidInput as exc:
        return (exc.code, exc.field, exc.entity_id)


def _renamed(state: AccountState, old: str, new: str) -> AccountState:
    allocations = {(new if key == old else key): dataclasses.replace(
        a, txn_id=new if a.txn_id == old else a.txn_id) for key, a in state.allocations.items()}
    return dataclasses.replace(state, allocations=allocations)


def test_a_history_that_only_repays_ends_closed_on_the_last_payment() -> None:
    contract = contract_from_terms(parse_terms({
        "principal": "1000.00", "annual_rate": "10", "term": 3,
        "disbursement_date": "2024-01-10"}))
    txns = [Txn(id=f"r{row.number}", kind="repayment", value_date=row.due_date,
                amount=row.principal + row.interest) for row in contract.schedule]
    state = replay(contract, txns, date(2024, 6, 1))
    assert state.status == "closed" and state.closed_on == contract.schedule[-1].due_date
    assert state.principal_paid == contract.principal


def test_reversing_a_payment_a_later_refund_relied_on_is_refused() -> None:
    contract = contract_from_terms(parse_terms({
        "principal": "1000.00", "annual_rate": "10", "term": 3,
        "disbursement_date": "2024-01-10"}))
    pay = Txn("pay", "repayment", date(2024, 2, 10), Decimal("2000.00"))
    refund = Txn("refund", "refund", date(2024, 3, 1), Decimal("500.00"))
    assert replay(contract, [pay, refund], date(2024, 3, 1)).status == "closed"
    with pytest.raises(InvalidInput) as caught:
        replay(contract, [dataclasses.replace(pay, reversed=True), refund], date(2024, 3, 1))
    assert (caught.value.code, caught.value.entity_id) == ("exceeds_credit_balance", "refund")
