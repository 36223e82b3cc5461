"""Loan accounts on a real database: the ledger follows every money event to the fen, a
reversal or back-dated money re-applies the later transactions, a retried request is stored
once, and concurrent repayments serialise on the loan."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from fengkong.bootstrap import Container
from fengkong.core.errors import Conflict, FengkongError
from fengkong.core.money import from_minor
from fengkong.core.uow import UnitOfWork
from fengkong.demo import DemoWorld, principal_of
from fengkong.ledger import queries
from fengkong.ledger.models import JournalEntry
from fengkong.loans import cob, loan_service
from fengkong.loans.account import replay
from fengkong.loans.loan_service import Booking, Event
from fengkong.loans.models import (
    Loan,
    LoanInstallment,
    LoanProduct,
    LoanProductVersion,
    LoanTransaction,
)
from fengkong.loans.products import parse_product
from fengkong.loans.reconcile import reconcile
from fengkong.loans.rows import contract_of, installment_rows, txn_of
from fengkong.org.scoping import Principal

D = Decimal
APPROVED = date(2025, 6, 1)
DISBURSED = date(2025, 6, 5)
INSTALLMENT = "8636.64"  # of open_loan's default loan: 100,000.00 at 6 % over 12 months
MONEY_IN = {"repayment", "prepayment", "settlement", "recovery"}
PAID = {"repayment", "prepayment", "settlement"}
INSTALLMENT_COLUMNS = (
    "number", "due_date", "principal_fen", "interest_fen", "fee_fen", "penalty_fen",
    "principal_paid_fen", "interest_paid_fen", "fee_paid_fen", "penalty_paid_fen",
    "interest_waived_fen", "fee_waived_fen", "penalty_waived_fen", "completed_on")
ALLOCATION_COLUMNS = (
    "kind", "value_date", "amount_fen", "principal_fen", "interest_fen", "fee_fen",
    "penalty_fen", "overpayment_fen", "prepayment_fee_fen", "credit_used_fen", "released_fen")
SUMMARY_COLUMNS = (
    "status", "closed_on", "principal_outstanding_fen", "interest_due_fen", "fee_due_fen",
    "penalty_due_fen", "penalty_charged_fen", "credit_balance_fen", "written_off_fen",
    "days_past_due", "oldest_unpaid_due_date", "bucket")


# --- helpers -------------------------------------------------------------------------------


@contextmanager
def committed(container: Container) -> Iterator[UnitOfWork]:
    with container.uow() as uow:
        yield uow
        uow.commit()


def admin(container: Container) -> Principal:
    with container.uow() as uow:
        return principal_of(uow, "demo.admin")


def product_id(container: Container, code: str) -> str:
    with container.uow() as uow:
        return uow.session.scalars(select(LoanProduct.id).where(LoanProduct.code == code)).one()


def open_loan(container: Container, world: DemoWorld, *, product: str = "AUTO-60",
              principal: str = "100000.00", term: int = 12, rate: str = "6",
              unit: str = "EAST-SH") -> str:
    """A loan booked and disbursed on 2025-06-05, first installment due 2025-07-05."""
    acting = admin(container)
    with committed(container) as uow:
        loan = loan_service.book(uow, acting, Booking(
            product_id=product_id(container, product), borrower_ref="B-1",
            org_unit_id=world.units[unit], approved_on=APPROVED,
            loan={"principal": principal, "term": term, "annual_rate": rate,
                  "disbursement_date": DISBURSED.isoformat()}))
        loan_service.disburse(uow, acting, loan.id, on=DISBURSED, channel="bank")
        return loan.id


def record(container: Container, loan_id: str, kind: str, on: str, amount: str = "0",
           **fields: Any) -> str:
    channel = "bank" if kind in MONEY_IN | {"refund"} else None
    with committed(container) as uow:
        txn = loan_service.record(uow, admin(container), loan_id, Event(
            kind, date.fromisoformat(on), D(amount), channel, **fields))
        return txn.id


def reverse(container: Container, loan_id: str, txn_id: str) -> None:
    with committed(container) as uow:
        loan_service.reverse(uow, admin(container), loan_id, txn_id, "entered in error")


def close_business(container: Container, world: DemoWorld, until: str) -> None:
    """The tenant's close of business, every day up to `until`."""
    cob.run(container.uow, world.tenant_id, date.fromisoformat(until),
            replay_loan=loan_service.replay_for_close)


