"""Tables of the decision context: strategies, their versions, decisions and outcomes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn

_ACTIVE = "status = 'active'"


class DecisionStrategy(Base):
    """One strategy per tenant, stage and product; its versions carry the documents."""

    __tablename__ = "decision_strategies"
    __table_args__ = (UniqueConstraint("tenant_id", "stage", "product",
                                       name="uq_decision_strategies_tenant_stage_product"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    stage: Mapped[str] = mapped_column(String(30))
    product: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    latest_version: Mapped[int]
    created_by: Mapped[str] = mapped_column(IdColumn)
    created_at: Mapped[datetime]


class StrategyVersion(Base):
    """A version's document is editable while a draft and frozen from submission on; at most
    one version of a strategy is active (a partial unique index)."""

    __tablename__ = "decision_strategy_versions"
    __table_args__ = (
        UniqueConstraint("strategy_id", "version",
                         name="uq_decision_strategy_versions_strategy_version"),
        Index("uq_decision_strategy_versions_active", "strategy_id", unique=True,
              sqlite_where=text(_ACTIVE), postgresql_where=text(_ACTIVE)),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    strategy_id: Mapped[str] = mapped_column(ForeignKey("decision_strategies.id"))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    author_id: Mapped[str] = mapped_column(IdColumn)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(IdColumn)
    approved_at: Mapped[datetime | None]
    activated_by: Mapped[str | None] = mapped_column(IdColumn)
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class Decision(Base):
    """One decision as made: everything needed to explain it and to make it again."""

    __tablename__ = "decisions"
    __owner_column__ = "made_by"
    __table_args__ = (
        Index("ix_decisions_tenant_stage_product", "tenant_id", "stage", "product", "made_at"),
        Index("ix_decisions_version", "strategy_version_id"),
        Index("ix_decisions_tenant_subject", "tenant_id", "subject_id"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    strategy_version_id: Mapped[str] = mapped_column(ForeignKey("decision_strategy_versions.id"))
    stage: Mapped[str] = mapped_column(String(30))
    product: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    random_number: Mapped[int]
    arm: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float)
    reason_codes: Mapped[list[str]] = mapped_column(JSON)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    outputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    trace: Mapped[dict[str, Any]] = mapped_column(JSON)
    made_by: Mapped[str] = mapped_column(IdColumn)
    made_at: Mapped[datetime]


class DecisionOutcome(Base):
    """What became of a decision later: bad or not (application), rolled to a worse bucket
    (account management), promise kept (collections)."""

    __tablename__ = "decision_outcomes"

    decision_id: Mapped[str] = mapped_column(ForeignKey("decisions.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    bad: Mapped[bool | None] = mapped_column(Boolean)
    rolled: Mapped[bool | None] = mapped_column(Boolean)
    promise_kept: Mapped[bool | None] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(IdColumn)
    recorded_at: Mapped[datetime]
