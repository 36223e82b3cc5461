"""How some devices misbehave, and which devices do.

A fleet hands faults to a share of its devices, cycling through the kinds asked for so that
even a handful of misbehaving devices shows every kind. Scheduled faults strike at a random
simulated moment in the first `window` of the run; line faults (garbage, bad checksums)
affect a share of the device's frames from the start.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Fault(StrEnum):
    POWER_CUT = "power_cut"         # external power wire cut: powerCut alarm, then on battery
    REMOVAL = "removal"             # tracker torn out: removal alarm, then silence for good
    LONG_OFFLINE = "long_offline"   # hours without network; stored fixes re-uploaded later
    GARBAGE = "garbage"             # line noise between frames
    BAD_CHECKSUM = "bad_checksum"   # frames whose checksum does not match
    HALF_OPEN = "half_open"         # drops connections without closing them, reconnects anew


LINE_FAULTS = frozenset({Fault.GARBAGE, Fault.BAD_CHECKSUM})


@dataclass(frozen=True, slots=True)
class FaultPlan:
    fault: Fault
    at: datetime                    # simulated moment it strikes (line faults: from the start)
    lasts: timedelta = timedelta(0)  # offline time; for half-open, the time between drops
    noise: float = 0.0              # share of frames affected by a line fault


def assign_faults(rng: random.Random, devices: int, share: float, start: datetime, *,
                  kinds: tuple[Fault, ...] = tuple(Fault),
                  window: timedelta = timedelta(hours=2),
                  offline: tuple[timedelta, timedelta] = (timedelta(hours=2), timedelta(hours=8)),
                  noise: float = 0.1) -> list[FaultPlan | None]:
    """One entry per device: its fault plan, or None for a well-behaved device."""
    if not 0 <= share <= 1:
        raise ValueError("the misbehaving share is between 0 and 1")
    plans: list[FaultPlan | None] = [None] * devices
    if not kinds:
        return plans
    chosen = sorted(rng.sample(range(devices), round(devices * share)))
    for number, index in enumerate(chosen):
        fault = kinds[number % len(kinds)]
        if fault in LINE_FAULTS:
            plans[index] = FaultPlan(fault, start, noise=noise)
            continue
        at = start + window * rng.random()
        lasts = offline[0] + (offline[1] - offline[0]) * rng.random()
        if fault is Fault.HALF_OPEN:
            lasts = window
        plans[index] = FaultPlan(fault, at, lasts)
    return plans
