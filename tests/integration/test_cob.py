"""Close of business: the set-based run agrees with the engine's replay, loan by loan, and is
idempotent, restartable, catches up missed days and lets repayments in between chunks."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from fengkong.bootstrap import Container
from fengkong.core.bus import Event as BusEvent
from fengkong.core.uow import UnitOfWork
from fengkong.demo import DemoWorld, principal_of
from fengkong.ledger.models import JournalEntry
from fengkong.ledger.queries import check_balanced, loan_balances
from fengkong.loans import cob, loan_service
from fengkong.loans.account import replay
from fengkong.loans.loan_service import Booking, Event
from fengkong.loans.models import Loan, LoanInstallment, LoanMonthEnd, LoanProduct
from fengkong.loans.rows import bucket_for, contract_of, installment_rows, txn_of
from tests.conftest import login

DISBURSED = date(2025, 9, 10)
TODAY = date(2026, 1, 5)


def product_id(container: Container, code: str = "AUTO-60") -> str:
    with container.uow() as uow:
        return uow.session.scalars(select(LoanProduct.id).where(LoanProduct.code == code)).one()


def book(container: Container, world: DemoWorld, *, unit: str = "EAST-SH",
         principal: str = "120000.00", term: int = 24, code: str = "AUTO-60") -> str:
    product = product_id(container, code)
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        loan = loan_service.book(uow, admin, Booking(
            product_id=product, borrower_ref="B", org_unit_id=world.units[unit],
            loan={"principal": principal, "term": term, "annual_rate": "8",
                  "disbursement_date": DISBURSED.isoformat()},
            approved_on=DISBURSED))
        loan_service.disburse(uow, admin, loan.id, on=DISBURSED, channel="bank")
        uow.commit()
        return loan.id


def pay(container: Container, loan_id: str, amount: str, on: date) -> None:
    with container.uow() as uow:
        loan_service.record(uow, principal_of(uow, "demo.admin"), loan_id,
                            Event("repayment", on, Decimal(amount), "bank"))
        uow.commit()


def expected(uow: UnitOfWork, loan: Loan) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What the engine says the loan looks like at its last closed date."""
    params = loan_service._params(uow, loan)
    rows = list(loan_service._rows(uow, loan))
    state = replay(contract_of(loan.terms, params), [txn_of(r) for r in rows],
                  loan.last_cob_date or loan.disbursed_on)
    summary = {"days_past_due": state.days_past_due,
               "oldest_unpaid_due_date": state.oldest_unpaid_due_date,
               "bucket": bucket_for(state.days_past_due, params),
               "penalty_charged_fen": sum(r["penalty_fen"] for r in installment_rows(state))}
    return installment_rows(state), summary


def stored(uow: UnitOfWork, loan: Loan) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = uow.session.scalars(select(LoanInstallment).where(
        LoanInstallment.loan_id == loan.id).order_by(LoanInstallment.number)).all()
    as_dicts = [{k: getattr(r, k) for k in (
        "number", "due_date", "principal_fen", "interest_fen", "fee_fen", "penalty_fen",
        "principal_paid_fen", "interest_paid_fen", "fee_paid_fen", "penalty_paid_fen",
        "interest_waived_fen", "fee_waived_fen", "penalty_waived_fen", "completed_on")}
        for r in rows]
    summary = {"days_past_due": loan.days_past_due,
               "oldest_unpaid_due_date": loan.oldest_unpaid_due_date, "bucket": loan.bucket,
               "penalty_charged_fen": loan.penalty_charged_fen}
    return as_dicts, summary


def assert_agrees_with_replay(container: Container, loan_ids: list[str]) -> None:
    with container.uow() as uow:
        for loan_id in loan_ids:
            loan = uow.session.get_one(Loan, loan_id)
            assert stored(uow, loan) == expected(uow, loan), loan_id


