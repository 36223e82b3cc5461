"""The vehicle risk score: 0-100, the sum of the points of the signals standing now (capped),
with one reason per signal."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

POINTS = {
    "geofenceExit": 15, "geofenceEnter": 20, "riskAreaDwell": 30, "nightAway": 20,
    "newFrequentPlace": 10, "idleLong": 20, "leftHomeCity": 15, "leftHomeProvince": 30,
    "towardBorder": 35, "towing": 40, "positionJump": 15,
}


@dataclass(frozen=True)
class Score:
    score: int
    reasons: list[dict[str, Any]]


def score(active: Mapping[str, Mapping[str, Any]]) -> Score:
    """`active`: dedup key -> {"signal", "text"} of the signals standing now. A signal type
    counts once (its strongest instance), so ten jumps do not make a score of 100 alone."""
    best: dict[str, dict[str, Any]] = {}
    for item in active.values():
        signal = str(item["signal"])
        points = POINTS.get(signal, 0)
        if points and signal not in best:
            best[signal] = {"signal": signal, "points": points, "text": item.get("text", "")}
    reasons = sorted(best.values(), key=lambda r: (-r["points"], r["signal"]))
    return Score(min(100, sum(r["points"] for r in reasons)), reasons)
