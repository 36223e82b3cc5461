"""Use cases of authentication: login, refresh, logout, lockout, API keys, and turning a
bearer credential into a `Principal`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from fengkong.core import audit_service as audit
from fengkong.core.audit_service import SystemActor
from fengkong.core.config import Settings
from fengkong.core.errors import (
    AccountLocked,
    AuthenticationError,
    Conflict,
    InvalidInput,
    NotFound,
)
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.org import passwords, tokens
from fengkong.org.lockout import LockoutPolicy, LockState, after_failure, cleared
from fengkong.org.models import ApiKey, AuthSession, OrgUnit, Role, Tenant, User, UserRole
from fengkong.org.permissions import DataScope
from fengkong.org.scoping import Principal, reaches_unit, scoped
from fengkong.org.service import get_user, revoke_user_sessions


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    session_id: str


def lockout_policy(settings: Settings) -> LockoutPolicy:
    return LockoutPolicy(settings.lockout_attempts,
                         timedelta(seconds=settings.lockout_window_s),
                         timedelta(seconds=settings.lockout_cooldown_s))


def _invalid() -> AuthenticationError:
    return AuthenticationError("wrong username or password", code="invalid_credentials",
                               field="password")


def login(uow: UnitOfWork, settings: Settings, hasher: Any, username: str,
          password: str) -> TokenPair:
    """Check a password and open a session. Failures are recorded and committed before the
    error is raised, so lockout counts survive the rollback of the request."""
    now = uow.clock.now()
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None:
        passwords.verify(hasher, _dummy_hash(hasher), password)  # same cost as a real check
        raise _invalid()
    actor = _user_actor(user)
    state = LockState(user.failed_attempts, user.failed_window_start, user.locked_until)
    if state.is_locked(now):
        audit.record(uow, actor, "auth.login_refused", entity_type="user", entity_id=user.id,
                     outcome="denied:account_locked")
        uow.commit()
        raise _locked(state, now)
    if not passwords.verify(hasher, user.password_hash, password):
        state = after_failure(state, now, lockout_policy(settings))
        user.failed_attempts = state.failed_attempts
        user.failed_window_start = state.window_start
        user.locked_until = state.locked_until
        locked = state.is_locked(now)
        audit.record(uow, actor, "auth.locked" if locked else "auth.login_failed",
                     entity_type="user", entity_id=user.id, outcome="denied",
                     changes={"failed_attempts": state.failed_attempts})
        uow.commit()
        raise _locked(state, now) if locked else _invalid()
    if not user.is_active or not _tenant_active(uow, user.tenant_id):
        raise AuthenticationError("this account is disabled", code="account_disabled")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.failed_attempts, user.failed_window_start, user.locked_until = 0, None, None
    pair = _open_session(uow, settings, user)
    audit.record(uow, actor, "auth.login", entity_type="user", entity_id=user.id)
    return pair


_dummy_hashes: dict[int, str] = {}


def _dummy_hash(hasher: Any) -> str:
    key = id(hasher)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash("not-a-real-password")
    return _dummy_hashes[key]


def _locked(state: LockState, now: datetime) -> AccountLocked:
    assert state.locked_until is not None
    retry = max(1, int((state.locked_until - now).total_seconds()))
    return AccountLocked(f"too many failed logins; try again in {retry} s or ask an admin",
                         extra={"retry_after": retry})


def _tenant_active(uow: UnitOfWork, tenant_id: str) -> bool:
    return bool(uow.session.scalar(select(Tenant.is_active).where(Tenant.id == tenant_id)))


def _user_actor(user: User) -> SystemActor:
    return SystemActor(tenant_id=user.tenant_id, actor_id=user.id, name=user.username,
                       org_unit_id=user.org_unit_id)


def _open_session(uow: UnitOfWork, settings: Settings, user: User) -> TokenPair:
    now = uow.clock.now()
    access = tokens.new_secret(tokens.ACCESS_PREFIX)
    refresh = tokens.new_secret(tokens.REFRESH_PREFIX)
    session = AuthSession(
        id=new_id(), tenant_id=user.tenant_id, user_id=user.id,
        access_hash=tokens.digest(settings.secret_key, access),
        access_expires_at=now + timedelta(seconds=settings.access_token_ttl_s),
        refresh_hash=tokens.digest(settings.secret_key, refresh),
        refresh_expires_at=now + timedelta(seconds=settings.refresh_token_ttl_s),
        client_addr=uow.context.client_addr, created_at=now, revoked_at=None)
    uow.session.add(session)
    uow.session.flush()
    return TokenPair(access, refresh, settings.access_token_ttl_s, settings.refresh_token_ttl_s,
                     session.id)


def refresh(uow: UnitOfWork, settings: Settings, refresh_token: str) -> TokenPair:
    """Rotate a session's tokens; the refresh token used is spent."""
    now = uow.clock.now()
    session = uow.session.scalar(select(AuthSession).where(
        AuthSession.refresh_hash == tokens.digest(settings.secret_key, refresh_token)))
    if session is None:
        raise AuthenticationError("unknown refresh token", code="invalid_token",
                                  field="refresh_token")
    if session.revoked_at is not None:
        raise AuthenticationError("this session was closed", code="token_revoked",
                                  field="refresh_token")
    if now >= session.refresh_expires_at:
        raise AuthenticationError("the refresh token has expired", code="token_expired",
                                  field="refresh_token")
    user = uow.session.get(User, session.user_id)
    if user is None or not user.is_active:
        raise AuthenticationError("this account is disabled", code="account_disabled")
    access, new_refresh = tokens.new_secret(tokens.ACCESS_PREFIX), tokens.new_secret(
        tokens.REFRESH_PREFIX)
    session.access_hash = tokens.digest(settings.secret_key, access)
    session.access_expires_at = now + timedelta(seconds=settings.access_token_ttl_s)
    session.refresh_hash = tokens.digest(settings.secret_key, new_refresh)
    remaining = int((session.refresh_expires_at - now).total_seconds())
    audit.record(uow, _user_actor(user), "auth.refreshed", entity_type="auth_session",
                 entity_id=session.id)
    return TokenPair(access, new_refresh, settings.access_token_ttl_s, remaining, session.id)


