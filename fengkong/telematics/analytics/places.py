"""Places: stays clustered by distance (DBSCAN with min_samples=1, i.e. stays chained within
`eps_m`), and each vehicle's home (where it spends most nights) and work place (weekday
daytime), with the nights and hours behind each label."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from fengkong.telematics.analytics.coords import EARTH_R

NIGHT = (1, 5)     # a night stay covers 01:00-05:00 local (most of it)
DAY = (9, 17)      # weekday working hours


@dataclass(frozen=True, slots=True)
class Visit:
    started_at: float
    ended_at: float
    latitude: float
    longitude: float


@dataclass
class Place:
    number: int
    latitude: float
    longitude: float
    visits: list[int] = field(default_factory=list)     # indexes of the visits
    nights: set[date] = field(default_factory=set)
    weekday_hours: float = 0.0
    first_seen: float = 0.0
    last_seen: float = 0.0
    days: set[date] = field(default_factory=set)


@dataclass(frozen=True)
class PlaceModel:
    places: list[Place]
    place_of_visit: list[int]
    home: int | None
    work: int | None


def cluster(visits: Sequence[Visit], eps_m: float = 150.0) -> list[int]:
    """Place number of each visit (chained within eps_m)."""
    if not visits:
        return []
    lat = np.radians([v.latitude for v in visits])
    lon = np.radians([v.longitude for v in visits])
    k = np.cos(float(np.mean(lat)))
    xy = np.column_stack([lon * k * EARTH_R, lat * EARTH_R])
    pairs = cKDTree(xy).query_pairs(eps_m, output_type="ndarray")
    n = len(visits)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return [int(x) for x in labels]


def _overlap_h(a: datetime, b: datetime, lo: datetime, hi: datetime) -> float:
    return max(0.0, (min(b, hi) - max(a, lo)).total_seconds() / 3600)


def infer_places(visits: Sequence[Visit], zone: ZoneInfo, eps_m: float = 150.0,
                 min_nights: int = 2, min_work_hours: float = 8.0) -> PlaceModel:
    labels = cluster(visits, eps_m)
    places: dict[int, Place] = {}
    for i, (visit, label) in enumerate(zip(visits, labels, strict=True)):
        place = places.setdefault(label, Place(label, 0.0, 0.0, first_seen=visit.started_at))
        place.visits.append(i)
        place.first_seen = min(place.first_seen, visit.started_at)
        place.last_seen = max(place.last_seen, visit.ended_at)
        a = datetime.fromtimestamp(visit.started_at, UTC).astimezone(zone)
        b = datetime.fromtimestamp(visit.ended_at, UTC).astimezone(zone)
        day = a.date() - timedelta(days=1)
        while day <= b.date():
            if _overlap_h(a, b, *_span(day, (0, 24), zone)) > 0:
                place.days.add(day)
            lo, hi = _span(day + timedelta(days=1), NIGHT, zone)
            if _overlap_h(a, b, lo, hi) >= (NIGHT[1] - NIGHT[0]) / 2:
                place.nights.add(day)  # the night that starts on `day`
            if day.weekday() < 5:
                place.weekday_hours += _overlap_h(a, b, *_span(day, DAY, zone))
            day += timedelta(days=1)
    for place in places.values():
        idx = place.visits
        place.latitude = float(np.mean([visits[i].latitude for i in idx]))
        place.longitude = float(np.mean([visits[i].longitude for i in idx]))
    ordered = [places[k] for k in sorted(places)]
    home = max(ordered, key=lambda p: (len(p.nights), p.weekday_hours), default=None)
    home_no = home.number if home is not None and len(home.nights) >= min_nights else None
    work = max((p for p in ordered if p.number != home_no),
               key=lambda p: p.weekday_hours, default=None)
    work_no = work.number if work is not None and work.weekday_hours >= min_work_hours else None
    return PlaceModel(ordered, labels, home_no, work_no)


def _span(day: date, hours: tuple[int, int], zone: ZoneInfo) -> tuple[datetime, datetime]:
    base = datetime(day.year, day.month, day.day, tzinfo=zone)
    return base + timedelta(hours=hours[0]), base + timedelta(hours=hours[1])
