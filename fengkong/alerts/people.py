"""Who holds a role in which units: the monitors and managers alarms are routed to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select

from fengkong.core.uow import UnitOfWork
from fengkong.org.models import OrgUnit, Role, User, UserRole

MONITOR_ROLES = ("gps_monitor",)
MANAGER_ROLES = ("branch_manager", "hq_manager")


def holders_by_unit(uow: UnitOfWork, tenant_id: str, unit_ids: Iterable[str],
                    roles: Iterable[str]) -> dict[str, list[str]]:
    """Unit id -> ids of active users placed there who hold one of `roles`."""
    rows = uow.session.execute(
        select(User.org_unit_id, User.id).join(UserRole, UserRole.user_id == User.id)
        .join(Role, Role.id == UserRole.role_id)
        .where(User.tenant_id == tenant_id, User.is_active.is_(True),
               User.org_unit_id.in_(list(unit_ids)), Role.code.in_(list(roles)))
        .order_by(User.id).distinct()).all()
    out: dict[str, list[str]] = defaultdict(list)
    for unit_id, user_id in rows:
        out[unit_id].append(user_id)
    return dict(out)


def unit_path(uow: UnitOfWork, unit_id: str) -> str:
    return uow.session.scalar(select(OrgUnit.path).where(OrgUnit.id == unit_id)) or ""
