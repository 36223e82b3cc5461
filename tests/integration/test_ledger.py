"""The ledger's use cases on a real database: the chart, posting, reversal, the reads, the
balance check and the `fengkong ledger` commands."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from fengkong.bootstrap import Container
from fengkong.core import audit_service
from fengkong.core.audit_service import SystemActor
from fengkong.core.errors import Conflict, FengkongError, InvalidInput
from fengkong.core.ids import new_id
from fengkong.core.models import AuditRecord
from fengkong.core.uow import UnitOfWork
from fengkong.demo import DemoWorld, principal_of
from fengkong.ledger import queries, rules, service
from fengkong.ledger.models import JournalEntry, JournalLine, LedgerAccount
from fengkong.ledger.posting import Entry, EntryKind, Line
from fengkong.ledger.rules import Parts
from fengkong.org import service as org
from tests.integration.test_cli import run
from tests.unit.ledger.test_properties import balanced_lines

D = Decimal
DAY = date(2026, 1, 5)


@contextmanager
def committed(container: Container) -> Iterator[UnitOfWork]:
    with container.uow() as uow:
        yield uow
        uow.commit()


def system(world: DemoWorld) -> SystemActor:
    return SystemActor(tenant_id=world.tenant_id)


def book(uow: UnitOfWork, world: DemoWorld, lines: list[Line], *, day: date = DAY,
         kind: str = "manual", unit: str | None = None, audit: bool = False) -> JournalEntry:
    return service.post(uow, system(world), tenant_id=world.tenant_id, entry_date=day,
                        kind=kind, lines=lines, reference="test", org_unit_id=unit,
                        audit=audit)


def cash_in(amount: str, unit: str | None = None) -> list[Line]:
    return [Line("cash:bank", debit=D(amount), org_unit_id=unit),
            Line("suspense", credit=D(amount), org_unit_id=unit)]


def refused(error: type[FengkongError], expected: str, call: Callable[..., object], /,
            *args: object, **kwargs: object) -> FengkongError:
    """The error `call(*args, **kwargs)` raises, checked for its class and code."""
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    assert caught.value.code == expected, caught.value
    return caught.value


def count(container: Container, model: type[object]) -> int:
    with container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


# --- the chart -----------------------------------------------------------------------------


def test_the_chart_is_made_once_on_first_use(container: Container, world: DemoWorld) -> None:
    with committed(container) as uow:
        first = service.ensure_chart(uow, world.tenant_id)
        again = service.ensure_chart(uow, world.tenant_id)
    assert {a.id for a in first.values()} == {a.id for a in again.values()}
    assert count(container, LedgerAccount) == 13
    assert first["interest_income"].type == "income"


def test_a_first_posting_in_a_new_channel_opens_its_cash_account(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        book(uow, world, [Line("cash:alipay", debit=D("10")), Line("suspense", credit=D("10"))])
        accounts = service.ensure_chart(uow, world.tenant_id)
    assert accounts["cash:alipay"].type == "asset"


def test_a_tenant_adds_an_account_once(container: Container, world: DemoWorld) -> None:
    with committed(container) as uow:
        admin = principal_of(uow, "demo.finance")
        service.create_account(uow, admin, code="bank-charges", name="Bank charges",
                               type="expense")
        refused(Conflict, "duplicate_code", service.create_account, uow, admin,
                code="bank-charges", name="Again", type="expense")
        refused(Conflict, "duplicate_code", service.create_account, uow, admin,
                code="suspense", name="Again", type="asset")
        refused(InvalidInput, "invalid_choice", service.create_account, uow, admin,
                code="other", name="x", type="vault")


def test_concurrent_first_uses_make_one_chart(container: Container, world: DemoWorld) -> None:
    barrier, errors = threading.Barrier(6), []

    def first_use() -> None:
        try:
            barrier.wait()
            with committed(container) as uow:
                service.ensure_chart(uow, world.tenant_id)
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=first_use) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert count(container, LedgerAccount) == 13


# --- posting -------------------------------------------------------------------------------


def test_a_posted_entry_is_stored_in_fen_on_the_units_given(
    container: Container, world: DemoWorld
) -> None:
    sh = world.units["EAST-SH"]
    with committed(container) as uow:
        lines = rules.disbursement(D("5000.00"), channel="bank", loan_id="L1", org_unit_id=sh,
                                   deducted_fee=D("50.00"))
        entry = book(uow, world, lines, kind="disbursement")
    assert entry.org_unit_id == sh  # the unit every line shares
    with container.uow() as uow:
        rows = uow.session.execute(select(JournalLine.line_no, JournalLine.debit,
                                          JournalLine.credit, JournalLine.loan_id)
                                   .where(JournalLine.entry_id == entry.id)
                                   .order_by(JournalLine.line_no)).all()
    assert [tuple(r) for r in rows] == [(1, 500000, 0, "L1"), (2, 0, 495000, "L1"),
                                        (3, 0, 5000, "L1")]


def test_an_entry_without_a_unit_belongs_to_the_root(container: Container,
                                                      world: DemoWorld) -> None:
    with committed(container) as uow:
        entry = book(uow, world, [Line("cash:bank", debit=D(1), org_unit_id=world.units["EAST"]),
                                  Line("suspense", credit=D(1))])
    assert entry.org_unit_id == world.units["HQ"]
    with container.uow() as uow:
        units = set(uow.session.scalars(select(JournalLine.org_unit_id)))
    assert units == {world.units["EAST"], world.units["HQ"]}


def test_posting_is_audited_unless_the_calling_use_case_audits_it(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        before = audit_service.count(uow.session)
        book(uow, world, cash_in("1"), audit=False)
        assert audit_service.count(uow.session) == before
        entry = book(uow, world, cash_in("1"), audit=True)
        assert audit_service.count(uow.session) == before + 1
    with container.uow() as uow:
        action = uow.session.scalars(select(AuditRecord.action).where(
            AuditRecord.entity_id == entry.id)).one()
    assert action == "ledger.entry_posted"


@pytest.mark.parametrize(("lines", "code", "field"), [
    ([Line("cash:bank", debit=D("10")), Line("suspense", credit=D("9.99"))],
     "unbalanced_entry", "lines"),
    ([Line("cash:bank", debit=D("10")), Line("vault", credit=D("10"))],
     "unknown_account", "lines.1.account_code"),
    ([Line("cash:bank", debit=D("10")), Line("suspense", credit=D("10"), org_unit_id=new_id())],
     "unknown_reference", "lines.1.org_unit_id"),
])
def test_a_refused_entry_stores_nothing(container: Container, world: DemoWorld,
                                        lines: list[Line], code: str, field: str) -> None:
    with container.uow() as uow:
        service.ensure_chart(uow, world.tenant_id)
        uow.commit()
        err = refused(InvalidInput, code, book, uow, world, lines)
    assert err.field == field
    assert count(container, JournalEntry) == count(container, JournalLine) == 0


def test_a_unit_of_another_tenant_is_refused(container: Container, world: DemoWorld) -> None:
    with committed(container) as uow:
        rival = org.create_tenant(uow, SystemActor(), code="rival", name="Rival")
        rival_root = org.root_unit(uow, rival.id).id
    with container.uow() as uow:
        err = refused(InvalidInput, "unknown_reference", book, uow, world, cash_in("1"),
                      unit=rival_root)
    assert err.field == "org_unit_id"


def test_many_entries_are_posted_in_one_batch_or_not_at_all(
    container: Container, world: DemoWorld
) -> None:
    entries = [Entry(DAY, EntryKind.ACCRUAL, rules.accrual(Parts(interest=D("1.25")),
                                                            loan_id=f"L{i}"), f"cob {i}")
               for i in range(300)]
    with committed(container) as uow:
        ids = service.post_many(uow, system(world), entries, tenant_id=world.tenant_id,
                                audit=False)
    assert len(set(ids)) == 300
    assert count(container, JournalLine) == 600
    bad = [*entries[:5], Entry(DAY, "accrual", cash_in("1")[:1], "lonely")]
    with container.uow() as uow:
        err = refused(InvalidInput, "unbalanced_entry", service.post_many, uow, system(world),
                      bad, tenant_id=world.tenant_id)
    assert err.field == "entries.5.lines"
    assert count(container, JournalEntry) == 300


# --- reversal ------------------------------------------------------------------------------


def test_a_reversal_swaps_every_line_and_is_made_once(container: Container,
                                                      world: DemoWorld) -> None:
    with committed(container) as uow:
        original = book(uow, world, rules.repayment(Parts(principal=D("80"), interest=D("20")),
                                                    channel="bank", loan_id="L1"),
                        kind="repayment")
        reversal = service.reverse(uow, system(world), original.id, date(2026, 1, 6))
    with container.uow() as uow:
        view = queries.entry_view(uow, reversal)
        before = queries.entry_view(uow, original)
        assert [(x.account_code, x.debit, x.credit, x.loan_id) for x in view.lines] == [
            (x.account_code, x.credit, x.debit, x.loan_id) for x in before.lines]
        assert (view.entry.kind, view.entry.reverses_id) == ("reversal", original.id)
        assert before.reversed_by == reversal.id
        refused(Conflict, "already_reversed", service.reverse, uow, system(world), original.id,
                date(2026, 1, 6))
        refused(Conflict, "reversal_not_reversible", service.reverse, uow, system(world),
                reversal.id, date(2026, 1, 6))
        assert queries.loan_balances(uow, world.tenant_id) == {"L1": {
            "cash:bank": D("0.00"), "principal_receivable": D("0.00"),
            "interest_receivable": D("0.00")}}


def test_a_reversal_is_not_dated_before_its_entry(container: Container,
                                                  world: DemoWorld) -> None:
    with committed(container) as uow:
        original = book(uow, world, cash_in("5"))
    with container.uow() as uow:
        err = refused(InvalidInput, "before_original", service.reverse, uow, system(world),
                      original.id, date(2026, 1, 4))
    assert err.field == "entry_date"


def test_concurrent_reversals_of_one_entry_leave_exactly_one(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        original = book(uow, world, cash_in("5"))
    barrier, outcomes = threading.Barrier(8), []

    def attempt() -> None:
        barrier.wait()
        try:
            with committed(container) as uow:
                service.reverse(uow, system(world), original.id, DAY)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["already_reversed"] * 7 + ["ok"]


# --- reads ---------------------------------------------------------------------------------


@pytest.fixture
def branch_books(container: Container, world: DemoWorld) -> None:
    """Cash received in Shanghai, Hangzhou and Chengdu on three days."""
    with committed(container) as uow:
        book(uow, world, cash_in("100.00", world.units["EAST-SH"]), day=date(2026, 1, 3))
        book(uow, world, cash_in("20.50", world.units["EAST-HZ"]), day=date(2026, 1, 4))
        book(uow, world, cash_in("7.25", world.units["WEST-CD"]), day=date(2026, 1, 5))
        hq = principal_of(uow, "demo.admin")
        org.create_user(uow, hq, container.hasher, username="east.hq", display_name="East HQ",
                        password="Tall-Trees-42", org_unit_id=world.units["EAST"],
                        roles=["hq_manager"])


def test_the_trial_balance_covers_the_callers_subtree_up_to_the_date(
    container: Container, world: DemoWorld, branch_books: None
) -> None:
    with container.uow() as uow:
        tenant = queries.trial_balance(uow, principal_of(uow, "demo.finance"))
        east = queries.trial_balance(uow, principal_of(uow, "east.hq"))
        early = queries.trial_balance(uow, principal_of(uow, "demo.finance"),
                                      as_of=date(2026, 1, 4))
    assert {r.code: r.balance for r in tenant.rows} == {"cash:bank": 12775, "suspense": -12775}
    assert {r.code: r.balance for r in east.rows} == {"cash:bank": 12050, "suspense": -12050}
    assert {r.code: r.debit for r in early.rows} == {"cash:bank": 12050, "suspense": 0}
    assert tenant.balanced and east.balanced and early.balanced


def test_a_statement_runs_its_balance_across_pages(
    container: Container, world: DemoWorld, branch_books: None
) -> None:
    with container.uow() as uow:
        finance = principal_of(uow, "demo.finance")
        whole = queries.statement(uow, finance, "cash:bank")
        pages, after = [], None
        while True:
            page = queries.statement(uow, finance, "cash:bank", after=after, limit=1)
            pages.append(page)
            after = page.next
            if after is None:
                break
        ranged = queries.statement(uow, finance, "cash:bank", start=date(2026, 1, 4),
                                   end=date(2026, 1, 4))
    assert [x.balance for x in whole.lines] == [10000, 12050, 12775]
    assert [x.balance for p in pages for x in p.lines] == [10000, 12050, 12775]
    assert [p.opening_balance for p in pages] == [0, 10000, 12050]
    assert (ranged.opening_balance, [x.balance for x in ranged.lines]) == (10000, [12050])


def test_loan_balances_give_each_loans_sub_ledger(container: Container,
                                                   world: DemoWorld) -> None:
    with committed(container) as uow:
        book(uow, world, rules.disbursement(D("1000"), channel="bank", loan_id="L1"),
             kind="disbursement", day=date(2026, 1, 1))
        book(uow, world, rules.disbursement(D("500"), channel="bank", loan_id="L2"),
             kind="disbursement", day=date(2026, 1, 1))
        book(uow, world, rules.accrual(Parts(interest=D("8.33")), loan_id="L1"),
             kind="accrual", day=date(2026, 1, 31))
        book(uow, world, rules.repayment(Parts(principal=D("100"), interest=D("8.33")),
                                         channel="bank", overpayment=D("1.67"), loan_id="L1"),
             kind="repayment", day=date(2026, 2, 1))
    with container.uow() as uow:
        every = queries.loan_balances(uow, world.tenant_id)
        one = queries.loan_balances(uow, world.tenant_id, ["L2"])
        january = queries.loan_balances(uow, world.tenant_id, ["L1"], as_of=date(2026, 1, 31))
    assert every["L1"]["principal_receivable"] == D("900.00")
    assert every["L1"]["interest_receivable"] == D("0.00")
    assert every["L1"]["overpayment_liability"] == D("1.67")
    assert every["L1"]["interest_income"] == D("8.33")
    assert one == {"L2": {"principal_receivable": D("500.00"), "cash:bank": D("-500.00")}}
    assert january["L1"]["interest_receivable"] == D("8.33")


def test_the_balance_check_names_the_first_entry_that_does_not_balance(
    container: Container, world: DemoWorld, branch_books: None
) -> None:
    with container.uow() as uow:
        assert queries.check_balanced(uow, world.tenant_id).ok
    broken = corrupt(container, world)
    with container.uow() as uow:
        result = queries.check_balanced(uow, world.tenant_id)
    assert (result.ok, result.first_unbalanced) == (False, broken)
    assert result.entries == 4


def corrupt(container: Container, world: DemoWorld) -> str:
    """An entry with a debit and no credit, written behind the service's back."""
    entry_id = new_id()
    with committed(container) as uow:
        account = service.ensure_chart(uow, world.tenant_id)["suspense"]
        uow.session.execute(insert(JournalEntry).values(
            id=entry_id, tenant_id=world.tenant_id, org_unit_id=world.units["HQ"],
            entry_date=DAY, kind="manual", reference="broken", created_by="test",
            created_at=container.clock.now()))
        uow.session.execute(insert(JournalLine).values(
            entry_id=entry_id, line_no=1, tenant_id=world.tenant_id,
            org_unit_id=world.units["HQ"], account_id=account.id, entry_date=DAY, debit=1,
            credit=0))
    return entry_id


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(balanced_lines(), min_size=1, max_size=8))
def test_random_balanced_entries_keep_the_stored_trial_balance_at_zero(
    container: Container, world: DemoWorld, batch: list[list[Line]]
) -> None:
    entries = [Entry(DAY, "manual", lines, f"random {i}") for i, lines in enumerate(batch)]
    with committed(container) as uow:
        service.post_many(uow, system(world), entries, tenant_id=world.tenant_id, audit=False)
    with container.uow() as uow:
        tb = queries.tenant_trial_balance(uow, world.tenant_id)
        check = queries.check_balanced(uow, world.tenant_id)
    assert tb.balanced and sum(r.debit - r.credit for r in tb.rows) == 0
    assert check.ok


