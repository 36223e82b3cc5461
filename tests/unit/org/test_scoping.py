"""Principals and `scoped()`: each data scope compiles to the filters it promises (no database)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Select, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fengkong.core.errors import PermissionDenied
from fengkong.org.models import OrgUnit, Role, User
from fengkong.org.permissions import DataScope
from fengkong.org.scoping import Principal, reaches_unit, scoped, subtree_ids

TENANT = "01TENANT00000000000000000A"
UNIT = "01UNITEAST0000000000000000"
ACTOR = "01USER00000000000000000007"
PATH = f"/01ROOT/{UNIT}/"


class _Base(DeclarativeBase):
    """A metadata of its own, so the test table never reaches the real schema."""


class FieldVisit(_Base):
    """Records a caller owns when they are assigned to them."""

    __tablename__ = "test_field_visits"
    __owner_column__ = "assignee_id"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(26))
    org_unit_id: Mapped[str] = mapped_column(String(26))
    assignee_id: Mapped[str] = mapped_column(String(26))


def principal(scope: DataScope | None = None, permission: str = "things.read") -> Principal:
    grants = {} if scope is None else {permission: scope}
    return Principal(tenant_id=TENANT, actor_id=ACTOR, name="demo.east", org_unit_id=UNIT,
                     unit_path=PATH, grants=grants)


def sql(stmt: Select[Any]) -> str:
    return " ".join(str(stmt.compile(compile_kwargs={"literal_binds": True})).split())


def scoped_sql(entity: Any, scope: DataScope) -> str:
    return sql(scoped(select(entity.id), entity, principal(scope), "things.read"))


def test_a_principal_can_use_only_the_permissions_it_was_granted() -> None:
    caller = principal(DataScope.UNIT)
    assert caller.can("things.read")
    assert not caller.can("things.manage")
    assert caller.scope_for("things.read") is DataScope.UNIT


def test_asking_for_the_scope_of_a_missing_permission_is_denied() -> None:
    with pytest.raises(PermissionDenied) as caught:
        principal(DataScope.TENANT).scope_for("org.users.manage")
    assert caught.value.code == "permission_denied"
    assert caught.value.extra == {"permission": "org.users.manage"}


def test_a_query_through_a_missing_permission_is_denied_before_it_is_built() -> None:
    with pytest.raises(PermissionDenied):
        scoped(select(User.id), User, principal(None), "things.read")


@pytest.mark.parametrize("scope", list(DataScope))
@pytest.mark.parametrize(("entity", "table"), [(OrgUnit, "org_units"), (User, "users"),
                                               (Role, "roles"),
                                               (FieldVisit, "test_field_visits")])
def test_every_scope_keeps_the_query_inside_the_callers_tenant(
    entity: Any, table: str, scope: DataScope
) -> None:
    assert f"{table}.tenant_id = '{TENANT}'" in scoped_sql(entity, scope)


@pytest.mark.parametrize("entity", [OrgUnit, User, FieldVisit])
def test_the_tenant_scope_adds_nothing_but_the_tenant(entity: Any) -> None:
    text = scoped_sql(entity, DataScope.TENANT)
    assert UNIT not in text
    assert ACTOR not in text
    assert "LIKE" not in text


def test_org_units_in_a_subtree_scope_are_those_under_the_callers_path() -> None:
    text = scoped_sql(OrgUnit, DataScope.SUBTREE)
    assert "org_units.path LIKE" in text
    assert f"'{PATH.replace('/', '//')}' || '%' ESCAPE '/'" in text
    assert f"org_units.id = '{UNIT}'" not in text


@pytest.mark.parametrize("scope", [DataScope.UNIT, DataScope.OWN])
def test_org_units_in_a_unit_or_own_scope_are_the_callers_unit_only(scope: DataScope) -> None:
    text = scoped_sql(OrgUnit, scope)
    assert f"org_units.id = '{UNIT}'" in text
    assert "LIKE" not in text


def test_records_in_a_subtree_scope_belong_to_units_under_the_callers_path() -> None:
    text = scoped_sql(User, DataScope.SUBTREE)
    assert "users.org_unit_id IN (SELECT org_units.id FROM org_units" in text
    assert f"org_units.tenant_id = '{TENANT}'" in text
    assert "org_units.path LIKE" in text


def test_records_in_a_unit_scope_belong_to_the_callers_unit() -> None:
    text = scoped_sql(User, DataScope.UNIT)
    assert f"users.org_unit_id = '{UNIT}'" in text
    assert "IN (SELECT" not in text


def test_records_with_an_owner_in_an_own_scope_are_those_assigned_to_the_caller() -> None:
    text = scoped_sql(FieldVisit, DataScope.OWN)
    assert f"test_field_visits.assignee_id = '{ACTOR}'" in text
    assert f"test_field_visits.org_unit_id = '{UNIT}'" not in text


def test_records_without_an_owner_in_an_own_scope_fall_back_to_the_callers_unit() -> None:
    assert f"users.org_unit_id = '{UNIT}'" in scoped_sql(User, DataScope.OWN)


def test_owned_records_in_a_unit_scope_are_filtered_by_unit_not_owner() -> None:
    text = scoped_sql(FieldVisit, DataScope.UNIT)
    assert f"test_field_visits.org_unit_id = '{UNIT}'" in text
    assert "assignee_id =" not in text


@pytest.mark.parametrize("scope", list(DataScope))
def test_tenant_level_data_is_reached_by_any_scope_within_the_tenant(scope: DataScope) -> None:
    text = scoped_sql(Role, scope)
    assert text.endswith(f"WHERE roles.tenant_id = '{TENANT}'")


def test_the_existing_filters_of_a_query_are_kept() -> None:
    stmt = select(User.id).where(User.username == "demo.sh")
    text = sql(scoped(stmt, User, principal(DataScope.UNIT), "things.read"))
    assert "users.username = 'demo.sh'" in text
    assert f"users.org_unit_id = '{UNIT}'" in text


def test_a_path_with_like_wildcards_is_escaped() -> None:
    caller = Principal(TENANT, ACTOR, "x", UNIT, "/a_b%/", {"p": DataScope.SUBTREE})
    text = sql(subtree_ids(caller))
    assert "'//a/_b/%//' || '%' ESCAPE '/'" in text


def unit(path: str, tenant: str = TENANT, unit_id: str = "other") -> OrgUnit:
    return OrgUnit(id=unit_id, tenant_id=tenant, path=path)


@pytest.mark.parametrize(("scope", "target", "expected"), [
    (DataScope.TENANT, unit("/01ROOT/"), True),
    (DataScope.SUBTREE, unit(PATH), True),
    (DataScope.SUBTREE, unit(PATH + "child/"), True),
    (DataScope.SUBTREE, unit("/01ROOT/"), False),
    (DataScope.UNIT, unit(PATH, unit_id=UNIT), True),
    (DataScope.UNIT, unit(PATH + "child/"), False),
    (DataScope.OWN, unit(PATH, unit_id=UNIT), True),
    (DataScope.TENANT, unit(PATH, tenant="another-tenant"), False),
])
def test_reaches_unit_agrees_with_the_scope(
    scope: DataScope, target: OrgUnit, expected: bool
) -> None:
    assert reaches_unit(principal(scope), "things.read", target) is expected
