"""A fleet of simulated trackers against one host and port, inside a running asyncio loop.

    fleet = Fleet(FleetConfig(devices=50, protocol="gt06", port=5023, speedup=10, seed=7))
    async with fleet:                       # starts every device; stops them on the way out
        await asyncio.sleep(60)
        print(fleet.totals())               # Counters: sent, acknowledged, resent, ...
        print(fleet.latencies.quantile(0.99))   # seconds from a frame to its acknowledgement

Everything is derived from the seed: identifiers, homes and work places, routines, which
devices misbehave and how. Device `i` of a seed always has the same identifier
(`identities.identifiers`), so a demo can register the devices first.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from types import TracebackType

from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.simulator.car import Car
from fengkong.telematics.simulator.clock import Pacer, SimClock
from fengkong.telematics.simulator.counters import Counters, Latencies, total
from fengkong.telematics.simulator.device import Timing, VirtualDevice
from fengkong.telematics.simulator.faults import Fault, FaultPlan, assign_faults
from fengkong.telematics.simulator.geo import SHANGHAI, LatLon
from fengkong.telematics.simulator.identities import identifiers
from fengkong.telematics.simulator.messages import Speaker
from fengkong.telematics.simulator.places import places_around
from fengkong.telematics.simulator.routine import CITY_TIME
from fengkong.telematics.simulator.speak_gt06 import Gt06Speaker
from fengkong.telematics.simulator.speak_jt808 import Jt808Speaker


@dataclass(frozen=True, slots=True)
class FleetConfig:
    devices: int = 10
    protocol: str = "gt06"                      # "gt06" or "jt808"
    host: str = "127.0.0.1"
    port: int | None = None                     # None: the protocol's default port
    rate: float | None = None                   # messages per second across the fleet
    speedup: float = 1.0                        # simulated seconds per real second
    seed: int = 1
    misbehaving: float = 0.0                    # share of devices with a fault
    id_prefix: str | None = None                # leading digits of the identifiers
    start: datetime | None = None               # simulated start; None: now
    centre: LatLon = SHANGHAI
    driving_at_start: float = 0.0               # share of cars that set off at the start
    faults: tuple[Fault, ...] = tuple(Fault)    # the kinds handed out, in turn
    fault_window: timedelta = timedelta(hours=2)
    offline_for: tuple[timedelta, timedelta] = (timedelta(hours=2), timedelta(hours=8))
    noise: float = 0.1                          # share of frames a line fault spoils
    jt808_version: int | None = None            # 1: JT/T 808-2019 headers
    gt06_zone: timedelta = timedelta(0)         # the GT06 clock's zone, announced at login
    gt06_reply: int = 0x21                      # 0x21, or 0x15 for older firmware
    ramp_up: float | None = None                # real seconds to switch all devices on;
                                                # None: 1 s per 2,000 devices
    timing: Timing = field(default_factory=Timing)


class Fleet:
    def __init__(self, config: FleetConfig) -> None:
        if config.protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {config.protocol!r}")
        self.config = config
        self.clock = SimClock(config.start, config.speedup)
        self.pacer = Pacer(config.rate)
        self.address = (config.host, config.port or PROTOCOLS[config.protocol].default_port)
        self.latencies = Latencies(seed=config.seed)    # every device's acknowledgements
        self.devices = self._build()
        self.errors: list[BaseException] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._started = False

    def _build(self) -> list[VirtualDevice]:
        config = self.config
        ids = identifiers(config.protocol, config.devices, config.seed, config.id_prefix)
        plans = assign_faults(random.Random(config.seed), config.devices, config.misbehaving,
                              self.clock.start, kinds=config.faults,
                              window=config.fault_window, offline=config.offline_for,
                              noise=config.noise)
        return [self._device(index, identifier, plan)
                for index, (identifier, plan) in enumerate(zip(ids, plans, strict=True))]

    def _device(self, index: int, identifier: str, plan: FaultPlan | None) -> VirtualDevice:
        config = self.config
        rng = random.Random(f"{config.seed}/{index}")
        start = self.clock.start
        midnight = datetime.combine(start.astimezone(CITY_TIME).date(), time(), CITY_TIME)
        car = Car(rng, places_around(rng, config.centre), midnight)
        car.at(start)                               # the morning (or night) so far
        if rng.random() < config.driving_at_start:
            car.set_off_now(start)
        return VirtualDevice(identifier, self._speaker(identifier), car, clock=self.clock,
                             pacer=self.pacer, address=self.address, timing=config.timing,
                             rng=rng, fault=plan, latencies=self.latencies)

    def _speaker(self, identifier: str) -> Speaker:
        config = self.config
        if config.protocol == "gt06":
            return Gt06Speaker(identifier, zone=config.gt06_zone, reply_type=config.gt06_reply)
        return Jt808Speaker(identifier, version=config.jt808_version,
                            batch_size=config.timing.resend_chunk)

    def start(self) -> None:
        """Start every device as a task of the running loop, switched on at random moments
        spread over the ramp-up."""
        if self._tasks:
            return
        if not self._started:
            self.clock.restart()                    # building the fleet took no sim time
            self._started = True
        _allow_open_files(len(self.devices) * 2 + 64)
        ramp = self.config.ramp_up
        ramp = len(self.devices) / 2000 if ramp is None else ramp
        spread = random.Random(self.config.seed)
        self._tasks = [asyncio.create_task(self._guarded(device, spread.uniform(0, ramp)),
                                           name=device.identifier)
                       for device in self.devices]

    async def _guarded(self, device: VirtualDevice, delay: float) -> None:
        """A device that fails is recorded and stops; the others carry on."""
        try:
            await device.run(delay)
        except Exception as exc:  # noqa: BLE001 - one broken device must not stop a fleet
            self.errors.append(exc)

    async def stop(self) -> Counters:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        return self.totals()

    async def run_for(self, seconds: float | None) -> Counters:
        """Run for `seconds` of real time (None: until cancelled), then stop."""
        self.start()
        try:
            if seconds is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(seconds)
        finally:
            await self.stop()
        return self.totals()

    def totals(self) -> Counters:
        return total([device.counters for device in self.devices])

    def device(self, identifier: str) -> VirtualDevice:
        for device in self.devices:
            if device.identifier == identifier:
                return device
        raise KeyError(identifier)

    async def __aenter__(self) -> Fleet:
        self.start()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.stop()


def _allow_open_files(needed: int) -> None:
    """Raise the soft limit on open files towards `needed` (one socket per device, more for
    half-open ones), as far as the hard limit allows."""
    try:
        import resource
    except ImportError:                             # not on Unix: nothing to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
