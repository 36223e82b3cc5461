"""Who is calling, and the one helper that limits every query of tenant data to what they see.

Every table of tenant data has `tenant_id` and `org_unit_id` (org units themselves are scoped by
their own path). `scoped()` adds the tenant and, by the data scope the caller holds for the
permission in use, the caller's own records, own unit or org subtree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, select

from fengkong.core.errors import PermissionDenied
from fengkong.org.models import OrgUnit
from fengkong.org.permissions import DataScope

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    actor_id: str  # user id, or API key id for machine clients
    name: str
    org_unit_id: str
    unit_path: str
    grants: dict[str, DataScope] = field(default_factory=dict)
    kind: str = "user"  # user | api_key
    session_id: str | None = None
    is_platform: bool = False

    def can(self, permission: str) -> bool:
        return permission in self.grants

    def scope_for(self, permission: str) -> DataScope:
        try:
            return self.grants[permission]
        except KeyError:
            raise PermissionDenied(f"missing permission {permission}",
                                   extra={"permission": permission}) from None


def scoped(stmt: S, entity: Any, principal: Principal, permission: str) -> S:
    """`stmt` limited to the rows of `entity` that `principal` reaches through `permission`."""
    scope = principal.scope_for(permission)
    stmt = stmt.where(entity.tenant_id == principal.tenant_id)
    if scope is DataScope.TENANT:
        return stmt
    if entity is OrgUnit:
        if scope is DataScope.SUBTREE:
            return stmt.where(OrgUnit.path.startswith(principal.unit_path, autoescape=True))
        return stmt.where(OrgUnit.id == principal.org_unit_id)
    if not hasattr(entity, "org_unit_id"):
        # Tenant-level data (roles, settings): any scope within the tenant reaches it.
        return stmt
    if scope is DataScope.SUBTREE:
        return stmt.where(entity.org_unit_id.in_(subtree_ids(principal)))
    owner = getattr(entity, "__owner_column__", None)
    if scope is DataScope.OWN and owner is not None:
        return stmt.where(getattr(entity, owner) == principal.actor_id)
    return stmt.where(entity.org_unit_id == principal.org_unit_id)


def subtree_ids(principal: Principal) -> Select[Any]:
    return select(OrgUnit.id).where(
        OrgUnit.tenant_id == principal.tenant_id,
        OrgUnit.path.startswith(principal.unit_path, autoescape=True),
    )


def reaches_unit(principal: Principal, permission: str, unit: OrgUnit) -> bool:
    """Whether `unit` (already loaded) lies within the caller's scope for `permission`."""
    scope = principal.scope_for(permission)
    if unit.tenant_id != principal.tenant_id:
        return False
    if scope is DataScope.TENANT:
        return True
    if scope is DataScope.SUBTREE:
        return unit.path.startswith(principal.unit_path)
    return unit.id == principal.org_unit_id
