"""China's map datums: WGS-84 (GPS) to GCJ-02 (Amap, Tencent, Apple in China) and BD-09
(Baidu), the exact inverse by iteration, vectorized over numpy arrays.

The forward formula is the published one (Krasovsky 1940 ellipsoid, a = 6378245.0,
ee = 0.00669342162296594323). Outside mainland China (`mainland.in_mainland`, a polygon, not
the usual rectangle that takes in Seoul, Hanoi, Ulaanbaatar, Taipei and Hong Kong) points pass
through unchanged. The inverse starts from the one-step guess (errs up to ~4 m) and refines
w <- w - (gcj(w) - g) until the step is below a micro-degree fraction: millimetres.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fengkong.telematics.analytics.mainland import in_mainland

A = 6378245.0
EE = 0.00669342162296594323
X_PI = math.pi * 3000.0 / 180.0
_PI = math.pi

Floats = NDArray[np.float64]


def _t_lat(x: Floats, y: Floats) -> Floats:
    out = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    out += (20.0 * np.sin(y * _PI) + 40.0 * np.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    out += (160.0 * np.sin(y / 12.0 * _PI) + 320.0 * np.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return out


def _t_lon(x: Floats, y: Floats) -> Floats:
    out = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    out += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    out += (20.0 * np.sin(x * _PI) + 40.0 * np.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    out += (150.0 * np.sin(x / 12.0 * _PI) + 300.0 * np.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return out


def _delta(lat: Floats, lon: Floats) -> tuple[Floats, Floats]:
    """The GCJ-02 offset (degrees) at a WGS-84 point, without the mainland test."""
    x, y = lon - 105.0, lat - 35.0
    rad = lat / 180.0 * _PI
    m = 1.0 - EE * np.sin(rad) ** 2
    dlat = _t_lat(x, y) * 180.0 / ((A * (1.0 - EE)) / (m * np.sqrt(m)) * _PI)
    dlon = _t_lon(x, y) * 180.0 / (A / np.sqrt(m) * np.cos(rad) * _PI)
    return dlat, dlon


def _arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[Floats, Floats]:
    return np.atleast_1d(np.asarray(lat, dtype=float)), np.atleast_1d(np.asarray(lon, dtype=float))


def wgs_to_gcj(lat: ArrayLike, lon: ArrayLike) -> tuple[Floats, Floats]:
    """WGS-84 -> GCJ-02 (unchanged outside mainland China)."""
    la, lo = _arrays(lat, lon)
    dlat, dlon = _delta(la, lo)
    inside = in_mainland(la, lo)
    return np.where(inside, la + dlat, la), np.where(inside, lo + dlon, lo)


def gcj_to_wgs(lat: ArrayLike, lon: ArrayLike, *, tolerance_deg: float = 1e-10,
               max_steps: int = 12) -> tuple[Floats, Floats]:
    """GCJ-02 -> WGS-84 by fixed-point iteration (millimetre accuracy)."""
    g_lat, g_lon = _arrays(lat, lon)
    dlat, dlon = _delta(g_lat, g_lon)
    w_lat, w_lon = g_lat - dlat, g_lon - dlon
    for _ in range(max_steps):
        dlat, dlon = _delta(w_lat, w_lon)
        e_lat, e_lon = w_lat + dlat - g_lat, w_lon + dlon - g_lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if max(float(np.max(np.abs(e_lat), initial=0.0)),
               float(np.max(np.abs(e_lon), initial=0.0))) < tolerance_deg:
            break
    inside = in_mainland(w_lat, w_lon)
    return np.where(inside, w_lat, g_lat), np.where(inside, w_lon, g_lon)


def gcj_to_bd(lat: ArrayLike, lon: ArrayLike) -> tuple[Floats, Floats]:
    """GCJ-02 -> BD-09 (Baidu's extra rotation and shift)."""
    y, x = _arrays(lat, lon)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return z * np.sin(theta) + 0.006, z * np.cos(theta) + 0.0065


def bd_to_gcj(lat: ArrayLike, lon: ArrayLike) -> tuple[Floats, Floats]:
    """BD-09 -> GCJ-02 (the usual closed-form inverse)."""
    la, lo = _arrays(lat, lon)
    x, y = lo - 0.0065, la - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return z * np.sin(theta), z * np.cos(theta)


def wgs_to_bd(lat: ArrayLike, lon: ArrayLike) -> tuple[Floats, Floats]:
    """WGS-84 -> BD-09 (unchanged outside mainland China)."""
    la, lo = _arrays(lat, lon)
    g_lat, g_lon = wgs_to_gcj(la, lo)
    b_lat, b_lon = gcj_to_bd(g_lat, g_lon)
    inside = in_mainland(la, lo)
    return np.where(inside, b_lat, la), np.where(inside, b_lon, lo)


def wgs_to_gcj_point(lat: float, lon: float) -> tuple[float, float]:
    a, b = wgs_to_gcj(lat, lon)
    return float(a[0]), float(b[0])


def wgs_to_bd_point(lat: float, lon: float) -> tuple[float, float]:
    a, b = wgs_to_bd(lat, lon)
    return float(a[0]), float(b[0])


EARTH_R = 6_371_000.0


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> Floats:
    """Great-circle distance in metres on a sphere of 6,371 km (trackintel's choice)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_R * np.arcsin(np.sqrt(np.minimum(h, 1.0))), dtype=float)
