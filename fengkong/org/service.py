"""Use cases of the org context: tenants, org units, roles and users."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select, update

from fengkong.core import audit_service as audit
from fengkong.core.audit_service import SystemActor
from fengkong.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.org import passwords, tree
from fengkong.org.models import AuthSession, OrgUnit, Role, Tenant, User, UserRole
from fengkong.org.permissions import (
    PERMISSIONS,
    PLATFORM_ROLE,
    ROLE_GRANTS,
    ROLE_SPECS,
    DataScope,
)
from fengkong.org.scoping import Principal, reaches_unit, scoped

PLATFORM_CODE = "platform"

# --- tenants -------------------------------------------------------------------------------


def ensure_platform(uow: UnitOfWork) -> Tenant:
    """The platform tenant, home of the platform administrators; made on first use."""
    tenant = uow.session.scalar(select(Tenant).where(Tenant.is_platform.is_(True)))
    if tenant is None:
        tenant = _new_tenant(uow, SystemActor(), PLATFORM_CODE, "fengkong platform", "UTC",
                             root_code="PLATFORM", root_name="Platform", is_platform=True)
    return tenant


def create_tenant(
    uow: UnitOfWork,
    actor: Principal | SystemActor,
    *,
    code: str,
    name: str,
    timezone: str = "Asia/Shanghai",
    root_code: str = "HQ",
    root_name: str = "Headquarters",
) -> Tenant:
    if isinstance(actor, Principal) and not actor.can("platform.tenants.manage"):
        raise PermissionDenied("missing permission platform.tenants.manage")
    if uow.session.scalar(select(Tenant.id).where(Tenant.code == code)):
        raise Conflict(f"tenant {code} exists", code="duplicate_code", field="code")
    _check_timezone(timezone)
    return _new_tenant(uow, actor, code, name, timezone, root_code=root_code,
                       root_name=root_name)


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name}", code="invalid_timezone",
                           field="timezone") from None


def _new_tenant(
    uow: UnitOfWork,
    actor: Principal | SystemActor,
    code: str,
    name: str,
    timezone: str,
    *,
    root_code: str,
    root_name: str,
    is_platform: bool = False,
) -> Tenant:
    now = uow.clock.now()
    tenant = Tenant(id=new_id(), code=code, name=name, timezone=timezone,
                    is_platform=is_platform, is_active=True, created_at=now)
    uow.session.add(tenant)
    uow.session.flush()  # no ORM relationships: parents are flushed before children
    unit_id = new_id()
    uow.session.add(OrgUnit(id=unit_id, tenant_id=tenant.id, parent_id=None, code=root_code,
                            name=root_name, path=tree.child_path(None, unit_id), depth=0,
                            created_at=now))
    uow.session.flush()
    sync_builtin_roles(uow, tenant)
    audit.record(uow, actor, "tenant.created", entity_type="tenant", entity_id=tenant.id,
                 changes={"code": code, "name": name, "timezone": timezone},
                 tenant_id=tenant.id)
    uow.emit("org.tenant_created", tenant.id, code=code)
    return tenant


def sync_builtin_roles(uow: UnitOfWork, tenant: Tenant) -> None:
    """Bring a tenant's predefined roles in line with the permissions registered in code."""
    existing = {r.code: r for r in uow.session.scalars(
        select(Role).where(Role.tenant_id == tenant.id, Role.builtin.is_(True)))}
    for code, spec in ROLE_SPECS.items():
        if (code == PLATFORM_ROLE) != tenant.is_platform:
            continue
        perms = sorted(ROLE_GRANTS[code])
        role = existing.get(code)
        if role is None:
            uow.session.add(Role(id=new_id(), tenant_id=tenant.id, code=code, name=spec.name,
                                 permissions=perms, data_scope=spec.scope.value, builtin=True,
                                 created_at=uow.clock.now()))
        elif role.permissions != perms or role.data_scope != spec.scope.value:
            role.permissions, role.data_scope = perms, spec.scope.value
    uow.session.flush()


