"""A virtual car: where it is, how fast it goes and whether the engine runs, at any moment of
simulated time, following its owner's routine.

`Car.at(moment)` must be asked with moments that never go backwards; it advances the car
through the departures and trips in between (a car created at local midnight and first asked
at noon has done its morning). Pure: no clock, no I/O.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from fengkong.telematics.simulator.geo import LatLon, offset
from fengkong.telematics.simulator.places import Place, Places
from fengkong.telematics.simulator.roads import plan_route
from fengkong.telematics.simulator.routine import CITY_TIME, Departure, itinerary
from fengkong.telematics.simulator.trip import Trip

_SETTLE = timedelta(minutes=5)          # the least time a car stays where it arrived
_TANK_L = 50.0
_LITRES_PER_KM = 0.08


@dataclass(frozen=True, slots=True)
class CarState:
    time: datetime
    point: LatLon
    speed_kmh: float
    course: float
    engine_on: bool                      # ACC line
    driving: bool                        # on a trip (engine on, maybe waiting at a light)
    odometer_m: float
    fuel_l: float


class Car:
    def __init__(self, rng: random.Random, places: Places, since: datetime) -> None:
        self.rng = rng
        self.places = places
        self.place: Place = places.home
        self.trip: Trip | None = None
        self.odometer_m = rng.uniform(5_000_000, 80_000_000)
        self.fuel_l = rng.uniform(15, _TANK_L)
        self._parked_course = rng.uniform(0, 360)
        self._plan = itinerary(rng, places, since.astimezone(CITY_TIME).date())
        self._next: Departure = self._upcoming(since)

    def _upcoming(self, after: datetime) -> Departure:
        """The next departure at or after `after` that goes somewhere else."""
        while True:
            departure = next(self._plan)
            if departure.to != self.place:
                return Departure(max(departure.at, after), departure.to)

    def set_off_now(self, moment: datetime) -> None:
        """Leave at `moment` for one of the owner's places (the demo wants moving cars)."""
        if self.trip is None:
            choices = [p for p in (self.places.work, *self.places.errands) if p != self.place]
            self._next = Departure(moment, self.rng.choice(choices))

    def at(self, moment: datetime) -> CarState:
        self._advance(moment)
        if self.trip is not None:
            motion = self.trip.at(moment)
            fuel = self.fuel_l - motion.distance_m / 1000 * _LITRES_PER_KM
            return CarState(moment, motion.point, motion.speed_kmh, motion.course, True, True,
                            self.odometer_m + motion.distance_m, fuel)
        return CarState(moment, self._parked_point(), 0.0, self._parked_course, False, False,
                        self.odometer_m, self.fuel_l)

    def next_change(self) -> datetime:
        """When the car next sets off (parked) or switches the engine off (driving)."""
        return self.trip.arrives_at if self.trip is not None else self._next.at

    def _advance(self, moment: datetime) -> None:
        while True:
            if self.trip is not None:
                if moment < self.trip.arrives_at:
                    return
                self._arrive(self.trip)
            elif moment >= self._next.at:
                self._depart(self._next)
            else:
                return

    def _depart(self, departure: Departure) -> None:
        route = plan_route(self.rng, self.place.point, departure.to.point)
        self.trip = Trip(self.rng, route, departure.at, self._traffic(departure.at))
        self.place = departure.to

    def _traffic(self, moment: datetime) -> float:
        """How freely traffic flows when the car sets off: rush hours crawl, nights fly."""
        local = moment.astimezone(CITY_TIME)
        hour = local.hour + local.minute / 60
        if 7.5 <= hour < 9.5 or 17 <= hour < 19.5:
            return self.rng.uniform(0.45, 0.7)
        if 6 <= hour < 22:
            return self.rng.uniform(0.7, 0.9)
        return self.rng.uniform(0.9, 1.0)

    def _arrive(self, trip: Trip) -> None:
        self.trip = None
        self.odometer_m += trip.length_m
        self.fuel_l -= trip.length_m / 1000 * _LITRES_PER_KM
        if self.fuel_l < 8:
            self.fuel_l = _TANK_L                   # filled up on the way
        legs = trip.route.legs
        if legs:
            self._parked_course = legs[-1].course
        self._next = self._upcoming(trip.arrives_at + _SETTLE)

    def _parked_point(self) -> LatLon:
        """The parking place with the few metres of drift a standing GPS receiver shows."""
        return offset(self.place.point, self.rng.gauss(0, 3), self.rng.gauss(0, 3))
