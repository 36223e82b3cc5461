"""A coarse outline of mainland China (WGS-84), for "is this point subject to GCJ-02?".

The offset is applied only inside this outline. Hong Kong, Macau and Taiwan are outside it
on purpose: public maps there are not bound to GCJ-02, so a WGS-84 fix from Hong Kong or
Taipei passes through unchanged (providers differ there; the one place where WGS-84 and the
provider disagree is the Shenzhen-Hong Kong border, where the outline follows the Shenzhen
River). The outline is hand-traced at a few tens of kilometres and hugs the land border where
a large foreign city is near it (Hanoi, Pyongyang); it is meant for the datum choice, not for
border rules, which need real boundaries.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

# (lon, lat), clockwise from the Amur bend; traced along the land border, then the coast.
_OUTLINE: tuple[tuple[float, float], ...] = (
    (123.4, 53.55), (126.1, 52.8), (127.6, 50.2), (130.6, 48.9), (131.0, 47.7),
    (133.5, 48.2), (134.75, 48.3), (134.0, 47.2), (133.1, 45.1), (131.9, 45.3),
    (131.1, 44.9), (131.3, 43.4), (130.4, 42.7), (130.6, 42.45), (129.7, 42.45),
    (128.9, 42.0), (128.0, 41.9), (127.1, 41.5), (126.0, 40.9), (125.0, 40.45),
    (124.3, 39.9), (122.8, 39.5), (121.9, 38.85), (121.5, 38.7), (121.1, 38.7),
    (121.8, 39.8), (121.4, 40.9),
    (119.7, 39.9), (118.0, 39.1), (117.7, 38.4), (119.0, 37.2), (120.7, 37.8),
    (122.6, 37.4), (120.5, 36.0), (119.3, 35.0), (120.3, 34.3), (121.0, 32.2),
    (121.95, 31.0), (121.9, 30.8), (121.0, 30.4), (122.3, 29.9), (121.5, 28.2),
    (120.3, 27.0), (119.6, 25.6), (118.6, 24.5), (117.3, 23.6), (116.0, 22.8),
    (114.9, 22.6), (114.3, 22.56), (114.05, 22.53), (113.9, 22.5), (113.6, 22.6),
    (113.62, 22.3), (113.56, 22.22), (113.53, 22.21),
    (113.2, 22.0), (111.9, 21.5), (110.5, 21.0), (110.3, 20.3),
    (109.7, 21.4), (108.5, 21.55), (108.0, 21.55), (107.4, 21.75), (106.7, 22.0),
    (106.65, 22.85), (105.5, 23.2), (104.6, 22.85), (104.0, 22.55), (103.0, 22.45),
    (102.2, 22.4), (101.6, 21.2), (100.2, 21.5), (99.5, 22.1), (99.2, 23.1),
    (98.5, 24.1), (97.6, 23.9), (98.7, 25.8), (98.6, 27.5), (97.3, 28.2),
    (96.1, 29.4), (94.5, 29.2), (92.1, 27.8), (89.5, 28.1), (88.0, 27.9),
    (86.0, 27.9), (83.3, 29.6), (81.2, 30.1), (78.7, 31.5), (78.4, 32.6),
    (79.5, 33.2), (78.0, 34.6), (78.0, 35.5), (76.0, 36.0), (74.6, 37.2),
    (73.5, 39.5), (75.6, 40.6), (78.4, 41.4), (80.2, 42.2), (80.8, 43.2),
    (80.2, 44.9), (82.5, 45.3), (83.1, 47.2), (85.5, 47.1), (87.3, 49.1),
    (88.9, 48.1), (90.9, 46.0), (91.0, 45.0), (95.4, 44.3), (96.4, 42.7),
    (100.8, 42.6), (105.0, 41.6), (107.0, 42.4), (110.4, 42.7), (111.9, 43.7),
    (111.4, 44.4), (113.6, 44.8), (116.7, 46.4), (117.4, 46.6), (119.7, 46.7),
    (118.0, 48.0), (116.7, 49.8), (117.8, 49.5), (119.3, 50.3), (120.0, 51.8),
    (121.4, 53.3), (123.4, 53.55),
)
# Hainan, which the mainland outline above leaves out (the Qiongzhou Strait).
_HAINAN: tuple[tuple[float, float], ...] = (
    (108.6, 19.1), (109.2, 20.1), (110.7, 20.2), (111.1, 19.6), (110.5, 18.6),
    (109.5, 18.1), (108.6, 18.5), (108.6, 19.1),
)

MAINLAND = shapely.MultiPolygon([shapely.Polygon(_OUTLINE), shapely.Polygon(_HAINAN)])
shapely.prepare(MAINLAND)


def in_mainland(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
    """Which points lie in mainland China (where GCJ-02 applies)."""
    x = np.atleast_1d(np.asarray(lon, dtype=float))
    y = np.atleast_1d(np.asarray(lat, dtype=float))
    return np.asarray(shapely.contains_xy(MAINLAND, x, y), dtype=bool)
