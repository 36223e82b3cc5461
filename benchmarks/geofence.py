"""Geofence benchmark: 1,000,000 positions against 10,000 fences. fengkong's streaming path
(batches in arrival order, hysteresis, per-vehicle state, hop crossings) against a shapely 2
STRtree bulk query of the same points (tree of fences, `intersects`, points built inside the
timing), in one run.

    python -m benchmarks.geofence [--size 1000000] [--fences 10000] [--batch 20000]

Fixes: 100 cars driving random walks around 40 city centres in east China (118-123 E,
29-33.5 N) every 30 s; fences: half circles (100 m - 3 km), half star polygons (8-24
vertices, 0.3-5 km across), 70 % of them near the cities. Also checked: the membership
fengkong computes with no margin equals the peer's (circles exact against the peer's
32-gons, so a handful of border points differ).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from benchmarks._harness import emit, progress
from fengkong.telematics.analytics.fence_engine import FenceEngine, Hysteresis
from fengkong.telematics.analytics.fence_index import FenceIndex
from fengkong.telematics.analytics.shapes import Circle, Shape

M = 111_195.0


def fences(n: int, rng: np.random.Generator, cities: np.ndarray) -> list[Shape]:
    out: list[Shape] = []
    for i in range(n):
        if rng.random() < 0.7:
            c = cities[rng.integers(len(cities))]
            lat, lon = c[0] + rng.normal(0, 0.08), c[1] + rng.normal(0, 0.08)
        else:
            lat, lon = rng.uniform(29, 33.5), rng.uniform(118, 123)
        k = np.cos(np.radians(lat))
        if i % 2 == 0:
            out.append(Circle(lat, lon, rng.uniform(100, 3000)))
            continue
        m = int(rng.integers(8, 25))
        a = np.sort(rng.uniform(0, 2 * np.pi, m))
        r = rng.uniform(150, 2500) * np.where(np.arange(m) % 2, 1.0, rng.uniform(0.3, 0.8))
        out.append(shapely.Polygon(np.column_stack([lon + r * np.cos(a) / (M * k),
                                                    lat + r * np.sin(a) / M])))
    return out


def tracks(n: int, cars: int, rng: np.random.Generator, cities: np.ndarray
           ) -> tuple[np.ndarray, ...]:
    per = n // cars
    start = cities[rng.integers(len(cities), size=cars)]
    heading = rng.uniform(0, 2 * np.pi, cars)
    turns = np.cumsum(rng.normal(0, 0.3, (per, cars)), axis=0) + heading
    speed = rng.uniform(0, 20, (per, cars)) * (rng.random((per, cars)) > 0.3)  # m/s, parked
    dy = np.cumsum(np.cos(turns) * speed * 30, axis=0) / M
    lat = start[:, 0] + dy
    dx = np.cumsum(np.sin(turns) * speed * 30, axis=0) / (M * np.cos(np.radians(lat)))
    lon = start[:, 1] + dx
    lat += rng.normal(0, 8, lat.shape) / M
    t = 1_700_000_000.0 + np.arange(per)[:, None] * 30.0 + np.zeros((1, cars))
    v = np.zeros((per, cars), np.int64) + np.arange(cars)
    # arrival order: time-major, so a batch holds a slice of time of every car
    return v.ravel(), t.ravel(), lat.ravel(), lon.ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--fences", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    cities = np.column_stack([rng.uniform(29.5, 33, 40), rng.uniform(118.5, 122.5, 40)])
    shapes = fences(args.fences, rng, cities)
    v, t, lat, lon = tracks(args.size, 100, rng, cities)
    n = len(t)
    rules = Hysteresis(margin_m=30, min_fixes=2, hop_m=500)
    with progress() as bar:
        task = bar.add_task("fengkong streaming", total=n)
        start = time.perf_counter()
        engine = FenceEngine(shapes, rules)
        compile_s = time.perf_counter() - start
        events = 0
        start = time.perf_counter()
        for lo in range(0, n, args.batch):
            hi = min(n, lo + args.batch)
            events += len(engine.evaluate(v[lo:hi], t[lo:hi], lat[lo:hi], lon[lo:hi]))
            bar.update(task, completed=hi)
        ours_s = time.perf_counter() - start
    polygons = FenceIndex(shapes, 0.0).crossing_geometries()
    start = time.perf_counter()
    tree = shapely.STRtree(polygons)
    _, hit = tree.query(shapely.points(lon, lat), predicate="intersects")
    peer_s = time.perf_counter() - start
    raw = FenceIndex(shapes, 0.0)
    start = time.perf_counter()
    p, _, _ = raw.classify(lat, lon)
    raw_s = time.perf_counter() - start
    print(f"{n:,} positions x {len(shapes):,} fences: fengkong streaming "
          f"{n / ours_s:,.0f} positions/s ({ours_s:.2f} s, {events:,} transitions, fences "
          f"compiled in {compile_s:.2f} s); membership only {n / raw_s:,.0f}/s; shapely "
          f"STRtree bulk {n / peer_s:,.0f}/s ({peer_s:.2f} s); inside pairs: fengkong "
          f"{len(p):,}, shapely {len(hit):,}")
    emit({"benchmark": "geofence", "positions": n, "fences": len(shapes),
          "fengkong_positions_per_s": round(n / ours_s),
          "fengkong_membership_per_s": round(n / raw_s),
          "shapely_strtree_positions_per_s": round(n / peer_s),
          "speedup": round(peer_s / ours_s, 2), "transitions": events,
          "compile_s": round(compile_s, 2), "pairs_fengkong": len(p), "pairs_shapely": len(hit)})


if __name__ == "__main__":
    main()
