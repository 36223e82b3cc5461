"""The contract's `POST /vehicles/{id}/devices` and the installation check over HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fengkong.demo import DemoWorld
from tests.conftest import login
from tests.integration.health_world import imei


def test_installing_a_registered_device_starts_the_check(client: TestClient,
                                                         world: DemoWorld) -> None:
    headers = login(client, "demo.monitor")
    vehicle = client.post("/api/v1/vehicles", headers=headers, json={
        "vin": "LSVAM4187C2184847", "plate": "沪A1F203", "org_unit": "EAST-SH"}).json()
    device = client.post("/api/v1/devices", headers=headers, json={
        "identifier": imei(3), "protocol": "gt06", "org_unit": "EAST-SH"}).json()
    url = f"/api/v1/vehicles/{vehicle['id']}"
    none_yet = client.get(url + "/installation-check", headers=headers)
    assert none_yet.status_code == 404
    made = client.post(url + "/devices", headers=headers,
                       json={"device_id": device["id"], "wired": True})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["installation"]["device_id"] == device["id"]
    assert body["check"]["state"] == "pending"
    assert body["check"]["results"] == [{"device_id": device["id"], "wired": True,
                                         "passed": False, "reasons": [
                                             "not_logged_in", "no_valid_fix",
                                             "no_external_power"]}]
    assert client.get(f"/api/v1/devices/{device['id']}", headers=headers).json()["kind"] == (
        "wired")
    check = client.get(url + "/installation-check", headers=headers).json()
    assert check["id"] == body["check"]["id"]
    again = client.post(url + "/devices", headers=headers,
                        json={"device_id": device["id"], "wired": True})
    assert again.status_code == 409 and again.json()["field"] == "device_id"
    missing = client.post(url + "/devices", headers=headers, json={"device_id": device["id"]})
    assert missing.status_code == 422