def sync_all_builtin_roles(uow: UnitOfWork) -> int:
    """Refresh every tenant's predefined roles after an upgrade added permissions."""
    tenants = uow.session.scalars(select(Tenant)).all()
    for tenant in tenants:
        sync_builtin_roles(uow, tenant)
    return len(tenants)


def list_tenants(uow: UnitOfWork, principal: Principal) -> Sequence[Tenant]:
    principal.scope_for("platform.tenants.manage")
    return uow.session.scalars(select(Tenant).order_by(Tenant.code)).all()


def root_unit(uow: UnitOfWork, tenant_id: str) -> OrgUnit:
    return uow.session.scalars(select(OrgUnit).where(
        OrgUnit.tenant_id == tenant_id, OrgUnit.parent_id.is_(None))).one()


def tenant_timezone(uow: UnitOfWork, tenant_id: str) -> str:
    """The zone a tenant's business dates are in."""
    zone = uow.session.scalar(select(Tenant.timezone).where(Tenant.id == tenant_id))
    if zone is None:
        raise NotFound("tenant", tenant_id)
    return zone


def tenant_by_code(uow: UnitOfWork, code: str) -> Tenant:
    tenant = uow.session.scalar(select(Tenant).where(Tenant.code == code))
    if tenant is None:
        raise NotFound("tenant", code, field="tenant")
    return tenant


# --- org units -----------------------------------------------------------------------------


def list_units(uow: UnitOfWork, principal: Principal) -> Sequence[OrgUnit]:
    stmt = scoped(select(OrgUnit), OrgUnit, principal, "org.units.read")
    return uow.session.scalars(stmt.order_by(OrgUnit.path)).all()


def get_unit(uow: UnitOfWork, principal: Principal, unit_id: str,
             permission: str = "org.units.read") -> OrgUnit:
    stmt = scoped(select(OrgUnit), OrgUnit, principal, permission).where(OrgUnit.id == unit_id)
    unit = uow.session.scalar(stmt)
    if unit is None:
        raise NotFound("org unit", unit_id)
    return unit


def reference_unit(uow: UnitOfWork, principal: Principal, unit_id: str, permission: str,
                    field: str) -> OrgUnit:
    """A unit named in a request body; unknown and out-of-scope read the same."""
    unit = uow.session.get(OrgUnit, unit_id)
    if unit is None or not reaches_unit(principal, permission, unit):
        raise InvalidInput(f"no org unit {unit_id} that you may use", code="unknown_reference",
                           field=field)
    return unit


def check_unit_ids(uow: UnitOfWork, principal: Principal, unit_ids: Sequence[str],
                   field: str) -> list[OrgUnit]:
    """Units named in another context's input: each must exist in the caller's tenant."""
    found = {u.id: u for u in uow.session.scalars(select(OrgUnit).where(
        OrgUnit.tenant_id == principal.tenant_id, OrgUnit.id.in_(unit_ids)))}
    for i, unit_id in enumerate(unit_ids):
        if unit_id not in found:
            raise InvalidInput(f"no org unit {unit_id}", code="unknown_reference",
                               field=f"{field}.{i}")
    return [found[u] for u in unit_ids]


def unit_within_any(uow: UnitOfWork, unit_id: str, ancestor_ids: Sequence[str]) -> bool:
    """Whether a unit lies in the subtree of any of the given units."""
    paths = uow.session.execute(select(OrgUnit.id, OrgUnit.path).where(
        OrgUnit.id.in_([unit_id, *ancestor_ids]))).all()
    by_id: dict[str, str] = {uid: path for uid, path in paths}
    own = by_id.get(unit_id)
    return own is not None and any(
        own.startswith(by_id[a]) for a in ancestor_ids if a in by_id)


