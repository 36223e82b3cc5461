"""Demo data: the tenant "Demo Auto Finance" with its org tree and one user per job.

Each context adds its own demo data by appending a seeder to `SEEDERS`; seeders run in order,
once, on a fresh demo database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from fengkong.alerts.demo_data import seed_alerts
from fengkong.bootstrap import Container
from fengkong.core.audit_service import SystemActor
from fengkong.core.uow import UnitOfWork
from fengkong.decision.demo_data import seed_strategies
from fengkong.loans.demo_data import seed_loans, seed_products
from fengkong.org import auth_service, service
from fengkong.org.models import OrgUnit, Tenant, User
from fengkong.org.scoping import Principal
from fengkong.telematics.analytics.demo_data import seed_gps_risk
from fengkong.telematics.demo_data import seed_trackers

TENANT_CODE = "demo"
TENANT_NAME = "Demo Auto Finance"

# (code, parent code, name)
UNITS = [
    ("EAST", "HQ", "East region"),
    ("EAST-SH", "EAST", "Shanghai branch"),
    ("EAST-HZ", "EAST", "Hangzhou branch"),
    ("WEST", "HQ", "West region"),
    ("WEST-CD", "WEST", "Chengdu branch"),
    ("WEST-CQ", "WEST", "Chongqing branch"),
]

# (username, role, unit code, display name)
USERS = [
    ("demo.admin", "tenant_admin", "HQ", "Ada Admin"),
    ("demo.hq", "hq_manager", "HQ", "Hu Qiang (HQ manager)"),
    ("demo.east", "branch_manager", "EAST", "Dong Mei (East region)"),
    ("demo.sh", "branch_manager", "EAST-SH", "Shen Hai (Shanghai)"),
    ("demo.hz", "branch_manager", "EAST-HZ", "Hang Zhi (Hangzhou)"),
    ("demo.monitor", "gps_monitor", "HQ", "Mo Ni (GPS monitor)"),
    ("demo.officer", "credit_officer", "EAST-SH", "Xin Dai (credit officer)"),
    ("demo.approver", "approver", "EAST", "Shen Pi (approver)"),
    ("demo.strategist", "risk_strategist", "HQ", "Ce Lue (risk strategist)"),
    ("demo.collector", "collector", "EAST-SH", "Cui Shou (collector)"),
    ("demo.field", "field_agent", "EAST-SH", "Wai Qin (field agent)"),
    ("demo.finance", "finance", "HQ", "Cai Wu (finance)"),
]
PLATFORM_ADMIN = "demo.platform"


@dataclass
class DemoWorld:
    tenant_id: str
    units: dict[str, str]  # code -> id
    users: dict[str, str]  # username -> id
    notes: list[str] = field(default_factory=list)


Seeder = Callable[[Container, UnitOfWork, DemoWorld], None]
SEEDERS: list[Seeder] = [seed_products]
# Seeders of the running demo only: a book of loans and their history, cars with trackers.
# The test world skips them, so that each test starts from the org tree and the products alone.
SHOWCASE_SEEDERS: list[Seeder] = [seed_loans, seed_trackers, seed_gps_risk, seed_alerts,
                                  seed_strategies]


def seed(container: Container, *, showcase: bool = False) -> DemoWorld:
    """Create the demo tenant and run every context's seeder (and the showcase seeders when
    asked); does nothing when the tenant exists."""
    with container.uow() as uow:
        existing = uow.session.scalar(select(Tenant).where(Tenant.code == TENANT_CODE))
        if existing is not None:
            return _load_world(uow, existing.id)
        world = _seed_org(container, uow)
        for seeder in SEEDERS + (SHOWCASE_SEEDERS if showcase else []):
            seeder(container, uow, world)
        uow.commit()
        return world


def _seed_org(container: Container, uow: UnitOfWork) -> DemoWorld:
    password = container.settings.demo_password
    platform = service.ensure_platform(uow)
    service.create_user(uow, SystemActor(tenant_id=platform.id), container.hasher,
                        tenant_id=platform.id, username=PLATFORM_ADMIN,
                        display_name="Platform administrator", password=password,
                        org_unit_id=service.root_unit(uow, platform.id).id,
                        roles=["platform_admin"], min_password_length=8)
    tenant = service.create_tenant(uow, SystemActor(), code=TENANT_CODE, name=TENANT_NAME,
                                   timezone="Asia/Shanghai")
    units = {"HQ": service.root_unit(uow, tenant.id).id}
    admin = service.create_user(uow, SystemActor(tenant_id=tenant.id), container.hasher,
                                tenant_id=tenant.id, username=USERS[0][0],
                                display_name=USERS[0][3], password=password,
                                org_unit_id=units["HQ"], roles=[USERS[0][1]],
                                min_password_length=8)
    acting = auth_service.user_principal(uow, admin)
    for code, parent, name in UNITS:
        units[code] = service.create_unit(uow, acting, parent_id=units[parent], code=code,
                                          name=name).id
    users = {admin.username: admin.id}
    for username, role, unit, display in USERS[1:]:
        users[username] = service.create_user(
            uow, acting, container.hasher, username=username, display_name=display,
            password=password, org_unit_id=units[unit], roles=[role], min_password_length=8,
        ).id
    return DemoWorld(tenant.id, units, users)


def _load_world(uow: UnitOfWork, tenant_id: str) -> DemoWorld:
    units = dict(uow.session.execute(
        select(OrgUnit.code, OrgUnit.id).where(OrgUnit.tenant_id == tenant_id)).all())
    users = dict(uow.session.execute(
        select(User.username, User.id).where(User.tenant_id == tenant_id)).all())
    return DemoWorld(tenant_id, units, users)


def principal_of(uow: UnitOfWork, username: str) -> Principal:
    user = uow.session.scalars(select(User).where(User.username == username)).one()
    return auth_service.user_principal(uow, user)