def logout(uow: UnitOfWork, principal: Principal) -> None:
    if principal.session_id is None:
        raise InvalidInput("API keys do not log out; revoke the key", code="not_a_session")
    uow.session.execute(update(AuthSession).where(AuthSession.id == principal.session_id)
                        .values(revoked_at=uow.clock.now()))
    audit.record(uow, principal, "auth.logout", entity_type="auth_session",
                 entity_id=principal.session_id)


def change_password(uow: UnitOfWork, settings: Settings, hasher: Any, principal: Principal,
                    current: str, new: str) -> None:
    user = uow.session.get(User, principal.actor_id)
    if user is None or principal.kind != "user":
        raise InvalidInput("only users have passwords", code="not_a_user")
    if not passwords.verify(hasher, user.password_hash, current):
        raise InvalidInput("the current password is wrong", code="invalid_credentials",
                           field="current_password")
    _set_password(uow, settings, hasher, user, new)
    audit.record(uow, principal, "auth.password_changed", entity_type="user", entity_id=user.id)


def reset_password(uow: UnitOfWork, settings: Settings, hasher: Any, principal: Principal,
                   user_id: str, new: str) -> None:
    user = get_user(uow, principal, user_id, "org.users.manage")
    _set_password(uow, settings, hasher, user, new)
    audit.record(uow, principal, "user.password_reset", entity_type="user", entity_id=user.id)


def _set_password(uow: UnitOfWork, settings: Settings, hasher: Any, user: User,
                  new: str) -> None:
    passwords.check_policy(new, username=user.username, min_length=settings.password_min_length)
    user.password_hash = hasher.hash(new)
    user.password_changed_at = uow.clock.now()
    revoke_user_sessions(uow, user.id)


def unlock(uow: UnitOfWork, principal: Principal, user_id: str) -> User:
    user = get_user(uow, principal, user_id, "org.users.manage")
    state = cleared()
    was_locked = user.locked_until is not None
    user.failed_attempts = state.failed_attempts
    user.failed_window_start, user.locked_until = state.window_start, state.locked_until
    audit.record(uow, principal, "user.unlocked", entity_type="user", entity_id=user.id,
                 changes={"was_locked": was_locked})
    return user


# --- bearer credentials ----------------------------------------------------------------------


def authenticate(uow: UnitOfWork, settings: Settings, credential: str) -> Principal:
    """The principal behind an access token or API key, or `AuthenticationError`."""
    if credential.startswith(tokens.API_KEY_PREFIX):
        return _authenticate_key(uow, settings, credential)
    if not credential.startswith(tokens.ACCESS_PREFIX):
        raise AuthenticationError("unrecognised credential", code="invalid_token")
    now = uow.clock.now()
    row = uow.session.scalar(select(AuthSession).where(
        AuthSession.access_hash == tokens.digest(settings.secret_key, credential)))
    if row is None:
        raise AuthenticationError("unknown access token", code="invalid_token")
    if row.revoked_at is not None:
        raise AuthenticationError("this session was closed", code="token_revoked")
    if now >= row.access_expires_at:
        raise AuthenticationError("the access token has expired", code="token_expired")
    user = uow.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise AuthenticationError("this account is disabled", code="account_disabled")
    return user_principal(uow, user, session_id=row.id)