def create_unit(uow: UnitOfWork, principal: Principal, *, parent_id: str, code: str,
                name: str) -> OrgUnit:
    principal.scope_for("org.units.manage")
    parent = reference_unit(uow, principal, parent_id, "org.units.manage", "parent_id")
    if parent.depth + 1 > tree.MAX_DEPTH:
        raise InvalidInput(f"the org tree is limited to {tree.MAX_DEPTH + 1} levels",
                           code="tree_too_deep", field="parent_id")
    _check_unique_code(uow, principal.tenant_id, code)
    unit_id = new_id()
    unit = OrgUnit(id=unit_id, tenant_id=principal.tenant_id, parent_id=parent.id, code=code,
                   name=name, path=tree.child_path(parent.path, unit_id),
                   depth=parent.depth + 1, created_at=uow.clock.now())
    uow.session.add(unit)
    uow.session.flush()
    audit.record(uow, principal, "org_unit.created", entity_type="org_unit", entity_id=unit.id,
                 changes={"code": code, "name": name, "parent_id": parent.id})
    uow.emit("org.unit_created", principal.tenant_id, unit_id=unit.id, parent_id=parent.id)
    return unit


def _check_unique_code(uow: UnitOfWork, tenant_id: str, code: str) -> None:
    taken = uow.session.scalar(
        select(OrgUnit.id).where(OrgUnit.tenant_id == tenant_id, OrgUnit.code == code))
    if taken:
        raise Conflict(f"org unit code {code} is taken", code="duplicate_code", field="code")


def update_unit(uow: UnitOfWork, principal: Principal, unit_id: str, *,
                name: str | None = None, parent_id: str | None = None) -> OrgUnit:
    unit = get_unit(uow, principal, unit_id, "org.units.manage")
    changes: dict[str, Any] = {}
    if name is not None and name != unit.name:
        changes["name"] = [unit.name, name]
        unit.name = name
    if parent_id is not None and parent_id != unit.parent_id:
        if unit.parent_id is None:
            raise InvalidInput("the root unit cannot move", code="root_immovable",
                               field="parent_id")
        parent = reference_unit(uow, principal, parent_id, "org.units.manage", "parent_id")
        _move(uow, unit, parent)
        changes["parent_id"] = [unit.parent_id, parent.id]
        unit.parent_id = parent.id
    if changes:
        audit.record(uow, principal, "org_unit.updated", entity_type="org_unit",
                     entity_id=unit.id, changes=changes)
        uow.emit("org.unit_changed", principal.tenant_id, unit_id=unit.id,
                 fields=sorted(changes))
    return unit


