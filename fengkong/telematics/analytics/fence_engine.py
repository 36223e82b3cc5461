"""Streaming geofence evaluation with hysteresis: batches of fixes of many vehicles in, enter,
exit, crossing and dwell transitions out, and the per-(vehicle, fence) state carried between
batches (and stored, so that a restart does not alarm again).

Hysteresis has two parts: a margin (a fix counts as inside only when it is that far inside
the border, as outside only when that far outside; between, it changes nothing) and a
minimum number of consecutive fixes on the new side before the state flips. Both are applied
without a per-fix Python loop: the fixes of each (vehicle, fence) pair are cut into runs of
equal zone (the fixes listed by the index as inside or in the band, and the implied runs
outside between them), a run of at least `min_fixes` decides the state, and the state is
carried forward over the runs with an accumulate.

Sparse reporters: a hop between two fixes longer than `hop_m` is tested as a segment against
the fences it passes; a fence both ends are outside of is reported as crossed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from fengkong.telematics.analytics.fence_index import IN, M_PER_DEG, OUT, FenceIndex, hav
from fengkong.telematics.analytics.shapes import Shape

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]

ENTER, EXIT, CROSSED, DWELL = "enter", "exit", "crossed", "dwell"


@dataclass(frozen=True, slots=True)
class Hysteresis:
    margin_m: float = 30.0
    min_fixes: int = 2
    hop_m: float = 500.0


@dataclass(slots=True)
class PairState:
    """One vehicle's standing with one fence: inside or not, the run of fixes that may flip
    it, since when it is inside, whether its dwell was reported."""

    inside: bool = False
    run_zone: int = OUT
    run_len: int = 0
    since: float | None = None
    dwelt: bool = False


@dataclass(frozen=True, slots=True)
class Transition:
    vehicle: int
    fence: int
    kind: str
    at: float
    fix: int          # index of the fix that proved it, in the batch as given
    previous_fix: int | None = None  # for a crossing: the fix before the hop


KINDS = (ENTER, EXIT, CROSSED, DWELL)


@dataclass(frozen=True)
class Transitions:
    """A batch's transitions as arrays (cheap to build); iterate for `Transition`s."""

    vehicle: Ints
    fence: Ints
    kind: NDArray[np.int8]     # index into KINDS
    at: Floats
    fix: Ints
    previous_fix: Ints         # -1: none (or the fix was in an earlier batch)

    @staticmethod
    def empty() -> Transitions:
        e = np.empty(0, np.int64)
        return Transitions(e, e, np.empty(0, np.int8), np.empty(0), e, e)

    @staticmethod
    def join(parts: Sequence[Transitions]) -> Transitions:
        if not parts:
            return Transitions.empty()
        return Transitions(*(np.concatenate([getattr(x, name) for x in parts]) for name in
                             ("vehicle", "fence", "kind", "at", "fix", "previous_fix")))

    def __len__(self) -> int:
        return len(self.at)

    def __iter__(self) -> Iterator[Transition]:
        for v, f, k, a, x, p in zip(self.vehicle.tolist(), self.fence.tolist(),
                                    self.kind.tolist(), self.at.tolist(), self.fix.tolist(),
                                    self.previous_fix.tolist(), strict=True):
            yield Transition(v, f, KINDS[k], a, x, None if p < 0 else p)


def _arrays(vehicle: Ints, fence: Ints, kind: int | NDArray[np.int8], at: Floats, fix: Ints,
            previous: Ints | None = None) -> Transitions:
    n = len(at)
    return Transitions(np.asarray(vehicle, np.int64), np.asarray(fence, np.int64),
                       np.broadcast_to(np.asarray(kind, np.int8), (n,)).copy(),
                       np.asarray(at, float), np.asarray(fix, np.int64),
                       np.full(n, -1, np.int64) if previous is None
                       else np.asarray(previous, np.int64))


def _member(values: Ints, sorted_keys: Ints) -> NDArray[np.bool_]:
    """`np.isin` for a few values against many sorted keys (no hashing of the many)."""
    if len(sorted_keys) == 0:
        return np.zeros(len(values), bool)
    pos = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return np.asarray(sorted_keys[pos] == values)


