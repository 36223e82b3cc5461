"""The scheduled close of business: a background thread of `fengkong serve` that closes each
tenant's previous business date once its day is over in the tenant's own zone."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from fengkong.core.audit_service import SystemActor
from fengkong.core.clock import Clock, business_date
from fengkong.core.uow import UnitOfWork
from fengkong.loans import cob_service
from fengkong.org.models import Tenant

log = logging.getLogger(__name__)


def close_due_tenants(new_uow: Callable[[], UnitOfWork], clock: Clock) -> dict[str, int]:
    """Close yesterday (in each tenant's zone) for every active tenant with work pending;
    returns loan-days closed by tenant code. A tenant that fails is logged and retried on
    the next tick, without stopping the others."""
    with new_uow() as uow:
        tenants = uow.session.execute(select(Tenant.id, Tenant.code, Tenant.timezone).where(
            Tenant.is_platform.is_(False), Tenant.is_active.is_(True))).all()
    done: dict[str, int] = {}
    for tenant_id, code, zone in tenants:
        yesterday = business_date(clock, zone) - timedelta(days=1)
        try:
            report = cob_service.close_business(
                new_uow, SystemActor(tenant_id=tenant_id, actor_id="scheduler",
                                     name="scheduled close of business"),
                tenant_id, yesterday)
        except Exception:  # one tenant's failure must not stop the others' close
            log.exception("close of business failed", extra={"tenant": code})
            continue
        if report.days:
            done[code] = report.loans
            log.info("close of business", extra={
                "tenant": code, "days": [d.business_date.isoformat() for d in report.days],
                "loans": report.loans})
    return done


class CobScheduler:
    """Ticks every `interval_s` seconds on a daemon thread until stopped."""

    def __init__(self, new_uow: Callable[[], UnitOfWork], clock: Clock,
                 interval_s: float = 300) -> None:
        self._new_uow, self._clock, self._interval = new_uow, clock, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cob-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            close_due_tenants(self._new_uow, self._clock)
            self._stop.wait(self._interval)
