"""The close-of-business use case: who may run it, for which dates, and its audit record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fengkong.core import audit_service as audit
from fengkong.core.audit_service import SystemActor
from fengkong.core.clock import business_date
from fengkong.core.errors import InvalidInput
from fengkong.core.uow import UnitOfWork
from fengkong.loans import cob
from fengkong.loans.loan_service import replay_for_close
from fengkong.org import service as org
from fengkong.org.scoping import Principal


def close_business(new_uow: Callable[[], UnitOfWork], actor: Principal | SystemActor,
                   tenant_id: str, until: date, *, chunk: int = cob.CHUNK,
                   on_day: Callable[[date, int], cob.Progress | None] | None = None
                   ) -> cob.CobReport:
    """Close every pending business date of a tenant up to `until` (today at the latest)."""
    if isinstance(actor, Principal):
        actor.scope_for("loans.cob")
        tenant_id = actor.tenant_id
    with new_uow() as uow:
        today = business_date(uow.clock, org.tenant_timezone(uow, tenant_id))
    if until > today:
        raise InvalidInput(f"business dates up to {today} can be closed", code="future_date",
                           field="business_date")
    report = cob.run(new_uow, tenant_id, until, chunk=chunk, on_day=on_day,
                     replay_loan=replay_for_close)
    with new_uow() as uow:
        audit.record(uow, actor, "loan.close_of_business", entity_type="tenant",
                     entity_id=tenant_id, tenant_id=tenant_id, changes={
                         "until": until.isoformat(),
                         "days": [d.business_date.isoformat() for d in report.days],
                         "loans": report.loans,
                         "penalties_fen": sum(d.penalties_fen for d in report.days),
                         "installments_due": sum(d.installments_due for d in report.days)})
        uow.commit()
    return report
