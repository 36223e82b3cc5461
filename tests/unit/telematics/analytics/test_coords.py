"""GCJ-02 and BD-09: the published formula to the centimetre, the iterative inverse to
millimetres, nothing shifted outside mainland China, navigation links in each provider's
datum."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fengkong.telematics.analytics import coords
from fengkong.telematics.analytics.navigation import nav_links


def reference_gcj(lat: float, lon: float) -> tuple[float, float]:
    """The published formula, scalar, written out from its statement (the check)."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    t_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + (20 * math.sin(6 * pi * x) + 20 * math.sin(2 * pi * x)) * 2 / 3
             + (20 * math.sin(pi * y) + 40 * math.sin(pi * y / 3)) * 2 / 3
             + (160 * math.sin(pi * y / 12) + 320 * math.sin(pi * y / 30)) * 2 / 3)
    t_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + (20 * math.sin(6 * pi * x) + 20 * math.sin(2 * pi * x)) * 2 / 3
             + (20 * math.sin(pi * x) + 40 * math.sin(pi * x / 3)) * 2 / 3
             + (150 * math.sin(pi * x / 12) + 300 * math.sin(pi * x / 30)) * 2 / 3)
    phi = math.radians(lat)
    m = 1 - ee * math.sin(phi) ** 2
    dlat = t_lat * 180 / (pi * a * (1 - ee) / m ** 1.5)
    dlon = t_lon * 180 / (pi * a * math.cos(phi) / math.sqrt(m))
    return lat + dlat, lon + dlon


def metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(np.atleast_1d(coords.haversine_m(lat1, lon1, lat2, lon2))[0])


# points well inside mainland China (Shanghai, Beijing, Chengdu, Urumqi, Harbin, Kunming)
mainland = st.sampled_from([(31.23, 121.47), (39.9, 116.4), (30.66, 104.06), (43.8, 87.6),
                            (45.75, 126.65), (25.04, 102.7)])
jitter = st.floats(-0.4, 0.4)


@settings(max_examples=200)
@given(mainland, jitter, jitter)
def test_gcj02_matches_the_published_formula_within_a_centimetre(
        city: tuple[float, float], dy: float, dx: float) -> None:
    lat, lon = city[0] + dy, city[1] + dx
    assume(bool(coords.in_mainland(lat, lon)[0]))  # Shanghai + 0.4 degrees east is the sea
    g_lat, g_lon = coords.wgs_to_gcj_point(lat, lon)
    r_lat, r_lon = reference_gcj(lat, lon)
    assert metres(g_lat, g_lon, r_lat, r_lon) < 0.01
    assert 100 < metres(lat, lon, g_lat, g_lon) < 700


def test_the_shift_at_shanghai_is_the_known_one() -> None:
    g_lat, g_lon = coords.wgs_to_gcj_point(31.23, 121.47)
    # the widely published value for this point (coordTransform, gcoord agree bit for bit)
    assert abs(g_lat - 31.228) < 0.001 and abs(g_lon - 121.4744) < 0.001


@settings(max_examples=300)
@given(st.floats(22.0, 45.0), st.floats(100.0, 125.0))
def test_the_inverse_returns_to_within_a_few_millimetres(lat: float, lon: float) -> None:
    if not coords.in_mainland(lat, lon)[0]:
        return
    g_lat, g_lon = coords.wgs_to_gcj(lat, lon)
    w_lat, w_lon = coords.gcj_to_wgs(g_lat, g_lon)
    assert metres(lat, lon, float(w_lat[0]), float(w_lon[0])) < 0.005


def test_the_inverse_is_vectorized_over_many_points() -> None:
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(25, 40, 5000), rng.uniform(105, 120, 5000)
    w_lat, w_lon = coords.gcj_to_wgs(*coords.wgs_to_gcj(lat, lon))
    assert float(np.max(coords.haversine_m(lat, lon, w_lat, w_lon))) < 0.005


def test_bd09_round_trips_and_is_about_a_kilometre_off() -> None:
    b_lat, b_lon = coords.wgs_to_bd_point(39.9, 116.4)
    assert 700 < metres(39.9, 116.4, b_lat, b_lon) < 1500
    g_lat, g_lon = coords.bd_to_gcj(b_lat, b_lon)
    e_lat, e_lon = coords.wgs_to_gcj_point(39.9, 116.4)
    assert metres(float(g_lat[0]), float(g_lon[0]), e_lat, e_lon) < 10


OUTSIDE = {"Seoul": (37.57, 126.98), "Hanoi": (21.03, 105.85), "Ulaanbaatar": (47.92, 106.92),
           "Taipei": (25.03, 121.56), "Hong Kong": (22.32, 114.17), "Macau": (22.19, 113.55),
           "Pyongyang": (39.02, 125.75), "Tokyo": (35.68, 139.69), "Fukuoka": (33.59, 130.4)}
INSIDE = {"Shenzhen": (22.545, 114.06), "Dalian": (38.91, 121.6), "Dandong": (40.12, 124.38),
          "Haikou": (20.03, 110.3), "Kashgar": (39.47, 75.99), "Lhasa": (29.65, 91.1),
          "Xiamen": (24.48, 118.09), "Zhuhai": (22.27, 113.57)}


def test_cities_outside_mainland_china_are_not_shifted() -> None:
    for name, (lat, lon) in OUTSIDE.items():
        assert coords.wgs_to_gcj_point(lat, lon) == (lat, lon), name
        assert coords.wgs_to_bd_point(lat, lon) == (lat, lon), name
        g = coords.gcj_to_wgs(lat, lon)
        assert (float(g[0][0]), float(g[1][0])) == (lat, lon), name


def test_mainland_cities_near_the_edges_are_shifted() -> None:
    for name, (lat, lon) in INSIDE.items():
        assert metres(lat, lon, *coords.wgs_to_gcj_point(lat, lon)) > 100, name


def test_navigation_links_carry_each_providers_datum() -> None:
    links = nav_links(31.23, 121.47, "沪A1F203")
    g_lat, g_lon = coords.wgs_to_gcj_point(31.23, 121.47)
    assert f"to={g_lon:.6f},{g_lat:.6f}" in links.amap
    assert f"daddr={g_lat:.6f},{g_lon:.6f}" in links.apple
    b_lat, b_lon = coords.wgs_to_bd_point(31.23, 121.47)
    assert f"latlng:{b_lat:.6f},{b_lon:.6f}" in links.baidu and "bd09ll" in links.baidu
    seoul = nav_links(37.57, 126.98)
    assert "daddr=37.570000,126.980000" in seoul.apple
