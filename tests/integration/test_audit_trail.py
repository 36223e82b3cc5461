"""The audit trail: written with the change it describes, verifiable end to end, one unbroken
line per tenant even under concurrent writers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from fengkong.bootstrap import Container
from fengkong.core import audit_service
from fengkong.core.audit_service import SystemActor
from fengkong.core.ids import new_id
from fengkong.core.models import AuditChainHead, AuditRecord
from fengkong.core.uow import UnitOfWork
from fengkong.demo import DemoWorld, principal_of
from fengkong.org import auth_service, service
from fengkong.org.models import OrgUnit
from fengkong.org.permissions import DataScope
from tests.conftest import DEMO_PASSWORD


def tenant_records(container: Container, tenant_id: str) -> list[AuditRecord]:
    with container.uow() as uow:
        records = list(uow.session.scalars(
            select(AuditRecord).where(AuditRecord.tenant_id == tenant_id)
            .order_by(AuditRecord.seq)))
        uow.session.expunge_all()  # keep them loaded past the unit of work
        return records


def record_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(AuditRecord)) or 0


@pytest.fixture
def onlooker(engine: Engine) -> Iterator[Engine]:
    """Another client reading while a unit of work is open. fengkong's own SQLite engine
    begins every transaction IMMEDIATE (so it would wait for the writer); a plain one reads
    the last committed state, as a PostgreSQL connection does."""
    if engine.dialect.name != "sqlite":
        yield engine
        return
    plain = create_engine(engine.url)
    yield plain
    plain.dispose()


# --- written with the change ---------------------------------------------------------------


def test_seeding_the_demo_leaves_a_record_of_every_change_with_actor_entity_and_changes(
    container: Container, world: DemoWorld
) -> None:
    records = tenant_records(container, world.tenant_id)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert all(r.chain == world.tenant_id and r.outcome == "ok" for r in records)

    created = records[0]
    assert created.action == "tenant.created"
    assert (created.entity_type, created.entity_id) == ("tenant", world.tenant_id)
    assert created.actor_id == "system"
    assert json.loads(created.changes or "")["code"] == "demo"

    admin_id = world.users["demo.admin"]
    units = [r for r in records if r.action == "org_unit.created"]
    assert {r.entity_id for r in units} == {world.units[c] for c in world.units if c != "HQ"}
    east = next(r for r in units if r.entity_id == world.units["EAST"])
    assert (east.actor_id, east.actor_name, east.org_unit_id) == (
        admin_id, "demo.admin", world.units["HQ"])
    assert json.loads(east.changes or "") == {
        "code": "EAST", "name": "East region", "parent_id": world.units["HQ"]}

    users = {r.entity_id: r for r in records if r.action == "user.created"}
    assert set(users) == set(world.users.values())
    sh = json.loads(users[world.users["demo.sh"]].changes or "")
    assert sh == {"username": "demo.sh", "org_unit_id": world.units["EAST-SH"],
                  "roles": ["branch_manager"]}
    assert users[world.users["demo.sh"]].actor_id == admin_id
    assert users[admin_id].actor_id == "system"  # the first admin is made by the product


# Each use case, run by demo.admin unless it says otherwise: (entity id, acting user or None
# for the product itself).
UseCase = Callable[[UnitOfWork, Container, DemoWorld], tuple[str, str | None]]


def _admin_does(act: Callable[..., Any]) -> UseCase:
    def run(uow: UnitOfWork, container: Container, world: DemoWorld) -> tuple[str, str | None]:
        entity = act(uow, container, world, principal_of(uow, "demo.admin"))
        return entity.id, "demo.admin"
    return run


def _login(uow: UnitOfWork, container: Container, world: DemoWorld) -> tuple[str, str | None]:
    auth_service.login(uow, container.settings, container.hasher, "demo.sh", DEMO_PASSWORD)
    return world.users["demo.sh"], "demo.sh"


def _create_tenant(uow: UnitOfWork, container: Container, world: DemoWorld
                   ) -> tuple[str, str | None]:
    return service.create_tenant(uow, SystemActor(), code="other", name="Other").id, None


USE_CASES: dict[str, UseCase] = {
    "tenant.created": _create_tenant,
    "org_unit.created": _admin_does(lambda uow, c, w, me: service.create_unit(
        uow, me, parent_id=w.units["WEST"], code="WEST-XA", name="Xi'an branch")),
    "org_unit.updated": _admin_does(lambda uow, c, w, me: service.update_unit(
        uow, me, w.units["EAST"], name="Eastern region")),
    "role.created": _admin_does(lambda uow, c, w, me: service.create_role(
        uow, me, code="clerk", name="Clerk", permissions=["org.units.read"],
        data_scope=DataScope.UNIT)),
    "user.created": _admin_does(lambda uow, c, w, me: service.create_user(
        uow, me, c.hasher, username="new.hire", display_name="New hire",
        password="Tall-Trees-42", org_unit_id=w.units["WEST-CD"], roles=["collector"])),
    "user.updated": _admin_does(lambda uow, c, w, me: service.update_user(
        uow, me, w.users["demo.sh"], display_name="Shen Hai")),
    "user.unlocked": _admin_does(lambda uow, c, w, me: auth_service.unlock(
        uow, me, w.users["demo.sh"])),
    "api_key.created": _admin_does(lambda uow, c, w, me: auth_service.create_api_key(
        uow, c.settings, me, name="scanner", permissions=["org.units.read"],
        org_unit_id=w.units["EAST"]).key),
    "auth.login": _login,
}


@pytest.mark.parametrize("action", sorted(USE_CASES))
def test_each_use_case_writes_one_record_that_is_rolled_back_with_it(
    container: Container, world: DemoWorld, engine: Engine, action: str
) -> None:
    before = record_count(engine)
    with container.uow() as uow:
        entity_id, actor = USE_CASES[action](uow, container, world)
        assert uow.audit_count == 1
        rec = uow.session.scalars(select(AuditRecord).where(
            AuditRecord.action == action, AuditRecord.entity_id == entity_id)).one()
        assert rec.actor_id == (world.users[actor] if actor else "system")
        assert rec.outcome == "ok"
    assert record_count(engine) == before  # never committed: the record went with the change
    with container.uow() as uow:
        assert audit_service.verify(uow.session) == []


def test_a_change_and_its_record_become_visible_together_at_commit(
    container: Container, world: DemoWorld, engine: Engine, onlooker: Engine
) -> None:
    before = record_count(engine)
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        unit = service.create_unit(uow, admin, parent_id=world.units["WEST"], code="WEST-XA",
                                   name="Xi'an branch")
        assert uow.audit_count == 1
        with onlooker.connect() as outside:  # another client sees neither yet
            assert outside.scalar(select(OrgUnit.id).where(OrgUnit.id == unit.id)) is None
            assert outside.scalar(select(func.count()).select_from(AuditRecord)) == before
        uow.commit()
    with engine.connect() as conn:
        assert conn.scalar(select(OrgUnit.id).where(OrgUnit.id == unit.id)) == unit.id
        assert conn.scalar(select(AuditRecord.action).where(
            AuditRecord.entity_id == unit.id)) == "org_unit.created"


def test_a_rolled_back_unit_of_work_leaves_neither_the_change_nor_its_record(
    container: Container, world: DemoWorld, engine: Engine
) -> None:
    before = record_count(engine)
    with engine.connect() as conn:
        head_before = conn.execute(select(AuditChainHead.seq, AuditChainHead.hash).where(
            AuditChainHead.chain == world.tenant_id)).one()
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        service.create_unit(uow, admin, parent_id=world.units["WEST"], code="WEST-XA",
                            name="Xi'an branch")
        service.update_unit(uow, admin, world.units["EAST"], name="Eastern region")
        assert uow.audit_count == 2
        # leaving the block without commit rolls everything back
    with engine.connect() as conn:
        assert conn.scalar(select(OrgUnit.id).where(OrgUnit.code == "WEST-XA")) is None
        assert conn.scalar(select(OrgUnit.name).where(
            OrgUnit.id == world.units["EAST"])) == "East region"
        assert conn.execute(select(AuditChainHead.seq, AuditChainHead.hash).where(
            AuditChainHead.chain == world.tenant_id)).one() == head_before
    assert record_count(engine) == before
    with container.uow() as uow:
        assert audit_service.verify(uow.session) == []


# --- `fengkong audit verify` ---------------------------------------------------------------


def run_verify(database_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FENGKONG_DATABASE_URL": database_url,
           "FENGKONG_DATA_DIR": str(tmp_path), "FENGKONG_SECRET_KEY": "x"}
    return subprocess.run([sys.executable, "-m", "fengkong", "audit", "verify"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def chain_ids(engine: Engine, chain: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(AuditRecord.id).where(AuditRecord.chain == chain)
                                 .order_by(AuditRecord.seq)))


def tamper(engine: Engine, sql: str, record_id: str) -> None:
    with engine.begin() as conn:
        assert conn.execute(text(sql), {"id": record_id}).rowcount == 1


def test_audit_verify_reports_an_intact_trail_on_a_seeded_database(
    world: DemoWorld, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    result = run_verify(database_url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "intact" in result.stdout
    assert f"{record_count(engine)} records" in result.stdout


def test_audit_verify_fails_naming_a_record_whose_content_was_altered(
    world: DemoWorld, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    victim = chain_ids(engine, world.tenant_id)[3]
    tamper(engine, "UPDATE audit_records SET action = 'x' WHERE id = :id", victim)
    result = run_verify(database_url, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"record {victim}" in result.stdout
    assert "content does not match its hash" in result.stdout


def test_audit_verify_fails_naming_the_record_after_a_deleted_one(
    world: DemoWorld, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ids = chain_ids(engine, world.tenant_id)
    tamper(engine, "DELETE FROM audit_records WHERE id = :id", ids[4])
    result = run_verify(database_url, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"record {ids[5]}" in result.stdout
    assert ids[4] not in result.stdout


def test_audit_verify_fails_at_the_chain_head_when_the_last_record_is_deleted(
    world: DemoWorld, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ids = chain_ids(engine, world.tenant_id)
    tamper(engine, "DELETE FROM audit_records WHERE id = :id", ids[-1])
    result = run_verify(database_url, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"BROKEN chain {world.tenant_id} at seq {len(ids)}, chain head" in result.stdout


# --- concurrent writers --------------------------------------------------------------------

THREADS, PER_THREAD = 8, 25


def test_concurrent_writers_to_one_chain_leave_a_gapless_sequence_that_verifies(
    container: Container,
) -> None:
    tenant_id = new_id()  # a fresh chain: its head row is created under contention too
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def append() -> None:
        try:
            start.wait()
            for _ in range(PER_THREAD):
                with container.uow() as uow:
                    audit_service.record(uow, SystemActor(tenant_id=tenant_id), "test.append")
                    uow.commit()
        except BaseException as exc:  # handed to the main thread, which fails the test
            errors.append(exc)

    threads = [threading.Thread(target=append) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)

    total = THREADS * PER_THREAD
    with container.uow() as uow:
        seqs = list(uow.session.scalars(select(AuditRecord.seq).where(
            AuditRecord.chain == tenant_id).order_by(AuditRecord.seq)))
        head = uow.session.get(AuditChainHead, tenant_id)
        assert seqs == list(range(1, total + 1))
        assert head is not None and head.seq == total
        assert audit_service.verify(uow.session) == []
