"""Routes of the org context: tenants, org units, roles and users."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import EmailStr, Field

from fengkong.api.deps import AppContainer, UoW, require
from fengkong.api.schemas import Code, Id, Input, Name, Output, Password, Username
from fengkong.core.audit_service import SystemActor
from fengkong.org import auth_service, service
from fengkong.org.models import User
from fengkong.org.permissions import DataScope
from fengkong.org.scoping import Principal

router = APIRouter(tags=["org"])


# --- tenants -------------------------------------------------------------------------------


class TenantIn(Input):
    code: Code
    name: Name
    timezone: Annotated[str | None, Field(max_length=60,
                                          description="default: FENGKONG_TIMEZONE")] = None
    admin_username: Username
    admin_password: Password
    admin_display_name: Name = "Administrator"


class TenantOut(Output):
    id: str
    code: str
    name: str
    timezone: str
    is_active: bool
    created_at: datetime


class TenantList(Output):
    items: list[TenantOut]


@router.get("/tenants", response_model=TenantList)
def list_tenants(uow: UoW, principal: Principal = require("platform.tenants.manage")
                 ) -> TenantList:
    return TenantList(items=[TenantOut.model_validate(t)
                             for t in service.list_tenants(uow, principal)])


@router.post("/tenants", response_model=TenantOut, status_code=status.HTTP_201_CREATED)
def create_tenant(body: TenantIn, uow: UoW, container: AppContainer,
                  principal: Principal = require("platform.tenants.manage")) -> TenantOut:
    """A new lender: its tenant, root unit, predefined roles and first administrator."""
    tenant = service.create_tenant(uow, principal, code=body.code, name=body.name,
                                   timezone=body.timezone or container.settings.timezone)
    root = service.root_unit(uow, tenant.id)
    service.create_user(uow, _on_behalf(principal, tenant.id), container.hasher,
                        tenant_id=tenant.id, username=body.admin_username,
                        display_name=body.admin_display_name, password=body.admin_password,
                        org_unit_id=root.id, roles=["tenant_admin"],
                        min_password_length=container.settings.password_min_length)
    uow.commit()
    return TenantOut.model_validate(tenant)


def _on_behalf(principal: Principal, tenant_id: str) -> SystemActor:
    """A platform admin acting inside a new tenant they do not belong to."""
    return SystemActor(tenant_id=tenant_id, actor_id=principal.actor_id, name=principal.name)


# --- org units -----------------------------------------------------------------------------


class UnitIn(Input):
    parent_id: Id
    code: Code
    name: Name


class UnitPatch(Input):
    name: Name | None = None
    parent_id: Id | None = None


class UnitOut(Output):
    id: str
    parent_id: str | None
    code: str
    name: str
    depth: int
    created_at: datetime


class UnitList(Output):
    items: list[UnitOut]


@router.get("/org/units", response_model=UnitList)
def list_units(uow: UoW, principal: Principal = require("org.units.read")) -> UnitList:
    """The org units the caller may see, in tree order."""
    return UnitList(items=[UnitOut.model_validate(u)
                           for u in service.list_units(uow, principal)])


@router.post("/org/units", response_model=UnitOut, status_code=status.HTTP_201_CREATED)
def create_unit(body: UnitIn, uow: UoW,
                principal: Principal = require("org.units.manage")) -> UnitOut:
    unit = service.create_unit(uow, principal, parent_id=body.parent_id, code=body.code,
                               name=body.name)
    uow.commit()
    return UnitOut.model_validate(unit)


@router.get("/org/units/{unit_id}", response_model=UnitOut)
def get_unit(unit_id: str, uow: UoW,
             principal: Principal = require("org.units.read")) -> UnitOut:
    return UnitOut.model_validate(service.get_unit(uow, principal, unit_id))


@router.patch("/org/units/{unit_id}", response_model=UnitOut)
def update_unit(unit_id: str, body: UnitPatch, uow: UoW,
                principal: Principal = require("org.units.manage")) -> UnitOut:
    """Rename a unit, or move it (with its whole subtree) under another parent."""
    unit = service.update_unit(uow, principal, unit_id, name=body.name,
                               parent_id=body.parent_id)
    uow.commit()
    return UnitOut.model_validate(service.get_unit(uow, principal, unit.id, "org.units.manage"))


# --- roles ---------------------------------------------------------------------------------

Permission = Annotated[str, Field(max_length=80)]


class RoleIn(Input):
    code: Code
    name: Name
    permissions: list[Permission] = Field(max_length=500)
    data_scope: DataScope


class RolePatch(Input):
    name: Name | None = None
    permissions: list[Permission] | None = Field(default=None, max_length=500)
    data_scope: DataScope | None = None


class RoleOut(Output):
    id: str
    code: str
    name: str
    permissions: list[str]
    data_scope: DataScope
    builtin: bool


class RoleList(Output):
    items: list[RoleOut]


@router.get("/roles", response_model=RoleList)
def list_roles(uow: UoW, principal: Principal = require("org.roles.read")) -> RoleList:
    return RoleList(items=[RoleOut.model_validate(r)
                           for r in service.list_roles(uow, principal)])


@router.post("/roles", response_model=RoleOut, status_code=status.HTTP_201_CREATED)
def create_role(body: RoleIn, uow: UoW,
                principal: Principal = require("org.roles.manage")) -> RoleOut:
    role = service.create_role(uow, principal, code=body.code, name=body.name,
                               permissions=body.permissions, data_scope=body.data_scope)
    uow.commit()
    return RoleOut.model_validate(role)


@router.get("/roles/{role_id}", response_model=RoleOut)
def get_role(role_id: str, uow: UoW, principal: Principal = require("org.roles.read")
             ) -> RoleOut:
    return RoleOut.model_validate(service.get_role(uow, principal, role_id))


@router.patch("/roles/{role_id}", response_model=RoleOut)
def update_role(role_id: str, body: RolePatch, uow: UoW,
                principal: Principal = require("org.roles.manage")) -> RoleOut:
    role = service.update_role(uow, principal, role_id, name=body.name,
                               permissions=body.permissions, data_scope=body.data_scope)
    uow.commit()
    return RoleOut.model_validate(role)


# --- users ---------------------------------------------------------------------------------

RoleCode = Annotated[str, Field(max_length=40)]


class UserIn(Input):
    username: Username
    display_name: Name
    email: EmailStr | None = None
    password: Password
    org_unit_id: Id
    roles: list[RoleCode] = Field(min_length=1, max_length=20)


class UserPatch(Input):
    display_name: Name | None = None
    email: EmailStr | None = None
    org_unit_id: Id | None = None
    roles: list[RoleCode] | None = Field(default=None, min_length=1, max_length=20)
    is_active: bool | None = None


class PasswordReset(Input):
    new_password: Password


class UserOut(Output):
    id: str
    username: str
    display_name: str
    email: str | None
    org_unit_id: str
    roles: list[str]
    is_active: bool
    locked: bool
    created_at: datetime


class UserList(Output):
    items: list[UserOut]


def _users_out(uow: UoW, users: list[User], now: datetime) -> list[UserOut]:
    roles = service.roles_of(uow, [u.id for u in users])
    return [UserOut(id=u.id, username=u.username, display_name=u.display_name, email=u.email,
                    org_unit_id=u.org_unit_id, roles=roles[u.id], is_active=u.is_active,
                    locked=u.locked_until is not None and u.locked_until > now,
                    created_at=u.created_at) for u in users]


def _user_out(uow: UoW, user: User) -> UserOut:
    return _users_out(uow, [user], uow.clock.now())[0]


@router.get("/users", response_model=UserList)
def list_users(uow: UoW, principal: Principal = require("org.users.read")) -> UserList:
    """The users the caller may see."""
    users = list(service.list_users(uow, principal))
    return UserList(items=_users_out(uow, users, uow.clock.now()))


@router.post("/users", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, uow: UoW, container: AppContainer,
                principal: Principal = require("org.users.manage")) -> UserOut:
    user = service.create_user(uow, principal, container.hasher, username=body.username,
                               display_name=body.display_name, password=body.password,
                               org_unit_id=body.org_unit_id, roles=body.roles,
                               email=body.email,
                               min_password_length=container.settings.password_min_length)
    uow.commit()
    return _user_out(uow, user)


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: str, uow: UoW, principal: Principal = require("org.users.read")
             ) -> UserOut:
    return _user_out(uow, service.get_user(uow, principal, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: str, body: UserPatch, uow: UoW,
                principal: Principal = require("org.users.manage")) -> UserOut:
    user = service.update_user(uow, principal, user_id, display_name=body.display_name,
                               email=body.email, org_unit_id=body.org_unit_id,
                               roles=body.roles, is_active=body.is_active)
    uow.commit()
    return _user_out(uow, user)


@router.post("/users/{user_id}/unlock", response_model=UserOut)
def unlock_user(user_id: str, uow: UoW,
                principal: Principal = require("org.users.manage")) -> UserOut:
    """Lift a login lockout before its cool-down ends."""
    user = auth_service.unlock(uow, principal, user_id)
    uow.commit()
    return _user_out(uow, user)


@router.post("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
def reset_password(user_id: str, body: PasswordReset, uow: UoW, container: AppContainer,
                   principal: Principal = require("org.users.manage")) -> None:
    """Set a user's password and close all their sessions."""
    auth_service.reset_password(uow, container.settings, container.hasher, principal, user_id,
                                body.new_password)
    uow.commit()