def user_principal(uow: UnitOfWork, user: User, session_id: str | None = None) -> Principal:
    rows = uow.session.execute(
        select(Role.permissions, Role.data_scope).join(UserRole, UserRole.role_id == Role.id)
        .where(UserRole.user_id == user.id)).all()
    grants: dict[str, DataScope] = {}
    for perms, scope_name in rows:
        scope = DataScope(scope_name)
        for perm in perms:
            if perm not in grants or scope.rank > grants[perm].rank:
                grants[perm] = scope
    unit_path, is_platform, tenant_active = uow.session.execute(
        select(OrgUnit.path, Tenant.is_platform, Tenant.is_active)
        .join(Tenant, Tenant.id == OrgUnit.tenant_id)
        .where(OrgUnit.id == user.org_unit_id)).one()
    if not tenant_active:
        raise AuthenticationError("this tenant is disabled", code="account_disabled")
    return Principal(tenant_id=user.tenant_id, actor_id=user.id, name=user.username,
                     org_unit_id=user.org_unit_id, unit_path=unit_path, grants=grants,
                     kind="user", session_id=session_id, is_platform=is_platform)


def _authenticate_key(uow: UnitOfWork, settings: Settings, credential: str) -> Principal:
    now = uow.clock.now()
    key = uow.session.scalar(select(ApiKey).where(
        ApiKey.key_hash == tokens.digest(settings.secret_key, credential)))
    if key is None:
        raise AuthenticationError("unknown API key", code="invalid_token")
    if key.revoked_at is not None:
        raise AuthenticationError("this API key was revoked", code="token_revoked")
    if key.expires_at is not None and now >= key.expires_at:
        raise AuthenticationError("this API key has expired", code="token_expired")
    if not _tenant_active(uow, key.tenant_id):
        raise AuthenticationError("this tenant is disabled", code="account_disabled")
    unit_path = uow.session.scalar(select(OrgUnit.path).where(OrgUnit.id == key.org_unit_id))
    assert unit_path is not None
    return Principal(tenant_id=key.tenant_id, actor_id=key.id, name=f"api-key:{key.name}",
                     org_unit_id=key.org_unit_id, unit_path=unit_path,
                     grants={p: DataScope.SUBTREE for p in key.permissions}, kind="api_key")


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


def create_api_key(uow: UnitOfWork, settings: Settings, principal: Principal, *, name: str,
                   permissions: list[str], org_unit_id: str,
                   expires_at: datetime | None = None) -> IssuedKey:
    principal.scope_for("auth.api_keys.manage")
    unit = uow.session.get(OrgUnit, org_unit_id)
    if unit is None or not reaches_unit(principal, "auth.api_keys.manage", unit):
        raise InvalidInput(f"no org unit {org_unit_id} that you may use",
                           code="unknown_reference", field="org_unit_id")
    for i, perm in enumerate(permissions):
        # The key holds `perm` over the subtree of its unit; the creator must reach all of it.
        if (not principal.can(perm) or perm.startswith("platform.")
                or principal.grants[perm].rank < DataScope.SUBTREE.rank
                or not reaches_unit(principal, perm, unit)):
            raise InvalidInput(f"you may not delegate {perm}", code="permission_not_grantable",
                               field=f"permissions.{i}")
    if expires_at is not None and expires_at <= uow.clock.now():
        raise InvalidInput("expiry must lie in the future", code="invalid_expiry",
                           field="expires_at")
    secret = tokens.new_secret(tokens.API_KEY_PREFIX)
    key = ApiKey(id=new_id(), tenant_id=principal.tenant_id, org_unit_id=unit.id, name=name,
                 prefix=secret[:12], key_hash=tokens.digest(settings.secret_key, secret),
                 permissions=sorted(set(permissions)), created_by=principal.actor_id,
                 created_at=uow.clock.now(), expires_at=expires_at, revoked_at=None,
                 last_used_at=None)
    uow.session.add(key)
    uow.session.flush()
    audit.record(uow, principal, "api_key.created", entity_type="api_key", entity_id=key.id,
                 changes={"name": name, "permissions": key.permissions,
                          "org_unit_id": unit.id})
    return IssuedKey(key, secret)


def list_api_keys(uow: UnitOfWork, principal: Principal) -> Sequence[ApiKey]:
    stmt = scoped(select(ApiKey), ApiKey, principal, "auth.api_keys.manage")
    return uow.session.scalars(stmt.order_by(ApiKey.created_at.desc())).all()


def revoke_api_key(uow: UnitOfWork, principal: Principal, key_id: str) -> ApiKey:
    stmt = scoped(select(ApiKey), ApiKey, principal, "auth.api_keys.manage").where(
        ApiKey.id == key_id)
    key = uow.session.scalar(stmt)
    if key is None:
        raise NotFound("API key", key_id)
    if key.revoked_at is not None:
        raise Conflict("this API key is already revoked", code="already_revoked")
    key.revoked_at = uow.clock.now()
    audit.record(uow, principal, "api_key.revoked", entity_type="api_key", entity_id=key.id)
    return key

