"""Places and home/work from stays, trips and mileage, and the risk score: pure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from fengkong.telematics.analytics import risk
from fengkong.telematics.analytics.places import Visit, cluster, infer_places
from fengkong.telematics.analytics.staypoints import StayRules, detect_stays
from fengkong.telematics.analytics.trips import daily_mileage, trips_between

SH = ZoneInfo("Asia/Shanghai")
HOME, WORK = (31.10, 121.30), (31.10, 121.40)


def ts(y: int, m: int, d: int, h: float) -> float:
    return (datetime(y, m, d, tzinfo=SH) + timedelta(hours=h)).astimezone(UTC).timestamp()


def week() -> list[Visit]:
    out = []
    for d in range(5, 10):  # Monday 5 January 2026 to Friday
        out.append(Visit(ts(2026, 1, d, 9), ts(2026, 1, d, 18), *WORK))
        out.append(Visit(ts(2026, 1, d, 18.5), ts(2026, 1, d + 1, 8.5),
                         HOME[0] + 0.0002 * (d % 2), HOME[1]))
    return out


def test_home_is_where_the_nights_are_and_work_the_weekday_hours() -> None:
    model = infer_places(week(), SH)
    home = next(p for p in model.places if p.number == model.home)
    work = next(p for p in model.places if p.number == model.work)
    assert abs(home.latitude - HOME[0]) < 0.001 and len(home.nights) == 5
    assert abs(work.longitude - WORK[1]) < 0.001 and work.weekday_hours == 40  # 09:00-17:00 counts
    assert date(2026, 1, 5) in home.nights


def test_stays_chain_into_one_place_within_the_radius() -> None:
    visits = [Visit(0, 1, 31.0, 121.0), Visit(2, 3, 31.0009, 121.0),
              Visit(4, 5, 31.0018, 121.0), Visit(6, 7, 31.01, 121.0)]
    assert cluster(visits, eps_m=150) == [0, 0, 0, 1]


def test_too_few_nights_name_no_home() -> None:
    model = infer_places(week()[:2], SH)
    assert model.home is None


def test_trips_lie_between_stays_and_mileage_counts_per_local_day() -> None:
    t = np.arange(0, 3 * 3600, 60.0)
    lat = np.where(t < 3600, 31.0, np.where(t < 5400, 31.0 + (t - 3600) / 1800 * 0.09, 31.09))
    lon = np.full(len(t), 121.0)
    stays = detect_stays(t, lat, lon, rules=StayRules(include_last=True))
    trips = trips_between(t, lat, lon, stays)
    assert len(stays) == 2 and len(trips) == 1
    assert 9_900 < trips[0].distance_m < 10_100 and trips[0].duration_s == 1800
    days = daily_mileage(t + ts(2026, 1, 5, 23) - 0, lat, lon, SH)
    assert sum(days.values()) > 9_900 and len(days) == 2


def test_the_score_counts_each_signal_once_and_caps_at_100() -> None:
    active = {f"positionJump:v:{i}": {"signal": "positionJump", "text": "jump"}
              for i in range(10)}
    assert risk.score(active).score == 15
    active |= {"towing:v:1": {"signal": "towing", "text": "towed"},
               "towardBorder:v:1": {"signal": "towardBorder", "text": "border"},
               "riskAreaDwell:v:1": {"signal": "riskAreaDwell", "text": "pawnshop"}}
    result = risk.score(active)
    assert result.score == 100
    assert [r["signal"] for r in result.reasons] == ["towing", "towardBorder", "riskAreaDwell",
                                                      "positionJump"]
    assert risk.score({}).score == 0
