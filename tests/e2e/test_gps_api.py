"""GPS analytics over HTTP: the geofence contract (GeoJSON in and out), bad input answered
with a code and a field and nothing stored, risk areas imported and listed, a vehicle's
stops (the contract shape), trips, mileage, trajectory, navigation links and risk; a branch
sees only its own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fengkong.bootstrap import Container
from fengkong.demo import DemoWorld
from tests.conftest import login
from tests.integration.gps_world import HOME, T0, WORK, GpsWorld, day, gps_world

POLYGON = {"type": "Polygon", "coordinates": [[[121.29, 31.09], [121.31, 31.09],
                                               [121.31, 31.11], [121.29, 31.11],
                                               [121.29, 31.09]]]}


@pytest.fixture
def gw(container: Container, world: DemoWorld) -> GpsWorld:
    return gps_world(container, world)


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return login(client, "demo.admin")


def test_a_polygon_fence_goes_in_and_comes_out_as_geojson(client: TestClient, gw: GpsWorld,
                                                          admin: dict[str, str]) -> None:
    r = client.post("/api/v1/geofences", headers=admin, json={
        "name": "Not the port", "kind": "forbidden", "geometry": POLYGON,
        "vehicle_ids": [gw.vehicle_id]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["geometry"] == POLYGON and body["vehicle_ids"] == [gw.vehicle_id]
    got = client.get(f"/api/v1/geofences/{body['id']}", headers=admin).json()
    assert got["kind"] == "forbidden" and got["owner_unit"] == "HQ"
    assert [f["id"] for f in client.get("/api/v1/geofences", headers=admin).json()["items"]
            ] == [body["id"]]


def test_a_circle_fence_is_a_point_with_a_radius(client: TestClient, gw: GpsWorld,
                                                 admin: dict[str, str]) -> None:
    r = client.post("/api/v1/geofences", headers=admin, json={
        "name": "Home city", "kind": "allowed", "radius_m": 50_000,
        "geometry": {"type": "Point", "coordinates": [121.3, 31.1]},
        "vehicle_ids": [gw.vehicle_id]})
    assert r.status_code == 201, r.text
    assert r.json()["geometry"] == {"type": "Point", "coordinates": [121.3, 31.1],
                                    "radius_m": 50_000}
    assert client.delete(f"/api/v1/geofences/{r.json()['id']}", headers=admin
                         ).status_code == 204


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"geometry": {"type": "Point", "coordinates": [121.3, 31.1]}}, "radius_m",
     "invalid_geometry"),
    ({"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}, "geometry.type",
     "invalid_geometry"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[300, 0], [1, 1], [0, 1], [300, 0]]]}},
     "geometry.coordinates", "invalid_geometry"),
    ({"geometry": POLYGON, "vehicle_ids": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]}, None, "not_found"),
    ({"geometry": POLYGON, "vehicle_ids": []}, "vehicle_ids", "required"),
])
def test_bad_fences_are_refused_with_the_field_and_nothing_is_stored(
        client: TestClient, gw: GpsWorld, admin: dict[str, str], body: dict[str, Any],
        field: str | None, code: str) -> None:
    sent = {"name": "bad", "kind": "forbidden", "vehicle_ids": [gw.vehicle_id], **body}
    r = client.post("/api/v1/geofences", headers=admin, json=sent)
    assert r.status_code in (404, 422), r.text
    assert r.json()["code"] == code
    if field is not None:
        assert r.json()["field"] == field
    assert client.get("/api/v1/geofences", headers=admin).json()["items"] == []


def test_risk_areas_import_in_bulk_and_list_by_category(client: TestClient, gw: GpsWorld,
                                                        admin: dict[str, str]) -> None:
    rows = "\n".join(f"Market {i},used_car_market,{31 + i / 1000},{121 + i / 1000},200"
                     for i in range(500))
    csv = "name,category,latitude,longitude,radius_m\n" + rows + "\nPort,port_border,30,122,2000\n"
    r = client.post("/api/v1/risk-areas/import", headers=admin,
                    json={"filename": "areas.csv", "content": csv})
    assert r.status_code == 201 and r.json() == {"imported": 501}
    page = client.get("/api/v1/risk-areas?category=port_border", headers=admin).json()
    assert [a["name"] for a in page["items"]] == ["Port"]
    assert page["items"][0]["dwell_s"] == 0 and page["items"][0]["whole_tenant"]
    bad = client.post("/api/v1/risk-areas/import", headers=admin, json={
        "filename": "a.geojson", "content": '{"type": "FeatureCollection", "features": [{'
        '"type": "Feature", "properties": {"name": "x", "category": "pawnshop"}, '
        '"geometry": {"type": "Point", "coordinates": [121, 31]}}]}'})
    assert bad.status_code == 422 and bad.json()["field"] == "radius_m"


def test_stops_answer_the_contract_shape(client: TestClient, gw: GpsWorld) -> None:
    gw.send(day(T0))   # moves the clock a day on: log in after
    admin = login(client, "demo.admin")
    r = client.get(f"/api/v1/vehicles/{gw.vehicle_id}/stops", headers=admin, params={
        "from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert len(items) == 2
    for stop in items:
        assert {"started_at", "ended_at", "latitude", "longitude", "duration_s"} <= set(stop)
    work, home = items
    assert abs(work["latitude"] - WORK[0]) < 0.001 and work["duration_s"] > 9 * 3600
    assert abs(home["longitude"] - HOME[1]) < 0.001 and home["open"]
    trips = client.get(f"/api/v1/vehicles/{gw.vehicle_id}/trips", headers=admin, params={
        "from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}).json()["items"]
    assert len(trips) == 2 and all(9_000 < t["distance_m"] < 11_000 for t in trips)
    miles = client.get(f"/api/v1/vehicles/{gw.vehicle_id}/mileage", headers=admin, params={
        "from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}).json()["items"]
    assert 19_000 < sum(d["distance_m"] for d in miles) < 22_000
    bad = client.get(f"/api/v1/vehicles/{gw.vehicle_id}/stops", headers=admin, params={
        "from": T0.isoformat(), "to": (T0 - timedelta(days=1)).isoformat()})
    assert bad.status_code == 422 and bad.json()["field"] == "to"


def test_trajectory_navigation_and_risk(client: TestClient, gw: GpsWorld) -> None:
    gw.send(day(T0))
    admin = login(client, "demo.admin")
    span = {"from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
    traj = client.get(f"/api/v1/vehicles/{gw.vehicle_id}/trajectory", headers=admin,
                      params={**span, "tolerance_m": 20}).json()
    assert traj["kept"] < traj["fixes"] / 3 and len(traj["stops"]) == 2
    nav = client.get(f"/api/v1/vehicles/{gw.vehicle_id}/navigation", headers=admin).json()
    assert nav["place"]["country"] == "CN"
    assert f"{nav['gcj02']['longitude']:.6f},{nav['gcj02']['latitude']:.6f}" in nav["links"][
        "amap"]
    assert "bd09ll" in nav["links"]["baidu"]
    risk = client.get(f"/api/v1/vehicles/{gw.vehicle_id}/risk", headers=admin).json()
    assert risk["score"] == 0 and risk["reasons"] == []


def test_a_branch_does_not_see_another_branchs_vehicle(client: TestClient, gw: GpsWorld
                                                      ) -> None:
    hangzhou = login(client, "demo.hz")
    r = client.get(f"/api/v1/vehicles/{gw.vehicle_id}/risk", headers=hangzhou)
    assert r.status_code == 404
