"""Permissions, data scopes and the predefined roles.

A permission names one thing a caller may do ("org.units.manage"). A role is a set of
permissions with a data scope: which records those permissions reach. Each context adds its
permissions and grants them to predefined roles with `register()`; a tenant's copies of the
predefined roles are refreshed from here when the tenant is created or upgraded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DataScope(StrEnum):
    OWN = "own"  # records the caller owns (assigned to them); else their own org unit
    UNIT = "unit"  # the caller's own org unit
    SUBTREE = "subtree"  # the caller's org unit and everything below it
    TENANT = "tenant"  # the whole tenant

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {DataScope.OWN: 0, DataScope.UNIT: 1, DataScope.SUBTREE: 2, DataScope.TENANT: 3}


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str
    scope: DataScope


PERMISSIONS: dict[str, str] = {}
ROLE_SPECS: dict[str, RoleSpec] = {}
ROLE_GRANTS: dict[str, set[str]] = {}

PLATFORM_ROLE = "platform_admin"


def register(permissions: dict[str, str], grants: dict[str, set[str]]) -> None:
    """Add a context's permissions and grant them to predefined roles."""
    PERMISSIONS.update(permissions)
    for role, perms in grants.items():
        unknown = perms - PERMISSIONS.keys()
        if unknown:
            raise ValueError(f"unknown permissions for {role}: {sorted(unknown)}")
        if role not in ROLE_SPECS:
            raise ValueError(f"unknown role {role}")
        ROLE_GRANTS[role] |= perms


def _role(code: str, name: str, scope: DataScope) -> None:
    ROLE_SPECS[code] = RoleSpec(code, name, scope)
    ROLE_GRANTS[code] = set()


_role("platform_admin", "Platform administrator", DataScope.TENANT)
_role("tenant_admin", "Tenant administrator", DataScope.TENANT)
_role("hq_manager", "Headquarters manager", DataScope.SUBTREE)
_role("branch_manager", "Branch manager", DataScope.SUBTREE)
_role("credit_officer", "Credit officer", DataScope.UNIT)
_role("approver", "Approver", DataScope.SUBTREE)
_role("risk_strategist", "Risk strategist", DataScope.TENANT)
_role("gps_monitor", "GPS monitor", DataScope.SUBTREE)
_role("installer", "Installer", DataScope.UNIT)
_role("collector", "Collector", DataScope.OWN)
_role("field_agent", "Field agent", DataScope.OWN)
_role("agency_collector", "Agency collector", DataScope.OWN)
_role("legal_officer", "Legal officer", DataScope.SUBTREE)
_role("finance", "Finance", DataScope.TENANT)

_STAFF = {"tenant_admin", "hq_manager", "branch_manager", "credit_officer", "approver",
          "risk_strategist", "gps_monitor", "installer", "collector", "field_agent",
          "agency_collector", "legal_officer", "finance"}

register(
    {
        "platform.tenants.manage": "create tenants and their first administrator",
        "org.units.read": "see org units",
        "org.units.manage": "create, rename and move org units",
        "org.users.read": "see users",
        "org.users.manage": "create users, change their roles and units, unlock and reset them",
        "org.roles.read": "see roles",
        "org.roles.manage": "create and change custom roles",
        "auth.api_keys.manage": "issue and revoke API keys for machine clients",
        "audit.read": "search the audit trail",
    },
    {
        "platform_admin": {"platform.tenants.manage", "org.units.read", "org.users.read",
                           "org.users.manage", "org.roles.read", "audit.read"},
        "tenant_admin": {"org.units.read", "org.units.manage", "org.users.read",
                         "org.users.manage", "org.roles.read", "org.roles.manage",
                         "auth.api_keys.manage", "audit.read"},
        "hq_manager": {"org.units.read", "org.users.read", "org.roles.read", "audit.read"},
        "branch_manager": {"org.units.read", "org.users.read", "org.users.manage",
                           "org.roles.read"},
        **{role: {"org.units.read"} for role in _STAFF - {"tenant_admin", "hq_manager",
                                                          "branch_manager"}},
    },
)
