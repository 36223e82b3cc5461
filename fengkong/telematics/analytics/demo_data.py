"""Demo fences and risk areas around where the demo cars live and drive, so that the
simulated fleet raises geofence and risk-area alarms within minutes of `fengkong demo`.

The demo cars' places come from the simulator's seed (car i of the demo seed lives where the
simulator's device i does): half the cars get a forbidden fence on their work place (entered
every morning), the other half an allowed area of 1.5 km around home (left on every
commute); each car's errands are risk areas with a ten-minute dwell; and some 300 risk areas
of every category are scattered around Shanghai, Hangzhou and Chengdu, with real port and
border-crossing locations.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select

from fengkong.core.uow import UnitOfWork
from fengkong.org.auth_service import user_principal
from fengkong.org.models import User
from fengkong.telematics.analytics import geofence_service as fences
from fengkong.telematics.analytics.riskarea_files import CATEGORIES, RiskAreaRow
from fengkong.telematics.analytics.shapes import Circle
from fengkong.telematics.demo_data import DEMO_CARS, DEMO_SEED
from fengkong.telematics.models import Vehicle
from fengkong.telematics.simulator.geo import SHANGHAI, LatLon, towards
from fengkong.telematics.simulator.places import places_around
from fengkong.telematics.vin import with_check_digit

CITIES = {"Shanghai": SHANGHAI, "Hangzhou": LatLon(30.2741, 120.1551),
          "Chengdu": LatLon(30.5728, 104.0668)}
# (name, lat, lon): container ports and land border crossings (public locations)
PORTS_AND_BORDERS = [
    ("Yangshan deep-water port", 30.6260, 122.0650), ("Waigaoqiao port", 31.3600, 121.5900),
    ("Ningbo-Zhoushan port", 29.9330, 121.8420), ("Ruili border crossing", 24.0130, 97.8500),
    ("Manzhouli border crossing", 49.5970, 117.3780), ("Erenhot border crossing",
                                                       43.6540, 111.9800),
    ("Pingxiang Youyiguan crossing", 22.0170, 106.7600), ("Hekou border crossing",
                                                          22.5100, 103.9500),
    ("Horgos border crossing", 44.2130, 80.4200), ("Dongxing border crossing", 21.5300, 107.9700),
]
SCATTERED = 300


def _rows(rng: random.Random) -> list[RiskAreaRow]:
    rows = [RiskAreaRow(name, "port_border", Circle(lat, lon, 3000), 0, f"PB-{i}")
            for i, (name, lat, lon) in enumerate(PORTS_AND_BORDERS)]
    kinds = [c for c in CATEGORIES if c not in ("port_border", "other")]
    for i in range(SCATTERED):
        city, centre = rng.choice(list(CITIES.items()))
        spot = towards(centre, rng.uniform(0, 360), rng.uniform(500, 30_000))
        kind = kinds[i % len(kinds)]
        rows.append(RiskAreaRow(f"{city} {kind.replace('_', ' ')} {i}", kind,
                                Circle(spot.lat, spot.lon, rng.uniform(80, 400)),
                                600 if kind != "impound_lot" else 0, f"RA-{i}"))
    return rows


def seed_gps_risk(container: Any, uow: UnitOfWork, world: Any) -> None:
    monitor = user_principal(uow, uow.session.scalars(
        select(User).where(User.username == "demo.monitor")).one())
    rng = random.Random(DEMO_SEED)
    rows = _rows(rng)
    for i, car in enumerate(DEMO_CARS):
        vin = with_check_digit(car[1].replace("_", "0"))
        vehicle_id = uow.session.scalar(select(Vehicle.id).where(
            Vehicle.tenant_id == world.tenant_id, Vehicle.vin == vin))
        if vehicle_id is None:
            continue
        places = places_around(random.Random(f"{DEMO_SEED}/{i}"), SHANGHAI)
        if i % 2 == 0:
            draft = fences.FenceDraft(
                name=f"{car[2]}: not at the office", kind="forbidden",
                geometry={"type": "Point", "coordinates": [places.work.point.lon,
                                                           places.work.point.lat]},
                radius_m=300, vehicle_ids=[vehicle_id], org_unit=car[0])
        else:
            draft = fences.FenceDraft(
                name=f"{car[2]}: stays near home", kind="allowed",
                geometry={"type": "Point", "coordinates": [places.home.point.lon,
                                                           places.home.point.lat]},
                radius_m=1500, vehicle_ids=[vehicle_id], org_unit=car[0])
        fences.create_fence(uow, monitor, draft)
        for errand in places.errands[:2]:
            rows.append(RiskAreaRow(f"{car[2]} {errand.name}: pawnshop", "pawnshop",
                                    Circle(errand.point.lat, errand.point.lon, 250), 600,
                                    None))
    count = fences.import_risk_areas(uow, monitor, rows, source="demo")
    world.notes.append(f"GPS risk: {count} risk areas and {len(DEMO_CARS)} fences around the "
                       "demo cars; GET /api/v1/vehicles/{id}/risk shows each car's score")
