"""Writing, verifying and searching the audit trail.

Records are appended in the same transaction as the change they describe, so a change is never
stored without its record. One chain per tenant ("platform" for records outside any tenant);
the chain head row is locked while appending, which keeps each chain a single line even when
many requests write at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fengkong.core.audit import GENESIS, Break, canonical_changes, find_break, record_hash
from fengkong.core.errors import InvalidInput
from fengkong.core.ids import new_id
from fengkong.core.models import AuditChainHead, AuditRecord
from fengkong.core.uow import UnitOfWork

PLATFORM_CHAIN = "platform"


class Actor(Protocol):
    @property
    def tenant_id(self) -> str: ...
    @property
    def actor_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def org_unit_id(self) -> str: ...


@dataclass(frozen=True)
class SystemActor:
    """The product itself acting (CLI, scheduled jobs, the demo seeder)."""

    tenant_id: str | None = None
    actor_id: str = "system"
    name: str = "system"
    org_unit_id: str | None = None


def record(
    uow: UnitOfWork,
    actor: Actor | SystemActor,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    changes: dict[str, Any] | None = None,
    purpose: str | None = None,
    tenant_id: str | None = None,
    outcome: str = "ok",
) -> AuditRecord:
    """Append one record to the chain of the tenant concerned."""
    session = uow.session
    tenant = tenant_id if tenant_id is not None else actor.tenant_id
    chain = tenant or PLATFORM_CHAIN
    head = _lock_head(session, chain)
    fields: dict[str, Any] = {
        "chain": chain,
        "seq": head.seq + 1,
        "id": new_id(),
        "tenant_id": tenant,
        "actor_id": actor.actor_id,
        "actor_name": actor.name,
        "org_unit_id": actor.org_unit_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "changes": canonical_changes(changes),
        "purpose": purpose if purpose is not None else uow.context.purpose,
        "request_id": uow.context.request_id,
        "client_addr": uow.context.client_addr,
        "outcome": outcome,
        "created_at": uow.clock.now(),
        "prev_hash": head.hash,
    }
    fields["hash"] = record_hash(fields)
    row = AuditRecord(**fields)
    session.add(row)
    head.seq, head.hash = fields["seq"], fields["hash"]
    session.flush()
    uow.audit_count += 1
    return row


def record_sensitive_read(
    uow: UnitOfWork,
    actor: Actor,
    *,
    entity_type: str,
    entity_id: str,
    fields: list[str],
    purpose: str | None = None,
) -> AuditRecord:
    """A full read of personal data (ID number, phone, name, address, call records).

    A purpose is mandatory: taken from the argument or the request's `X-Purpose` header."""
    why = purpose or uow.context.purpose
    if not why:
        raise InvalidInput("say why you need this personal data (X-Purpose header)",
                           code="purpose_required", field="X-Purpose")
    return record(uow, actor, "pii.read", entity_type=entity_type, entity_id=entity_id,
                  changes={"fields": sorted(fields)}, purpose=why)


def _lock_head(session: Session, chain: str) -> AuditChainHead:
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    session.execute(
        module.insert(AuditChainHead)
        .values(chain=chain, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["chain"])
    )
    head = session.execute(
        select(AuditChainHead)
        .where(AuditChainHead.chain == chain)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return head


def _records(session: Session, chain: str) -> Iterator[dict[str, Any]]:
    columns = [c for c in AuditRecord.__table__.columns]
    stmt = select(*columns).where(AuditRecord.chain == chain).order_by(AuditRecord.seq)
    for row in session.execute(stmt.execution_options(yield_per=2000)):
        yield row._asdict()


def verify(session: Session, on_record: Any = None) -> list[Break]:
    """Every broken chain's first break; empty when the whole trail is intact."""
    heads = {h.chain: (h.seq, h.hash) for h in session.scalars(select(AuditChainHead))}
    chains = set(heads) | set(session.scalars(select(AuditRecord.chain).distinct()))
    breaks = []
    for chain in sorted(chains):
        records = _records(session, chain)
        if on_record is not None:
            records = _counting(records, on_record)
        brk = find_break(chain, records, heads.get(chain))
        if brk is not None:
            breaks.append(brk)
    return breaks


def _counting(records: Iterator[dict[str, Any]], tick: Any) -> Iterator[dict[str, Any]]:
    for rec in records:
        tick()
        yield rec


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditRecord)) or 0


@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    actor_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: str | None = None  # cursor: the id of the last record of the previous page
    limit: int = 50


def search_statement(base: Select[Any], q: AuditQuery) -> Select[Any]:
    """Filters and keyset paging (newest first) on an already scoped statement."""
    stmt = base
    if q.action:
        stmt = stmt.where(AuditRecord.action == q.action)
    if q.actor_id:
        stmt = stmt.where(AuditRecord.actor_id == q.actor_id)
    if q.entity_type:
        stmt = stmt.where(AuditRecord.entity_type == q.entity_type)
    if q.entity_id:
        stmt = stmt.where(AuditRecord.entity_id == q.entity_id)
    if q.since:
        stmt = stmt.where(AuditRecord.created_at >= q.since)
    if q.until:
        stmt = stmt.where(AuditRecord.created_at < q.until)
    if q.after:
        stmt = stmt.where(AuditRecord.id < q.after)
    return stmt.order_by(AuditRecord.id.desc()).limit(q.limit + 1)
