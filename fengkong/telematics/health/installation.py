"""The installation check, pure: does each device on a vehicle show, after its installation,
that it logged in, has a valid fix near where it was fitted and (if wired) external power?"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fengkong.telematics.positions import Fix, distance_m


@dataclass(frozen=True, slots=True)
class CheckPolicy:
    time_limit: timedelta = timedelta(minutes=30)
    max_distance_m: float = 1000.0


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What the live state says of one installed device."""

    device_id: str
    wired: bool
    installed_at: datetime
    install_latitude: float | None
    install_longitude: float | None
    last_seen: datetime | None
    fix_time: datetime | None
    valid: bool | None
    latitude: float | None
    longitude: float | None
    external_power: bool | None


def reasons(facts: DeviceFacts, policy: CheckPolicy) -> list[str]:
    """Why the device does not pass (empty: it passes)."""
    out = []
    if facts.last_seen is None or facts.last_seen < facts.installed_at:
        out.append("not_logged_in")
    fixed = (facts.fix_time is not None and facts.fix_time >= facts.installed_at
             and bool(facts.valid) and facts.latitude is not None
             and facts.longitude is not None)
    if not fixed:
        out.append("no_valid_fix")
    elif facts.install_latitude is not None and facts.install_longitude is not None:
        assert facts.latitude is not None and facts.longitude is not None
        here = Fix(facts.installed_at, facts.latitude, facts.longitude)
        there = Fix(facts.installed_at, facts.install_latitude, facts.install_longitude)
        if distance_m(here, there) > policy.max_distance_m:
            out.append("far_from_installation")
    if facts.wired and facts.external_power is not True:
        out.append("no_external_power")
    return out


def verdict(results: Sequence[tuple[str, list[str]]], now: datetime,
            deadline: datetime) -> str:
    """passed when every device passes; failed once the time limit is over; else pending."""
    if results and all(not why for _, why in results):
        return "passed"
    return "failed" if now >= deadline else "pending"