def _move(uow: UnitOfWork, unit: OrgUnit, parent: OrgUnit) -> None:
    session = uow.session
    deepest = session.scalar(select(func.max(OrgUnit.depth)).where(
        OrgUnit.tenant_id == unit.tenant_id,
        OrgUnit.path.startswith(unit.path, autoescape=True)))
    tree.check_move(unit.path, parent.path, (deepest or unit.depth) - unit.depth)
    old_prefix, new_prefix = unit.path, tree.child_path(parent.path, unit.id)
    shift = parent.depth + 1 - unit.depth
    # One set-based statement rewrites the whole subtree's paths.
    session.execute(
        update(OrgUnit)
        .where(OrgUnit.tenant_id == unit.tenant_id,
               OrgUnit.path.startswith(old_prefix, autoescape=True))
        .values(path=new_prefix + func.substr(OrgUnit.path, len(old_prefix) + 1),
                depth=OrgUnit.depth + shift)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


# --- roles ---------------------------------------------------------------------------------


def list_roles(uow: UnitOfWork, principal: Principal) -> Sequence[Role]:
    stmt = scoped(select(Role), Role, principal, "org.roles.read")
    return uow.session.scalars(stmt.order_by(Role.builtin.desc(), Role.code)).all()


def get_role(uow: UnitOfWork, principal: Principal, role_id: str,
             permission: str = "org.roles.read") -> Role:
    stmt = scoped(select(Role), Role, principal, permission).where(Role.id == role_id)
    role = uow.session.scalar(stmt)
    if role is None:
        raise NotFound("role", role_id)
    return role


def _check_permissions(perms: Iterable[str]) -> list[str]:
    perms = list(perms)
    for i, perm in enumerate(perms):
        if perm not in PERMISSIONS or perm.startswith("platform."):
            raise InvalidInput(f"unknown permission {perm}", code="unknown_permission",
                               field=f"permissions.{i}")
    return sorted(set(perms))


def create_role(uow: UnitOfWork, principal: Principal, *, code: str, name: str,
                permissions: list[str], data_scope: DataScope) -> Role:
    principal.scope_for("org.roles.manage")
    perms = _check_permissions(permissions)
    if code in ROLE_SPECS or uow.session.scalar(
            select(Role.id).where(Role.tenant_id == principal.tenant_id, Role.code == code)):
        raise Conflict(f"role {code} exists", code="duplicate_code", field="code")
    role = Role(id=new_id(), tenant_id=principal.tenant_id, code=code, name=name,
                permissions=perms, data_scope=data_scope.value, builtin=False,
                created_at=uow.clock.now())
    uow.session.add(role)
    uow.session.flush()
    audit.record(uow, principal, "role.created", entity_type="role", entity_id=role.id,
                 changes={"code": code, "permissions": perms, "data_scope": data_scope.value})
    return role


def update_role(uow: UnitOfWork, principal: Principal, role_id: str, *,
                name: str | None = None, permissions: list[str] | None = None,
                data_scope: DataScope | None = None) -> Role:
    role = get_role(uow, principal, role_id, "org.roles.manage")
    if role.builtin:
        raise Conflict("predefined roles cannot be changed; make a custom role",
                       code="builtin_role", entity="role", entity_id=role.id)
    changes: dict[str, Any] = {}
    if name is not None and name != role.name:
        changes["name"], role.name = [role.name, name], name
    if permissions is not None:
        perms = _check_permissions(permissions)
        if perms != role.permissions:
            changes["permissions"], role.permissions = [role.permissions, perms], perms
    if data_scope is not None and data_scope.value != role.data_scope:
        changes["data_scope"] = [role.data_scope, data_scope.value]
        role.data_scope = data_scope.value
    if changes:
        audit.record(uow, principal, "role.updated", entity_type="role", entity_id=role.id,
                     changes=changes)
    return role


# --- users ---------------------------------------------------------------------------------


def list_users(uow: UnitOfWork, principal: Principal) -> Sequence[User]:
    stmt = scoped(select(User), User, principal, "org.users.read")
    return uow.session.scalars(stmt.order_by(User.username)).all()


def get_user(uow: UnitOfWork, principal: Principal, user_id: str,
             permission: str = "org.users.read") -> User:
    stmt = scoped(select(User), User, principal, permission).where(User.id == user_id)
    user = uow.session.scalar(stmt)
    if user is None:
        raise NotFound("user", user_id)
    return user


def roles_of(uow: UnitOfWork, user_ids: Sequence[str]) -> dict[str, list[str]]:
    rows = uow.session.execute(
        select(UserRole.user_id, Role.code).join(Role, Role.id == UserRole.role_id)
        .where(UserRole.user_id.in_(user_ids)).order_by(Role.code))
    out: dict[str, list[str]] = {uid: [] for uid in user_ids}
    for user_id, code in rows:
        out[user_id].append(code)
    return out


def _grantable_roles(uow: UnitOfWork, principal: Principal, codes: list[str]) -> list[Role]:
    """The named roles of the tenant, refusing any the caller may not hand out."""
    roles = {r.code: r for r in uow.session.scalars(
        select(Role).where(Role.tenant_id == principal.tenant_id, Role.code.in_(codes)))}
    manage_scope = principal.scope_for("org.users.manage")
    out = []
    for i, code in enumerate(codes):
        role = roles.get(code)
        if role is None:
            raise InvalidInput(f"no role {code}", code="unknown_role", field=f"roles.{i}")
        if manage_scope is not DataScope.TENANT and not _within_own_rights(principal, role):
            raise InvalidInput(f"you may not grant {code}: it reaches beyond your own rights",
                               code="role_not_grantable", field=f"roles.{i}")
        out.append(role)
    return out


def _within_own_rights(principal: Principal, role: Role) -> bool:
    scope = DataScope(role.data_scope)
    return all(principal.can(p) and scope.rank <= principal.grants[p].rank
               for p in role.permissions)


def create_user(uow: UnitOfWork, principal: Principal | SystemActor, hasher: Any, *,
                tenant_id: str | None = None, username: str, display_name: str, password: str,
                org_unit_id: str, roles: list[str], email: str | None = None,
                min_password_length: int = 10) -> User:
    if isinstance(principal, Principal):
        principal.scope_for("org.users.manage")
        tenant_id = principal.tenant_id
        unit = reference_unit(uow, principal, org_unit_id, "org.users.manage", "org_unit_id")
        role_rows = _grantable_roles(uow, principal, roles)
    else:
        found = uow.session.get(OrgUnit, org_unit_id)
        if found is None or found.tenant_id != tenant_id:
            raise InvalidInput("no such org unit", code="unknown_reference", field="org_unit_id")
        unit = found
        role_rows = _system_roles(uow, unit.tenant_id, roles)
    passwords.check_policy(password, username=username, min_length=min_password_length)
    if uow.session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"username {username} is taken", code="duplicate_username",
                       field="username")
    now = uow.clock.now()
    user = User(id=new_id(), tenant_id=unit.tenant_id, org_unit_id=unit.id, username=username,
                display_name=display_name, email=email, password_hash=hasher.hash(password),
                is_active=True, failed_attempts=0, password_changed_at=now, created_at=now)
    uow.session.add(user)
    uow.session.flush()
    uow.session.add_all(UserRole(user_id=user.id, role_id=r.id) for r in role_rows)
    audit.record(uow, principal, "user.created", entity_type="user", entity_id=user.id,
                 changes={"username": username, "org_unit_id": unit.id,
                          "roles": sorted(r.code for r in role_rows)},
                 tenant_id=unit.tenant_id)
    return user


