"""Borrower-status signals on the streaming path, each built from positions: nights away,
a new frequent place, idle for days, leaving the home city and province, a long trip toward
a border crossing, towing, a position jump; home inferred from the nights; the risk score
with its reasons."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.demo import DemoWorld, principal_of
from fengkong.telematics.analytics import geofence_service as fences
from fengkong.telematics.analytics.models import VehicleAnalytics, VehiclePlace
from fengkong.telematics.analytics.riskarea_files import read_rows
from tests.integration.gps_world import (
    HOME,
    T0,
    GpsWorld,
    day,
    drive,
    east,
    every,
    gps_world,
    live_days,
    north,
    parked,
)


@pytest.fixture
def gw(container: Container, world: DemoWorld) -> GpsWorld:
    return gps_world(container, world)


def places(gw: GpsWorld) -> list[VehiclePlace]:
    with gw.container.uow() as uow:
        rows = list(uow.session.scalars(select(VehiclePlace).where(
            VehiclePlace.vehicle_id == gw.vehicle_id)))
        uow.session.expunge_all()
        return rows


def test_home_and_work_are_inferred_from_nights_and_weekday_hours(gw: GpsWorld) -> None:
    live_days(gw, T0, 3)
    labelled = {p.label: p for p in places(gw) if p.label}
    assert set(labelled) == {"home", "work"}
    assert abs(labelled["home"].latitude - HOME[0]) < 0.001
    assert labelled["home"].nights >= 2 and labelled["work"].weekday_hours > 16
    assert gw.alarms == []


def test_three_nights_away_from_home_raise_night_away(gw: GpsWorld) -> None:
    morning = live_days(gw, T0, 3)
    away = north(HOME, 20_000)
    gw.send(day(morning, night_at=away))
    gw.send(day(morning + timedelta(days=1), night_at=away, leave_from=away))
    assert gw.of("nightAway") == []
    gw.send(day(morning + timedelta(days=2), night_at=away, leave_from=away))
    gw.send(parked(morning + timedelta(days=3), 2, away))
    [alarm] = gw.of("nightAway")
    assert alarm["key"].startswith(f"nightAway:{gw.vehicle_id}:")
    assert len(alarm["evidence"]["nights"]) == 3
    stop = alarm["evidence"]["stops"][0]
    assert abs(stop["latitude"] - away[0]) < 0.001 and stop["duration_s"] > 3600


def test_a_new_place_visited_on_three_days_is_a_new_frequent_place(gw: GpsWorld) -> None:
    morning = live_days(gw, T0, 3)
    spot = north(WORK_NEAR, 3000)
    for d in range(3):
        start = morning + timedelta(days=d)
        fixes = day(start)
        # between work and home, an hour at the new place
        evening = [f for f in fixes if f[0] < start + timedelta(hours=10)]
        evening += drive(start + timedelta(hours=10), east(HOME, 10_000), spot, 10)
        evening += parked(start + timedelta(hours=10, minutes=11), 1.5, spot, 600)
        evening += drive(start + timedelta(hours=11, minutes=45), spot, HOME, 15)
        evening += parked(start + timedelta(hours=12), 19.9, HOME)
        gw.send(evening)
    found = gw.of("newFrequentPlace")
    assert len(found) == 1
    assert abs(found[0]["evidence"]["latitude"] - spot[0]) < 0.002
    assert len(found[0]["evidence"]["stops"]) == 3


WORK_NEAR = east(HOME, 10_000)


def test_a_car_that_stands_for_days_is_idle_long(gw: GpsWorld) -> None:
    morning = live_days(gw, T0, 2)
    for d in range(4):
        gw.send(parked(morning + timedelta(days=d), 24, HOME))
    [idle] = gw.of("idleLong")
    assert idle["severity"] == "warning"
    # parked since the last evening at home; three days later it is idle
    stop = idle["evidence"]["stops"][0]
    assert idle["occurred_at"] == (datetime.fromisoformat(stop["started_at"])
                                   + timedelta(days=3)).isoformat()
    assert stop["duration_s"] >= 3 * 86_400 and gw.risk[-1]["score"] == 20


def test_leaving_the_home_city_and_province_by_distance(gw: GpsWorld) -> None:
    morning = live_days(gw, T0, 3)
    far = north(HOME, 400_000)
    gw.send(drive(morning, HOME, far, 240))   # 100 km/h for four hours
    city, province = gw.of("leftHomeCity"), gw.of("leftHomeProvince")
    assert [a["state"] for a in city] == ["raised"] and [a["state"] for a in province] == [
        "raised"]
    assert city[0]["occurred_at"] < province[0]["occurred_at"]
    assert city[0]["evidence"]["rule"].startswith("distance from home")
    gw.send(drive(morning + timedelta(hours=5), far, HOME, 240))
    assert [a["state"] for a in gw.of("leftHomeCity")] == ["raised", "cleared"]


def test_a_long_trip_toward_a_border_crossing(gw: GpsWorld) -> None:
    port = north(HOME, 260_000)
    csv = (b"name,category,latitude,longitude,radius_m\n"
           + f"Border post,port_border,{port[0]},{port[1]},2000\n".encode())
    with gw.container.uow() as uow:
        fences.import_risk_areas(uow, principal_of(uow, "demo.admin"), read_rows(csv, "p.csv"))
        uow.commit()
    gw.worker.drain()
    morning = live_days(gw, T0, 2)
    end = north(HOME, 220_000)
    gw.send(drive(morning, HOME, end, 150) + parked(morning + timedelta(hours=2, minutes=31),
                                                    2, end))
    [toward] = gw.of("towardBorder")
    assert toward["severity"] == "critical"
    assert toward["evidence"]["distance_to_area_m"] == pytest.approx(40_000, rel=0.05)


def test_moving_with_the_ignition_off_is_towing(gw: GpsWorld) -> None:
    gw.send(parked(T0, 1, HOME, 600))
    towed = every(T0 + timedelta(hours=1), 30, 8,
                  [east(HOME, 100.0 * i) for i in range(8)], ignition=False, speed=15)
    gw.send(towed)
    [alarm] = gw.of("towing")
    assert alarm["severity"] == "critical" and len(alarm["evidence"]["positions"]) == 8
    assert gw.risk[-1]["score"] == 40
    assert gw.risk[-1]["reasons"][0]["signal"] == "towing"


def test_a_fix_far_away_after_a_silence_with_the_ignition_off_is_a_position_jump(
        gw: GpsWorld) -> None:
    gw.send(parked(T0, 1, HOME, 600))
    gw.send(every(T0 + timedelta(hours=3), 600, 2, north(HOME, 80_000), ignition=False))
    [jump] = gw.of("positionJump")
    assert jump["evidence"]["distance_m"] == pytest.approx(80_000, rel=0.01)
    assert [p["latitude"] for p in jump["evidence"]["positions"]] == pytest.approx(
        [HOME[0], north(HOME, 80_000)[0]])


def test_the_risk_score_is_stored_with_its_reasons(gw: GpsWorld) -> None:
    gw.send(parked(T0, 1, HOME, 600))
    gw.send(every(T0 + timedelta(hours=1), 30, 8, [east(HOME, 100.0 * i) for i in range(8)],
                  ignition=False, speed=15))
    gw.send(every(T0 + timedelta(hours=4), 600, 2, north(HOME, 80_000), ignition=False))
    with gw.container.uow() as uow:
        row = uow.session.get(VehicleAnalytics, gw.vehicle_id)
        assert row is not None and row.risk_score == 55
        assert [r["signal"] for r in row.risk_reasons] == ["towing", "positionJump"]
    assert [(r["previous"], r["score"]) for r in gw.risk] == [(0, 40), (40, 55)]


def test_an_event_like_towing_ages_out_of_the_score_after_a_week(gw: GpsWorld) -> None:
    gw.send(parked(T0, 1, HOME, 600))
    gw.send(every(T0 + timedelta(hours=1), 30, 8, [east(HOME, 100.0 * i) for i in range(8)],
                  ignition=False, speed=15))
    assert gw.risk[-1]["score"] == 40
    gw.send(parked(T0 + timedelta(days=6), 1, east(HOME, 700), 1800))
    # still standing where it was towed to: idle for days now, and the towing still counts
    assert [r["signal"] for r in gw.risk[-1]["reasons"]] == ["towing", "idleLong"]
    gw.send(parked(T0 + timedelta(days=8), 1, east(HOME, 700), 1800))
    assert [r["signal"] for r in gw.risk[-1]["reasons"]] == ["idleLong"]
    assert (gw.risk[-1]["previous"], gw.risk[-1]["score"]) == (60, 20)
