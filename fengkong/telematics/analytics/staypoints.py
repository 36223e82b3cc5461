"""Stay-point detection, vectorized: the sliding rule of Li et al. (2008) as trackintel's
`generate_staypoints(method="sliding")` states it, over many vehicles at once.

The rule, per vehicle with fixes sorted by time: an anchor fix starts a candidate; the first
later fix that is either after a recording gap (> gap_s since the previous fix) or at least
`dist_m` from the anchor ends it. If it ended by distance and lasted at least `min_s`
(anchor to that first fix outside), fixes [anchor, outside) are a stay, started at the
anchor's time and finished at the first fix outside; either way the anchor moves to the fix
that ended it. The stay still open when the data ends is dropped unless `include_last`
(live monitoring wants it; it then finishes at the last fix).

Ignition-aware: with `acc` given, a gap between two fixes that both report the ignition off
is a parked tracker's heartbeat, not signal loss, and does not cut the stay (trackers that
report every 15-60 minutes when parked would otherwise never show a long stop). The gap
itself should come from the device's reporting profile (`gap_for_profile`).

Why it is fast: the anchor moves one fix at a time while the car drives, and those steps are
decided by the distance to the next fix alone, which is computed for all fixes at once; the
Python loop runs only once per run of driving fixes and once per stay, where a numpy window
finds the first fix outside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fengkong.telematics.analytics.coords import EARTH_R

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class StayRules:
    dist_m: float = 100.0
    min_s: float = 300.0
    gap_s: float = 900.0
    include_last: bool = False


def gap_for_profile(moving_interval_s: float, parked_interval_s: float | None,
                    floor_s: float = 900.0) -> float:
    """A gap threshold that a healthy tracker never reaches: above its parked heartbeat."""
    slowest = max(moving_interval_s, parked_interval_s or 0.0)
    return max(floor_s, 1.5 * slowest)


@dataclass(frozen=True, slots=True)
class Stays:
    """Stays as index ranges into the input: fixes [first, end) with finished_at = t[finish]
    (finish is the first fix outside, or the last fix for the stay open at the end)."""

    vehicle: Ints
    first: Ints
    end: Ints
    finish: Ints
    started_at: Floats
    finished_at: Floats
    latitude: Floats
    longitude: Floats
    open_at_end: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.first)

    @property
    def duration_s(self) -> Floats:
        return self.finished_at - self.started_at


def _prepared(t: ArrayLike, lat: ArrayLike, lon: ArrayLike, vehicle: ArrayLike | None
              ) -> tuple[Floats, Floats, Floats, Ints]:
    tt = np.asarray(t, dtype=np.float64)
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    veh = np.zeros(len(tt), np.int64) if vehicle is None else np.asarray(vehicle, np.int64)
    return tt, la, lo, veh


def _hav(la0: float, lo0: float, cos0: float, la: Floats, lo: Floats, cos: Floats) -> Floats:
    h = np.sin((la - la0) / 2) ** 2 + cos0 * cos * np.sin((lo - lo0) / 2) ** 2
    return 2 * EARTH_R * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def step_distances(lat: ArrayLike, lon: ArrayLike) -> Floats:
    """Metres from each fix to the next (len n-1), haversine."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    cos = np.cos(la)
    h = (np.sin((la[1:] - la[:-1]) / 2) ** 2
         + cos[1:] * cos[:-1] * np.sin((lo[1:] - lo[:-1]) / 2) ** 2)
    return np.asarray(2 * EARTH_R * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


def detect_stays(t: ArrayLike, lat: ArrayLike, lon: ArrayLike, *,
                 vehicle: ArrayLike | None = None, acc: ArrayLike | None = None,
                 rules: StayRules = StayRules()) -> Stays:
    """Stays of fixes sorted by (vehicle, time); `t` in seconds, `acc` True/False per fix
    (or None when the tracker does not report it)."""
    tt, la, lo, veh = _prepared(t, lat, lon, vehicle)
    n = len(tt)
    if n == 0:
        return _empty()
    cos = np.cos(la)
    new_vehicle = np.ones(n, bool)
    new_vehicle[1:] = veh[1:] != veh[:-1]
    gap = np.zeros(n, bool)
    gap[1:] = (tt[1:] - tt[:-1]) > rules.gap_s
    if acc is not None:
        off = ~np.asarray(acc, dtype=bool)
        gap[1:] &= ~(off[1:] & off[:-1])
    gap |= new_vehicle
    step = np.empty(n)
    step[:-1] = step_distances(np.degrees(la), np.degrees(lo))
    step[-1] = np.inf
    # the anchor at i moves to i+1 without a window search
    step_break = np.empty(n, bool)
    step_break[:-1] = gap[1:] | (step[:-1] >= rules.dist_m)
    step_break[-1] = True
    # first index >= i whose step does not break (n if none)
    idx = np.where(step_break, n, np.arange(n))
    run_end = np.minimum.accumulate(idx[::-1])[::-1]
    starts = np.flatnonzero(new_vehicle)
    ends = np.append(starts[1:], n)

    firsts: list[int] = []
    outs: list[int] = []
    opens: list[int] = []
    run_lo: list[int] = []
    run_hi: list[int] = []
    for vs, ve in zip(starts.tolist(), ends.tolist(), strict=True):
        s = vs
        last = ve - 1
        while s < last:
            if step_break[s]:
                j = min(int(run_end[s]), last)
                run_lo.append(s)
                run_hi.append(j)
                s = j
                continue
            k = _first_outside(s, ve, la, lo, cos, gap, rules.dist_m)
            if k < 0:
                break
            if not gap[k] and tt[k] - tt[s] >= rules.min_s:
                firsts.append(s)
                outs.append(k)
            s = k
        if rules.include_last and tt[last] - tt[s] >= rules.min_s and last > s:
            opens.append(s)
            opens.append(last)
    singles = _single_step_stays(run_lo, run_hi, gap, step, tt, rules)
    first = np.concatenate([np.asarray(firsts, np.int64), singles,
                            np.asarray(opens[0::2], np.int64)])
    finish = np.concatenate([np.asarray(outs, np.int64), singles + 1,
                             np.asarray(opens[1::2], np.int64)])
    open_flag = np.zeros(len(first), bool)
    open_flag[len(first) - len(opens) // 2:] = True
    order = np.argsort(first, kind="stable")
    first, finish, open_flag = first[order], finish[order], open_flag[order]
    end = np.where(open_flag, finish + 1, finish)
    lat_c, lon_c = _centroids(la, lo, first, end)
    return Stays(veh[first], first, end, finish, tt[first], tt[finish], lat_c, lon_c,
                 open_flag)


def _first_outside(s: int, ve: int, la: Floats, lo: Floats, cos: Floats,
                   gap: NDArray[np.bool_], dist_m: float) -> int:
    """The first fix after anchor s (within its vehicle) that ends the candidate, or -1."""
    lo_i, width = s + 1, 64
    la0, lo0, cos0 = float(la[s]), float(lo[s]), float(cos[s])
    while lo_i < ve:
        hi = min(ve, lo_i + width)
        d = _hav(la0, lo0, cos0, la[lo_i:hi], lo[lo_i:hi], cos[lo_i:hi])
        hit = np.flatnonzero((d >= dist_m) | gap[lo_i:hi])
        if len(hit):
            return lo_i + int(hit[0])
        lo_i, width = hi, width * 4
    return -1


def _single_step_stays(run_lo: list[int], run_hi: list[int], gap: NDArray[np.bool_],
                       step: Floats, tt: Floats, rules: StayRules) -> Ints:
    """Anchors inside runs of driving steps whose one-fix candidate lasted long enough (a
    parked car's last heartbeat before it moved)."""
    if not run_lo:
        return np.empty(0, np.int64)
    lo_a, hi_a = np.asarray(run_lo), np.asarray(run_hi)
    lengths = hi_a - lo_a
    anchors = np.repeat(lo_a, lengths) + (np.arange(lengths.sum())
                                          - np.repeat(np.cumsum(lengths) - lengths, lengths))
    nxt = anchors + 1
    keep = ~gap[nxt] & (step[anchors] >= rules.dist_m) & (tt[nxt] - tt[anchors] >= rules.min_s)
    return np.asarray(anchors[keep], np.int64)


def _centroids(la: Floats, lo: Floats, first: Ints, end: Ints) -> tuple[Floats, Floats]:
    """Mean latitude and the angular mean of longitude over each fix range, in degrees."""
    if len(first) == 0:
        return np.empty(0), np.empty(0)
    def sums(values: Floats) -> Floats:
        c = np.concatenate([[0.0], np.cumsum(values)])
        return c[end] - c[first]
    count = (end - first).astype(float)
    lat = sums(la) / count
    lon = np.arctan2(sums(np.sin(lo)), sums(np.cos(lo)))
    return np.degrees(lat), np.degrees(lon)


def _empty() -> Stays:
    i, f = np.empty(0, np.int64), np.empty(0)
    return Stays(i, i, i, i, f, f, f, f, np.empty(0, bool))
