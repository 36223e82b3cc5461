"""Tables of the shared kernel: the audit trail and its chain heads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn


class AuditRecord(Base):
    __tablename__ = "audit_records"
    __table_args__ = (
        Index("uq_audit_records_chain_seq", "chain", "seq", unique=True),
        Index("ix_audit_records_tenant_time", "tenant_id", "created_at"),
        Index("ix_audit_records_entity", "tenant_id", "entity_type", "entity_id"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int]
    tenant_id: Mapped[str | None] = mapped_column(IdColumn)
    actor_id: Mapped[str | None] = mapped_column(IdColumn)
    actor_name: Mapped[str | None] = mapped_column(String(120))
    org_unit_id: Mapped[str | None] = mapped_column(IdColumn)
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str | None] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    changes: Mapped[str | None] = mapped_column(Text)
    purpose: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last record of each chain; locking this row serialises appends to the chain."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
