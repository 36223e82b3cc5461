"""Douglas-Peucker: every dropped point lies within the tolerance of the kept line, corners
survive, straight runs collapse, the antimeridian does not break a track."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.telematics.analytics.simplify import simplify_mask


def test_a_straight_noisy_run_collapses_to_its_ends() -> None:
    rng = np.random.default_rng(1)
    lat = np.linspace(31.0, 31.1, 500) + rng.normal(0, 1e-6, 500)
    lon = np.full(500, 121.0)
    assert simplify_mask(lat, lon, 5.0).sum() == 2


def test_a_corner_survives() -> None:
    lat = np.concatenate([np.linspace(31.0, 31.01, 50), np.full(50, 31.01)])
    lon = np.concatenate([np.full(50, 121.0), np.linspace(121.0, 121.01, 50)])
    keep = simplify_mask(lat, lon, 10.0)
    assert keep.sum() == 3 and keep[49]


@settings(max_examples=50, deadline=None)
@given(st.integers(3, 300), st.integers(0, 10_000), st.floats(1.0, 200.0))
def test_every_dropped_point_is_within_the_tolerance(n: int, seed: int, tol: float) -> None:
    rng = np.random.default_rng(seed)
    lat = 31.0 + np.cumsum(rng.normal(0, 3e-4, n))
    lon = 121.0 + np.cumsum(rng.normal(0, 3e-4, n))
    keep = simplify_mask(lat, lon, tol)
    assert keep[0] and keep[-1]
    k = np.cos(np.radians(lat.mean()))
    x, y = (lon - lon[0]) * 111_195 * k, (lat - lat[0]) * 111_195
    line = shapely.LineString(np.column_stack([x[keep], y[keep]]))
    d = shapely.distance(line, shapely.points(x[~keep], y[~keep]))
    assert np.all(d <= tol * 1.01 + 0.01)
    # and it agrees with shapely's own Douglas-Peucker on how much it keeps (same rule)
    ref = shapely.simplify(shapely.LineString(np.column_stack([x, y])), tol,
                           preserve_topology=False)
    assert abs(len(shapely.get_coordinates(ref)) - int(keep.sum())) <= max(2, n // 50)


def test_a_track_across_the_antimeridian_simplifies_as_one_line() -> None:
    lon = np.concatenate([np.linspace(179.9, 179.999, 50), np.linspace(-179.999, -179.9, 50)])
    lat = np.full(100, 10.0)
    assert simplify_mask(lat, lon, 5.0).sum() == 2
