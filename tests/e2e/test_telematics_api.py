"""The tracker registry through HTTP: devices, pending identifiers, vehicles, installations,
live state and position history; scoping by branch and tenant; bad input refused whole."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fengkong.bootstrap import Container
from fengkong.core.audit_service import SystemActor
from fengkong.demo import DemoWorld
from fengkong.org import service as org
from fengkong.org.auth_service import user_principal
from fengkong.telematics import device_service, directory
from fengkong.telematics.models import Device, DeviceInstallation, Vehicle
from fengkong.telematics.position_store import Report, store_positions
from fengkong.telematics.protocols.crc import luhn
from fengkong.telematics.protocols.position import Position
from tests.conftest import DEMO_PASSWORD, login

T0 = datetime(2026, 1, 4, 0, 0, tzinfo=UTC)
LAT, LON = 31.2304, 121.4737
VIN = "LSVAM4187C2184847"


def imei(n: int) -> str:
    body = f"86471700{n:06d}"
    return body + str(luhn(int(body)))


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def problem(response: Any, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["code"], body["field"]) == (code, field), body


@pytest.fixture
def admin(client: TestClient, world: DemoWorld) -> dict[str, str]:
    return login(client, "demo.admin")


def new_device(client: TestClient, headers: dict[str, str], n: int, unit: str = "EAST-SH",
               **extra: Any) -> str:
    return ok(client.post("/api/v1/devices", headers=headers, json={
        "identifier": imei(n), "protocol": "gt06", "org_unit": unit, **extra}), 201)["id"]


def new_vehicle(client: TestClient, headers: dict[str, str], vin: str = VIN,
                unit: str = "EAST-SH", **extra: Any) -> str:
    return ok(client.post("/api/v1/vehicles", headers=headers,
                          json={"vin": vin, "org_unit": unit, **extra}), 201)["id"]


def install(client: TestClient, headers: dict[str, str], vehicle: str, device: str,
            **extra: Any) -> Any:
    return client.post(f"/api/v1/vehicles/{vehicle}/installations", headers=headers,
                       json={"device_id": device, **extra})


def track(container: Container, tenant_id: str, device_id: str, count: int,
          start: datetime = T0, **attributes: Any) -> None:
    """`count` fixes a minute apart, heading north at about 6.7 km/h."""
    reports = [Report(tenant_id, device_id, start + timedelta(minutes=i, seconds=2),
                      Position(None, start + timedelta(minutes=i), True, LAT + i * 0.001, LON,
                               speed_kmh=6.7, course=0.0, attributes=dict(attributes)))
               for i in range(count)]
    with container.uow() as uow:
        store_positions(uow.session, reports)
        uow.commit()


def counts(container: Container) -> tuple[int, ...]:
    with container.uow() as uow:
        return tuple(uow.session.scalar(select(func.count()).select_from(m)) or 0
                     for m in (Device, Vehicle, DeviceInstallation))


# --- devices ---------------------------------------------------------------------------------


def test_a_device_is_registered_and_shows_its_status_and_last_seen(
        client: TestClient, container: Container, world: DemoWorld,
        admin: dict[str, str]) -> None:
    device = ok(client.post("/api/v1/devices", headers=admin, json={
        "identifier": imei(1), "protocol": "gt06", "org_unit": "EAST-SH", "model": "ET25",
        "kind": "wireless", "sim_iccid": "89860012345678901234", "sim_phone": "13812345678",
        "timezone": "Asia/Shanghai"}), 201)
    assert device["id"] and device["org_unit"] == "EAST-SH"
    fresh = ok(client.get(f"/api/v1/devices/{device['id']}", headers=admin))
    assert (fresh["status"], fresh["last_seen"], fresh["vehicle_id"]) == ("unknown", None, None)
    track(container, world.tenant_id, device["id"], 1)
    seen = ok(client.get(f"/api/v1/devices/{device['id']}", headers=admin))
    assert (seen["status"], seen["last_seen"]) == ("online", "2026-01-04T00:00:02Z")


def test_a_jt808_terminal_registers_by_its_phone(client: TestClient,
                                                 admin: dict[str, str]) -> None:
    body = ok(client.post("/api/v1/devices", headers=admin, json={
        "identifier": "013912345678", "protocol": "jt808", "org_unit": "HQ"}), 201)
    assert (body["identifier"], body["protocol"]) == ("13912345678", "jt808")


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"identifier": imei(1)[:-1] + str((int(imei(1)[-1]) + 1) % 10), "protocol": "gt06"}, 422,
     "invalid_imei", "identifier"),
    ({"identifier": "86471700000001", "protocol": "gt06"}, 422, "invalid_imei", "identifier"),
    ({"identifier": "1" * 21, "protocol": "jt808"}, 422, "invalid_terminal_phone",
     "identifier"),
    ({"identifier": "13912345678", "protocol": "tk103"}, 422, "invalid_choice", "protocol"),
    ({"identifier": imei(9), "protocol": "gt06", "org_unit": "NOWHERE"}, 422,
     "unknown_reference", "org_unit"),
    ({"identifier": imei(9), "protocol": "gt06", "timezone": "Mars/Olympus"}, 422,
     "unknown_timezone", "timezone"),
    ({"identifier": imei(9), "protocol": "gt06", "kind": "magnetic"}, 422, "invalid_choice",
     "kind"),
    ({"identifier": imei(9), "protocol": "gt06", "sim_phone": "call me"}, 422, "bad_format",
     "sim_phone"),
    ({"identifier": imei(9), "protocol": "gt06", "colour": "red"}, 422, "unknown_field",
     "colour"),
    ({"identifier": imei(0), "protocol": "gt06"}, 409, "duplicate_identifier", "identifier"),
])
def test_bad_device_input_is_refused_and_changes_nothing(
        client: TestClient, container: Container, admin: dict[str, str],
        body: dict[str, Any], status: int, code: str, field: str) -> None:
    new_device(client, admin, 0)
    before = counts(container)
    problem(client.post("/api/v1/devices", headers=admin,
                        json={"org_unit": "EAST-SH", **body}), status, code, field)
    assert counts(container) == before


def test_sim_numbers_are_masked_for_those_who_may_not_see_them(
        client: TestClient, admin: dict[str, str]) -> None:
    device = new_device(client, admin, 2, sim_iccid="89860012345678901234",
                        sim_phone="13812345678")
    full = ok(client.get(f"/api/v1/devices/{device}", headers=login(client, "demo.monitor")))
    assert (full["sim_phone"], full["sim_iccid"]) == ("13812345678", "89860012345678901234")
    masked = ok(client.get(f"/api/v1/devices/{device}", headers=login(client, "demo.hq")))
    assert masked["sim_phone"] == "138****5678"
    assert masked["sim_iccid"] == "*" * 16 + "1234"


def test_a_device_is_changed_and_moved(client: TestClient, admin: dict[str, str]) -> None:
    device = new_device(client, admin, 3)
    changed = ok(client.patch(f"/api/v1/devices/{device}", headers=admin, json={
        "firmware": "GT06N-2.1", "accept_bad_crc": True, "org_unit": "EAST-HZ"}))
    assert (changed["firmware"], changed["accept_bad_crc"], changed["org_unit"]) == (
        "GT06N-2.1", True, "EAST-HZ")
    problem(client.patch(f"/api/v1/devices/{device}", headers=admin,
                         json={"identifier": imei(4)}), 422, "unknown_field", "identifier")


def test_devices_are_listed_by_unit_and_status_within_the_callers_subtree(
        client: TestClient, container: Container, world: DemoWorld,
        admin: dict[str, str]) -> None:
    sh, hz, cd = (new_device(client, admin, n, unit) for n, unit in
                  ((5, "EAST-SH"), (6, "EAST-HZ"), (7, "WEST-CD")))
    track(container, world.tenant_id, sh, 1)

    def ids(headers: dict[str, str], **query: str) -> set[str]:
        page = ok(client.get("/api/v1/devices", headers=headers, params=query))
        return {d["id"] for d in page["items"]}

    assert ids(admin) == {sh, hz, cd}
    assert ids(admin, org_unit="EAST-HZ") == {hz}
    assert ids(admin, org_unit="EAST") == {sh, hz}
    assert ids(admin, status="online") == {sh}
    assert ids(admin, status="unknown") == {hz, cd}
    east = login(client, "demo.east")   # branch manager of the East region
    assert ids(east) == {sh, hz}
    assert ids(login(client, "demo.sh")) == {sh}
    problem(client.get(f"/api/v1/devices/{cd}", headers=east), 404, "not_found", None)
    first = ok(client.get("/api/v1/devices", headers=admin, params={"limit": 2}))
    rest = ok(client.get("/api/v1/devices", headers=admin,
                         params={"limit": 2, "after": first["next"]}))
    assert len(first["items"]) == 2 and rest["next"] is None
    assert {d["id"] for d in first["items"] + rest["items"]} == {sh, hz, cd}


def test_another_tenants_device_and_vehicle_are_not_found(
        client: TestClient, container: Container, world: DemoWorld) -> None:
    with container.uow() as uow:
        rival = org.create_tenant(uow, SystemActor(), code="rival", name="Rival")
        root = org.root_unit(uow, rival.id)
        boss = org.create_user(uow, SystemActor(tenant_id=rival.id), container.hasher,
                               tenant_id=rival.id, username="rival.admin", display_name="R",
                               password=DEMO_PASSWORD, org_unit_id=root.id,
                               roles=["tenant_admin"], min_password_length=8)
        acting = user_principal(uow, boss)
        theirs = device_service.register_device(uow, acting, identifier=imei(8),
                                                protocol="gt06", org_unit=root.code)
        car = device_service.create_vehicle(uow, acting, vin=VIN, org_unit=root.code)
        uow.commit()
        device_id, car_id = theirs.id, car.id
    admin = login(client, "demo.admin")
    for path in (f"/api/v1/devices/{device_id}", f"/api/v1/vehicles/{car_id}",
                 f"/api/v1/vehicles/{car_id}/live"):
        problem(client.get(path, headers=admin), 404, "not_found", None)
    problem(client.patch(f"/api/v1/devices/{device_id}", headers=admin,
                         json={"firmware": "x"}), 404, "not_found", None)
    own_car = new_vehicle(client, admin)   # the same VIN in another tenant is fine
    problem(install(client, admin, own_car, device_id), 422, "unknown_reference", "device_id")
    assert ok(client.get("/api/v1/devices", headers=admin))["items"] == []


def test_roles_decide_who_registers_devices(client: TestClient, world: DemoWorld) -> None:
    officer = login(client, "demo.officer")
    problem(client.post("/api/v1/devices", headers=officer, json={
        "identifier": imei(11), "protocol": "gt06", "org_unit": "EAST-SH"}), 403,
        "permission_denied", None)
    assert new_device(client, login(client, "demo.monitor"), 11)
    assert new_vehicle(client, officer)   # a credit officer records the car of a loan


# --- pending identifiers ---------------------------------------------------------------------


def test_a_pending_identifier_is_listed_and_registered_in_one_step(
        client: TestClient, container: Container, admin: dict[str, str]) -> None:
    with container.uow() as uow:
        for minute in range(3):
            directory.note_unknown(uow.session, "gt06", imei(12), "10.0.0.1:4000",
                                   T0 + timedelta(minutes=minute))
        directory.note_unknown(uow.session, "jt808", "013900000001", "10.0.0.2:4000", T0)
        uow.commit()
    pending = ok(client.get("/api/v1/devices/pending", headers=admin))
    assert pending["items"][0] == {"identifier": imei(12), "protocol": "gt06", "count": 3,
                                   "first_seen": "2026-01-04T00:00:00Z",
                                   "last_seen": "2026-01-04T00:02:00Z"}
    page = ok(client.get("/api/v1/devices/pending", headers=admin, params={"limit": 1}))
    more = ok(client.get("/api/v1/devices/pending", headers=admin,
                         params={"limit": 1, "after": page["next"]}))
    assert more["items"][0]["identifier"] == "13900000001" and more["next"] is None
    device = ok(client.post(f"/api/v1/devices/pending/{imei(12)}/register", headers=admin,
                            json={"org_unit": "EAST-SH", "model": "ET25"}), 201)
    assert (device["identifier"], device["protocol"], device["model"]) == (
        imei(12), "gt06", "ET25")
    left = ok(client.get("/api/v1/devices/pending", headers=admin))["items"]
    assert [p["identifier"] for p in left] == ["13900000001"]
    problem(client.post(f"/api/v1/devices/pending/{imei(12)}/register", headers=admin,
                        json={"org_unit": "EAST-SH"}), 404, "not_found", None)
    problem(client.get("/api/v1/devices/pending", headers=admin, params={"after": "junk"}),
            422, "bad_cursor", "after")


def test_registering_a_pending_identifier_removes_it_from_the_list(
        client: TestClient, container: Container, admin: dict[str, str]) -> None:
    with container.uow() as uow:
        directory.note_unknown(uow.session, "gt06", imei(13), "10.0.0.1:4000", T0)
        uow.commit()
    new_device(client, admin, 13)
    assert ok(client.get("/api/v1/devices/pending", headers=admin))["items"] == []
    problem(client.get("/api/v1/devices/pending", headers=login(client, "demo.hq")), 403,
            "permission_denied", None)


# --- vehicles and installations --------------------------------------------------------------


def test_a_vehicle_is_recorded_changed_and_read(client: TestClient,
                                                admin: dict[str, str]) -> None:
    car = ok(client.post("/api/v1/vehicles", headers=admin, json={
        "vin": VIN.lower(), "org_unit": "EAST-SH", "plate": "沪A12345", "make": "Volkswagen",
        "model": "Lavida", "colour": "white", "purchase_price": "158000.00",
        "loan_id": "01JH0000000000000000000000"}), 201)
    assert (car["vin"], car["purchase_price"], car["org_unit"]) == (VIN, "158000.00", "EAST-SH")
    changed = ok(client.patch(f"/api/v1/vehicles/{car['id']}", headers=admin,
                              json={"plate": "沪B54321", "org_unit": "EAST-HZ"}))
    assert (changed["plate"], changed["org_unit"], changed["make"]) == (
        "沪B54321", "EAST-HZ", "Volkswagen")
    assert ok(client.get(f"/api/v1/vehicles/{car['id']}", headers=admin)) == changed
    problem(client.patch(f"/api/v1/vehicles/{car['id']}", headers=admin, json={"vin": None}),
            422, "required", "vin")
    problem(client.patch(f"/api/v1/vehicles/{car['id']}", headers=admin,
                         json={"vin": "LSVAM4188C2184847"}), 422, "bad_check_digit", "vin")
    listed = ok(client.get("/api/v1/vehicles", headers=admin, params={"org_unit": "EAST-HZ"}))
    assert [v["id"] for v in listed["items"]] == [car["id"]]
    assert ok(client.get("/api/v1/vehicles", headers=login(client, "demo.sh")))["items"] == []


@pytest.mark.parametrize(("vin", "code"), [
    ("LSVAM4188C2184847", "bad_check_digit"),
    ("LSVAM4187C218484", "invalid_vin"),
    ("LSVAM4187C21848I7", "invalid_vin"),
])
def test_a_vin_with_a_wrong_check_digit_is_refused(
        client: TestClient, container: Container, admin: dict[str, str], vin: str,
        code: str) -> None:
    before = counts(container)
    problem(client.post("/api/v1/vehicles", headers=admin,
                        json={"vin": vin, "org_unit": "EAST-SH"}), 422, code, "vin")
    assert counts(container) == before


def test_a_device_installed_elsewhere_must_be_removed_first(
        client: TestClient, container: Container, admin: dict[str, str]) -> None:
    device = new_device(client, admin, 14)
    first, second = new_vehicle(client, admin), new_vehicle(client, admin, "1M8GDM9AXKP042788")
    fitted = ok(install(client, admin, first, device, installer="Wang Shifu",
                        address="88 Century Ave, Pudong", latitude=31.23, longitude=121.51,
                        photos=["files/abc.jpg"], installed_at="2026-01-03T09:30:00+08:00"),
                201)
    assert fitted["installed_at"] == "2026-01-03T01:30:00Z"
    assert ok(client.get(f"/api/v1/devices/{device}", headers=admin))["vehicle_id"] == first
    before = counts(container)
    problem(install(client, admin, second, device), 409, "device_installed", "device_id")
    problem(install(client, admin, second, device, latitude=31.0), 422,
            "incomplete_position", "longitude")
    problem(install(client, admin, second, device, installed_at="2027-01-01T00:00:00Z"),
            422, "in_future", "installed_at")
    assert counts(container) == before
    removed = ok(client.post(f"/api/v1/installations/{fitted['id']}/removal", headers=admin,
                             json={"reason": "moved to the other car"}))
    assert removed["removal_reason"] == "moved to the other car" and removed["removed_at"]
    problem(client.post(f"/api/v1/installations/{fitted['id']}/removal", headers=admin,
                        json={"reason": "again"}), 409, "already_removed", "removed_at")
    ok(install(client, admin, second, device), 201)
    history = ok(client.get(f"/api/v1/vehicles/{first}/installations", headers=admin))
    assert [(i["device_id"], i["photos"]) for i in history["items"]] == [
        (device, ["files/abc.jpg"])]


# --- live state and positions ----------------------------------------------------------------


def test_the_live_map_shows_each_vehicle_by_its_newest_device_within_reach(
        client: TestClient, container: Container, world: DemoWorld,
        admin: dict[str, str]) -> None:
    wired, hidden, far = (new_device(client, admin, n, unit) for n, unit in
                          ((15, "EAST-SH"), (16, "EAST-SH"), (17, "WEST-CD")))
    car = new_vehicle(client, admin, plate="沪A12345")
    west_car = new_vehicle(client, admin, "1M8GDM9AXKP042788", "WEST-CD")
    idle_car = new_vehicle(client, admin, "JHMCM56557C404453", "EAST-HZ")
    for device, vehicle in ((wired, car), (hidden, car), (far, west_car)):
        ok(install(client, admin, vehicle, device, installed_at="2026-01-01T00:00:00Z"), 201)
    track(container, world.tenant_id, wired, 3, ignition=True, battery_level=90)
    track(container, world.tenant_id, hidden, 5)
    track(container, world.tenant_id, far, 1)

    live = ok(client.get(f"/api/v1/vehicles/{car}/live", headers=admin))
    assert (live["device_id"], live["status"], live["plate"]) == (hidden, "online", "沪A12345")
    assert live["fix_time"] == "2026-01-04T00:04:00Z"
    assert live["latitude"] == pytest.approx(LAT + 0.004)
    assert {d["device_id"] for d in live["devices"]} == {wired, hidden}

    every = ok(client.get("/api/v1/live", headers=admin))
    assert {v["vehicle_id"] for v in every["items"]} == {car, west_car, idle_car}
    unknown = ok(client.get("/api/v1/live", headers=admin, params={"status": "unknown"}))
    assert [v["vehicle_id"] for v in unknown["items"]] == [idle_car]
    east = ok(client.get("/api/v1/live", headers=login(client, "demo.east")))
    assert {v["vehicle_id"] for v in east["items"]} == {car, idle_car}
    hz = ok(client.get("/api/v1/live", headers=admin, params={"org_unit": "EAST-HZ"}))
    assert [v["vehicle_id"] for v in hz["items"]] == [idle_car]
    problem(client.get(f"/api/v1/vehicles/{west_car}/live", headers=login(client, "demo.east")),
            404, "not_found", None)
    problem(client.get("/api/v1/live", headers=login(client, "demo.officer")), 403,
            "permission_denied", None)


def test_positions_come_back_in_pages_with_their_fields(
        client: TestClient, container: Container, world: DemoWorld,
        admin: dict[str, str]) -> None:
    device = new_device(client, admin, 18)
    car = new_vehicle(client, admin)
    ok(install(client, admin, car, device, installed_at="2026-01-01T00:00:00Z"), 201)
    track(container, world.tenant_id, device, 7, ignition=True)
    window = {"from": "2026-01-04T00:00:00Z", "to": "2026-01-04T01:00:00Z"}
    url = f"/api/v1/devices/{device}/positions"
    first = ok(client.get(url, headers=admin, params={**window, "limit": 3}))
    assert first["items"][0] == {
        "fix_time": "2026-01-04T00:00:00Z", "latitude": LAT, "longitude": LON,
        "altitude": None, "speed_kmh": 6.7, "course": 0.0, "valid": True, "archived": False,
        "attributes": {"ignition": True}, "device_id": device,
        "received_at": "2026-01-04T00:00:02Z"}
    seen = [p["fix_time"] for p in first["items"]]
    cursor = first["next"]
    while cursor:
        page = ok(client.get(url, headers=admin, params={**window, "limit": 3,
                                                          "after": cursor}))
        seen += [p["fix_time"] for p in page["items"]]
        cursor = page["next"]
    assert seen == [f"2026-01-04T00:0{i}:00Z" for i in range(7)]
    by_car = ok(client.get(f"/api/v1/vehicles/{car}/positions", headers=admin, params={
        "from": "2026-01-04T00:02:00", "to": "2026-01-04T00:04:00"}))
    assert [p["fix_time"] for p in by_car["items"]] == ["2026-01-04T00:02:00Z",
                                                        "2026-01-04T00:03:00Z"]
    assert by_car["next"] is None


@pytest.mark.parametrize(("query", "code", "field"), [
    ({"from": "2026-01-04T01:00:00Z", "to": "2026-01-04T00:00:00Z"}, "bad_range", "to"),
    ({"from": "2026-01-04T00:00:00Z", "to": "2026-01-04T00:00:00Z"}, "bad_range", "to"),
    ({"from": "2025-11-01T00:00:00Z", "to": "2026-01-04T00:00:00Z"}, "range_too_long", "to"),
    ({"to": "2026-01-04T00:00:00Z"}, "required", "from"),
    ({"from": "yesterday", "to": "2026-01-04T00:00:00Z"}, "wrong_type", "from"),
    ({"from": "2026-01-04T00:00:00Z", "to": "2026-01-04T01:00:00Z", "limit": "5001"},
     "out_of_range", "limit"),
    ({"from": "2026-01-04T00:00:00Z", "to": "2026-01-04T01:00:00Z", "after": "x"},
     "bad_cursor", "after"),
])
def test_a_position_query_needs_a_sensible_range(
        client: TestClient, admin: dict[str, str], query: dict[str, str], code: str,
        field: str) -> None:
    device = new_device(client, admin, 19)
    problem(client.get(f"/api/v1/devices/{device}/positions", headers=admin, params=query),
            422, code, field)
