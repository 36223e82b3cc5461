"""Use cases of the org context against a real database: moving units, users, roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.audit_service import SystemActor
from fengkong.core.errors import Conflict, FengkongError, InvalidInput
from fengkong.core.uow import UnitOfWork
from fengkong.demo import DemoWorld, principal_of
from fengkong.org import auth_service, service
from fengkong.org.models import OrgUnit, User
from fengkong.org.permissions import DataScope

PASSWORD = "Tall-Trees-42"
ALL_UNITS = {"HQ", "EAST", "EAST-SH", "EAST-HZ", "WEST", "WEST-CD", "WEST-CQ"}


@contextmanager
def committed(container: Container) -> Iterator[UnitOfWork]:
    """A unit of work committed when the block ends without an error, as a request is."""
    with container.uow() as uow:
        yield uow
        uow.commit()


def refused(uow: UnitOfWork, error: type[FengkongError], expected: str,
            call: Callable[..., object], /, *args: Any, **kwargs: Any) -> FengkongError:
    """The error `call(uow, …)` raises, checked for its class and code."""
    with pytest.raises(error) as caught:
        call(uow, *args, **kwargs)
    assert caught.value.code == expected, caught.value
    return caught.value


def tree_of(container: Container, tenant_id: str) -> dict[str, tuple[str, int, str | None]]:
    with container.uow() as uow:
        rows = uow.session.execute(select(OrgUnit.code, OrgUnit.path, OrgUnit.depth,
                                          OrgUnit.parent_id)
                                   .where(OrgUnit.tenant_id == tenant_id))
        return {code: (path, depth, parent) for code, path, depth, parent in rows}


def visible_units(container: Container, username: str) -> set[str]:
    with container.uow() as uow:
        return {u.code for u in service.list_units(uow, principal_of(uow, username))}


def new_user(uow: UnitOfWork, container: Container, actor: str, username: str, unit: str,
             roles: list[str], world: DemoWorld) -> User:
    return service.create_user(uow, principal_of(uow, actor), container.hasher,
                               username=username, display_name=username, password=PASSWORD,
                               org_unit_id=world.units[unit], roles=roles)


# --- moving units --------------------------------------------------------------------------


def test_moving_a_region_under_another_moves_its_whole_subtree(
    container: Container, world: DemoWorld
) -> None:
    u = world.units
    with committed(container) as uow:
        service.update_unit(uow, principal_of(uow, "demo.admin"), u["EAST"],
                            parent_id=u["WEST"])
    tree = tree_of(container, world.tenant_id)
    west = f"/{u['HQ']}/{u['WEST']}/"
    assert tree["EAST"] == (f"{west}{u['EAST']}/", 2, u["WEST"])
    assert tree["EAST-SH"] == (f"{west}{u['EAST']}/{u['EAST-SH']}/", 3, u["EAST"])
    assert tree["EAST-HZ"] == (f"{west}{u['EAST']}/{u['EAST-HZ']}/", 3, u["EAST"])
    assert tree["WEST-CD"] == (f"{west}{u['WEST-CD']}/", 2, u["WEST"])
    assert visible_units(container, "demo.east") == {"EAST", "EAST-SH", "EAST-HZ"}
    assert visible_units(container, "demo.hq") == ALL_UNITS


@pytest.mark.parametrize("new_parent", ["EAST", "EAST-SH"])
def test_a_unit_cannot_move_under_itself_or_its_descendants_and_nothing_changes(
    container: Container, world: DemoWorld, new_parent: str
) -> None:
    before = tree_of(container, world.tenant_id)
    with committed(container) as uow:
        err = refused(uow, InvalidInput, "tree_cycle", service.update_unit,
                      principal_of(uow, "demo.admin"), world.units["EAST"],
                      parent_id=world.units[new_parent])
    assert err.field == "parent_id"
    assert tree_of(container, world.tenant_id) == before


def test_a_unit_of_another_tenant_is_an_unknown_parent(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        other = service.create_tenant(uow, SystemActor(), code="other", name="Other")
        other_root = service.root_unit(uow, other.id).id
    before = tree_of(container, world.tenant_id)
    with committed(container) as uow:
        admin = principal_of(uow, "demo.admin")
        moved = refused(uow, InvalidInput, "unknown_reference", service.update_unit, admin,
                        world.units["EAST"], parent_id=other_root)
        made = refused(uow, InvalidInput, "unknown_reference", service.create_unit, admin,
                       parent_id=other_root, code="SNEAK", name="Sneak")
    assert moved.field == made.field == "parent_id"
    assert tree_of(container, world.tenant_id) == before
    assert set(tree_of(container, other.id)) == {"HQ"}


def test_a_sibling_branch_unit_is_an_unknown_reference_for_a_branch_manager(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:  # a regional admin who may manage the units below it
        service.create_role(uow, principal_of(uow, "demo.admin"), code="region_admin",
                            name="Region admin", data_scope=DataScope.SUBTREE,
                            permissions=["org.units.read", "org.units.manage"])
        new_user(uow, container, "demo.admin", "east.admin", "EAST", ["region_admin"], world)
    with committed(container) as uow:
        regional = principal_of(uow, "east.admin")
        moved = refused(uow, InvalidInput, "unknown_reference", service.update_unit, regional,
                        world.units["EAST-SH"], parent_id=world.units["WEST"])
        made = refused(uow, InvalidInput, "unknown_reference", service.create_unit, regional,
                       parent_id=world.units["WEST-CD"], code="WEST-CD-1", name="Sneak")
        placed = refused(uow, InvalidInput, "unknown_reference", service.create_user,
                         principal_of(uow, "demo.east"), container.hasher, username="sneak",
                         display_name="Sneak", password=PASSWORD,
                         org_unit_id=world.units["WEST-CD"], roles=["collector"])
    assert moved.field == made.field == "parent_id"
    assert placed.field == "org_unit_id"


def test_a_duplicate_unit_code_is_a_conflict_within_a_tenant_but_not_across_tenants(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        err = refused(uow, Conflict, "duplicate_code", service.create_unit,
                      principal_of(uow, "demo.admin"), parent_id=world.units["WEST"],
                      code="EAST-SH", name="Again")
        assert err.field == "code"
        other = service.create_tenant(uow, SystemActor(), code="other", name="Other")
        admin = service.create_user(uow, SystemActor(tenant_id=other.id), container.hasher,
                                    tenant_id=other.id, username="other.admin",
                                    display_name="Other admin", password=PASSWORD,
                                    org_unit_id=service.root_unit(uow, other.id).id,
                                    roles=["tenant_admin"])
        service.create_unit(uow, auth_service.user_principal(uow, admin),
                            parent_id=admin.org_unit_id, code="EAST-SH", name="Theirs")


def test_the_root_unit_cannot_move(container: Container, world: DemoWorld) -> None:
    with committed(container) as uow:
        err = refused(uow, InvalidInput, "root_immovable", service.update_unit,
                      principal_of(uow, "demo.admin"), world.units["HQ"],
                      parent_id=world.units["EAST"])
    assert err.field == "parent_id"


# --- users ---------------------------------------------------------------------------------


def test_a_branch_manager_cannot_grant_a_role_beyond_their_own_rights(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        err = refused(uow, InvalidInput, "role_not_grantable", new_user, container,
                      "demo.east", "east.boss", "EAST-SH", ["field_agent", "tenant_admin"], world)
        assert err.field == "roles.1"
        new_user(uow, container, "demo.east", "east.officer", "EAST-SH", ["credit_officer"],
                 world)
    with container.uow() as uow:
        assert uow.session.scalar(select(User.id).where(User.username == "east.boss")) is None


def test_a_tenant_admin_can_grant_every_role_of_the_tenant(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        admin = principal_of(uow, "demo.admin")
        every = [r.code for r in service.list_roles(uow, admin)]
        user = new_user(uow, container, "demo.admin", "jack.all", "EAST-SH", every, world)
        assert service.roles_of(uow, [user.id])[user.id] == sorted(every)
    assert "tenant_admin" in every and "platform_admin" not in every


def test_a_taken_username_is_a_conflict_even_in_another_unit(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        err = refused(uow, Conflict, "duplicate_username", new_user, container, "demo.admin",
                      "demo.sh", "WEST-CD", ["collector"], world)
    assert err.field == "username"


@pytest.mark.parametrize("password", ["short1A", "alllowercaseletters", "password123",
                                      "xx-new.hire-xx"])
def test_a_weak_password_is_refused_naming_the_password_field(
    container: Container, world: DemoWorld, password: str
) -> None:
    with committed(container) as uow:
        err = refused(uow, InvalidInput, "weak_password", service.create_user,
                      principal_of(uow, "demo.admin"), container.hasher, username="new.hire",
                      display_name="New hire", password=password,
                      org_unit_id=world.units["HQ"], roles=["collector"])
    assert err.field == "password"


def test_a_branch_manager_cannot_move_a_user_outside_their_subtree(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        err = refused(uow, InvalidInput, "unknown_reference", service.update_user,
                      principal_of(uow, "demo.east"), world.users["demo.sh"],
                      org_unit_id=world.units["WEST-CD"])
    assert err.field == "org_unit_id"
    with container.uow() as uow:
        assert uow.session.get_one(User, world.users["demo.sh"]).org_unit_id == world.units[
            "EAST-SH"]


def test_an_admin_cannot_deactivate_themselves(container: Container, world: DemoWorld) -> None:
    with committed(container) as uow:
        err = refused(uow, InvalidInput, "self_deactivation", service.update_user,
                      principal_of(uow, "demo.admin"), world.users["demo.admin"],
                      is_active=False)
        assert err.field == "is_active"
        service.update_user(uow, principal_of(uow, "demo.admin"), world.users["demo.sh"],
                            is_active=False)
    with container.uow() as uow:
        assert uow.session.get_one(User, world.users["demo.admin"]).is_active
        assert not uow.session.get_one(User, world.users["demo.sh"]).is_active


# --- custom roles --------------------------------------------------------------------------


def test_a_custom_role_with_an_unknown_permission_names_its_position(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        err = refused(uow, InvalidInput, "unknown_permission", service.create_role,
                      principal_of(uow, "demo.admin"), code="odd", name="Odd",
                      permissions=["org.users.read", "org.units.read", "loans.fly"],
                      data_scope=DataScope.UNIT)
    assert err.field == "permissions.2"


def test_a_custom_role_cannot_carry_a_platform_permission(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        err = refused(uow, InvalidInput, "unknown_permission", service.create_role,
                      principal_of(uow, "demo.admin"), code="odd", name="Odd",
                      permissions=["platform.tenants.manage"], data_scope=DataScope.TENANT)
    assert err.field == "permissions.0"


def test_a_predefined_role_cannot_be_updated(container: Container, world: DemoWorld) -> None:
    with committed(container) as uow:
        admin = principal_of(uow, "demo.admin")
        collector = next(r for r in service.list_roles(uow, admin) if r.code == "collector")
        err = refused(uow, Conflict, "builtin_role", service.update_role, admin, collector.id,
                      permissions=["org.units.read", "org.users.read"])
    assert err.entity_id == collector.id


def test_a_user_holding_two_roles_gets_the_widest_scope_per_permission(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        admin = principal_of(uow, "demo.admin")
        service.create_role(uow, admin, code="unit_clerk", name="Unit clerk",
                            permissions=["org.units.read", "org.users.read"],
                            data_scope=DataScope.UNIT)
        service.create_role(uow, admin, code="map_reader", name="Map reader",
                            permissions=["org.units.read"], data_scope=DataScope.TENANT)
        user = new_user(uow, container, "demo.admin", "two.hats", "EAST-SH",
                        ["unit_clerk", "map_reader"], world)
    with container.uow() as uow:
        principal = auth_service.user_principal(uow, uow.session.get_one(User, user.id))
        assert principal.grants == {"org.units.read": DataScope.TENANT,
                                    "org.users.read": DataScope.UNIT}
        assert {u.code for u in service.list_units(uow, principal)} == ALL_UNITS
        assert {u.username for u in service.list_users(uow, principal)} == {
            "demo.sh", "demo.officer", "demo.collector", "demo.field", "two.hats"}
