"""Synthetic car tracks for the stay-point benchmark and agreement tests: each car alternates
home (8-12 h), work (6-9 h) and errands (10-90 min), drives straight between them at
25-70 km/h, reports every `interval_s` with metre-level noise (8 m parked, 5 m driving)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Tracks:
    t: NDArray[np.float64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    vehicle: NDArray[np.int64]


def _stay(rng: np.random.Generator, lat: float, lon: float, t0: float, dur: float,
          step: float) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    times = np.asarray(np.arange(t0, t0 + dur, step), dtype=np.float64)
    k = np.cos(np.radians(lat))
    return (times, lat + rng.normal(0, 8, len(times)) / M_PER_DEG,
            lon + rng.normal(0, 8, len(times)) / (M_PER_DEG * k))


Leg = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def _drive(rng: np.random.Generator, a: tuple[float, float], b: tuple[float, float],
           t0: float, step: float) -> Leg:
    k = np.cos(np.radians(a[0]))
    dy, dx = (b[0] - a[0]) * M_PER_DEG, (b[1] - a[1]) * M_PER_DEG * k
    dist = float(np.hypot(dx, dy))
    speed = rng.uniform(25, 70) / 3.6
    n = max(1, int(dist / speed / step))
    f = np.arange(1, n + 1) / (n + 1)
    times = np.asarray(t0 + np.arange(1, n + 1) * step, dtype=np.float64)
    return (times, a[0] + f * (b[0] - a[0]) + rng.normal(0, 5, n) / M_PER_DEG,
            a[1] + f * (b[1] - a[1]) + rng.normal(0, 5, n) / (M_PER_DEG * k))


def car_tracks(vehicles: int, fixes_per_vehicle: int, *, seed: int = 42,
               interval_s: float = 30.0, centre: tuple[float, float] = (31.23, 121.47)
               ) -> Tracks:
    rng = np.random.default_rng(seed)
    ts, las, los, vs = [], [], [], []
    for v in range(vehicles):
        spots = [(centre[0] + rng.normal(0, 0.3), centre[1] + rng.normal(0, 0.3))
                 for _ in range(8)]
        plan = [0, 1]  # home, work, then errands at spots 2..7
        here, t, count = 0, 1_700_000_000.0 + v * 17.0, 0
        while count < fixes_per_vehicle:
            nxt = plan[(count // 7) % 2] if rng.random() < 0.6 else int(rng.integers(2, 8))
            if nxt == here:
                nxt = (here + 1) % 8
            dur = {0: rng.uniform(8, 12) * 3600, 1: rng.uniform(6, 9) * 3600}.get(
                here, rng.uniform(10, 90) * 60)
            parts = [_stay(rng, *spots[here], t, dur, interval_s)]
            t = float(parts[0][0][-1]) + interval_s
            parts.append(_drive(rng, spots[here], spots[nxt], t, interval_s))
            t = float(parts[1][0][-1]) + interval_s
            for times, la, lo in parts:
                ts.append(times)
                las.append(la)
                los.append(lo)
                vs.append(np.full(len(times), v, np.int64))
                count += len(times)
            here = nxt
    t_all, la_all = np.concatenate(ts), np.concatenate(las)
    lo_all, v_all = np.concatenate(los), np.concatenate(vs)
    keep = np.zeros(len(t_all), bool)
    for v in range(vehicles):  # exactly fixes_per_vehicle each
        idx = np.flatnonzero(v_all == v)[:fixes_per_vehicle]
        keep[idx] = True
    return Tracks(t_all[keep], la_all[keep], lo_all[keep], v_all[keep])
