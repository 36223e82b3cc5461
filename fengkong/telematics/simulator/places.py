"""The places in a car's life: a home in the suburbs, a work place nearer the centre, errands
around home (shops, school, gym) and a few weekend destinations out of town."""

from __future__ import annotations

import random
from dataclasses import dataclass

from fengkong.telematics.simulator.geo import LatLon, towards

_ERRANDS = ("supermarket", "school", "gym", "restaurant", "parents", "mall", "hospital")
_GETAWAYS = ("lake", "old town", "outlet", "hills")


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    point: LatLon


@dataclass(frozen=True, slots=True)
class Places:
    home: Place
    work: Place
    errands: tuple[Place, ...]
    getaways: tuple[Place, ...]


def places_around(rng: random.Random, centre: LatLon) -> Places:
    """A home 4-25 km from the centre, work within 8 km of it, 3-5 errands within 4 km of
    home, and two getaways 40-90 km away towards the west (Shanghai has the sea to its
    east; other cities get the same shape)."""
    home = Place("home", towards(centre, rng.uniform(0, 360), rng.uniform(4_000, 25_000)))
    work = Place("work", towards(centre, rng.uniform(0, 360), rng.uniform(500, 8_000)))
    names = rng.sample(_ERRANDS, rng.randint(3, 5))
    errands = tuple(Place(name, towards(home.point, rng.uniform(0, 360),
                                        rng.uniform(500, 4_000))) for name in names)
    getaways = tuple(Place(name, towards(centre, rng.uniform(200, 340),
                                         rng.uniform(40_000, 90_000)))
                     for name in rng.sample(_GETAWAYS, 2))
    return Places(home, work, errands, getaways)