def run(container: Container, world: DemoWorld, until: date = TODAY, **kwargs: Any
        ) -> cob.CobReport:
    return cob.run(container.uow, world.tenant_id, until,
                   replay_loan=loan_service.replay_for_close, **kwargs)


@pytest.fixture
def portfolio(container: Container, world: DemoWorld) -> list[str]:
    """Loans paid on time, paid late, partly paid, never paid, and overpaid."""
    loans = [book(container, world) for _ in range(5)]
    on_time, late, partial, _never, ahead = loans
    installment = "5460.00"  # 5,427.27 a month plus the 30.00 GPS fee, rounded up
    for month in (10, 11, 12):
        pay(container, on_time, installment, date(2025, month, 10))
    pay(container, late, installment, date(2025, 10, 25))
    pay(container, late, installment, date(2025, 12, 3))
    pay(container, partial, "2000.00", date(2025, 10, 10))
    pay(container, ahead, "30000.00", date(2025, 9, 20))
    return loans


def test_close_of_business_agrees_with_the_engine_loan_by_loan(
    container: Container, world: DemoWorld, portfolio: list[str]
) -> None:
    report = run(container, world, chunk=2)
    assert report.days[0].business_date == DISBURSED
    assert report.days[-1].business_date == TODAY
    assert sum(d.penalties_fen for d in report.days) > 0
    assert_agrees_with_replay(container, portfolio)
    with container.uow() as uow:
        never = uow.session.get_one(Loan, portfolio[3])
        assert never.status == "overdue"
        assert never.days_past_due == (TODAY - date(2025, 10, 10)).days
        assert never.bucket == "M3"
        on_time = uow.session.get_one(Loan, portfolio[0])
        assert on_time.days_past_due == 0 and on_time.status == "active"


def test_a_second_run_for_the_same_date_changes_nothing(
    container: Container, world: DemoWorld, portfolio: list[str]
) -> None:
    run(container, world)
    with container.uow() as uow:
        entries = uow.session.scalar(select(func.count()).select_from(JournalEntry))
        before = [stored(uow, uow.session.get_one(Loan, x)) for x in portfolio]
    again = run(container, world)
    assert again.days == []
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(JournalEntry)) == entries
        assert [stored(uow, uow.session.get_one(Loan, x)) for x in portfolio] == before