def close_loans(container: Container, loan_ids: tuple[str, ...], until: str) -> None:
    """Close of business for these loans alone (the demo tenant's own loans go back a year,
    and closing every day of it for them would only slow the test)."""
    with committed(container) as uow:
        for loan_id in loan_ids:
            loan_service.replay_for_close(uow, loan_id, date.fromisoformat(until))


def installments_due(container: Container, loan_id: str, number: int) -> D:
    """What installment `number` still asks for (principal, interest, fee and penalty)."""
    with container.uow() as uow:
        i = uow.session.get_one(LoanInstallment, (loan_id, number))
        owed = (i.principal_fen + i.interest_fen + i.fee_fen + i.penalty_fen
                - i.principal_paid_fen - i.interest_paid_fen - i.fee_paid_fen
                - i.penalty_paid_fen - i.interest_waived_fen - i.fee_waived_fen
                - i.penalty_waived_fen)
        return from_minor(owed)


def loan_row(container: Container, loan_id: str) -> Loan:
    with container.uow() as uow:
        loan = uow.session.get_one(Loan, loan_id)
        uow.session.expunge(loan)
        return loan


def txn_row(container: Container, txn_id: str) -> LoanTransaction:
    with container.uow() as uow:
        txn = uow.session.get_one(LoanTransaction, txn_id)
        uow.session.expunge(txn)
        return txn


def installment_state(uow: UnitOfWork, loan_id: str) -> list[tuple[Any, ...]]:
    rows = uow.session.scalars(select(LoanInstallment).where(
        LoanInstallment.loan_id == loan_id).order_by(LoanInstallment.number)).all()
    return [tuple(getattr(r, c) for c in INSTALLMENT_COLUMNS) for r in rows]


def account(container: Container, loan_id: str) -> dict[str, Any]:
    """A loan as its rows tell it, without ids: installments, the live transactions'
    allocations in date order, and the loan's summary."""
    with container.uow() as uow:
        loan = uow.session.get_one(Loan, loan_id)
        txns = uow.session.scalars(select(LoanTransaction).where(
            LoanTransaction.loan_id == loan_id, LoanTransaction.reversed_at.is_(None),
            LoanTransaction.kind != "disbursement")).all()
        return {
            "installments": installment_state(uow, loan_id),
            "allocations": sorted(tuple(getattr(t, c) for c in ALLOCATION_COLUMNS)
                                  for t in txns),
            "summary": {c: getattr(loan, c) for c in SUMMARY_COLUMNS},
        }


def lines_of(uow: UnitOfWork, entry_id: str) -> dict[str, int]:
    """An entry's net debit per account, in fen."""
    net: dict[str, int] = {}
    for line in queries.entry_lines(uow, entry_id):
        net[line.account_code] = net.get(line.account_code, 0) + line.debit - line.credit
    return net


def reversal_of(uow: UnitOfWork, entry_id: str) -> str | None:
    return uow.session.scalar(select(JournalEntry.id).where(
        JournalEntry.reverses_id == entry_id))


def assert_ledger_follows(container: Container, world: DemoWorld, loan_id: str) -> None:
    """The loan's sub-ledger says what its rows say, to the fen."""
    with container.uow() as uow:
        loan = uow.session.get_one(Loan, loan_id)
        rows = uow.session.scalars(select(LoanInstallment).where(
            LoanInstallment.loan_id == loan_id)).all()
        live = uow.session.scalars(select(LoanTransaction).where(
            LoanTransaction.loan_id == loan_id, LoanTransaction.reversed_at.is_(None))).all()

        def total(kinds: set[str], column: str) -> int:
            return sum(getattr(t, column) for t in live if t.kind in kinds)

        charged = sum(r.penalty_fen for r in rows)
        paid = sum(r.penalty_paid_fen for r in rows)
        waived = sum(r.penalty_waived_fen for r in rows)
        assert paid == total(PAID, "penalty_fen")
        assert waived == total({"waiver"}, "penalty_fen")
        assert charged == loan.penalty_charged_fen
        expected = {
            "principal_receivable": loan.principal_outstanding_fen,
            "penalty_receivable": charged - paid - waived - total({"writeoff"}, "penalty_fen"),
            "overpayment_liability": loan.credit_balance_fen,
            "cash:bank": total(MONEY_IN, "amount_fen")
            - total({"disbursement", "refund"}, "amount_fen"),
        }
        balances = queries.loan_balances(uow, world.tenant_id, [loan_id]).get(loan_id, {})
        assert {code: balances.get(code, D(0)) for code in expected} == {
            code: from_minor(fen) for code, fen in expected.items()}, loan_id
        check = queries.check_balanced(uow, world.tenant_id)
        assert check.ok, check


