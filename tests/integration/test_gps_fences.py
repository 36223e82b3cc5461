"""Geofences and risk areas on the streaming path: each situation built from positions
stored through the position store, checked on the `vehicle.alarm` events (type, key, state,
evidence) and the risk score; history and restarts raise nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fengkong.bootstrap import Container
from fengkong.core.bus import Event
from fengkong.core.errors import InvalidInput
from fengkong.demo import DemoWorld, principal_of
from fengkong.telematics.analytics import geofence_service as fences
from fengkong.telematics.analytics.riskarea_files import read_rows
from fengkong.telematics.analytics.stream import AnalyticsWorker
from tests.integration.gps_world import HOME, T0, GpsWorld, east, every, gps_world, line


@pytest.fixture
def gw(container: Container, world: DemoWorld) -> GpsWorld:
    return gps_world(container, world)


def square(centre: tuple[float, float], half_m: float) -> dict:  # type: ignore[type-arg]
    a, b = east(centre, -half_m), east(centre, half_m)
    d = half_m / 111_195.0
    ring = [[a[1], centre[0] - d], [b[1], centre[0] - d], [b[1], centre[0] + d],
            [a[1], centre[0] + d], [a[1], centre[0] - d]]
    return {"type": "Polygon", "coordinates": [ring]}


def fence(gw: GpsWorld, kind: str, geometry: dict, **kw) -> str:  # type: ignore[no-untyped-def, type-arg]
    with gw.container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        f = fences.create_fence(uow, admin, fences.FenceDraft(
            name=f"{kind} test", kind=kind, geometry=geometry, vehicle_ids=[gw.vehicle_id],
            **kw))
        uow.commit()
    gw.worker.drain()
    return f.id


def test_entering_a_forbidden_fence_raises_and_leaving_clears(gw: GpsWorld) -> None:
    fence_id = fence(gw, "forbidden", square(HOME, 500))
    outside, inside = east(HOME, 3000), HOME
    gw.send(every(T0, 30, 20, line(outside, inside, 20), speed=40))
    [raised] = gw.of("geofenceEnter")
    assert raised["key"] == f"geofenceEnter:{gw.vehicle_id}:{fence_id}"
    assert raised["state"] == "raised" and raised["org_unit_id"]
    assert raised["evidence"]["fence_id"] == fence_id
    pos = raised["evidence"]["positions"][0]
    assert {"id", "fix_time", "latitude", "longitude", "speed_kmh"} <= pos.keys()
    assert raised["occurred_at"] == pos["fix_time"]
    gw.send(every(T0 + timedelta(minutes=20), 30, 20, line(inside, outside, 20), speed=40))
    assert [a["state"] for a in gw.of("geofenceEnter")] == ["raised", "cleared"]
    assert gw.risk and gw.risk[0]["score"] == 20 and gw.risk[-1]["score"] == 0


def test_leaving_an_allowed_area_raises_geofence_exit(gw: GpsWorld) -> None:
    fence_id = fence(gw, "allowed", {"type": "Point", "coordinates": [HOME[1], HOME[0]]},
                     radius_m=5000)
    gw.send(every(T0, 30, 10, HOME))
    assert gw.of("geofenceExit") == []
    gw.send(every(T0 + timedelta(minutes=10), 30, 30, line(HOME, east(HOME, 9000), 30),
                  speed=60))
    [exit_] = gw.of("geofenceExit")
    assert exit_["key"] == f"geofenceExit:{gw.vehicle_id}:{fence_id}"
    lon = exit_["evidence"]["positions"][0]["longitude"]
    assert east(HOME, 5000)[1] < lon


def test_jitter_on_the_border_of_a_fence_does_not_flap(gw: GpsWorld) -> None:
    import numpy as np
    fence(gw, "forbidden", square(HOME, 500))
    border = east(HOME, 500)
    rng = np.random.default_rng(3)
    points = [east(border, float(x)) for x in rng.normal(0, 10, 120)]
    gw.send(every(T0, 30, 120, points))
    assert gw.of("geofenceEnter") == []


def test_a_sparse_reporter_jumping_over_a_fence_is_caught(gw: GpsWorld) -> None:
    fence(gw, "forbidden", square(HOME, 300))
    gw.send(every(T0, 600, 1, east(HOME, -5000)))
    gw.send(every(T0 + timedelta(minutes=10), 600, 1, east(HOME, 5000)))
    [crossed] = gw.of("geofenceEnter")
    assert "crossed" in crossed["evidence"]["text"]
    assert len(crossed["evidence"]["positions"]) == 1  # the fix before was in another batch


RISK_CSV = (b"name,category,latitude,longitude,radius_m,dwell_s,id\n"
            b"Jiading used-car market,used_car_market,31.1,121.3,300,600,UC-1\n"
            b"Pudong pawnshop,pawnshop,31.2,121.5,100,,PS-7\n")


def test_dwelling_in_a_risk_area_raises_after_the_dwell_time(gw: GpsWorld) -> None:
    with gw.container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        assert fences.import_risk_areas(uow, admin, read_rows(RISK_CSV, "a.csv")) == 2
        uow.commit()
    gw.worker.drain()
    gw.send(every(T0, 60, 8, HOME))           # 7 minutes: not yet
    assert gw.of("riskAreaDwell") == []
    gw.send(every(T0 + timedelta(minutes=8), 60, 5, HOME))
    [dwell] = gw.of("riskAreaDwell")
    assert dwell["severity"] == "critical" and dwell["evidence"]["category"] == "used_car_market"
    # inside from the second fix (T0 + 1 min: two fixes confirm), ten minutes of dwell
    assert dwell["occurred_at"] == (T0 + timedelta(minutes=11)).isoformat()


def test_a_bad_risk_area_file_names_the_row_and_stores_nothing(gw: GpsWorld) -> None:
    bad = RISK_CSV + b"Nowhere,casino,31,121,100,,X\n"
    with gw.container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        with pytest.raises(InvalidInput) as err:
            fences.import_risk_areas(uow, admin, read_rows(bad, "a.csv"))
        assert err.value.field == "line 4.category"
        assert fences.count_risk_areas(uow, admin) == 0


def test_history_and_out_of_order_fixes_raise_nothing_and_keep_the_state(gw: GpsWorld) -> None:
    fence(gw, "forbidden", square(HOME, 500))
    far = east(HOME, 5000)
    gw.send(every(T0 + timedelta(hours=2), 30, 5, far))
    # re-uploaded history from inside the fence, flagged archived
    gw.send(every(T0, 30, 10, HOME), archived=True)
    # older than the live fix: the store marks them history itself
    gw.send(every(T0 + timedelta(hours=1), 30, 10, HOME))
    # and a second tracker's buffered fixes, not flagged, older than the vehicle's newest
    gw.worker.on_event(Event("position.received", gw.tenant_id, {
        "device_id": "another", "vehicle_id": gw.vehicle_id, "positions": [
            {"id": f"p{i}", "fix_time": (T0 + timedelta(minutes=i)).isoformat(),
             "latitude": HOME[0], "longitude": HOME[1], "speed_kmh": 0.0, "valid": True,
             "archived": False, "attributes": {}} for i in range(10)]}, T0))
    gw.worker.drain()
    assert gw.alarms == []
    assert gw.worker.live.counts.taken == 5 and gw.worker.live.counts.stale == 10


def test_a_restarted_worker_does_not_alarm_again(gw: GpsWorld) -> None:
    fence(gw, "forbidden", square(HOME, 500))
    gw.send(every(T0, 30, 5, HOME))
    assert len(gw.of("geofenceEnter")) == 1
    gw.worker = AnalyticsWorker(gw.container.uow).subscribe(gw.container.bus)  # new process
    gw.send(every(T0 + timedelta(minutes=5), 30, 5, HOME))
    assert len(gw.of("geofenceEnter")) == 1


def test_a_fence_assigned_to_one_car_says_nothing_of_another(container: Container,
                                                             world: DemoWorld) -> None:
    from fengkong.telematics import device_service as svc
    from tests.integration.gps_world import imei

    gw = gps_world(container, world)
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        other = svc.create_vehicle(uow, admin, vin="JHMCM56557C404453", org_unit="EAST-SH")
        uow.commit()
    fence(gw, "forbidden", square(HOME, 500))       # assigned to gw's car only
    gw.worker.on_event(Event("position.received", gw.tenant_id, {
        "device_id": imei(9), "vehicle_id": other.id, "positions": [
            {"id": f"o{i}", "fix_time": (T0 + timedelta(minutes=i)).isoformat(),
             "latitude": HOME[0], "longitude": HOME[1], "speed_kmh": 0.0, "valid": True,
             "archived": False, "attributes": {}} for i in range(5)]}, T0))
    gw.worker.drain()
    assert gw.alarms == []
    gw.send(every(T0, 60, 5, HOME))
    assert [a["vehicle_id"] for a in gw.of("geofenceEnter")] == [gw.vehicle_id]