def test_a_run_that_crashes_midway_resumes_without_posting_twice(
    container: Container, world: DemoWorld, portfolio: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = cob._close_chunk
    calls = {"n": 0}

    def crash_on_the_third_chunk(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        real(*args, **kwargs)

    monkeypatch.setattr(cob, "_close_chunk", crash_on_the_third_chunk)
    with pytest.raises(RuntimeError):
        run(container, world, chunk=2)
    monkeypatch.setattr(cob, "_close_chunk", real)
    run(container, world, chunk=2)
    assert_agrees_with_replay(container, portfolio)
    with container.uow() as uow:
        balances = loan_balances(uow, world.tenant_id, portfolio)
        for loan_id in portfolio:
            loan = uow.session.get_one(Loan, loan_id)
            penalty_gl = balances[loan_id].get("penalty_receivable", Decimal(0))
            assert penalty_gl == Decimal(loan.penalty_due_fen).scaleb(-2), loan_id
        assert check_balanced(uow, world.tenant_id).ok


def test_missed_days_are_caught_up_day_by_day(container: Container, world: DemoWorld,
                                              portfolio: list[str]) -> None:
    first = run(container, world, until=date(2025, 11, 1))
    assert first.days[-1].business_date == date(2025, 11, 1)
    # a repayment dated after the last close, recorded before the catch-up
    pay(container, portfolio[3], "5460.00", date(2025, 12, 20))
    second = run(container, world)
    assert [d.business_date for d in second.days] == [
        date(2025, 11, 2) + timedelta(days=i) for i in range((TODAY - date(2025, 11, 2)).days + 1)]
    assert sum(d.replayed for d in second.days) > 0
    assert_agrees_with_replay(container, portfolio)


def test_repayments_between_chunks_are_applied_correctly(
    container: Container, world: DemoWorld, portfolio: list[str]
) -> None:
    run(container, world, until=TODAY - timedelta(days=1))
    paid: list[str] = []

    def pay_between_chunks(day: date, total: int) -> cob.Progress:
        def after_chunk(done: int) -> None:
            if not paid:
                for loan_id in portfolio[1:3]:
                    pay(container, loan_id, "3000.00", day)
                    paid.append(loan_id)
        return after_chunk

    run(container, world, chunk=2, on_day=pay_between_chunks)
    assert paid
    assert_agrees_with_replay(container, portfolio)


def test_the_run_tells_collections_what_happened(container: Container, world: DemoWorld,
                                                 portfolio: list[str]) -> None:
    heard: list[BusEvent] = []
    container.bus.subscribe("*", heard.append)
    run(container, world, until=date(2025, 11, 15))
    topics = {e.topic for e in heard}
    assert {"loan.due", "loan.overdue", "loan.delinquency_changed"} <= topics
    overdue = [e for e in heard if e.topic == "loan.overdue"]
    assert {e.payload["loan_id"] for e in overdue} >= {portfolio[3]}
    changed = [e for e in heard if e.topic == "loan.delinquency_changed"
               and e.payload["loan_id"] == portfolio[3]]
    assert changed[0].payload["before"] == "M0" and changed[0].payload["after"] == "M1"


def test_the_showcase_demo_has_loans_on_time_and_behind(container: Container) -> None:
    from fengkong import demo
    from fengkong.core.audit_service import SystemActor
    from fengkong.loans import cob_service

    world = demo.seed(container, showcase=True)
    cob_service.close_business(container.uow, SystemActor(tenant_id=world.tenant_id),
                               world.tenant_id, TODAY - timedelta(days=1))
    with container.uow() as uow:
        states = uow.session.execute(select(Loan.status, Loan.bucket).where(
            Loan.tenant_id == world.tenant_id)).all()
    assert len(states) == 11
    assert {"active", "overdue"} <= {s for s, _ in states}
    assert len({b for _, b in states}) >= 3


def test_portfolio_at_risk_counts_the_outstanding_principal_of_late_loans(
    container: Container, world: DemoWorld, portfolio: list[str]
) -> None:
    from fengkong.loans.portfolio import figures

    run(container, world)
    with container.uow() as uow:
        loans = [uow.session.get_one(Loan, x) for x in portfolio]
        total = sum(x.principal_outstanding_fen for x in loans)
        late30 = sum(x.principal_outstanding_fen for x in loans if x.days_past_due >= 30)
        hq = figures(uow, principal_of(uow, "demo.hq"))
        west = figures(uow, principal_of(uow, "demo.hz"))
    assert hq.loans == 5 and hq.outstanding == Decimal(total).scaleb(-2)
    assert hq.par_amount[30] == Decimal(late30).scaleb(-2) > 0
    assert hq.par[30] == (Decimal(late30) / total).quantize(Decimal("0.0001"))
    assert sum(b.loans for b in hq.buckets) == 5
    assert west.loans == 0  # demo.hz sees Hangzhou, and every loan here is in Shanghai


def test_every_loan_sub_ledger_reconciles_after_a_busy_history(
    container: Container, world: DemoWorld, portfolio: list[str]
) -> None:
    from fengkong.loans.reconcile import reconcile

    run(container, world, until=date(2025, 12, 1))
    late, partial = portfolio[1], portfolio[2]
    pay(container, partial, "700.00", date(2025, 11, 20))  # back-dated before the last close
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        txns = loan_service.transactions(uow, uow.session.get_one(Loan, late))
        loan_service.reverse(uow, admin, late, txns[1].id, "bounced")
        loan_service.record(uow, admin, partial, Event("waiver", date(2025, 12, 1),
                                                      Decimal("10.00"), component="penalty"))
        loan_service.record(uow, admin, portfolio[3], Event("writeoff", date(2025, 12, 1)))
        uow.commit()
    run(container, world)
    with container.uow() as uow:
        quote = loan_service.quote_settlement(uow, principal_of(uow, "demo.admin"),
                                              portfolio[0], TODAY)
    with container.uow() as uow:
        loan_service.record(uow, principal_of(uow, "demo.admin"), portfolio[0],
                            Event("settlement", TODAY, quote.total, "bank"))
        uow.commit()
    with container.uow() as uow:
        checked, mismatches = reconcile(uow, world.tenant_id)
        assert check_balanced(uow, world.tenant_id).ok
    assert checked == 5
    assert mismatches == []


def test_a_tampered_ledger_line_is_named_by_the_check(
    container: Container, world: DemoWorld, portfolio: list[str], database_url: str,
    tmp_path: Any
) -> None:
    import os
    import subprocess
    import sys

    from sqlalchemy import update

    from fengkong.ledger.models import JournalLine

    run(container, world, until=date(2025, 11, 1))
    env = {**os.environ, "FENGKONG_DATABASE_URL": database_url,
           "FENGKONG_DATA_DIR": str(tmp_path), "FENGKONG_SECRET_KEY": "x"}
    check = [sys.executable, "-m", "fengkong", "ledger", "check", "--tenant", "demo"]
    ok = subprocess.run(check, env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "5 loan sub-ledgers reconcile" in ok.stdout
    with container.uow() as uow:  # move one fen of a loan line onto another loan
        line = uow.session.scalars(select(JournalLine).where(
            JournalLine.loan_id == portfolio[1], JournalLine.debit > 0)).first()
        assert line is not None
        uow.session.execute(update(JournalLine).where(
            JournalLine.entry_id == line.entry_id, JournalLine.line_no == line.line_no)
            .values(loan_id=portfolio[2]))
        uow.commit()
    bad = subprocess.run(check, env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert f"MISMATCH loan {portfolio[1]}" in bad.stdout


def test_the_schedule_closes_yesterday_for_every_tenant_and_then_waits(
    container: Container, world: DemoWorld, portfolio: list[str]
) -> None:
    from fengkong.loans.cob_schedule import close_due_tenants

    first = close_due_tenants(container.uow, container.clock)
    assert set(first) == {"demo"} and first["demo"] > 0
    with container.uow() as uow:
        closed = {uow.session.get_one(Loan, x).last_cob_date for x in portfolio
                  if uow.session.get_one(Loan, x).status != "closed"}
    assert closed == {TODAY - timedelta(days=1)}
    assert close_due_tenants(container.uow, container.clock) == {}


def test_month_ends_feed_the_vintage_table_and_the_roll_rates(
    container: Container, world: DemoWorld, portfolio: list[str], client: TestClient
) -> None:
    run(container, world, chunk=2)
    with container.uow() as uow:
        observed = uow.session.execute(select(LoanMonthEnd.month_end, func.count()).group_by(
            LoanMonthEnd.month_end).order_by(LoanMonthEnd.month_end)).all()
    assert observed == [(date(2025, 9, 30), 5), (date(2025, 10, 31), 5),
                        (date(2025, 11, 30), 5), (date(2025, 12, 31), 5)]
    # The partly paid and the never paid loan passed 30 days in November (month on book 2).
    # The late payer's December payment went to the penalties and late fees first and left
    # part of November unpaid: 51 days at the end of December. January is not over, so month
    # on book 4 is not known yet.
    east = login(client, "demo.east")
    body = client.get("/api/v1/loan-portfolio/vintages", headers=east).json()
    assert body["items"] == [{"month": "2025-09", "loans": 5, "principal": "600000.00",
                              "ever_30": ["0.0000", "0.4000", "0.6000"]}]
    with container.uow() as uow:
        late = uow.session.get_one(LoanMonthEnd, (portfolio[1], date(2025, 12, 31)))
        assert (late.days_past_due, late.bucket) == (51, "M2")
    rolls = client.get("/api/v1/loan-portfolio/roll-rates", headers=east).json()
    assert rolls["from_month_end"] == "2025-11-30" and rolls["to_month_end"] == "2025-12-31"
    assert rolls["counts"] == {"M0": {"M0": 2}, "M1": {"M2": 1}, "M2": {"M3": 2}}
    assert rolls["shares"]["M2"] == {"M3": "1.0000"}
    assert rolls["buckets"][:3] == ["M0", "M1", "M2"]
    october = client.get("/api/v1/loan-portfolio/roll-rates", headers=east,
                         params={"month_end": "2025-10-31"}).json()
    assert october["counts"] == {"M0": {"M0": 3, "M1": 2}}
    # A sibling branch sees none of these loans; a bad month end is refused by field.
    hangzhou = login(client, "demo.hz")
    assert client.get("/api/v1/loan-portfolio/vintages", headers=hangzhou).json()["items"] == []
    bad = client.get("/api/v1/loan-portfolio/roll-rates", headers=east,
                     params={"month_end": "2025-10-30"})
    assert bad.status_code == 422 and bad.json()["field"] == "month_end"


def test_a_second_close_of_a_month_end_observes_each_loan_once(
    container: Container, world: DemoWorld, portfolio: list[str]
) -> None:
    run(container, world, until=date(2025, 10, 31), chunk=2)
    with container.uow() as uow:
        # A crash after some chunks: the committed ones are observed, and the redo overlaps.
        uow.session.execute(update(Loan).where(Loan.id.in_(portfolio[2:])).values(
            last_cob_date=date(2025, 10, 30)))
        uow.commit()
    run(container, world, until=date(2025, 10, 31), chunk=5)
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(LoanMonthEnd).where(
            LoanMonthEnd.month_end == date(2025, 10, 31))) == 5


def _snapshot(uow: UnitOfWork, loan_ids: list[str]) -> list[Any]:
    loans = [stored(uow, uow.session.get_one(Loan, x)) for x in loan_ids]
    rows = [(x.last_cob_date, x.status, x.max_days_past_due, x.interest_accrued_fen,
             x.fee_accrued_fen, x.npa) for x in uow.session.scalars(
        select(Loan).where(Loan.id.in_(loan_ids)).order_by(Loan.id))]
    journal = uow.session.execute(select(func.count(), func.max(JournalEntry.id))).one()
    month_ends = uow.session.scalar(select(func.count()).select_from(LoanMonthEnd))
    return [loans, rows, tuple(journal), month_ends]


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments=st.lists(st.tuples(st.integers(0, 110), st.integers(1, 9000)), max_size=4),
       until=st.integers(20, 120), term=st.integers(12, 24),
       code=st.sampled_from(["AUTO-60", "CASH-24"]))
def test_closing_a_date_twice_equals_closing_it_once(
    container: Container, world: DemoWorld, payments: list[tuple[int, int]], until: int,
    term: int, code: str
) -> None:
    loan = book(container, world, principal="30000.00", term=term, code=code)
    for offset, amount in payments:
        pay(container, loan, f"{amount}.00", DISBURSED + timedelta(days=offset))
    day = DISBURSED + timedelta(days=until)
    run(container, world, until=day, chunk=3)
    with container.uow() as uow:
        once = _snapshot(uow, [loan])
    report = run(container, world, until=day, chunk=3)
    assert report.days == []
    cob.close_day(container.uow, world.tenant_id, day, chunk=3,
                  replay_loan=loan_service.replay_for_close)
    with container.uow() as uow:
        assert _snapshot(uow, [loan]) == once
