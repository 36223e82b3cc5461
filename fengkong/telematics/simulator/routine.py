"""A car owner's week as departures: to work and back on weekdays with the odd errand on the
way or in the evening, errands or a trip out of town at weekends, nights at home.

Plans are made a local day at a time (the city's clock, UTC+8 for Shanghai), so that a run
of any length gets as many days as it needs, each drawn from the car's own random stream.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from fengkong.telematics.simulator.places import Place, Places

CITY_TIME = timezone(timedelta(hours=8))


@dataclass(frozen=True, slots=True)
class Departure:
    at: datetime             # UTC-aware; the car leaves then, or when it arrives if later
    to: Place


def itinerary(rng: random.Random, places: Places, first_day: date,
              zone: tzinfo = CITY_TIME) -> Iterator[Departure]:
    """Departures in time order, day after day, for ever."""
    day = first_day
    while True:
        yield from day_plan(rng, places, day, zone)
        day += timedelta(days=1)


def day_plan(rng: random.Random, places: Places, day: date,
             zone: tzinfo = CITY_TIME) -> list[Departure]:
    plan = _weekend(rng, places) if day.weekday() >= 5 else _weekday(rng, places)
    midnight = datetime.combine(day, time(), zone)
    return [Departure((midnight + timedelta(hours=hour)).astimezone(UTC), place)
            for hour, place in plan]


_Plan = list[tuple[float, Place]]       # (local hour of the day, destination)


def _weekday(rng: random.Random, places: Places) -> _Plan:
    home, work = places.home, places.work
    if rng.random() < 0.1:                          # working from home: one errand
        start = rng.uniform(10, 16)
        return [(start, rng.choice(places.errands)), (start + rng.uniform(0.5, 1.5), home)]
    plan: _Plan = [(rng.uniform(7, 9), work)]
    if rng.random() < 0.3:                          # lunch out
        lunch = rng.uniform(12, 12.5)
        plan += [(lunch, rng.choice(places.errands)), (lunch + rng.uniform(0.7, 1.2), work)]
    leave = rng.uniform(17, 19.5)
    if rng.random() < 0.35:                         # shopping on the way home
        plan += [(leave, rng.choice(places.errands)), (leave + rng.uniform(0.3, 1), home)]
    else:
        plan.append((leave, home))
    if rng.random() < 0.2:                          # out in the evening
        evening = rng.uniform(19.5, 20.5)
        plan += [(evening, rng.choice(places.errands)), (evening + rng.uniform(1, 2), home)]
    return plan


def _weekend(rng: random.Random, places: Places) -> _Plan:
    home = places.home
    if rng.random() < 0.45:                         # a day out of town
        leave = rng.uniform(8.5, 10.5)
        back = leave + rng.uniform(4, 7)
        return [(leave, rng.choice(places.getaways)), (back, home)]
    plan: _Plan = []
    hour = rng.uniform(10, 11.5)
    for _ in range(rng.randint(1, 3)):
        stay = rng.uniform(0.7, 2)
        plan += [(hour, rng.choice(places.errands)), (hour + stay, home)]
        hour += stay + rng.uniform(0.5, 2)
    return plan
