"""Device commands through HTTP: an engine stop requested, refused to its own requester and to
a user without the permission, approved by a second person; the approval queue; cancelling
and rejecting; scoping by branch; bad input refused whole with its code and field."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from fengkong.bootstrap import Container
from fengkong.core.models import AuditRecord
from fengkong.demo import DemoWorld, principal_of
from fengkong.loans import loan_service, product_service
from fengkong.loans.demo_data import CAR_LOAN
from fengkong.telematics import device_service
from fengkong.telematics.command_models import DeviceCommand
from fengkong.telematics.protocols.crc import luhn
from tests.conftest import login
from tests.e2e.test_telematics_api import ok, problem


@dataclass
class Car:
    device: str
    loan: str


@pytest.fixture
def car(container: Container, world: DemoWorld) -> Car:
    """A tracker in EAST-SH on a car securing an active loan."""
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        product = product_service.create_product(uow, admin, code="CAR", name="Car",
                                                 params=CAR_LOAN)
        loan = loan_service.book(uow, admin, loan_service.Booking(
            product_id=product.id, borrower_ref="B-7", org_unit_id=world.units["EAST-SH"],
            loan={"principal": "80000.00", "term": 12, "annual_rate": "6",
                  "disbursement_date": "2025-10-05"}, approved_on=date(2025, 10, 1)))
        loan_service.disburse(uow, admin, loan.id, on=date(2025, 10, 5), channel="bank")
        body = "86471700000042"
        device = device_service.register_device(uow, admin, identifier=body + str(luhn(int(body))),
                                                protocol="gt06", org_unit="EAST-SH")
        vehicle = device_service.create_vehicle(uow, admin, vin="LSVAM4187C2184847",
                                                org_unit="EAST-SH", loan_id=loan.id)
        device_service.install(uow, admin, vehicle.id, device_service.Fitting(device.id))
        uow.commit()
        return Car(device.id, loan.id)


@pytest.fixture
def users(client: TestClient, world: DemoWorld) -> Iterator[dict[str, dict[str, str]]]:
    yield {name: login(client, f"demo.{name}")
           for name in ("monitor", "hq", "sh", "hz", "admin")}


def stop_body(car: Car) -> dict[str, str]:
    return {"kind": "engine_stop", "reason": "three instalments unpaid", "loan_id": car.loan}


def test_an_engine_stop_is_requested_by_one_person_and_approved_by_another(
        client: TestClient, car: Car, users: dict[str, dict[str, str]]) -> None:
    asked = ok(client.post(f"/api/v1/devices/{car.device}/commands", headers=users["monitor"],
                           json=stop_body(car)), 201)
    assert (asked["state"], asked["kind"], asked["loan_id"]) == ("awaiting_approval",
                                                                 "engine_stop", car.loan)
    assert asked["expires_at"] == "2026-01-06T01:00:00Z"
    path = f"/api/v1/commands/{asked['id']}"

    queue = ok(client.get("/api/v1/commands", headers=users["hq"],
                          params={"state": "awaiting_approval"}))
    assert [c["id"] for c in queue["items"]] == [asked["id"]]
    problem(client.post(f"{path}/approve", headers=users["monitor"]), 403, "own_request", None)
    problem(client.post(f"{path}/approve", headers=users["sh"]), 403, "permission_denied",
            None)

    approved = ok(client.post(f"{path}/approve", headers=users["hq"],
                              json={"note": "file checked"}))
    assert approved["state"] == "pending" and approved["approved_by"] != approved["requested_by"]
    assert ok(client.get(path, headers=users["sh"]))["state"] == "pending"
    listed = ok(client.get(f"/api/v1/devices/{car.device}/commands", headers=users["sh"]))
    assert [c["id"] for c in listed["items"]] == [asked["id"]] and listed["next"] is None
    problem(client.post(f"{path}/reject", headers=users["hq"], json={"reason": "late"}), 409,
            "wrong_state", "state")


def test_one_open_engine_command_per_device_and_a_rejection_frees_it(
        client: TestClient, car: Car, users: dict[str, dict[str, str]]) -> None:
    url = f"/api/v1/devices/{car.device}/commands"
    first = ok(client.post(url, headers=users["monitor"], json=stop_body(car)), 201)
    resume = {**stop_body(car), "kind": "engine_resume"}
    problem(client.post(url, headers=users["admin"], json=resume), 409, "engine_command_open",
            "kind")
    problem(client.post(f"/api/v1/commands/{first['id']}/reject", headers=users["hq"],
                        json={}), 422, "required", "reason")
    rejected = ok(client.post(f"/api/v1/commands/{first['id']}/reject", headers=users["hq"],
                              json={"reason": "paid at the branch"}))
    assert (rejected["state"], rejected["closed_reason"]) == ("rejected", "paid at the branch")
    again = ok(client.post(url, headers=users["admin"], json=resume), 201)
    cancelled = ok(client.post(f"/api/v1/commands/{again['id']}/cancel",
                               headers=users["monitor"], json={"reason": "asked twice"}))
    assert cancelled["state"] == "cancelled"
    problem(client.post(f"/api/v1/commands/{again['id']}/cancel", headers=users["monitor"]),
            409, "wrong_state", "state")


def test_a_position_request_is_pending_at_once_and_a_sibling_branch_cannot_see_it(
        client: TestClient, car: Car, users: dict[str, dict[str, str]]) -> None:
    where = ok(client.post(f"/api/v1/devices/{car.device}/commands", headers=users["monitor"],
                           json={"kind": "position_request"}), 201)
    assert where["state"] == "pending" and where["hold_reason"] is None
    problem(client.get(f"/api/v1/commands/{where['id']}", headers=users["hz"]), 404,
            "not_found", None)
    problem(client.get(f"/api/v1/devices/{car.device}/commands", headers=users["hz"]), 404,
            "not_found", None)
    assert ok(client.get("/api/v1/commands", headers=users["hz"]))["items"] == []
    pending = ok(client.get("/api/v1/commands", headers=users["sh"],
                            params={"state": "pending", "kind": "position_request"}))
    assert [c["id"] for c in pending["items"]] == [where["id"]]


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    ({"kind": "engine_stop", "loan_id": "{loan}"}, 422, "required", "reason"),
    ({"kind": "engine_stop", "reason": "overdue"}, 422, "required", "loan_id"),
    ({"kind": "engine_stop", "reason": "overdue", "loan_id": "I" * 26}, 422, "bad_format",
     "loan_id"),
    ({"kind": "engine_stop", "reason": "overdue", "loan_id": "01KA0000000000000000000000"},
     422, "unknown_reference", "loan_id"),
    ({"kind": "reboot"}, 422, "invalid_choice", "kind"),
    ({"kind": "custom"}, 422, "required", "text"),
    ({"kind": "custom", "text": "Relay,1#"}, 422, "engine_command_as_text", "text"),
    ({"kind": "custom", "text": "x" * 241}, 422, "too_long", "text"),
    ({"kind": "position_request", "colour": "red"}, 422, "unknown_field", "colour"),
    ({"kind": "position_request", "text": "WHERE#"}, 422, "not_allowed", "text"),
])
def test_bad_input_is_refused_with_code_and_field_and_nothing_is_stored(
        client: TestClient, container: Container, car: Car, users: dict[str, dict[str, str]],
        body: dict[str, str], status: int, code: str, field: str) -> None:
    body = {k: v.replace("{loan}", car.loan) for k, v in body.items()}
    problem(client.post(f"/api/v1/devices/{car.device}/commands", headers=users["monitor"],
                        json=body), status, code, field)
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(DeviceCommand)) == 0
        rejected = uow.session.scalar(select(func.count()).select_from(AuditRecord).where(
            AuditRecord.action == "request.rejected"))
    assert rejected == 1


def test_a_caller_without_the_engine_permission_may_not_ask_for_a_cut_off(
        client: TestClient, car: Car, users: dict[str, dict[str, str]]) -> None:
    problem(client.post(f"/api/v1/devices/{car.device}/commands", headers=users["hq"],
                        json=stop_body(car)), 403, "permission_denied", None)
