"""Geofence evaluation: exact membership, hysteresis at the border (jitter does not flap),
the antimeridian and the poles, sparse fixes that jump over a fence, dwell, and the same
answer however the fixes are cut into batches."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.telematics.analytics.fence_engine import (
    CROSSED,
    DWELL,
    ENTER,
    EXIT,
    FenceEngine,
    Hysteresis,
)
from fengkong.telematics.analytics.fence_index import BAND, IN, FenceIndex
from fengkong.telematics.analytics.shapes import Circle, parse_shape

M = 111_195.0  # metres per degree of latitude


def run(engine: FenceEngine, lat, lon, t=None, vehicle=None):  # type: ignore[no-untyped-def]
    lat, lon = np.asarray(lat, float), np.asarray(lon, float)
    t = np.arange(len(lat), dtype=float) * 10 if t is None else np.asarray(t, float)
    v = np.zeros(len(lat), np.int64) if vehicle is None else np.asarray(vehicle, np.int64)
    return list(engine.evaluate(v, t, lat, lon))


def square(lat: float, lon: float, half_m: float) -> shapely.Polygon:
    d = half_m / M
    k = np.cos(np.radians(lat))
    return shapely.box(lon - d / k, lat - d, lon + d / k, lat + d)


def test_membership_matches_shapely_and_exact_circle_distance() -> None:
    rng = np.random.default_rng(4)
    shapes = [square(31.0 + i * 0.01, 121.0, 300) for i in range(20)]
    shapes += [Circle(31.0 + i * 0.01, 121.02, 400) for i in range(20)]
    index = FenceIndex(shapes, 0.0)
    lat, lon = rng.uniform(30.99, 31.21, 50_000), rng.uniform(120.99, 121.03, 50_000)
    p, f, z = index.classify(lat, lon)
    assert set(z.tolist()) == {IN}
    ours = set(zip(p.tolist(), f.tolist(), strict=True))
    truth = set()
    for i, s in enumerate(shapes):
        if isinstance(s, Circle):
            d = np.hypot((lat - s.lat) * M, (lon - s.lon) * M * np.cos(np.radians(s.lat)))
            inside = np.flatnonzero(d <= s.radius_m)
        else:
            inside = np.flatnonzero(shapely.contains_xy(s, lon, lat))
        truth |= {(int(j), i) for j in inside}
    # equirectangular and haversine agree to millimetres at this size; allow border ties
    assert len(ours ^ truth) <= 2 and len(truth) > 1000


def test_jitter_at_the_border_does_not_flap() -> None:
    fence = square(31.0, 121.0, 500)
    engine = FenceEngine([fence], Hysteresis(margin_m=30, min_fixes=3))
    east = 121.0 + 500 / (M * np.cos(np.radians(31.0)))
    rng = np.random.default_rng(9)
    # parked on the east border for 500 fixes, GPS noise of 10 m either side
    lon = east + rng.normal(0, 10, 500) / (M * np.cos(np.radians(31.0)))
    events = run(engine, np.full(500, 31.0), lon)
    assert events == []
    # the same jitter with no hysteresis flaps dozens of times
    naive = FenceEngine([fence], Hysteresis(margin_m=0, min_fixes=1))
    assert len(run(naive, np.full(500, 31.0), lon)) > 50


def test_enter_and_exit_need_the_margin_and_the_consecutive_fixes() -> None:
    fence = square(31.0, 121.0, 500)
    engine = FenceEngine([fence], Hysteresis(margin_m=30, min_fixes=3))
    step = 1 / (M * np.cos(np.radians(31.0)))
    east = 121.0 + 500 * step
    lon = east + np.array([200, 100, -100, -100, 100, -100, -100, -100, -100, 100, 100, 100,
                           100]) * step
    events = run(engine, np.full(len(lon), 31.0), lon)
    assert [(e.kind, e.fix) for e in events] == [(ENTER, 7), (EXIT, 11)]


def test_restarting_from_the_stored_state_does_not_alarm_again() -> None:
    fence = square(31.0, 121.0, 500)
    first = FenceEngine([fence], Hysteresis(margin_m=30, min_fixes=2))
    assert [e.kind for e in run(first, [31.0] * 4, [121.0] * 4)] == [ENTER]
    again = FenceEngine([fence], Hysteresis(margin_m=30, min_fixes=2), state=first.state)
    assert run(again, [31.0] * 4, [121.0] * 4, t=[100, 110, 120, 130]) == []


def test_a_polygon_across_the_antimeridian() -> None:
    fence = parse_shape({"type": "Polygon", "coordinates": [[
        [179.5, -17.0], [-179.5, -17.0], [-179.5, -16.0], [179.5, -16.0], [179.5, -17.0]]]})
    engine = FenceEngine([fence], Hysteresis(margin_m=0, min_fixes=1))
    lon = [178.0, 179.8, -179.9, -179.0, -178.0]
    events = run(engine, [-16.5] * 5, lon)
    assert [(e.kind, e.fix) for e in events] == [(ENTER, 1), (EXIT, 3)]


def test_a_circle_across_the_antimeridian_and_one_on_the_pole() -> None:
    fences = [Circle(0.0, 180.0, 10_000), Circle(90.0, 0.0, 50_000)]
    engine = FenceEngine(fences, Hysteresis(margin_m=0, min_fixes=1))
    p, f, _ = engine.index.classify(np.array([0.0, 0.0, 0.0, 89.8, 89.8, 89.0]),
                                    np.array([179.95, -179.95, 179.5, 0.0, 170.0, 45.0]))
    assert sorted(zip(p.tolist(), f.tolist(), strict=True)) == [(0, 0), (1, 0), (3, 1),
                                                                 (4, 1)]


def test_a_sparse_fix_jumping_over_a_fence_is_reported_as_crossed() -> None:
    fence = square(31.0, 121.0, 300)
    engine = FenceEngine([fence], Hysteresis(margin_m=30, min_fixes=2, hop_m=500))
    # ten minutes between fixes: 5 km west of the fence, then 5 km east of it
    k = M * np.cos(np.radians(31.0))
    events = run(engine, [31.0, 31.0], [121.0 - 5000 / k, 121.0 + 5000 / k], t=[0, 600])
    assert [(e.kind, e.fix, e.previous_fix) for e in events] == [(CROSSED, 1, 0)]
    # a hop that passes beside the fence is not
    beside = FenceEngine([fence], Hysteresis(hop_m=500))
    assert run(beside, [31.02, 31.02], [121.0 - 5000 / k, 121.0 + 5000 / k]) == []
    # one fix per batch, as a sparse reporter sends them: the hop spans two batches
    split = FenceEngine([fence], Hysteresis(margin_m=30, min_fixes=2, hop_m=500))
    assert run(split, [31.0], [121.0 - 5000 / k], t=[0]) == []
    assert [(e.kind, e.previous_fix) for e in run(split, [31.0], [121.0 + 5000 / k],
                                                  t=[600])] == [(CROSSED, None)]


def test_a_risk_area_reports_its_dwell_once() -> None:
    engine = FenceEngine([Circle(31.0, 121.0, 200)], Hysteresis(margin_m=20, min_fixes=2),
                         dwell_s=[600])
    t = np.arange(0, 1800, 60.0)
    events = run(engine, np.full(len(t), 31.0), np.full(len(t), 121.0), t=t)
    assert [(e.kind, e.at) for e in events] == [(ENTER, 60.0), (DWELL, 660.0)]
    assert run(engine, [31.0] * 3, [121.0] * 3, t=[1800, 1860, 1920]) == []


def test_a_tiny_fence_keeps_an_inside_despite_a_large_margin() -> None:
    index = FenceIndex([Circle(31.0, 121.0, 40)], margin_m=100)
    _, _, z = index.classify(np.array([31.0]), np.array([121.0]))
    assert z.tolist() == [IN]
    _, _, z = index.classify(np.array([31.0 + 45 / M]), np.array([121.0]))
    assert z.tolist() == [BAND]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.integers(1, 60), min_size=1, max_size=8))
def test_the_answer_does_not_depend_on_how_the_fixes_are_batched(seed: int,
                                                                 cuts: list[int]) -> None:
    rng = np.random.default_rng(seed)
    shapes = [square(31.0, 121.0, 300), Circle(31.004, 121.004, 250)]
    n = 120
    vehicle = rng.integers(0, 3, n)
    t = np.arange(n, dtype=float) * 5
    lat = 31.0 + np.cumsum(rng.normal(0, 0.0008, n)) * 0.5
    lon = 121.0 + np.cumsum(rng.normal(0, 0.0008, n)) * 0.5
    rules = Hysteresis(margin_m=25, min_fixes=2, hop_m=400)
    whole = [(e.vehicle, e.fence, e.kind, e.at)
             for e in FenceEngine(shapes, rules).evaluate(vehicle, t, lat, lon)]
    engine = FenceEngine(shapes, rules)
    pieces, start = [], 0
    for c in [*cuts, n]:
        stop = min(n, start + c)
        pieces += [(e.vehicle, e.fence, e.kind, e.at) for e in engine.evaluate(
            vehicle[start:stop], t[start:stop], lat[start:stop], lon[start:stop])]
        start = stop
        if start >= n:
            break
    assert sorted(pieces) == sorted(whole)


def test_parse_shape_rejects_bad_geometry_with_the_field() -> None:
    import pytest

    from fengkong.core.errors import InvalidInput
    for bad, field in [({"type": "Point", "coordinates": [121, 31]}, "radius_m"),
                       ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "geometry.type"),
                       ({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
                        "geometry.coordinates"),
                       ({"type": "Point", "coordinates": [200, 31], "radius_m": 5},
                        "geometry.coordinates"),
                       ("nope", "geometry")]:
        with pytest.raises(InvalidInput) as err:
            parse_shape(bad)
        assert err.value.field == field


def test_a_car_first_seen_outside_its_allowed_area_raises_the_exit() -> None:
    engine = FenceEngine([square(31.0, 121.0, 500), square(31.0, 121.0, 500)],
                         Hysteresis(margin_m=30, min_fixes=2), presumed_inside=[True, False])
    events = run(engine, [31.5] * 3, [121.5] * 3)
    assert [(e.fence, e.kind, e.fix) for e in events] == [(0, EXIT, 1)]
    back = run(engine, [31.0] * 3, [121.0] * 3, t=[100, 110, 120])
    assert sorted((e.fence, e.kind) for e in back) == [(0, ENTER), (1, ENTER)]
