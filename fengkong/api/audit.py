"""Routes of the audit trail: search for administrators."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, field_validator
from sqlalchemy import select

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Output
from fengkong.core.audit_service import AuditQuery, search_statement
from fengkong.core.models import AuditRecord
from fengkong.org.scoping import Principal, scoped

router = APIRouter(tags=["audit"])


class AuditOut(Output):
    id: str
    seq: int
    actor_id: str | None
    actor_name: str | None
    org_unit_id: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    changes: Any
    purpose: str | None
    request_id: str | None
    client_addr: str | None
    outcome: str
    created_at: datetime
    hash: str

    @field_validator("changes", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class AuditPage(Output):
    items: list[AuditOut]
    next: str | None


@router.get("/audit", response_model=AuditPage)
def search_audit(
    uow: UoW,
    principal: Principal = require("audit.read"),
    action: Annotated[str | None, Query(max_length=80)] = None,
    actor_id: Annotated[str | None, Query(max_length=26)] = None,
    entity_type: Annotated[str | None, Query(max_length=60)] = None,
    entity_id: Annotated[str | None, Query(max_length=60)] = None,
    since: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    until: Annotated[AwareDatetime | None, Query(alias="to")] = None,
    after: Annotated[str | None, Query(max_length=26, description="cursor from `next`")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    """Audit records of the caller's tenant made by actors within the caller's scope,
    newest first."""
    q = AuditQuery(action, actor_id, entity_type, entity_id, since, until, after, limit)
    base = scoped(select(AuditRecord), AuditRecord, principal, "audit.read")
    rows = uow.session.scalars(search_statement(base, q)).all()
    page, more = rows[:limit], len(rows) > limit
    return AuditPage(items=[AuditOut.model_validate(r) for r in page],
                     next=page[-1].id if more else None)
