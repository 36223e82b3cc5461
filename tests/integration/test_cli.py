"""The `fengkong` command against a real database, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from fengkong.bootstrap import Container
from fengkong.org.models import Role, Tenant, User


def run(
    database_url: str, tmp_path: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FENGKONG_DATABASE_URL": database_url,
        "FENGKONG_DATA_DIR": str(tmp_path),
        "FENGKONG_SECRET_KEY": "cli-test",
        "FENGKONG_PASSWORD_HASH_COST": "low",
    }
    return subprocess.run(
        [sys.executable, "-m", "fengkong", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tenant_and_user_creation_from_the_command_line(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    made = run(
        database_url,
        tmp_path,
        "tenant",
        "create",
        "--code",
        "acme",
        "--name",
        "Acme Auto Finance",
        "--admin-username",
        "acme.admin",
        "--admin-password",
        "Acme-admin-2026",
    )
    assert made.returncode == 0, made.stderr
    user = run(
        database_url,
        tmp_path,
        "user",
        "create",
        "--tenant",
        "acme",
        "--username",
        "acme.monitor",
        "--unit",
        "HQ",
        "--role",
        "gps_monitor",
        "--password",
        "Acme-monitor-2026",
    )
    assert user.returncode == 0, user.stderr
    with container.uow() as uow:
        tenant = uow.session.scalars(select(Tenant).where(Tenant.code == "acme")).one()
        assert tenant.name == "Acme Auto Finance" and tenant.timezone == "Asia/Shanghai"
        names = set(uow.session.scalars(select(User.username).where(User.tenant_id == tenant.id)))
    assert names == {"acme.admin", "acme.monitor"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "user",
                "create",
                "--tenant",
                "nope",
                "--username",
                "x.y.z",
                "--unit",
                "HQ",
                "--role",
                "collector",
                "--password",
                "Good-pass-1234",
            ],
            "not_found (tenant)",
        ),
        (
            [
                "user",
                "create",
                "--tenant",
                "platform",
                "--username",
                "p.admin",
                "--unit",
                "MARS",
                "--role",
                "platform_admin",
                "--password",
                "Good-pass-1234",
            ],
            "unknown_reference (unit)",
        ),
        (
            [
                "tenant",
                "create",
                "--code",
                "weak",
                "--name",
                "Weak",
                "--admin-username",
                "weak.admin",
                "--admin-password",
                "short",
            ],
            "weak_password (password)",
        ),
    ],
)
def test_bad_command_line_input_exits_non_zero_with_a_message_and_stores_nothing(
    container: Container, database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(database_url, tmp_path, *args)
    assert result.returncode == 2
    assert message in result.stderr
    with container.uow() as uow:
        assert uow.session.scalar(select(Tenant).where(Tenant.code == "weak")) is None
        assert uow.session.scalar(select(User).where(User.username == "p.admin")) is None


def test_db_upgrade_refreshes_predefined_roles_that_drifted(
    container: Container, database_url: str, tmp_path: Path, world: object
) -> None:
    with container.uow() as uow:
        uow.session.execute(
            update(Role).where(Role.code == "hq_manager").values(permissions=["org.units.read"])
        )
        uow.commit()
    result = run(database_url, tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    with container.uow() as uow:
        perms = uow.session.scalars(select(Role.permissions).where(Role.code == "hq_manager")).one()
    assert "org.users.read" in perms and "audit.read" in perms