def refused(error: type[FengkongError], code: str, call: Callable[..., object], /,
            *args: object, **kwargs: object) -> FengkongError:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


# --- the ledger follows the loan -----------------------------------------------------------


def test_the_ledger_follows_every_money_event_to_the_fen(container: Container,
                                                         world: DemoWorld) -> None:
    car = open_loan(container, world)
    cash = open_loan(container, world, product="CASH-24", principal="20000.00", term=6,
                     rate="10")
    ahead = open_loan(container, world, principal="50000.00")
    loans = (car, cash, ahead)

    close_business(container, world, "2025-07-04")
    record(container, car, "repayment", "2025-07-05", f"{installments_due(container, car, 1)}")
    record(container, cash, "repayment", "2025-07-05",
           f"{installments_due(container, cash, 1)}")
    # a repayment and a half: the next installment's fee and interest are paid in advance
    record(container, ahead, "repayment", "2025-07-05",
           f"{installments_due(container, ahead, 1) * D('1.5'):.2f}")
    for loan_id in loans:
        assert_ledger_follows(container, world, loan_id)

    close_business(container, world, "2025-08-31")
    late = record(container, car, "repayment", "2025-08-20",
                  f"{installments_due(container, car, 2)}")
    record(container, cash, "repayment", "2025-08-10",
           f"{installments_due(container, cash, 2) / 2:.2f}")
    # a partial prepayment releases what was paid in advance to the credit balance
    prepaid = record(container, ahead, "prepayment", "2025-07-20", "10000.00")
    assert loan_row(container, car).penalty_charged_fen > 0
    for loan_id in loans:
        assert_ledger_follows(container, world, loan_id)

    close_business(container, world, "2025-11-10")
    record(container, car, "repayment", "2025-11-05", "9000.00")
    record(container, car, "repayment", "2025-10-05", "9000.00")  # back-dated
    reverse(container, car, late)
    penalty = loan_row(container, car).penalty_due_fen
    record(container, car, "waiver", "2025-11-10", f"{from_minor(penalty // 2)}",
           component="penalty")
    everything = sum((installments_due(container, cash, n) for n in range(1, 7)), D(0))
    record(container, cash, "repayment", "2025-11-10", f"{everything + D('500.00')}")
    assert loan_row(container, cash).status == "closed"
    for loan_id in loans:
        assert_ledger_follows(container, world, loan_id)

    record(container, cash, "refund", "2025-11-12", "200.00")
    acting = admin(container)
    with container.uow() as uow:
        quote = loan_service.quote_settlement(uow, acting, ahead, date(2025, 11, 10))
    settled = record(container, ahead, "settlement", "2025-11-10", f"{quote.total}")
    close_business(container, world, "2026-01-04")
    written_off = record(container, car, "writeoff", "2025-12-20")  # back-dated past COB
    record(container, car, "recovery", "2026-01-05", "1000.00")
    for loan_id in loans:
        assert_ledger_follows(container, world, loan_id)
    assert [loan_row(container, x).status for x in loans] == [
        "written_off", "closed", "settled_early"]
    assert loan_row(container, cash).credit_balance_fen > 0
    assert txn_row(container, written_off).penalty_fen > 0
    assert txn_row(container, prepaid).released_fen > 0
    assert txn_row(container, settled).credit_used_fen == txn_row(container,
                                                                  prepaid).released_fen


# --- reversal and back-dated money ---------------------------------------------------------