@dataclass
class FenceEngine:
    shapes: Sequence[Shape]
    hysteresis: Hysteresis = Hysteresis()
    dwell_s: Sequence[float] | None = None   # per fence; 0 = no dwell report
    # per fence: a vehicle is taken to be inside until shown otherwise (an "allowed" fence:
    # a car first seen outside its allowed area must raise the exit)
    presumed_inside: Sequence[bool] | None = None
    # or, per vehicle code, the fences presumed inside for that vehicle only (an allowed area
    # applies to the cars it is assigned to); filled by the caller before `evaluate`
    presumed_by_vehicle: dict[int, frozenset[int]] | None = None
    # which (vehicle code, fence) pairs matter at all: a fence assigned to some cars is
    # neither tracked nor reported for the others (None: every fence for every vehicle)
    scope: Callable[[Ints, Ints], NDArray[np.bool_]] | None = None
    state: dict[int, dict[int, PairState]] = field(default_factory=dict)
    # each vehicle's last fix (t, lat, lon) and the fences it was inside or near then
    last_fix: dict[int, tuple[float, float, float, frozenset[int]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        self.index = FenceIndex(self.shapes, self.hysteresis.margin_m)
        self.dwell = np.zeros(self.index.n) if self.dwell_s is None else np.asarray(
            self.dwell_s, dtype=float)
        self.presumed = (np.zeros(self.index.n, bool) if self.presumed_inside is None
                         else np.asarray(self.presumed_inside, bool))
        self._presumed_all = frozenset(np.flatnonzero(self.presumed).tolist())
        self._cross_tree = shapely.STRtree(self.index.crossing_geometries())

    # --- the batch -------------------------------------------------------------------------

    def evaluate(self, vehicle: NDArray[np.int64], t: Floats, lat: Floats, lon: Floats
                 ) -> Transitions:
        """Fixes of any vehicles (integer codes), each vehicle's fixes newer than any it sent
        before; returns the transitions in time order."""
        n = len(t)
        if n == 0:
            return Transitions.empty()
        order = np.lexsort((t, vehicle))
        v, tt, la, lo = vehicle[order], t[order], lat[order], lon[order]
        new = np.ones(n, bool)
        new[1:] = v[1:] != v[:-1]
        vstart = np.flatnonzero(new)
        vend = np.append(vstart[1:], n)
        group = np.cumsum(new) - 1
        p, f, z = self.index.classify(la, lo)
        if self.scope is not None and len(p):
            keep = self.scope(v[p], f)
            p, f, z = p[keep], f[keep], z[keep]
        out = Transitions.join([self._transitions(v, tt, group, vstart, vend, p, f, z),
                                self._dwells(v, tt, vstart, vend),
                                self._crossings(v, tt, la, lo, new, p, f)])
        o = np.lexsort((out.fence, out.vehicle, out.at))
        prev = out.previous_fix[o]
        return Transitions(out.vehicle[o], out.fence[o], out.kind[o], out.at[o],
                           order[out.fix[o]], np.where(prev >= 0, order[np.maximum(prev, 0)],
                                                       -1))

    def _transitions(self, v: Ints, tt: Floats, group: Ints, vstart: Ints, vend: Ints,
                     p: Ints, f: Ints, z: NDArray[np.int8]) -> Transitions:
        nf = max(self.index.n, 1)
        k = self.hysteresis.min_fixes
        pair = v[p] * nf + f
        o = np.lexsort((p, pair))
        pair, p, z = pair[o], p[o], z[o]
        # runs of equal zone and consecutive fixes within each pair
        brk = np.ones(len(p), bool)
        brk[1:] = (pair[1:] != pair[:-1]) | (p[1:] != p[:-1] + 1) | (z[1:] != z[:-1])
        rs = np.flatnonzero(brk)
        r_pair, r_start, r_zone = pair[rs], p[rs], z[rs].astype(np.int64)
        r_len = np.diff(np.append(rs, len(p)))
        r_end = r_start + r_len
        first_of_pair = np.ones(len(rs), bool)
        first_of_pair[1:] = r_pair[1:] != r_pair[:-1]
        last_of_pair = np.append(first_of_pair[1:], True)
        g = group[r_start]
        prev_end = np.where(first_of_pair, vstart[g], np.append(0, r_end[:-1]))
        gap_before = r_start - prev_end
        tail = np.where(last_of_pair, vend[g] - r_end, 0)
        # pairs with a stored state and no fix near the fence: one run outside
        known = self._known_pairs(v, vstart, vend, set(r_pair.tolist()), nf)
        seg_pair = np.concatenate([r_pair, r_pair, r_pair, known[0]])
        seg_start = np.concatenate([prev_end, r_start, r_end, known[1]])
        seg_len = np.concatenate([gap_before, r_len, tail, known[2]])
        seg_zone = np.concatenate([np.full(len(rs), OUT), r_zone, np.full(len(rs), OUT),
                                   np.full(len(known[0]), OUT)])
        keep = seg_len > 0
        seg_pair, seg_start, seg_len, seg_zone = (seg_pair[keep], seg_start[keep],
                                                  seg_len[keep], seg_zone[keep])
        o = np.lexsort((seg_start, seg_pair))
        seg_pair, seg_start, seg_len, seg_zone = seg_pair[o], seg_start[o], seg_len[o], seg_zone[o]
        if len(seg_pair) == 0:
            return Transitions.empty()
        head = np.ones(len(seg_pair), bool)
        head[1:] = seg_pair[1:] != seg_pair[:-1]
        heads = np.flatnonzero(head)
        stored = np.array([c * nf + x for c, per in self.state.items() for x in per], np.int64)
        known_head = np.isin(seg_pair[heads], stored)
        if self.presumed.any():
            known_head |= np.array([int(x) % nf in self._presumed(int(x) // nf)
                                    for x in seg_pair[heads].tolist()], bool)
        prior_in = np.zeros(len(heads), bool)
        carry_zone = np.full(len(heads), OUT, np.int64)
        carry_len = np.zeros(len(heads), np.int64)
        for j in np.flatnonzero(known_head).tolist():
            ps = self._pair_state(int(seg_pair[heads[j]]) // nf, int(seg_pair[heads[j]]) % nf)
            prior_in[j], carry_zone[j], carry_len[j] = ps.inside, ps.run_zone, ps.run_len
        carried = np.zeros(len(seg_pair), np.int64)
        same = seg_zone[heads] == carry_zone
        carried[heads[same]] = carry_len[same]
        eff = seg_len + carried
        decisive = np.where((seg_zone == IN) & (eff >= k), 1,
                            np.where((seg_zone == OUT) & (eff >= k), 0, -1))
        # the state after each segment: the last decisive value, seeded by the prior state
        pair_no = np.cumsum(head) - 1
        value = np.where(decisive >= 0, decisive, -1)
        seed_pos = np.full(len(value), -1)
        has = value >= 0
        seed_pos[has] = np.arange(len(value))[has]
        last_pos = np.maximum.accumulate(seed_pos)
        head_pos = heads[pair_no]
        from_batch = last_pos >= head_pos
        state = np.where(from_batch, value[np.maximum(last_pos, 0)], prior_in[pair_no])
        before = np.empty(len(state), np.int64)
        before[1:] = state[:-1]
        before[heads] = prior_in
        flips = np.flatnonzero((decisive >= 0) & (state != before))
        fix = seg_start[flips] + np.maximum(0, k - 1 - carried[flips])
        fix = np.minimum(fix, seg_start[flips] + seg_len[flips] - 1)
        out = _arrays(v[fix], seg_pair[flips] % nf,
                      np.where(state[flips] == 1, KINDS.index(ENTER), KINDS.index(EXIT)),
                      tt[fix], fix)
        self._store(seg_pair, heads, known_head, state, seg_zone, eff, out, nf)
        return out

    def _known_pairs(self, v: Ints, vstart: Ints, vend: Ints, seen: set[int], nf: int
                     ) -> tuple[Ints, Ints, Ints]:
        pairs, starts, lens = [], [], []
        for g, code in enumerate(v[vstart].tolist()):
            for fence in {*self.state.get(code, {}), *self._presumed(code)}:
                key = code * nf + fence
                if key not in seen:
                    pairs.append(key)
                    starts.append(int(vstart[g]))
                    lens.append(int(vend[g] - vstart[g]))
        return (np.asarray(pairs, np.int64), np.asarray(starts, np.int64),
                np.asarray(lens, np.int64))

    def _presumed(self, vehicle: int) -> frozenset[int]:
        if self.presumed_by_vehicle is not None:
            return self.presumed_by_vehicle.get(vehicle, frozenset())
        return self._presumed_all

    def _pair_state(self, vehicle: int, fence: int) -> PairState:
        stored = self.state.get(vehicle, {}).get(fence)
        if stored is not None:
            return stored
        return PairState(inside=True) if fence in self._presumed(vehicle) else PairState()

    def _store(self, seg_pair: Ints, heads: Ints, known: NDArray[np.bool_], state: Ints,
               zone: Ints, eff: Ints, transitions: Transitions, nf: int) -> None:
        e = transitions.kind == KINDS.index(ENTER)
        entered = dict(zip(zip(transitions.vehicle[e].tolist(), transitions.fence[e].tolist(),
                               strict=True), transitions.at[e].tolist(), strict=True))
        lasts = np.append(heads[1:] - 1, len(seg_pair) - 1)
        # only pairs that were stored or must be stored now need a look
        lasts = lasts[known | (state[lasts] == 1) | (zone[lasts] == IN)]
        for i in lasts.tolist():
            vehicle, fence = int(seg_pair[i]) // nf, int(seg_pair[i]) % nf
            old = self._pair_state(vehicle, fence)
            inside = bool(state[i])
            s = PairState(inside, int(zone[i]), int(eff[i]), old.since if old.inside else None,
                          old.dwelt and inside)
            if (vehicle, fence) in entered:
                s.since, s.dwelt = entered[(vehicle, fence)], False
            if not inside:
                s.since = None
            per = self.state.setdefault(vehicle, {})
            if inside or s.run_zone == IN or fence in self._presumed(vehicle):
                per[fence] = s
            else:
                per.pop(fence, None)
                if not per:
                    self.state.pop(vehicle, None)

    # --- sparse reporters ------------------------------------------------------------------

    def _crossings(self, v: Ints, tt: Floats, la: Floats, lo: Floats, new: NDArray[np.bool_],
                   p: Ints, f: Ints) -> Transitions:
        """Hops within the batch, and from each vehicle's last fix of the previous batch."""
        if self.index.n == 0:
            return Transitions.empty()
        b = np.flatnonzero(~new)
        a = b - 1
        a_lat, a_lon, a_idx = la[a], lo[a], a
        heads = np.flatnonzero(new)
        before = [(i, self.last_fix[int(v[i])]) for i in heads.tolist()
                  if int(v[i]) in self.last_fix]
        if before:
            hb = np.array([i for i, _ in before], np.int64)
            b = np.concatenate([b, hb])
            a_lat = np.concatenate([a_lat, [x[1] for _, x in before]])
            a_lon = np.concatenate([a_lon, [x[2] for _, x in before]])
            a_idx = np.concatenate([a_idx, np.full(len(hb), -1)])
        prev_near = {int(i): x[3] for i, x in before}
        lasts = np.append(heads[1:] - 1, len(v) - 1)
        is_last = np.zeros(len(v), bool)
        is_last[lasts] = True
        at_last = is_last[p]
        near_last = p[at_last], f[at_last]
        for i in lasts.tolist():
            fences = frozenset(near_last[1][near_last[0] == i].tolist())
            self.last_fix[int(v[i])] = (float(tt[i]), float(la[i]), float(lo[i]), fences)
        if len(b) == 0:
            return Transitions.empty()
        hop = hav(a_lat, a_lon, la[b], lo[b])
        sel = np.flatnonzero((hop > self.hysteresis.hop_m) & (np.abs(lo[b] - a_lon) < 180.0))
        if len(sel) == 0:
            return Transitions.empty()
        b, a_lat, a_lon, a_idx = b[sel], a_lat[sel], a_lon[sel], a_idx[sel]
        lines = shapely.linestrings(np.stack([np.column_stack([a_lon, a_lat]),
                                              np.column_stack([lo[b], la[b]])], axis=1))
        seg, fence = self._cross_tree.query(lines)
        hit = self._segment_hits(seg, fence, a_lat, a_lon, la[b], lo[b], lines)
        if self.scope is not None and len(seg):
            hit &= self.scope(v[b[seg]], fence)
        seg, fence = seg[hit], fence[hit]
        # a fence either end is inside or near is the ordinary streaming path's business
        nf = self.index.n
        touched = np.sort(p * nf + f)
        ai, bi = a_idx[seg], b[seg]
        far = ~(_member(bi * nf + fence, touched)
                | ((ai >= 0) & _member(ai * nf + fence, touched)))
        for j in np.flatnonzero(far & (ai < 0)).tolist():  # hops from the previous batch
            far[j] = int(fence[j]) not in prev_near.get(int(bi[j]), frozenset())
        ai, bi, fence = ai[far], bi[far], fence[far]
        outside = np.array([not self._pair_state(int(v[y]), fi).inside for y, fi in
                            zip(bi.tolist(), fence.tolist(), strict=True)], bool)
        ai, bi, fence = ai[outside], bi[outside], fence[outside]
        return _arrays(v[bi], fence, KINDS.index(CROSSED), tt[bi], bi, ai)

    def _segment_hits(self, seg: Ints, fence: Ints, a_lat: Floats, a_lon: Floats,
                      b_lat: Floats, b_lon: Floats, lines: NDArray[np.object_]
                      ) -> NDArray[np.bool_]:
        """Which (segment, fence) candidates really meet: circles by the distance from the
        centre to the segment in a local plane, polygons by a prepared intersects."""
        ix = self.index
        hit = np.zeros(len(seg), bool)
        circ = ix.is_circle[fence]
        c = np.flatnonzero(circ)
        if len(c):
            fc, sc = fence[c], seg[c]
            k = np.cos(np.radians(ix.clat[fc])) * M_PER_DEG
            ax, ay = (a_lon[sc] - ix.clon[fc]) * k, (a_lat[sc] - ix.clat[fc]) * M_PER_DEG
            bx, by = (b_lon[sc] - ix.clon[fc]) * k, (b_lat[sc] - ix.clat[fc]) * M_PER_DEG
            dx, dy = bx - ax, by - ay
            u = np.clip(-(ax * dx + ay * dy) / np.maximum(dx * dx + dy * dy, 1e-9), 0, 1)
            hit[c] = np.hypot(ax + u * dx, ay + u * dy) <= ix.radius[fc]
        q = np.flatnonzero(~circ)
        if len(q):
            hit[q] = shapely.intersects(ix.outer[fence[q]], lines[seg[q]])
        return hit

    # --- dwell -----------------------------------------------------------------------------

    def _dwells(self, v: Ints, tt: Floats, vstart: Ints, vend: Ints) -> Transitions:
        out: list[tuple[int, int, float, int]] = []
        for g, code in enumerate(v[vstart].tolist()):
            for fence, s in self.state.get(code, {}).items():
                limit = float(self.dwell[fence])
                if limit <= 0 or not s.inside or s.dwelt or s.since is None:
                    continue
                times = tt[vstart[g]:vend[g]]
                j = int(np.searchsorted(times, s.since + limit))
                if j < len(times):
                    s.dwelt = True
                    out.append((code, fence, float(times[j]), int(vstart[g]) + j))
        if not out:
            return Transitions.empty()
        cols = list(zip(*out, strict=True))
        return _arrays(np.array(cols[0]), np.array(cols[1]), KINDS.index(DWELL),
                       np.array(cols[2]), np.array(cols[3]))
