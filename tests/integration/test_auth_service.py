"""Authentication use cases against a real database: tokens, lockout, disabled accounts,
API keys and password changes. Each step commits, as the API does between requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from fengkong.bootstrap import Container
from fengkong.core.clock import FixedClock
from fengkong.core.errors import (
    AccountLocked,
    AuthenticationError,
    FengkongError,
    InvalidInput,
    PermissionDenied,
)
from fengkong.core.models import AuditRecord
from fengkong.core.uow import UnitOfWork
from fengkong.demo import DemoWorld, principal_of
from fengkong.org import auth_service, service, tokens
from fengkong.org.auth_service import TokenPair
from fengkong.org.models import ApiKey, Tenant, User
from fengkong.org.permissions import DataScope
from fengkong.org.scoping import Principal
from tests.conftest import DEMO_PASSWORD

NEW_PASSWORD = "Fresh-Start-2026"


@contextmanager
def committed(container: Container) -> Iterator[UnitOfWork]:
    """One request: a unit of work committed when the block ends without an error."""
    with container.uow() as uow:
        yield uow
        uow.commit()


def login(container: Container, username: str, password: str = DEMO_PASSWORD) -> TokenPair:
    with committed(container) as uow:
        return auth_service.login(uow, container.settings, container.hasher, username,
                                  password)


def authenticate(container: Container, credential: str) -> Principal:
    with container.uow() as uow:
        return auth_service.authenticate(uow, container.settings, credential)


def refresh(container: Container, refresh_token: str) -> TokenPair:
    with committed(container) as uow:
        return auth_service.refresh(uow, container.settings, refresh_token)


def fails(expected: str, call: Callable[..., object], *args: Any,
          error: type[FengkongError] = AuthenticationError) -> Any:
    """The error `call(*args)` raises, checked for its class and code."""
    with pytest.raises(error) as caught:
        call(*args)
    assert caught.value.code == expected, caught.value
    return caught.value


def as_admin(container: Container, action: Callable[[UnitOfWork, Principal], object]) -> None:
    with committed(container) as uow:
        action(uow, principal_of(uow, "demo.admin"))


# --- tokens --------------------------------------------------------------------------------


def test_login_returns_tokens_whose_access_token_names_the_user(
    container: Container, world: DemoWorld
) -> None:
    pair = login(container, "demo.sh")
    assert pair.access_token.startswith(tokens.ACCESS_PREFIX)
    assert pair.refresh_token.startswith(tokens.REFRESH_PREFIX)
    assert pair.expires_in == container.settings.access_token_ttl_s
    principal = authenticate(container, pair.access_token)
    assert (principal.actor_id, principal.name, principal.kind) == (
        world.users["demo.sh"], "demo.sh", "user")
    assert (principal.tenant_id, principal.org_unit_id) == (world.tenant_id,
                                                            world.units["EAST-SH"])
    assert principal.session_id == pair.session_id
    assert principal.grants["org.users.manage"] is DataScope.SUBTREE


def test_an_access_token_past_its_ttl_is_expired_but_its_refresh_token_still_works(
    container: Container, world: DemoWorld, clock: FixedClock
) -> None:
    pair = login(container, "demo.sh")
    clock.advance(seconds=container.settings.access_token_ttl_s - 1)
    authenticate(container, pair.access_token)
    clock.advance(seconds=1)
    fails("token_expired", authenticate, container, pair.access_token)
    fresh = refresh(container, pair.refresh_token)
    assert authenticate(container, fresh.access_token).session_id == pair.session_id


def test_refresh_rotates_both_tokens_and_spends_the_old_refresh_token(
    container: Container, world: DemoWorld
) -> None:
    pair = login(container, "demo.sh")
    fresh = refresh(container, pair.refresh_token)
    assert fresh.refresh_token != pair.refresh_token
    assert fresh.access_token != pair.access_token
    fails("invalid_token", refresh, container, pair.refresh_token)
    fails("invalid_token", authenticate, container, pair.access_token)
    assert authenticate(container, fresh.access_token).actor_id == world.users["demo.sh"]
    assert refresh(container, fresh.refresh_token).session_id == pair.session_id


def test_logout_revokes_the_session_for_both_tokens(
    container: Container, world: DemoWorld
) -> None:
    pair = login(container, "demo.sh")
    with committed(container) as uow:
        auth_service.logout(uow, auth_service.authenticate(uow, container.settings,
                                                           pair.access_token))
    fails("token_revoked", authenticate, container, pair.access_token)
    fails("token_revoked", refresh, container, pair.refresh_token)


def test_a_refresh_token_past_its_ttl_is_expired(
    container: Container, world: DemoWorld, clock: FixedClock
) -> None:
    pair = login(container, "demo.sh")
    clock.advance(seconds=container.settings.refresh_token_ttl_s)
    fails("token_expired", refresh, container, pair.refresh_token)


# --- lockout -------------------------------------------------------------------------------


def fail_until_locked(container: Container, clock: FixedClock, username: str) -> AccountLocked:
    """Four wrong passwords a minute apart, then the fifth, which locks the account."""
    for _ in range(container.settings.lockout_attempts - 1):
        fails("invalid_credentials", login, container, username, "Wrong-Guess-1")
        clock.advance(minutes=1)
    return fails("account_locked", login, container, username, "Wrong-Guess-1",
                 error=AccountLocked)


def test_five_wrong_passwords_within_the_window_lock_the_account(
    container: Container, world: DemoWorld, clock: FixedClock
) -> None:
    locked = fail_until_locked(container, clock, "demo.sh")
    cooldown = container.settings.lockout_cooldown_s
    assert locked.extra["retry_after"] == cooldown
    clock.advance(seconds=cooldown - 60)
    still = fails("account_locked", login, container, "demo.sh", DEMO_PASSWORD,
                  error=AccountLocked)
    assert still.extra["retry_after"] == 60
    clock.advance(seconds=60)
    assert authenticate(container, login(container, "demo.sh").access_token).name == "demo.sh"
    with container.uow() as uow:
        user = uow.session.get_one(User, world.users["demo.sh"])
        assert (user.failed_attempts, user.locked_until) == (0, None)


def test_failed_logins_are_committed_and_audited_even_though_login_raised(
    container: Container, world: DemoWorld, clock: FixedClock
) -> None:
    for _ in range(3):
        fails("invalid_credentials", login, container, "demo.sh", "Wrong-Guess-1")
    with container.uow() as uow:
        assert uow.session.get_one(User, world.users["demo.sh"]).failed_attempts == 3
    fails("invalid_credentials", login, container, "demo.sh", "Wrong-Guess-1")
    fails("account_locked", login, container, "demo.sh", "Wrong-Guess-1", error=AccountLocked)
    with container.uow() as uow:
        assert uow.session.get_one(User, world.users["demo.sh"]).locked_until is not None
    with container.uow() as uow:
        actions = list(uow.session.scalars(
            select(AuditRecord.action).where(AuditRecord.entity_id == world.users["demo.sh"],
                                             AuditRecord.outcome == "denied")
            .order_by(AuditRecord.seq)))
    assert actions == ["auth.login_failed"] * 4 + ["auth.locked"]


def test_failures_spread_beyond_the_window_do_not_lock(
    container: Container, world: DemoWorld, clock: FixedClock
) -> None:
    for _ in range(2 * container.settings.lockout_attempts):
        fails("invalid_credentials", login, container, "demo.sh", "Wrong-Guess-1")
        clock.advance(seconds=container.settings.lockout_window_s // 4 + 1)
    login(container, "demo.sh")


def test_an_admin_unlock_lifts_the_lock_at_once(
    container: Container, world: DemoWorld, clock: FixedClock
) -> None:
    fail_until_locked(container, clock, "demo.sh")
    as_admin(container, lambda uow, admin: auth_service.unlock(uow, admin,
                                                               world.users["demo.sh"]))
    login(container, "demo.sh")
    with container.uow() as uow:
        assert uow.session.scalar(select(AuditRecord.changes).where(
            AuditRecord.action == "user.unlocked")) == '{"was_locked":true}'


# --- disabled accounts ---------------------------------------------------------------------


def test_a_disabled_user_cannot_log_in_and_their_tokens_stop_working(
    container: Container, world: DemoWorld
) -> None:
    pair = login(container, "demo.sh")
    as_admin(container, lambda uow, admin: service.update_user(
        uow, admin, world.users["demo.sh"], is_active=False))
    fails("account_disabled", login, container, "demo.sh")
    fails("token_revoked", authenticate, container, pair.access_token)
    fails("token_revoked", refresh, container, pair.refresh_token)


# --- API keys ------------------------------------------------------------------------------


def issue_key(container: Container, username: str, permissions: list[str], unit_id: str,
              **kwargs: Any) -> auth_service.IssuedKey:
    with committed(container) as uow:
        return auth_service.create_api_key(uow, container.settings,
                                           principal_of(uow, username), name="scanner",
                                           permissions=permissions, org_unit_id=unit_id,
                                           **kwargs)


def test_an_api_key_secret_is_shown_once_and_stored_only_as_a_digest(
    container: Container, world: DemoWorld
) -> None:
    issued = issue_key(container, "demo.admin", ["org.units.read"], world.units["EAST"])
    assert issued.secret.startswith(tokens.API_KEY_PREFIX)
    with container.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(ApiKey.__table__))]
    assert len(rows) == 1
    assert all(issued.secret not in str(value) for value in rows[0].values())
    assert rows[0]["key_hash"] == tokens.digest(container.settings.secret_key, issued.secret)


def test_an_api_key_acts_with_its_own_permissions_over_the_subtree_of_its_unit(
    container: Container, world: DemoWorld
) -> None:
    issued = issue_key(container, "demo.admin", ["org.units.read"], world.units["EAST"])
    principal = authenticate(container, issued.secret)
    assert (principal.kind, principal.actor_id) == ("api_key", issued.key.id)
    assert principal.grants == {"org.units.read": DataScope.SUBTREE}
    with container.uow() as uow:
        assert {u.code for u in service.list_units(uow, principal)} == {
            "EAST", "EAST-SH", "EAST-HZ"}
        fails("permission_denied", service.list_users, uow, principal, error=PermissionDenied)


def test_an_api_key_cannot_carry_a_permission_its_creator_lacks(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:
        service.create_role(uow, principal_of(uow, "demo.admin"), code="key_issuer",
                            name="Key issuer", data_scope=DataScope.SUBTREE,
                            permissions=["auth.api_keys.manage", "org.units.read"])
        service.create_user(uow, principal_of(uow, "demo.admin"), container.hasher,
                            username="east.keys", display_name="East keys",
                            password=NEW_PASSWORD, org_unit_id=world.units["EAST"],
                            roles=["key_issuer"])
    err = fails("permission_not_grantable", issue_key, container, "east.keys",
                ["org.units.read", "org.users.read"], world.units["EAST"], error=InvalidInput)
    assert err.field == "permissions.1"
    fails("permission_not_grantable", issue_key, container, "demo.admin",
          ["platform.tenants.manage"], world.units["HQ"], error=InvalidInput)
    fails("unknown_reference", issue_key, container, "east.keys", ["org.units.read"],
          world.units["WEST"], error=InvalidInput)
    with container.uow() as uow:
        assert uow.session.scalar(select(ApiKey.id)) is None


def test_a_revoked_api_key_is_refused(container: Container, world: DemoWorld) -> None:
    issued = issue_key(container, "demo.admin", ["org.units.read"], world.units["EAST"])
    as_admin(container, lambda uow, admin: auth_service.revoke_api_key(uow, admin,
                                                                       issued.key.id))
    fails("token_revoked", authenticate, container, issued.secret)


def test_an_api_key_past_its_expiry_is_refused(
    container: Container, world: DemoWorld, clock: FixedClock
) -> None:
    issued = issue_key(container, "demo.admin", ["org.units.read"], world.units["EAST"],
                       expires_at=clock.now() + timedelta(hours=1))
    authenticate(container, issued.secret)
    clock.advance(hours=1)
    fails("token_expired", authenticate, container, issued.secret)


# --- passwords -----------------------------------------------------------------------------


def test_changing_ones_password_revokes_the_other_sessions(
    container: Container, world: DemoWorld
) -> None:
    here, elsewhere = login(container, "demo.sh"), login(container, "demo.sh")
    with committed(container) as uow:
        me = auth_service.authenticate(uow, container.settings, here.access_token)
        fails("invalid_credentials", auth_service.change_password, uow, container.settings,
              container.hasher, me, "Wrong-Guess-1", NEW_PASSWORD, error=InvalidInput)
        auth_service.change_password(uow, container.settings, container.hasher, me,
                                     DEMO_PASSWORD, NEW_PASSWORD)
    fails("token_revoked", authenticate, container, elsewhere.access_token)
    fails("token_revoked", refresh, container, elsewhere.refresh_token)
    fails("invalid_credentials", login, container, "demo.sh")
    login(container, "demo.sh", NEW_PASSWORD)


def test_a_password_reset_by_an_admin_revokes_the_users_sessions(
    container: Container, world: DemoWorld
) -> None:
    pair = login(container, "demo.sh")
    as_admin(container, lambda uow, admin: auth_service.reset_password(
        uow, container.settings, container.hasher, admin, world.users["demo.sh"],
        NEW_PASSWORD))
    fails("token_revoked", authenticate, container, pair.access_token)
    fails("token_revoked", refresh, container, pair.refresh_token)
    login(container, "demo.sh", NEW_PASSWORD)


def test_an_api_key_cannot_reach_further_than_its_creator_does_with_a_permission(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:  # keys over their region, but users of one unit only
        admin = principal_of(uow, "demo.admin")
        service.create_role(uow, admin, code="key_issuer", name="Key issuer",
                            data_scope=DataScope.SUBTREE,
                            permissions=["auth.api_keys.manage", "org.units.read"])
        service.create_role(uow, admin, code="unit_clerk", name="Unit clerk",
                            data_scope=DataScope.UNIT, permissions=["org.users.read"])
        service.create_user(uow, admin, container.hasher, username="east.keys",
                            display_name="East keys", password=NEW_PASSWORD,
                            org_unit_id=world.units["EAST"], roles=["key_issuer", "unit_clerk"])
    err = fails("permission_not_grantable", issue_key, container, "east.keys",
                ["org.units.read", "org.users.read"], world.units["EAST"], error=InvalidInput)
    assert err.field == "permissions.1"
    issue_key(container, "east.keys", ["org.units.read"], world.units["EAST-SH"])


def test_an_api_key_cannot_carry_a_permission_into_a_unit_its_creator_does_not_reach_with_it(
    container: Container, world: DemoWorld
) -> None:
    with committed(container) as uow:  # keys anywhere, but units only of the East region
        admin = principal_of(uow, "demo.admin")
        service.create_role(uow, admin, code="key_desk", name="Key desk",
                            data_scope=DataScope.TENANT, permissions=["auth.api_keys.manage"])
        service.create_user(uow, admin, container.hasher, username="east.desk",
                            display_name="East desk", password=NEW_PASSWORD,
                            org_unit_id=world.units["EAST"], roles=["key_desk", "branch_manager"])
    fails("permission_not_grantable", issue_key, container, "east.desk", ["org.units.read"],
          world.units["WEST"], error=InvalidInput)
    issue_key(container, "east.desk", ["org.units.read"], world.units["EAST-HZ"])



def test_a_disabled_tenant_locks_out_its_users_tokens(
    container: Container, world: DemoWorld
) -> None:
    with container.uow() as uow:
        pair = auth_service.login(uow, container.settings, container.hasher, "demo.sh",
                                  "fengkong-demo")
        uow.commit()
    with container.uow() as uow:
        uow.session.execute(update(Tenant).where(Tenant.id == world.tenant_id)
                            .values(is_active=False))
        uow.commit()
    with container.uow() as uow, pytest.raises(AuthenticationError) as err:
        auth_service.authenticate(uow, container.settings, pair.access_token)
    assert err.value.code == "account_disabled"


def test_deactivating_a_user_closes_their_sessions_for_good(
    container: Container, world: DemoWorld
) -> None:
    with container.uow() as uow:
        pair = auth_service.login(uow, container.settings, container.hasher, "demo.sh",
                                  "fengkong-demo")
        uow.commit()
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        service.update_user(uow, admin, world.users["demo.sh"], is_active=False)
        uow.commit()
    with container.uow() as uow:
        service.update_user(uow, principal_of(uow, "demo.admin"), world.users["demo.sh"],
                            is_active=True)
        uow.commit()
    with container.uow() as uow, pytest.raises(AuthenticationError) as err:
        auth_service.authenticate(uow, container.settings, pair.access_token)
    assert err.value.code == "token_revoked"