def _system_roles(uow: UnitOfWork, tenant_id: str, codes: list[str]) -> list[Role]:
    found = {r.code: r for r in uow.session.scalars(
        select(Role).where(Role.tenant_id == tenant_id, Role.code.in_(codes)))}
    for i, code in enumerate(codes):
        if code not in found:
            raise InvalidInput(f"no role {code}", code="unknown_role", field=f"roles.{i}")
    return [found[c] for c in codes]


def update_user(uow: UnitOfWork, principal: Principal, user_id: str, *,
                display_name: str | None = None, email: str | None = None,
                org_unit_id: str | None = None, roles: list[str] | None = None,
                is_active: bool | None = None) -> User:
    user = get_user(uow, principal, user_id, "org.users.manage")
    changes: dict[str, Any] = {}
    if display_name is not None and display_name != user.display_name:
        changes["display_name"], user.display_name = [user.display_name, display_name], \
            display_name
    if email is not None and email != user.email:
        changes["email"], user.email = [user.email, email], email
    if org_unit_id is not None and org_unit_id != user.org_unit_id:
        unit = reference_unit(uow, principal, org_unit_id, "org.users.manage", "org_unit_id")
        changes["org_unit_id"], user.org_unit_id = [user.org_unit_id, unit.id], unit.id
    if roles is not None:
        current = roles_of(uow, [user.id])[user.id]
        wanted = _grantable_roles(uow, principal, roles)
        if sorted(r.code for r in wanted) != current:
            uow.session.execute(delete(UserRole).where(UserRole.user_id == user.id))
            uow.session.add_all(UserRole(user_id=user.id, role_id=r.id) for r in wanted)
            changes["roles"] = [current, sorted(r.code for r in wanted)]
    if is_active is not None and is_active != user.is_active:
        if user.id == principal.actor_id:
            raise InvalidInput("you cannot deactivate yourself", code="self_deactivation",
                               field="is_active")
        changes["is_active"], user.is_active = [user.is_active, is_active], is_active
        if not is_active:  # a reactivated user starts with no old session alive
            revoke_user_sessions(uow, user.id)
    if changes:
        uow.session.flush()
        audit.record(uow, principal, "user.updated", entity_type="user", entity_id=user.id,
                     changes=changes)
    return user


def revoke_user_sessions(uow: UnitOfWork, user_id: str) -> None:
    uow.session.execute(update(AuthSession).where(AuthSession.user_id == user_id,
                                                  AuthSession.revoked_at.is_(None))
                        .values(revoked_at=uow.clock.now()))
