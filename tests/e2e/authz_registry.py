"""What the authorization matrix needs to know about routes that it cannot read off them.

Every path parameter names a kind of object; for each kind a factory makes three of them: one in
the caller's own subtree, one in a sibling branch (None for tenant-wide objects), one in another
tenant. Every state-changing route has a sample body that succeeds for the caller's own objects.
A new route with an unknown path parameter or without a sample body fails the matrix until it is
registered here, so no route escapes the test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fengkong.alerts import alarm_service, channel_service
from fengkong.bootstrap import Container
from fengkong.core.audit_service import SystemActor
from fengkong.decision import decision_service, jdm, strategy_service
from fengkong.demo import DemoWorld, principal_of
from fengkong.ledger import service as ledger_service
from fengkong.ledger.posting import Line
from fengkong.loans import loan_service, product_service
from fengkong.loans.demo_data import CAR_LOAN
from fengkong.org import auth_service, service
from fengkong.org.permissions import PERMISSIONS, DataScope
from fengkong.telematics import commands as device_commands
from fengkong.telematics import device_service as telematics
from fengkong.telematics import directory
from fengkong.telematics.command_rules import Kind
from fengkong.telematics.command_rules import Request as CommandRequest
from fengkong.telematics.health import installation_service
from fengkong.telematics.models import DeviceInstallation
from fengkong.telematics.protocols.crc import luhn
from tests.unit.decision.samples import GOOD_APPLICANT
from tests.unit.decision.samples import strategy as sample_strategy

PASSWORD = "fengkong-demo"
CALLER = "matrix.east"  # all tenant permissions, subtree scope, at EAST
NOBODY = "matrix.none"  # authenticated, no permissions, at EAST
PLATFORM_CALLER = "demo.platform"
OBJECT_KINDS = {
    "loan_id", "transaction_id", "unit_id", "user_id", "role_id", "key_id",
    "product_id", "account_code", "entry_id",
    "device_id", "vehicle_id", "installation_id", "identifier", "command_id",
    "alarm_id", "channel_id",
    "strategy_id", "version_id", "decision_id", "stage",
    "geofence_id",
}


@dataclass
class Objects:
    own: str
    sibling: str | None
    other_tenant: str


@dataclass
class Matrix:
    world: DemoWorld
    rival_root: str
    objects: dict[str, Objects]
    extra: dict[str, str] = field(default_factory=dict)


def build(container: Container, world: DemoWorld) -> Matrix:
    """Callers and objects for the matrix, on top of the demo tenant."""
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        perms = sorted(p for p in PERMISSIONS if not p.startswith("platform."))
        service.create_role(uow, admin, code="matrix_all", name="Everything in my subtree",
                            permissions=perms, data_scope=DataScope.SUBTREE)
        service.create_role(uow, admin, code="matrix_none", name="Nothing",
                            permissions=[], data_scope=DataScope.SUBTREE)
        for username, role in ((CALLER, "matrix_all"), (NOBODY, "matrix_none")):
            service.create_user(uow, admin, container.hasher, username=username,
                                display_name=username, password=PASSWORD,
                                org_unit_id=world.units["EAST"], roles=[role],
                                min_password_length=8)
        west_user = service.create_user(uow, admin, container.hasher, username="matrix.west",
                                        display_name="West", password=PASSWORD,
                                        org_unit_id=world.units["WEST-CD"],
                                        roles=["branch_manager"], min_password_length=8)
        own_role = service.create_role(uow, admin, code="matrix_custom", name="Custom",
                                       permissions=["org.units.read"], data_scope=DataScope.UNIT)
        own_key = auth_service.create_api_key(uow, container.settings, admin, name="own",
                                              permissions=["org.units.read"],
                                              org_unit_id=world.units["EAST-SH"]).key
        west_key = auth_service.create_api_key(uow, container.settings, admin, name="west",
                                               permissions=["org.units.read"],
                                               org_unit_id=world.units["WEST-CD"]).key

        rival = service.create_tenant(uow, SystemActor(), code="rival", name="Rival Lending")
        rival_root = service.root_unit(uow, rival.id)
        rival_admin = service.create_user(uow, SystemActor(tenant_id=rival.id),
                                          container.hasher, tenant_id=rival.id,
                                          username="rival.admin", display_name="Rival",
                                          password=PASSWORD, org_unit_id=rival_root.id,
                                          roles=["tenant_admin"], min_password_length=8)
        rival_p = auth_service.user_principal(uow, rival_admin)
        rival_unit = service.create_unit(uow, rival_p, parent_id=rival_root.id, code="R-1",
                                         name="Rival branch")
        rival_role = service.create_role(uow, rival_p, code="rival_custom", name="Rival role",
                                         permissions=["org.units.read"],
                                         data_scope=DataScope.UNIT)
        rival_key = auth_service.create_api_key(uow, container.settings, rival_p, name="rival",
                                                permissions=["org.units.read"],
                                                org_unit_id=rival_unit.id).key
        own_product = product_service.create_product(uow, admin, code="M-PROD", name="Matrix",
                                                      params=CAR_LOAN)
        rival_product = product_service.create_product(uow, rival_p, code="R-PROD",
                                                       name="Rival", params=CAR_LOAN)
        ledger_service.create_account(uow, rival_p, code="rival-reserve", name="Reserve",
                                      type="equity")
        entries = {where: _manual_entry(uow, acting, unit) for where, acting, unit in (
            ("own", admin, world.units["EAST-SH"]), ("sibling", admin, world.units["WEST-CD"]),
            ("rival", rival_p, rival_unit.id))}
        loans = _loans(container, uow, admin, rival_p, world, own_product.id, rival_product.id,
                       rival_unit.id)
        trackers = _trackers(uow, admin, rival_p, rival_unit.code)
        commands = _commands(uow, admin, rival_p, trackers, loans)
        alerts = _alerts(uow, admin, rival_p, world, rival_unit.id)
        for where, acting in (("own", admin), ("sibling", admin), ("rival", rival_p)):
            installation_service.start_check(uow, acting, uow.session.get(
                DeviceInstallation, trackers[f"{where}_installation_id"]))
        strategies = _strategies(container, uow, admin, rival_p, rival.id, rival_unit.id, world)
        geofences = _geofences(uow, admin, rival_p, trackers, rival_unit.code)
        uow.commit()
        objects = {
            "unit_id": Objects(world.units["EAST-SH"], world.units["WEST-CD"], rival_unit.id),
            "user_id": Objects(world.users["demo.sh"], west_user.id, rival_admin.id),
            "role_id": Objects(own_role.id, None, rival_role.id),
            "key_id": Objects(own_key.id, west_key.id, rival_key.id),
            "product_id": Objects(own_product.id, None, rival_product.id),
            "account_code": Objects("suspense", None, "rival-reserve"),
            "entry_id": Objects(entries["own"], entries["sibling"], entries["rival"]),
            "loan_id": Objects(loans["own"], loans["sibling"], loans["rival"]),
            "transaction_id": Objects(loans["own_txn"], loans["sibling_txn"],
                                      loans["rival_txn"]),
            **{kind: Objects(trackers[f"own_{kind}"], trackers.get(f"sibling_{kind}"),
                             trackers[f"rival_{kind}"])
               for kind in ("device_id", "vehicle_id", "installation_id", "identifier")},
            "command_id": Objects(commands["own"], commands["sibling"], commands["rival"]),
            **{kind: Objects(alerts[f"own_{kind}"], alerts[f"sibling_{kind}"],
                             alerts[f"rival_{kind}"]) for kind in ("alarm_id", "channel_id")},
            "strategy_id": Objects(strategies["own_strategy"], None,
                                   strategies["rival_strategy"]),
            "version_id": Objects(strategies["version_active"], None,
                                  strategies["rival_version"]),
            "decision_id": Objects(strategies["own_decision"], strategies["sibling_decision"],
                                   strategies["rival_decision"]),
            # Stages are not owned: another tenant's "object" is a stage that does not exist.
            "stage": Objects("application", None, "no_such_stage"),
            "geofence_id": Objects(geofences["own"], geofences["sibling"], geofences["rival"]),
        }
        return Matrix(world, rival_root.id, objects, {**loans, **trackers, **strategies})


TODAY = "2026-01-05"  # the business date in Shanghai at the test clock's instant


def _loans(container: Any, uow: Any, admin: Any, rival: Any, world: DemoWorld,
           product_id: str, rival_product_id: str, rival_unit: str) -> dict[str, str]:
    """Loans in the states the loan routes need: active with a repayment, approved, written
    off, paid off with money left over; one in a sibling branch and one in the rival tenant."""
    def loan(acting: Any, product: str, unit: str, disburse: bool = True) -> str:
        booked = loan_service.book(uow, acting, loan_service.Booking(
            product_id=product, borrower_ref="B-1", org_unit_id=unit, loan={
                "principal": "100000.00", "term": 12, "annual_rate": "6",
                "disbursement_date": "2025-10-05"}, approved_on=date(2025, 10, 1)))
        if disburse:
            loan_service.disburse(uow, acting, booked.id, on=date(2025, 10, 5), channel="bank")
        return booked.id

    def pay(acting: Any, loan_id: str, amount: str, on: date, kind: str = "repayment") -> str:
        return loan_service.record(uow, acting, loan_id, loan_service.Event(
            kind, on, Decimal(amount), "bank")).id

    out = {"own": loan(admin, product_id, world.units["EAST-SH"]),
           "sibling": loan(admin, product_id, world.units["WEST-CD"]),
           "rival": loan(rival, rival_product_id, rival_unit)}
    for where, acting in (("own", admin), ("sibling", admin), ("rival", rival)):
        out[f"{where}_txn"] = pay(acting, out[where], "8636.61", date(2025, 11, 5))
    out["approved"] = loan(admin, product_id, world.units["EAST-SH"], disburse=False)
    out["written_off"] = loan(admin, product_id, world.units["EAST-SH"])
    loan_service.record(uow, admin, out["written_off"],
                        loan_service.Event("writeoff", date(2025, 12, 20)))
    out["overpaid"] = loan(admin, product_id, world.units["EAST-SH"])
    pay(admin, out["overpaid"], "120000.00", date(2025, 10, 6))
    quote = loan_service.quote_settlement(uow, admin, out["own"], date(2026, 1, 5))
    out["settlement_amount"] = f"{quote.total:f}"
    return out


def _imei(n: int) -> str:
    body = f"86000000{n:06d}"
    return body + str(luhn(int(body)))


def _trackers(uow: Any, admin: Any, rival: Any, rival_unit: str) -> dict[str, str]:
    """A device installed on a vehicle, in EAST-SH, in a sibling branch and in the rival
    tenant; a spare device to install; an identifier heard but not registered (the rival's
    registered identifier is the one out of reach: it is not pending)."""
    out: dict[str, str] = {}
    places = (("own", admin, "EAST-SH"), ("sibling", admin, "WEST-CD"),
              ("rival", rival, rival_unit))
    vins = {"own": "LSVAM4187C2184847", "sibling": "JHMCM56557C404453",
            "rival": "1M8GDM9AXKP042788"}
    for n, (where, acting, unit) in enumerate(places):
        device = telematics.register_device(uow, acting, identifier=_imei(n), protocol="gt06",
                                            org_unit=unit, sim_phone="13812345678")
        car = telematics.create_vehicle(uow, acting, vin=vins[where], org_unit=unit)
        fitted = telematics.install(uow, acting, car.id, telematics.Fitting(device.id))
        out |= {f"{where}_device_id": device.id, f"{where}_vehicle_id": car.id,
                f"{where}_installation_id": fitted.id, f"{where}_identifier": _imei(n)}
    out.pop("sibling_identifier")
    out["spare_device_id"] = telematics.register_device(
        uow, admin, identifier=_imei(10), protocol="gt06", org_unit="EAST-SH").id
    out["own_identifier"] = "13900000042"
    directory.note_unknown(uow.session, "jt808", "013900000042", "10.0.0.9:4000",
                           datetime(2026, 1, 4, tzinfo=UTC))
    return out


def _commands(uow: Any, admin: Any, rival: Any, trackers: dict[str, str],
              loans: dict[str, str]) -> dict[str, str]:
    """An engine stop awaiting approval on the own device (requested by the admin, so that
    the matrix caller may decide on it); position requests on the sibling's and the rival's."""
    stop = CommandRequest(Kind.ENGINE_STOP, reason="matrix", loan_id=loans["own"])
    where = CommandRequest(Kind.POSITION_REQUEST)
    return {"own": device_commands.request(uow, admin, trackers["own_device_id"], stop).id,
            "sibling": device_commands.request(uow, admin, trackers["sibling_device_id"],
                                               where).id,
            "rival": device_commands.request(uow, rival, trackers["rival_device_id"],
                                             where).id}


def _alerts(uow: Any, admin: Any, rival: Any, world: DemoWorld,
            rival_unit: str) -> dict[str, str]:
    """An open alarm and a webhook channel in EAST-SH, in a sibling branch, in the rival."""
    out: dict[str, str] = {}
    places = (("own", admin, world.tenant_id, world.units["EAST-SH"]),
              ("sibling", admin, world.tenant_id, world.units["WEST-CD"]),
              ("rival", rival, rival.tenant_id, rival_unit))
    for where, acting, tenant_id, unit in places:
        alarm = alarm_service.ingest(uow, tenant_id, {
            "type": "powerCut", "severity": "critical", "key": f"powerCut:{where}",
            "occurred_at": "2026-01-05T00:30:00+00:00", "org_unit_id": unit,
            "vehicle_id": None, "device_id": None, "state": "raised",
            "evidence": {"text": "matrix"}})
        assert alarm is not None
        channel = channel_service.create_channel(
            uow, acting, org_unit_id=unit, kind="webhook", name=f"{where} hook",
            config={"url": "http://127.0.0.1:9/hook", "secret": "s"})
        out |= {f"{where}_alarm_id": alarm.id, f"{where}_channel_id": channel.id}
    return out


def matrix_strategy() -> dict[str, Any]:
    doc = sample_strategy()
    doc["product"] = "M-PROD"
    return doc


def _strategies(container: Any, uow: Any, admin: Any, rival: Any, rival_id: str,
                rival_unit: str, world: DemoWorld) -> dict[str, str]:
    """An application strategy for M-PROD written by the admin: version 1 retired after
    being active, 2 active, 3 submitted, 4 approved, 5 a draft; decisions in EAST-SH, in a
    sibling branch and in the rival tenant (whose strategy its own strategist approved)."""
    strategist = principal_of(uow, "demo.strategist")
    rival_strategist = auth_service.user_principal(uow, service.create_user(
        uow, rival, container.hasher, username="rival.strategist", display_name="RS",
        password=PASSWORD, org_unit_id=service.root_unit(uow, rival_id).id,
        roles=["risk_strategist"], min_password_length=8))

    def version(author: Any, approver: Any, upto: str) -> str:
        made = strategy_service.create_draft(uow, author, matrix_strategy())
        steps = ["submit", "approve", "activate"]
        for step in steps[:steps.index(upto) + 1] if upto != "draft" else []:
            acting = author if step == "submit" else approver
            getattr(strategy_service, step)(uow, acting, made.id)
        return made.id

    # Keys prefixed: Matrix.extra merges them with the loans' ("approved" is a loan there).
    out = {"version_retired": version(admin, strategist, "activate"),
           "version_active": version(admin, strategist, "activate"),
           "version_submitted": version(admin, strategist, "submit"),
           "version_approved": version(admin, strategist, "approve"),
           "version_draft": version(admin, strategist, "draft"),
           "rival_version": version(rival, rival_strategist, "activate")}
    out["own_strategy"] = strategy_service.get_version(uow, admin,
                                                       out["version_active"]).strategy_id
    out["rival_strategy"] = strategy_service.get_version(
        uow, rival, out["rival_version"]).strategy_id

    def decide(acting: Any, unit: str) -> str:
        return decision_service.decide(uow, acting, "application", decision_service.Request(
            "M-PROD", dict(GOOD_APPLICANT), org_unit_id=unit)).id
    out["own_decision"] = decide(admin, world.units["EAST-SH"])
    out["sibling_decision"] = decide(admin, world.units["WEST-CD"])
    out["rival_decision"] = decide(rival, rival_unit)
    return out


def _geofences(uow: Any, admin: Any, rival: Any, trackers: dict[str, str],
               rival_unit: str) -> dict[str, str]:
    """A circle fence owned by EAST-SH on the own car, one owned by the sibling branch, one
    in the rival tenant."""
    from fengkong.telematics.analytics import geofence_service as fences

    def fence(acting: Any, unit: str, vehicle: str) -> str:
        return fences.create_fence(uow, acting, fences.FenceDraft(
            name=f"matrix {unit}", kind="forbidden", vehicle_ids=[vehicle], org_unit=unit,
            geometry={"type": "Point", "coordinates": [121.47, 31.23]}, radius_m=500)).id

    return {"own": fence(admin, "EAST-SH", trackers["own_vehicle_id"]),
            "sibling": fence(admin, "WEST-CD", trackers["sibling_vehicle_id"]),
            "rival": fence(rival, rival_unit, trackers["rival_vehicle_id"])}


# Routes whose own-subtree call needs an object in another state than the usual one.
OWN_OBJECTS: dict[tuple[str, str], Callable[[Matrix], dict[str, str]]] = {
    ("POST", "/api/v1/loans/{loan_id}/disburse"): lambda m: {"loan_id": m.extra["approved"]},
    ("POST", "/api/v1/loans/{loan_id}/recoveries"): lambda m: {
        "loan_id": m.extra["written_off"]},
    ("POST", "/api/v1/loans/{loan_id}/refunds"): lambda m: {"loan_id": m.extra["overpaid"]},
    ("PUT", "/api/v1/strategy-versions/{version_id}"): lambda m: {
        "version_id": m.extra["version_draft"]},
    ("POST", "/api/v1/strategy-versions/{version_id}/submit"): lambda m: {
        "version_id": m.extra["version_draft"]},
    ("POST", "/api/v1/strategy-versions/{version_id}/approve"): lambda m: {
        "version_id": m.extra["version_submitted"]},
    ("POST", "/api/v1/strategy-versions/{version_id}/activate"): lambda m: {
        "version_id": m.extra["version_approved"]},
}

# Query parameters a GET route needs.
TRACK = {"from": "2026-01-04T00:00:00Z", "to": "2026-01-05T00:00:00Z"}
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/api/v1/loans/{loan_id}/settlement-quote"): {"on": TODAY},
    ("GET", "/api/v1/devices/{device_id}/positions"): TRACK,
    ("GET", "/api/v1/vehicles/{vehicle_id}/positions"): TRACK,
    ("GET", "/api/v1/alarms/stream"): {"lasts_s": "0"},
    ("GET", "/api/v1/strategy-versions/{version_id}/jdm"): {"table": "pricing"},
    ("GET", "/api/v1/vehicles/{vehicle_id}/stops"): TRACK,
    ("GET", "/api/v1/vehicles/{vehicle_id}/trips"): TRACK,
    ("GET", "/api/v1/vehicles/{vehicle_id}/mileage"): TRACK,
    ("GET", "/api/v1/vehicles/{vehicle_id}/trajectory"): TRACK,
}


def _manual_entry(uow: Any, acting: Any, unit: str) -> str:
    lines = [Line("suspense", debit=Decimal("12.34")), Line("cash:bank", credit=Decimal("12.34"))]
    return ledger_service.post_manual(uow, acting, entry_date=date(2026, 1, 4),
                                      reference="matrix", lines=lines, org_unit_id=unit).id


Body = Callable[[Matrix], Any]

SAMPLE_BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/api/v1/auth/logout"): lambda m: None,
    ("POST", "/api/v1/auth/password"): lambda m: {
        "current_password": PASSWORD, "new_password": "Brand-new-pass-77"},
    ("POST", "/api/v1/api-keys"): lambda m: {
        "name": "matrix key", "permissions": ["org.units.read"],
        "org_unit_id": m.world.units["EAST-SH"]},
    ("DELETE", "/api/v1/api-keys/{key_id}"): lambda m: None,
    ("POST", "/api/v1/tenants"): lambda m: {
        "code": "newco", "name": "New Lending Co", "admin_username": "newco.admin",
        "admin_password": "Newco-admin-pass-1"},
    ("POST", "/api/v1/org/units"): lambda m: {
        "parent_id": m.world.units["EAST-SH"], "code": "EAST-SH-PD", "name": "Pudong"},
    ("PATCH", "/api/v1/org/units/{unit_id}"): lambda m: {"name": "Shanghai (renamed)"},
    ("POST", "/api/v1/roles"): lambda m: {
        "code": "matrix_new", "name": "New role", "permissions": ["org.units.read"],
        "data_scope": "unit"},
    ("PATCH", "/api/v1/roles/{role_id}"): lambda m: {"name": "Renamed role"},
    ("POST", "/api/v1/users"): lambda m: {
        "username": "matrix.new", "display_name": "New", "password": "Matrix-new-pass-1",
        "org_unit_id": m.world.units["EAST-SH"], "roles": ["credit_officer"]},
    ("PATCH", "/api/v1/users/{user_id}"): lambda m: {"display_name": "Renamed"},
    ("POST", "/api/v1/users/{user_id}/unlock"): lambda m: None,
    ("POST", "/api/v1/users/{user_id}/password"): lambda m: {"new_password": "Reset-pass-4242"},

    ("POST", "/api/v1/loans/quote"): lambda m: {
        "principal": "10000.00", "annual_rate": "12", "term": 12,
        "disbursement_date": "2026-01-05"},
    ("POST", "/api/v1/loan-products"): lambda m: {
        "code": "NEW-PROD", "name": "New product", "params": CAR_LOAN},
    ("POST", "/api/v1/loan-products/{product_id}/versions"): lambda m: {"params": CAR_LOAN},

    ("POST", "/api/v1/ledger/accounts"): lambda m: {
        "code": "bank-charges", "name": "Bank charges", "type": "expense"},
    ("POST", "/api/v1/ledger/entries"): lambda m: {
        "entry_date": "2026-01-05", "reference": "matrix entry",
        "org_unit_id": m.world.units["EAST-SH"],
        "lines": [{"account_code": "suspense", "debit": "5.00"},
                  {"account_code": "cash:bank", "credit": "5.00"}]},
    ("POST", "/api/v1/ledger/entries/{entry_id}/reverse"): lambda m: {
        "entry_date": "2026-01-05"},
    ("POST", "/api/v1/loans"): lambda m: {
        "product_id": m.objects["product_id"].own, "borrower_ref": "B-9",
        "org_unit_id": m.world.units["EAST-SH"], "principal": "50000.00", "term": 12,
        "annual_rate": "6", "disbursement_date": TODAY},
    ("POST", "/api/v1/loans/{loan_id}/disburse"): lambda m: {"on": TODAY, "channel": "bank"},
    ("POST", "/api/v1/loans/close-of-business"): lambda m: {"business_date": TODAY},
    ("POST", "/api/v1/loans/{loan_id}/repayments"): lambda m: {
        "value_date": TODAY, "amount": "1000.00", "channel": "bank"},
    ("POST", "/api/v1/loans/{loan_id}/prepayments"): lambda m: {
        "value_date": TODAY, "amount": "30000.00", "channel": "bank", "mode": "reduce_term"},
    ("POST", "/api/v1/loans/{loan_id}/settlement"): lambda m: {
        "value_date": TODAY, "amount": m.extra["settlement_amount"], "channel": "bank"},
    ("POST", "/api/v1/loans/{loan_id}/waivers"): lambda m: {
        "value_date": TODAY, "amount": "1.00", "component": "interest"},
    ("POST", "/api/v1/loans/{loan_id}/refunds"): lambda m: {
        "value_date": TODAY, "amount": "10.00", "channel": "bank"},
    ("POST", "/api/v1/loans/{loan_id}/restructure"): lambda m: {
        "value_date": TODAY, "terms": {"annual_rate": "5", "term": 24}},
    ("POST", "/api/v1/loans/{loan_id}/writeoff"): lambda m: {"value_date": TODAY},
    ("POST", "/api/v1/loans/{loan_id}/recoveries"): lambda m: {
        "value_date": TODAY, "amount": "100.00", "channel": "bank"},
    ("POST", "/api/v1/loans/{loan_id}/transactions/{transaction_id}/reverse"): lambda m: {
        "reason": "entered twice"},

    ("POST", "/api/v1/devices"): lambda m: {
        "identifier": _imei(20), "protocol": "gt06", "org_unit": "EAST-SH"},
    ("POST", "/api/v1/devices/pending/{identifier}/register"): lambda m: {
        "org_unit": "EAST-SH"},
    ("PATCH", "/api/v1/devices/{device_id}"): lambda m: {"firmware": "GT06N-2.1"},
    ("POST", "/api/v1/vehicles"): lambda m: {"vin": "11111111111111111", "org_unit": "EAST-SH"},
    ("PATCH", "/api/v1/vehicles/{vehicle_id}"): lambda m: {"plate": "沪A99999"},
    ("POST", "/api/v1/vehicles/{vehicle_id}/installations"): lambda m: {
        "device_id": m.extra["spare_device_id"]},
    ("POST", "/api/v1/installations/{installation_id}/removal"): lambda m: {
        "reason": "replaced"},
    ("POST", "/api/v1/devices/{device_id}/commands"): lambda m: {"kind": "position_request"},
    ("POST", "/api/v1/commands/{command_id}/approve"): lambda m: None,
    ("POST", "/api/v1/commands/{command_id}/reject"): lambda m: {"reason": "not yet"},
    ("POST", "/api/v1/commands/{command_id}/cancel"): lambda m: None,

    ("POST", "/api/v1/alarms/{alarm_id}/acknowledge"): lambda m: {"note": "seen"},
    ("POST", "/api/v1/alarms/{alarm_id}/assign"): lambda m: {
        "user_id": m.world.users["demo.field"], "note": "go and look"},
    ("POST", "/api/v1/alarms/{alarm_id}/resolve"): lambda m: {"note": "power restored"},
    ("POST", "/api/v1/alarms/{alarm_id}/false-alarm"): lambda m: {"note": "garage work"},
    ("POST", "/api/v1/alarms/{alarm_id}/notes"): lambda m: {"text": "called the borrower"},
    ("PATCH", "/api/v1/alarm-rules"): lambda m: {"rules": [
        {"type": "lowBattery", "severity": "warning"}]},
    ("POST", "/api/v1/notification-channels"): lambda m: {
        "org_unit_id": m.world.units["EAST-SH"], "kind": "wecom", "name": "Shanghai group",
        "config": {"url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k"}},
    ("PATCH", "/api/v1/notification-channels/{channel_id}"): lambda m: {
        "quiet_start": "22:00", "quiet_end": "07:00"},
    ("POST", "/api/v1/vehicles/{vehicle_id}/devices"): lambda m: {
        "device_id": m.extra["spare_device_id"], "wired": True},

    ("POST", "/api/v1/strategies/validate"): lambda m: {"document": matrix_strategy()},
    ("POST", "/api/v1/strategies/versions"): lambda m: {"document": matrix_strategy()},
    ("POST", "/api/v1/strategies/jdm-import"): lambda m: {
        "jdm": jdm.export_table(matrix_strategy()["tables"][0])},
    ("PUT", "/api/v1/strategy-versions/{version_id}"): lambda m: {"document": matrix_strategy()},
    ("POST", "/api/v1/strategy-versions/{version_id}/submit"): lambda m: None,
    ("POST", "/api/v1/strategy-versions/{version_id}/approve"): lambda m: None,
    ("POST", "/api/v1/strategy-versions/{version_id}/activate"): lambda m: None,
    ("POST", "/api/v1/strategy-versions/{version_id}/retire"): lambda m: None,
    ("POST", "/api/v1/strategy-versions/{version_id}/simulate"): lambda m: {"limit": 100},
    ("POST", "/api/v1/strategies/{strategy_id}/rollback"): lambda m: {},
    ("POST", "/api/v1/decisions/{stage}"): lambda m: {
        "product": "M-PROD", "inputs": dict(GOOD_APPLICANT), "subject_id": "APP-1"},
    ("POST", "/api/v1/decisions/{decision_id}/outcome"): lambda m: {"bad": True},

    ("POST", "/api/v1/geofences"): lambda m: {
        "name": "Matrix fence", "kind": "allowed",
        "geometry": {"type": "Point", "coordinates": [121.47, 31.23]}, "radius_m": 5000,
        "vehicle_ids": [m.objects["vehicle_id"].own]},
    ("DELETE", "/api/v1/geofences/{geofence_id}"): lambda m: None,
    ("POST", "/api/v1/risk-areas/import"): lambda m: {
        "filename": "areas.csv",
        "content": "name,category,latitude,longitude,radius_m\nMarket,used_car_market,31.2,"
                   "121.4,300\n"},
}

# POST routes that compute without storing anything (no audit record expected).
COMPUTATIONS = {("POST", "/api/v1/loans/quote"), ("POST", "/api/v1/strategies/validate"),
                ("POST", "/api/v1/strategies/jdm-import")}

# Routes whose permission no tenant role may hold: the platform administrator calls them.
PLATFORM_ROUTES = {("GET", "/api/v1/tenants"), ("POST", "/api/v1/tenants")}
