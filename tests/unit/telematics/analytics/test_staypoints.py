"""Stay points agree with trackintel's sliding rule (count, start and end of every stay) on
synthetic car tracks and on real AIS tracks from tracktable-data (New York harbour)."""

from __future__ import annotations

import warnings
from datetime import datetime

import numpy as np
import pytest

from benchmarks._tracks import car_tracks
from fengkong.telematics.analytics.staypoints import StayRules, detect_stays, gap_for_profile

gpd = pytest.importorskip("geopandas")
pd = pytest.importorskip("pandas")
ti = pytest.importorskip("trackintel")


def trackintel_stays(t, lat, lon, vehicle, rules: StayRules):  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"user_id": vehicle, "tracked_at": pd.to_datetime(t, unit="s", utc=True),
                          "geometry": gpd.points_from_xy(lon, lat)})
    pfs = ti.Positionfixes(gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, sp = pfs.generate_staypoints(
            method="sliding", dist_threshold=rules.dist_m, time_threshold=rules.min_s / 60,
            gap_threshold=rules.gap_s / 60, include_last=rules.include_last)
    sp = sp.sort_values(["user_id", "started_at"])
    return (np.array([x.timestamp() for x in sp["started_at"]]),
            np.array([x.timestamp() for x in sp["finished_at"]]))


def assert_agree(t, lat, lon, vehicle, rules: StayRules, sample_s: float) -> int:  # type: ignore[no-untyped-def]
    ours = detect_stays(t, lat, lon, vehicle=vehicle, rules=rules)
    start, finish = trackintel_stays(t, lat, lon, vehicle, rules)
    assert len(ours) == len(start)
    assert np.all(np.abs(ours.started_at - start) <= sample_s)
    assert np.all(np.abs(ours.finished_at - finish) <= sample_s)
    return len(ours)


@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize("rules", [StayRules(), StayRules(dist_m=50, min_s=600, gap_s=600),
                                   StayRules(include_last=True)])
def test_stays_agree_with_trackintel_on_synthetic_car_tracks(seed: int, rules: StayRules) -> None:
    tracks = car_tracks(4, 3000, seed=seed)
    # parked heartbeats: drop most fixes in some stretches so gaps straddle the threshold
    rng = np.random.default_rng(seed)
    keep = rng.random(len(tracks.t)) > 0.15
    keep[::50] = True
    found = assert_agree(tracks.t[keep], tracks.lat[keep], tracks.lon[keep],
                         tracks.vehicle[keep], rules, 30.0)
    assert found > 10


def test_the_open_stay_at_the_end_is_kept_only_for_live_monitoring() -> None:
    t = np.arange(0, 3600, 60.0)
    lat, lon = np.full(len(t), 31.2), np.full(len(t), 121.4)
    assert len(detect_stays(t, lat, lon)) == 0
    live = detect_stays(t, lat, lon, rules=StayRules(include_last=True))
    assert len(live) == 1 and live.started_at[0] == 0 and live.finished_at[0] == 3540
    assert live.open_at_end[0]


def test_a_parked_heartbeat_gap_with_ignition_off_does_not_cut_the_stop() -> None:
    # parked 6 hours reporting every 30 minutes, then drives away
    t = np.concatenate([np.arange(0, 6 * 3600 + 1, 1800.0), 6 * 3600 + np.arange(1, 20) * 30])
    lat = np.concatenate([np.full(13, 31.2), 31.2 + np.arange(1, 20) * 0.002])
    lon = np.full(len(t), 121.4)
    acc = np.concatenate([np.zeros(13, bool), np.ones(19, bool)])
    rules = StayRules(gap_s=900)
    assert len(detect_stays(t, lat, lon, rules=rules)) == 0  # every gap cuts it
    stays = detect_stays(t, lat, lon, acc=acc, rules=rules)
    assert len(stays) == 1 and stays.duration_s[0] == 6 * 3600 + 30
    assert gap_for_profile(10, 1800) == 2700


def _nyharbor(max_vessels: int):  # type: ignore[no-untyped-def]
    data = pytest.importorskip("tracktable_data.data")
    path = data.retrieve(filename="NYHarbor_2020_12_first_week.traj")
    rows: dict[str, dict[float, tuple[float, float]]] = {}
    with open(path) as fh:
        for line in fh:
            tok = line.rstrip("\n").split(",")
            count = int(tok[3])
            body = tok[tok.index("*P*") + 6:]
            for i in range(count):
                oid, when, lon, lat = body[4 * i:4 * i + 4]
                ts = datetime.fromisoformat(when + "+00:00").timestamp()
                rows.setdefault(oid, {})[ts] = (float(lat), float(lon))
    ids = sorted(rows)[:max_vessels]
    t, la, lo, v = [], [], [], []
    for k, oid in enumerate(ids):
        for ts in sorted(rows[oid]):
            t.append(ts)
            la.append(rows[oid][ts][0])
            lo.append(rows[oid][ts][1])
            v.append(k)
    return np.array(t), np.array(la), np.array(lo), np.array(v)


def test_stays_agree_with_trackintel_on_real_ais_tracks_from_new_york_harbour() -> None:
    # a subset (the first 40 vessels by MMSI, about a quarter of the week) keeps the test quick
    t, lat, lon, vehicle = _nyharbor(40)
    assert len(t) > 20_000
    found = assert_agree(t, lat, lon, vehicle, StayRules(), 1.0)
    assert found > 500
