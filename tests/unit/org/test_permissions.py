"""Predefined roles, permission registration, and the ranking of data scopes."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest

from fengkong.org import permissions
from fengkong.org.permissions import (
    PERMISSIONS,
    PLATFORM_ROLE,
    ROLE_GRANTS,
    ROLE_SPECS,
    DataScope,
    register,
)

PREDEFINED = ["platform_admin", "tenant_admin", "hq_manager", "branch_manager", "credit_officer",
              "approver", "risk_strategist", "gps_monitor", "installer", "collector",
              "field_agent", "agency_collector", "legal_officer", "finance"]


@pytest.fixture
def registry() -> Iterator[None]:
    """Let a test register permissions, and put the global registry back afterwards."""
    saved_permissions = dict(PERMISSIONS)
    saved_grants = copy.deepcopy(ROLE_GRANTS)
    try:
        yield
    finally:
        PERMISSIONS.clear()
        PERMISSIONS.update(saved_permissions)
        ROLE_GRANTS.clear()
        ROLE_GRANTS.update(saved_grants)


@pytest.mark.parametrize("role", PREDEFINED)
def test_every_predefined_role_exists_with_a_name_and_grants(role: str) -> None:
    spec = ROLE_SPECS[role]
    assert spec.code == role
    assert spec.name
    assert isinstance(spec.scope, DataScope)
    assert role in ROLE_GRANTS


def test_there_are_no_predefined_roles_beyond_the_documented_ones() -> None:
    assert set(ROLE_SPECS) == set(PREDEFINED)


def test_every_granted_permission_is_a_registered_one() -> None:
    for role, granted in ROLE_GRANTS.items():
        assert granted <= PERMISSIONS.keys(), role


def test_only_the_platform_admin_may_manage_tenants() -> None:
    holders = {role for role, granted in ROLE_GRANTS.items()
               if "platform.tenants.manage" in granted}
    assert holders == {PLATFORM_ROLE}


def test_every_staff_role_may_see_org_units() -> None:
    for role in PREDEFINED:
        assert "org.units.read" in ROLE_GRANTS[role], role


@pytest.mark.parametrize(("role", "scope"), [
    ("tenant_admin", DataScope.TENANT),
    ("branch_manager", DataScope.SUBTREE),
    ("credit_officer", DataScope.UNIT),
    ("collector", DataScope.OWN),
])
def test_predefined_roles_reach_as_far_as_their_job(role: str, scope: DataScope) -> None:
    assert ROLE_SPECS[role].scope is scope


@pytest.mark.usefixtures("registry")
def test_a_context_can_register_a_permission_and_grant_it() -> None:
    register({"drones.read": "see drones"}, {"credit_officer": {"drones.read"}})
    assert PERMISSIONS["drones.read"] == "see drones"
    assert "drones.read" in ROLE_GRANTS["credit_officer"]
    assert "org.units.read" in ROLE_GRANTS["credit_officer"]  # earlier grants are kept


@pytest.mark.usefixtures("registry")
def test_granting_an_unknown_permission_is_refused() -> None:
    with pytest.raises(ValueError, match="drones.write"):
        register({}, {"credit_officer": {"drones.write"}})
    assert "drones.write" not in ROLE_GRANTS["credit_officer"]


@pytest.mark.usefixtures("registry")
def test_granting_to_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown role loan_shark"):
        register({"drones.read": "see drones"}, {"loan_shark": {"drones.read"}})
    assert "loan_shark" not in ROLE_GRANTS


def test_the_registry_fixture_leaves_no_trace() -> None:
    assert "drones.read" not in PERMISSIONS
    assert "drones.read" not in ROLE_GRANTS["credit_officer"]
    assert permissions.ROLE_GRANTS is ROLE_GRANTS


def test_data_scopes_rank_own_then_unit_then_subtree_then_tenant() -> None:
    ranked = sorted(DataScope, key=lambda s: s.rank)
    assert ranked == [DataScope.OWN, DataScope.UNIT, DataScope.SUBTREE, DataScope.TENANT]
    assert len({s.rank for s in DataScope}) == 4


def test_a_data_scope_is_stored_as_its_plain_name() -> None:
    assert DataScope("subtree") is DataScope.SUBTREE
    assert str(DataScope.OWN) == "own"