# --- the command line ----------------------------------------------------------------------


def test_the_trial_balance_and_check_commands(
    container: Container, world: DemoWorld, branch_books: None, database_url: str,
    tmp_path: Path
) -> None:
    printed = run(database_url, tmp_path, "ledger", "trial-balance", "--tenant", "demo",
                  "--as-of", "2026-01-04")
    assert printed.returncode == 0, printed.stderr
    assert "cash:bank" in printed.stdout and "120.50" in printed.stdout
    assert "127.75" not in printed.stdout
    checked = run(database_url, tmp_path, "ledger", "check", "--tenant", "demo")
    assert checked.returncode == 0, checked.stderr
    assert "ledger balanced: 3 entries" in checked.stdout
    broken = corrupt(container, world)
    checked = run(database_url, tmp_path, "ledger", "check", "--tenant", "demo")
    assert checked.returncode == 1
    assert f"UNBALANCED entry {broken}" in checked.stdout


def test_the_ledger_commands_refuse_an_unknown_tenant_or_date(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    unknown = run(database_url, tmp_path, "ledger", "check", "--tenant", "nope")
    assert unknown.returncode == 2 and "not_found (tenant)" in unknown.stderr
    bad_date = run(database_url, tmp_path, "ledger", "trial-balance", "--tenant", "demo",
                   "--as-of", "yesterday")
    assert bad_date.returncode == 2 and "bad_format (as-of)" in bad_date.stderr
