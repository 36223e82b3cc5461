"""Douglas-Peucker line simplification for display and playback, tolerance in metres.

Points are projected to a local equirectangular plane (metres) around the track's mean
latitude; each split step measures every point of a span against its chord at once with
numpy, so the Python work is one step per kept point rather than per input point.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fengkong.telematics.analytics.coords import EARTH_R


def _plane(lat: NDArray[np.float64], lon: NDArray[np.float64]
           ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    k = np.cos(np.radians(float(np.mean(lat))))
    lon0 = float(lon[0])
    # unwrap across the antimeridian so a track through 180 degrees stays continuous
    dlon = (lon - lon0 + 180.0) % 360.0 - 180.0
    return np.radians(dlon) * EARTH_R * k, np.radians(lat - float(lat[0])) * EARTH_R


def simplify_mask(lat: ArrayLike, lon: ArrayLike, tolerance_m: float) -> NDArray[np.bool_]:
    """Which points Douglas-Peucker keeps (first and last always)."""
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    n = len(la)
    keep = np.zeros(n, bool)
    if n == 0:
        return keep
    keep[0] = keep[-1] = True
    if n < 3:
        return keep
    x, y = _plane(la, lo)
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        dx, dy = x[b] - x[a], y[b] - y[a]
        px, py = x[a + 1:b] - x[a], y[a + 1:b] - y[a]
        length2 = dx * dx + dy * dy
        if length2 == 0.0:
            d = np.hypot(px, py)
        else:  # distance to the segment (a, b), not to its infinite line
            u = np.clip((px * dx + py * dy) / length2, 0.0, 1.0)
            d = np.hypot(px - u * dx, py - u * dy)
        i = int(np.argmax(d))
        if d[i] > tolerance_m:
            m = a + 1 + i
            keep[m] = True
            stack.append((a, m))
            stack.append((m, b))
    return keep