def test_reversing_a_repayment_reapplies_the_later_ones_as_if_it_never_was(
    container: Container, world: DemoWorld
) -> None:
    loan, twin = open_loan(container, world), open_loan(container, world)
    close_loans(container, (loan, twin), "2025-09-30")
    first = record(container, loan, "repayment", "2025-07-05", INSTALLMENT)
    for loan_id in (loan, twin):
        record(container, loan_id, "repayment", "2025-08-05", INSTALLMENT)
        record(container, loan_id, "repayment", "2025-09-10", "12000.00")
    entry = txn_row(container, first).journal_entry_id
    assert entry is not None

    reverse(container, loan, first)

    assert account(container, loan) == account(container, twin)
    reversed_txn = txn_row(container, first)
    assert reversed_txn.reversed_at is not None and reversed_txn.journal_entry_id is None
    with container.uow() as uow:
        undo = reversal_of(uow, entry)
        assert undo is not None
        original, cancelling = lines_of(uow, entry), lines_of(uow, undo)
    assert original and {code: original[code] + cancelling.get(code, 0)
                         for code in original} == dict.fromkeys(original, 0)
    assert_ledger_follows(container, world, loan)
    with committed(container) as uow:
        refused(Conflict, "already_reversed", loan_service.reverse, uow, admin(container),
                loan, first, "again")


def test_a_back_dated_repayment_ends_where_recording_in_date_order_would(
    container: Container, world: DemoWorld
) -> None:
    loan, twin = open_loan(container, world), open_loan(container, world)
    close_loans(container, (loan, twin), "2025-08-31")
    record(container, twin, "repayment", "2025-07-05", INSTALLMENT)
    record(container, twin, "repayment", "2025-08-05", INSTALLMENT)
    later = record(container, loan, "repayment", "2025-08-05", INSTALLMENT)
    before = txn_row(container, later)

    record(container, loan, "repayment", "2025-07-05", INSTALLMENT)  # recorded after

    assert account(container, loan) == account(container, twin)
    after = txn_row(container, later)
    moved = ("principal_fen", "interest_fen", "fee_fen", "penalty_fen")
    assert [getattr(before, c) for c in moved] != [getattr(after, c) for c in moved]
    assert before.penalty_fen > 0 and after.penalty_fen == 0  # it no longer pays a late one
    assert before.journal_entry_id and after.journal_entry_id
    assert after.journal_entry_id != before.journal_entry_id
    with container.uow() as uow:
        assert reversal_of(uow, before.journal_entry_id) is not None
        assert reversal_of(uow, after.journal_entry_id) is None
        rebooked = lines_of(uow, after.journal_entry_id)
    assert rebooked["principal_receivable"] == -after.principal_fen
    assert rebooked["cash:bank"] == after.amount_fen
    assert_ledger_follows(container, world, loan)


# --- idempotency ---------------------------------------------------------------------------


def count(container: Container, model: type[object], *where: Any) -> int:
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_a_retried_repayment_is_stored_once_and_answers_with_the_first(
    container: Container, world: DemoWorld
) -> None:
    loan = open_loan(container, world)
    first = record(container, loan, "repayment", "2025-07-05", INSTALLMENT, external_id="PAY-1")
    stored = (count(container, LoanTransaction), count(container, JournalEntry))

    again = record(container, loan, "repayment", "2025-07-05", INSTALLMENT, external_id="PAY-1")

    assert again == first
    assert (count(container, LoanTransaction), count(container, JournalEntry)) == stored
    with container.uow() as uow:
        refused(Conflict, "duplicate_external_id", loan_service.record, uow, admin(container),
                loan, Event("repayment", date(2025, 7, 5), D("100.00"), "bank",
                            external_id="PAY-1"))
    assert count(container, LoanTransaction, LoanTransaction.external_id == "PAY-1") == 1


# --- concurrency ---------------------------------------------------------------------------

Payment = tuple[str, date, D, str]  # loan id, value date, amount, external id


