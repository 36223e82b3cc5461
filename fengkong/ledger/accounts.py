"""The chart of accounts as stored: made on first use, cash accounts opened on demand."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.ledger.chart import AccountSpec, default_accounts
from fengkong.ledger.models import LedgerAccount


def ensure_chart(uow: UnitOfWork, tenant_id: str) -> dict[str, LedgerAccount]:
    """The tenant's accounts by code; the default chart is created on first use. Safe when
    two first uses race: the loser's inserts are skipped."""
    accounts = accounts_of(uow, tenant_id)
    missing = [spec for spec in default_accounts() if spec.code not in accounts]
    if missing:
        insert_accounts(uow, tenant_id, missing)
        accounts = accounts_of(uow, tenant_id)
    return accounts


def accounts_of(uow: UnitOfWork, tenant_id: str) -> dict[str, LedgerAccount]:
    """The tenant's accounts by code, as stored now."""
    rows = uow.session.scalars(select(LedgerAccount).where(LedgerAccount.tenant_id == tenant_id)
                               .execution_options(populate_existing=True))
    return {a.code: a for a in rows}


def insert_accounts(uow: UnitOfWork, tenant_id: str, specs: Sequence[AccountSpec]) -> None:
    """Add accounts the system makes, skipping any that another transaction made first."""
    module: Any = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    now = uow.clock.now()
    rows = [{"id": new_id(), "tenant_id": tenant_id, "code": s.code, "name": s.name,
             "type": s.type.value, "builtin": True, "created_at": now} for s in specs]
    uow.session.execute(module.insert(LedgerAccount).values(rows)
                        .on_conflict_do_nothing(index_elements=["tenant_id", "code"]))
