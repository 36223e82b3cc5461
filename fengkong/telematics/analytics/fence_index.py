"""Fences compiled once for fast point classification: each fence grown and shrunk by its
hysteresis margin, and a multi-level grid index whose cells are marked "wholly inside the
shrunk fence" (decided without geometry) or "on the border" (exact test).

A point is `IN` a fence when it lies inside the fence shrunk by the margin, `BAND` when it
lies inside the grown fence but not the shrunk one, and out otherwise. Circles are tested
exactly with the haversine distance (no polygon approximation); polygons with shapely's
prepared `contains_xy`. Longitudes wrap: a polygon spanning the antimeridian is stored with
its western longitudes shifted by +360 and points are shifted the same way when tested
against it; a circle's cells wrap around the grid. Near the poles a circle's cells take every
longitude, so a polar circle works; a polygon is planar in lon/lat, so a polar cap must be
given as a band of latitude (e.g. lat >= 85 over all longitudes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from fengkong.telematics.analytics.coords import EARTH_R
from fengkong.telematics.analytics.shapes import Circle, Shape

IN, BAND, OUT = 1, 2, 3
M_PER_DEG = EARTH_R * np.pi / 180.0
LEVELS = (0.005, 0.05, 0.5, 5.0)   # cell sizes in degrees; a fence goes to the finest level
MAX_CELLS = 2048                   # ... where it covers at most this many cells
DENSE_CELLS = 16_000_000           # a level's dense lookup table at most this large

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


def hav(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    h = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_R * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


@dataclass
class _Level:
    cell: float
    nx: int
    keys: Ints        # sorted unique cell keys
    ptr: Ints         # entries of keys[i] are ptr[i]:ptr[i+1]
    fence: Ints       # entry -> fence index
    full: NDArray[np.bool_]  # entry: the cell lies wholly inside the shrunk fence
    # a dense cell -> key-index table over the cells' bounding box, when it is small enough
    # (one array read per point instead of a binary search)
    dense: NDArray[np.int32] | None = None
    ix0: int = 0
    iy0: int = 0
    width: int = 0
    height: int = 0


def _local(lat0: float, lon0: float) -> tuple[float, float, float]:
    return lat0, lon0, max(np.cos(np.radians(lat0)), 1e-6)


def _grow(poly: shapely.Geometry, metres: float) -> shapely.Geometry:
    """Buffer a lon/lat polygon by metres (negative shrinks) in a local plane."""
    c = poly.centroid
    lat0, lon0, k = _local(c.y, c.x)
    to_m = shapely.transform(poly, lambda xy: np.column_stack(
        [(xy[:, 0] - lon0) * k * M_PER_DEG, (xy[:, 1] - lat0) * M_PER_DEG]))
    grown = shapely.buffer(to_m, metres, quad_segs=4, join_style="mitre")
    return shapely.transform(grown, lambda xy: np.column_stack(
        [xy[:, 0] / (k * M_PER_DEG) + lon0, xy[:, 1] / M_PER_DEG + lat0]))


class FenceIndex:
    """Fences compiled for classification; fence i is `shapes[i]`."""

    def __init__(self, shapes: Sequence[Shape], margin_m: float = 0.0) -> None:
        n = len(shapes)
        self.n = n
        self.is_circle = np.array([isinstance(s, Circle) for s in shapes], bool)
        self.clat = np.zeros(n)
        self.clon = np.zeros(n)
        self.radius = np.zeros(n)
        self.margin = np.zeros(n)
        self.shifted = np.zeros(n, bool)
        self.outer = np.empty(n, dtype=object)
        self.inner = np.empty(n, dtype=object)
        boxes: list[tuple[float, float, float, float]] = []
        for i, s in enumerate(shapes):
            boxes.append(self._compile(i, s, margin_m))
        self.bounds = np.array(boxes, dtype=float).reshape(n, 4)
        poly = ~self.is_circle
        shapely.prepare(self.outer[poly])
        shapely.prepare(self.inner[poly])
        self.levels = self._build_levels()

    def _compile(self, i: int, s: Shape, margin_m: float) -> tuple[float, float, float, float]:
        if isinstance(s, Circle):
            m = min(margin_m, 0.25 * s.radius_m)
            self.clat[i], self.clon[i], self.radius[i], self.margin[i] = s.lat, s.lon, s.radius_m, m
            dlat = (s.radius_m + m) / M_PER_DEG
            if abs(s.lat) + dlat >= 89.999:
                return (-180.0, max(-90.0, s.lat - dlat), 180.0, min(90.0, s.lat + dlat))
            dlon = dlat / np.cos(np.radians(abs(s.lat) + dlat))
            return (s.lon - dlon, s.lat - dlat, s.lon + dlon, s.lat + dlat)
        xy = shapely.get_coordinates(s)
        if xy[:, 0].max() - xy[:, 0].min() > 180.0:   # across the antimeridian
            s = shapely.transform(s, lambda p: np.column_stack(
                [np.where(p[:, 0] < 0, p[:, 0] + 360.0, p[:, 0]), p[:, 1]]))
            self.shifted[i] = True
        size = np.sqrt(s.area) * M_PER_DEG * np.cos(np.radians(s.centroid.y))
        m = min(margin_m, 0.1 * size)
        self.margin[i] = m
        self.outer[i] = _grow(s, m) if m > 0 else s
        inner = _grow(s, -m) if m > 0 else s
        self.inner[i] = inner if not inner.is_empty else shapely.Polygon()
        b = self.outer[i].bounds
        return (b[0], b[1], b[2], b[3])

    # --- the grid --------------------------------------------------------------------------

    def _build_levels(self) -> list[_Level]:
        b = self.bounds
        span = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        level_of = np.full(self.n, len(LEVELS) - 1)
        for li in range(len(LEVELS) - 2, -1, -1):
            cells = ((b[:, 2] - b[:, 0]) / LEVELS[li] + 2) * ((b[:, 3] - b[:, 1]) / LEVELS[li] + 2)
            level_of[cells <= MAX_CELLS] = li
        del span
        levels = []
        for li, cell in enumerate(LEVELS):
            members = np.flatnonzero(level_of == li)
            if len(members):
                levels.append(self._level(cell, members))
        return levels

    def _level(self, cell: float, members: Ints) -> _Level:
        nx = int(round(360.0 / cell))
        b = self.bounds[members]
        ix0 = np.floor((b[:, 0] + 180.0) / cell).astype(np.int64)
        ix1 = np.floor((b[:, 2] + 180.0) / cell).astype(np.int64)
        iy0 = np.floor((b[:, 1] + 90.0) / cell).astype(np.int64)
        iy1 = np.floor((b[:, 3] + 90.0) / cell).astype(np.int64)
        wx, wy = ix1 - ix0 + 1, iy1 - iy0 + 1
        count = wx * wy
        fence = np.repeat(members, count)
        local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        wxr = np.repeat(wx, count)
        ix = np.repeat(ix0, count) + local % wxr
        iy = np.repeat(iy0, count) + local // wxr
        x0, y0 = ix * cell - 180.0, iy * cell - 90.0
        keep, full = self._classify_cells(fence, x0, y0, cell)
        ix, iy, fence, full = ix[keep] % nx, iy[keep], fence[keep], full[keep]
        key = iy * nx + ix
        order = np.argsort(key, kind="stable")
        key, fence, full = key[order], fence[order], full[order]
        keys, starts = np.unique(key, return_index=True)
        ptr = np.append(starts, len(key)).astype(np.int64)
        level = _Level(cell, nx, keys.astype(np.int64), ptr, fence.astype(np.int64), full)
        if len(keys):
            kx, ky = keys % nx, keys // nx
            level.ix0, level.iy0 = int(kx.min()), int(ky.min())
            level.width, level.height = int(kx.max()) - level.ix0 + 1, int(ky.max()) - level.iy0 + 1
            if level.width * level.height <= DENSE_CELLS:
                dense = np.full(level.width * level.height, -1, np.int32)
                dense[(ky - level.iy0) * level.width + (kx - level.ix0)] = np.arange(len(keys))
                level.dense = dense
        return level

    def _classify_cells(self, fence: Ints, x0: Floats, y0: Floats, cell: float
                        ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        keep = np.zeros(len(fence), bool)
        full = np.zeros(len(fence), bool)
        circ = self.is_circle[fence]
        ci = np.flatnonzero(circ)
        if len(ci):
            f = fence[ci]
            clat, clon = self.clat[f], self.clon[f]
            r, m = self.radius[f], self.margin[f]
            # nearest point of the cell to the centre, longitudes taken relative to it
            rel0 = (x0[ci] - clon + 180.0) % 360.0 - 180.0
            near_lon = clon + np.clip(0.0, rel0, rel0 + cell)
            near_lat = np.clip(clat, y0[ci], y0[ci] + cell)
            near = hav(clat, clon, near_lat, near_lon)
            far = np.zeros(len(ci))
            for dx in (0.0, cell):
                for dy in (0.0, cell):
                    far = np.maximum(far, hav(clat, clon, y0[ci] + dy, clon + rel0 + dx))
            keep[ci] = near <= r + m
            full[ci] = far <= r - m
        pi = np.flatnonzero(~circ)
        if len(pi):
            f = fence[pi]
            boxes = shapely.box(x0[pi], y0[pi], x0[pi] + cell, y0[pi] + cell)
            keep[pi] = shapely.intersects(self.outer[f], boxes)
            full[pi] = shapely.contains(self.inner[f], boxes)
        return keep, full

    # --- classification --------------------------------------------------------------------

    def classify(self, lat: Floats, lon: Floats) -> tuple[Ints, Ints, NDArray[np.int8]]:
        """Every (point, fence, zone) with zone IN or BAND; points not listed are out."""
        pts, fen, zon = [], [], []
        for level in self.levels:
            p, f, full = self._candidates(level, lat, lon)
            zone = np.full(len(p), OUT, np.int8)
            zone[full] = IN
            exact = np.flatnonzero(~full)
            if len(exact):
                zone[exact] = self._exact(p[exact], f[exact], lat, lon)
            hit = zone != OUT
            pts.append(p[hit])
            fen.append(f[hit])
            zon.append(zone[hit])
        if not pts:
            e = np.empty(0, np.int64)
            return e, e, np.empty(0, np.int8)
        return np.concatenate(pts), np.concatenate(fen), np.concatenate(zon)

    def _candidates(self, level: _Level, lat: Floats, lon: Floats
                    ) -> tuple[Ints, Ints, NDArray[np.bool_]]:
        cell = level.cell
        ix = np.floor((lon + 180.0) / cell).astype(np.int64) % level.nx
        iy = np.floor((lat + 90.0) / cell).astype(np.int64)
        if level.dense is not None:
            dx, dy = ix - level.ix0, iy - level.iy0
            ok = (dx >= 0) & (dx < level.width) & (dy >= 0) & (dy < level.height)
            pos = np.full(len(ix), -1, np.int64)
            pos[ok] = level.dense[dy[ok] * level.width + dx[ok]]
            hit = np.flatnonzero(pos >= 0)
        else:
            key = iy * level.nx + ix
            pos = np.searchsorted(level.keys, key)
            pos[pos >= len(level.keys)] = 0
            hit = np.flatnonzero(level.keys[pos] == key)
        lo, hi = level.ptr[pos[hit]], level.ptr[pos[hit] + 1]
        count = hi - lo
        p = np.repeat(hit, count)
        entry = np.repeat(lo, count) + (np.arange(count.sum())
                                        - np.repeat(np.cumsum(count) - count, count))
        return p, level.fence[entry], level.full[entry]

    def _exact(self, p: Ints, f: Ints, lat: Floats, lon: Floats) -> NDArray[np.int8]:
        zone = np.full(len(p), OUT, np.int8)
        circ = self.is_circle[f]
        ci = np.flatnonzero(circ)
        if len(ci):
            fc, pc = f[ci], p[ci]
            d = hav(lat[pc], lon[pc], self.clat[fc], self.clon[fc])
            r, m = self.radius[fc], self.margin[fc]
            zone[ci] = np.where(d <= r - m, IN, np.where(d <= r + m, BAND, OUT))
        pi = np.flatnonzero(~circ)
        if len(pi):
            fp, pp = f[pi], p[pi]
            x = lon[pp]
            x = np.where(self.shifted[fp] & (x < 0), x + 360.0, x)
            y = lat[pp]
            outer = shapely.contains_xy(self.outer[fp], x, y)
            z = np.full(len(pi), OUT, np.int8)
            oi = np.flatnonzero(outer)
            if len(oi):
                inner = shapely.contains_xy(self.inner[fp[oi]], x[oi], y[oi])
                z[oi] = np.where(inner, IN, BAND)
            zone[pi] = z
        return zone

    def crossing_geometries(self) -> NDArray[np.object_]:
        """Each fence as a lon/lat polygon, for segment-crossing tests (circles as 32-gons)."""
        out = self.outer.copy()
        for i in np.flatnonzero(self.is_circle):
            k = max(np.cos(np.radians(self.clat[i])), 1e-6)
            r = self.radius[i] / M_PER_DEG
            a = np.linspace(0, 2 * np.pi, 33)
            out[i] = shapely.Polygon(np.column_stack(
                [self.clon[i] + r * np.cos(a) / k, self.clat[i] + r * np.sin(a)]))
        return out