def pay_at_once(container: Container, payments: list[Payment]) -> list[object]:
    """Every payment from its own thread and unit of work, released together."""
    acting = admin(container)
    barrier = threading.Barrier(len(payments))
    results: list[object] = [None] * len(payments)

    def pay(n: int) -> None:
        loan_id, on, amount, external_id = payments[n]
        barrier.wait()
        try:
            with committed(container) as uow:
                results[n] = loan_service.record(uow, acting, loan_id, Event(
                    "repayment", on, amount, "bank", external_id)).id
        except Exception as exc:  # noqa: BLE001 - the test reports what each thread met
            results[n] = exc

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(len(payments))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def assert_stored_once_and_consistent(container: Container, world: DemoWorld,
                                      payments: list[Payment], results: list[object]) -> None:
    assert [r for r in results if not isinstance(r, str)] == []
    assert len(set(results)) == len(payments)
    loan_ids = {p[0] for p in payments}
    with container.uow() as uow:
        stored = uow.session.execute(select(
            LoanTransaction.external_id, LoanTransaction.loan_id, LoanTransaction.amount_fen)
            .where(LoanTransaction.kind == "repayment",
                   LoanTransaction.loan_id.in_(loan_ids))).all()
        assert sorted(stored) == sorted((x, loan, int(amount * 100))
                                        for loan, _, amount, x in payments)
        for loan_id in loan_ids:
            loan = uow.session.get_one(Loan, loan_id)
            txns = uow.session.scalars(select(LoanTransaction).where(
                LoanTransaction.loan_id == loan_id, LoanTransaction.kind != "disbursement")
                .order_by(LoanTransaction.created_at, LoanTransaction.id)).all()
            allocated = sum(t.principal_fen + t.interest_fen + t.fee_fen + t.penalty_fen
                            + t.overpayment_fen + t.prepayment_fee_fen for t in txns)
            assert allocated == sum(t.amount_fen for t in txns)
            version = uow.session.get_one(LoanProductVersion, loan.product_version_id)
            fresh = replay(contract_of(loan.terms, parse_product(version.params)),
                           [txn_of(t) for t in txns], loan.last_cob_date or DISBURSED)
            assert installment_state(uow, loan_id) == [
                tuple(row[c] for c in INSTALLMENT_COLUMNS) for row in installment_rows(fresh)]
    for loan_id in loan_ids:
        assert_ledger_follows(container, world, loan_id)


def test_fifty_simultaneous_repayments_on_one_loan_are_each_applied_once(
    container: Container, world: DemoWorld
) -> None:
    loan = open_loan(container, world)
    # value dates out of order, so most of them land before one already recorded
    payments = [(loan, DISBURSED + timedelta(days=30 + (n * 37) % 180), D("500.00"),
                 f"ONE-{n}") for n in range(50)]

    results = pay_at_once(container, payments)

    assert_stored_once_and_consistent(container, world, payments, results)


def test_simultaneous_retries_of_one_repayment_store_it_once(container: Container,
                                                            world: DemoWorld) -> None:
    loan = open_loan(container, world)
    retries = [(loan, date(2025, 7, 5), D(INSTALLMENT), "RETRIED")] * 10

    results = pay_at_once(container, retries)

    assert [r for r in results if not isinstance(r, str)] == []
    assert len(set(results)) == 1
    assert_stored_once_and_consistent(container, world, retries[:1], results[:1])


def test_fifty_simultaneous_repayments_on_fifty_loans_are_each_applied_once(
    container: Container, world: DemoWorld
) -> None:
    loans = [open_loan(container, world, unit=("EAST-SH", "WEST-CD")[n % 2])
             for n in range(50)]
    payments = [(loan, date(2025, 7, 5), D(INSTALLMENT), f"MANY-{n}")
                for n, loan in enumerate(loans)]

    results = pay_at_once(container, payments)

    assert_stored_once_and_consistent(container, world, payments, results)


def test_repayments_while_close_of_business_runs_are_each_applied_once(
    container: Container, world: DemoWorld
) -> None:
    loans = [open_loan(container, world) for _ in range(12)]
    today = date(2025, 10, 20)
    cob.run(container.uow, world.tenant_id, today - timedelta(days=4),
            replay_loan=loan_service.replay_for_close)
    # 25 on one loan, 25 spread over the others; value dates around the days being closed
    payments = [(loans[0], today - timedelta(days=n % 6), D("300.00"), f"DURING-{n}")
                for n in range(25)]
    payments += [(loans[1 + n % 11], today - timedelta(days=n % 5), D("2000.00"),
                  f"SPREAD-{n}") for n in range(25)]
    closing: list[object] = []

    def close() -> None:
        try:
            closing.append(cob.run(container.uow, world.tenant_id, today, chunk=2,
                                   replay_loan=loan_service.replay_for_close))
        except Exception as exc:  # noqa: BLE001 - reported below
            closing.append(exc)

    runner = threading.Thread(target=close)
    runner.start()
    results = pay_at_once(container, payments)
    runner.join(timeout=120)

    assert [type(c).__name__ for c in closing] == ["CobReport"]
    with container.uow() as uow:
        assert set(uow.session.scalars(select(Loan.last_cob_date).where(
            Loan.id.in_(loans)))) == {today}
    assert_stored_once_and_consistent(container, world, payments, results)
    with container.uow() as uow:
        checked, mismatches = reconcile(uow, world.tenant_id)
        assert checked == len(loans) and mismatches == []
