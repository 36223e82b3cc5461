"""One simulated tracker in a car: it reports what the car does, keeps a connection to the
platform, logs in and waits for the acknowledgement before sending data, keeps what was not
acknowledged and re-uploads it after the next login, answers commands, reconnects with
back-off, and misbehaves when its fault plan says so.

Two tasks per device: `_report` turns the car's simulated life into messages, and
`_stay_connected` carries them over TCP. They meet in the `Outbox`.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from fengkong.telematics.simulator.car import Car, CarState
from fengkong.telematics.simulator.clock import Pacer, SimClock
from fengkong.telematics.simulator.counters import Counters, Latencies
from fengkong.telematics.simulator.faults import LINE_FAULTS, Fault, FaultPlan
from fengkong.telematics.simulator.link import Link, LinkDown
from fengkong.telematics.simulator.messages import (
    Envelope,
    Event,
    Item,
    Kind,
    Reading,
    Speaker,
    Why,
)
from fengkong.telematics.simulator.outbox import Outbox

_HOURS_PER_BATTERY_STEP = 2.0          # a backup battery lasts about 12 hours


@dataclass(frozen=True, slots=True)
class Timing:
    """Report intervals in simulated time; network timeouts and back-off in real seconds."""

    moving_every: timedelta = timedelta(seconds=10)
    parked_every: tuple[timedelta, timedelta] = (timedelta(minutes=15), timedelta(minutes=30))
    heartbeat_every: timedelta = timedelta(minutes=3)
    ack_timeout: float = 20.0
    login_timeout: float = 10.0
    connect_timeout: float = 5.0
    backoff: tuple[float, float] = (1.0, 60.0)
    store_limit: int = 10_000
    resend_chunk: int = 20


class VirtualDevice:
    def __init__(self, identifier: str, speaker: Speaker, car: Car, *, clock: SimClock,
                 pacer: Pacer, address: tuple[str, int], timing: Timing, rng: random.Random,
                 fault: FaultPlan | None = None, latencies: Latencies | None = None) -> None:
        self.identifier = identifier
        self.speaker = speaker
        self.car = car
        self.clock = clock
        self.pacer = pacer
        self.address = address
        self.timing = timing
        self.rng = rng
        self.fault = fault
        self.counters = Counters()
        self.latencies = latencies or Latencies()
        self.outbox = Outbox(timing.store_limit)
        self.online = False
        self.silenced = False                    # torn out or battery flat: never speaks again
        self.relay_cut = False
        self.external_power = True
        self._power_cut_at: datetime | None = None
        self._signal = rng.randint(14, 31)
        self._wake = asyncio.Event()
        self._logged_in_once = asyncio.Event()
        self._going_silent = False
        self._offline_until: datetime | None = None
        self._drop: str | None = None            # "close" or "abandon", asked for by a fault
        self._abandoned: list[Link] = []
        scheduled = fault is not None and fault.fault not in LINE_FAULTS
        self._next_fault: datetime | None = fault.at if fault and scheduled else None

    async def run(self, delay: float = 0.0) -> None:
        """Live until cancelled (or silenced); `delay` real seconds pass before the device
        is switched on, so that a large fleet does not connect all in one instant."""
        await asyncio.sleep(delay)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._report())
                group.create_task(self._stay_connected())
        finally:
            for link in self._abandoned:
                link.close()

    # --- the car's life as messages -------------------------------------------------------

    async def _report(self) -> None:
        await self._logged_in_once.wait()
        timing = self.timing
        now = self.clock.now()
        state = self.car.at(now)
        engine = state.engine_on
        self._emit(Kind.LOCATION, state)
        next_fix, last_sent = now + self._fix_gap(state), now
        while not self._going_silent:
            wake = min(next_fix, last_sent + timing.heartbeat_every, self.car.next_change())
            if self._next_fault is not None:
                wake = min(wake, self._next_fault)
            await self.clock.sleep_until(wake)
            now = self.clock.now()
            state = self.car.at(now)
            if self._next_fault is not None and now >= self._next_fault:
                self._strike(now, state)
            if self._battery_flat(now):
                self._going_silent = True
            if self._going_silent:
                return
            if state.engine_on != engine:
                engine = state.engine_on
                self._emit(Kind.LOCATION, state, why=Why.ACC_CHANGE)
            elif now >= next_fix:
                self._emit(Kind.LOCATION, state)
            elif now >= last_sent + timing.heartbeat_every:
                self._emit(Kind.HEARTBEAT, state)
                last_sent = now
                continue
            else:
                continue
            next_fix, last_sent = now + self._fix_gap(state), now

    def _fix_gap(self, state: CarState) -> timedelta:
        if state.driving:
            return self.timing.moving_every
        low, high = self.timing.parked_every
        return low + (high - low) * self.rng.random()

    def _emit(self, kind: Kind, state: CarState, *, why: Why = Why.TIMED,
              event: Event | None = None) -> None:
        self.outbox.add(Item(kind, self.reading(state), event, why), online=self.online)
        if kind is Kind.ALARM:
            self.counters.alarms += 1
        self._wake.set()

    def reading(self, state: CarState) -> Reading:
        rng = self.rng
        self._signal = max(8, min(31, self._signal + rng.randint(-2, 2)))
        satellites = rng.randint(7, 14) if state.driving else rng.randint(4, 10)
        return Reading(
            time=state.time.replace(microsecond=0), point=state.point,
            speed_kmh=state.speed_kmh, course=state.course, altitude_m=rng.randint(3, 15),
            satellites=satellites, valid=satellites >= 4, engine_on=state.engine_on,
            external_power=self.external_power, battery_level=self._battery_level(state.time),
            signal=self._signal, odometer_m=state.odometer_m, fuel_l=max(0.0, state.fuel_l),
            relay_cut=self.relay_cut)

    def _battery_level(self, moment: datetime) -> int:
        if self._power_cut_at is None:
            return 6
        hours = (moment - self._power_cut_at).total_seconds() / 3600
        return max(0, 6 - int(hours / _HOURS_PER_BATTERY_STEP))

    def _battery_flat(self, moment: datetime) -> bool:
        return self._power_cut_at is not None and self._battery_level(moment) == 0

    def _strike(self, now: datetime, state: CarState) -> None:
        """The scheduled fault happens now."""
        plan = self.fault
        assert plan is not None
        self._next_fault = None
        if plan.fault is Fault.POWER_CUT:
            self.external_power = False
            self._power_cut_at = now
            self._emit(Kind.ALARM, state, event=Event.POWER_CUT)
        elif plan.fault is Fault.REMOVAL:
            self._emit(Kind.ALARM, state, event=Event.REMOVAL)
            self._going_silent = True
        elif plan.fault is Fault.LONG_OFFLINE:
            self._offline_until = now + plan.lasts
            self._drop = "close"
        elif plan.fault is Fault.HALF_OPEN:
            self._drop = "abandon"
            self._next_fault = now + plan.lasts
        self._wake.set()

    # --- the connection -------------------------------------------------------------------

    async def _stay_connected(self) -> None:
        low, high = self.timing.backoff
        delay = low
        while not self.silenced:
            if self._offline_until is not None:
                await self.clock.sleep_until(self._offline_until)
                self._offline_until = None
            try:
                link = await Link.open(*self.address, self.speaker.framer,
                                       self.timing.connect_timeout)
            except LinkDown:
                await self._pause(delay)
                delay = min(delay * 2, high)
                continue
            self.counters.connects += 1
            logged_in = await self._session(link)
            delay = low if logged_in else min(delay * 2, high)
            if not self.silenced:
                await self._pause(delay)

    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds * self.rng.uniform(0.5, 1.0))

    async def _session(self, link: Link) -> bool:
        """Log in and converse until the link fails or a fault ends it; whether the login
        went through."""
        keep_open = logged_in = False
        try:
            await self._log_in(link)
            logged_in = True
            keep_open = await self._converse(link)
        except LinkDown:
            pass
        finally:
            self.online = False
            self.outbox.connection_lost()
            if keep_open:
                self._abandoned.append(link)
                self.counters.abandoned += 1
            else:
                link.close()
        return logged_in

    async def _log_in(self, link: Link) -> None:
        await self._send_frames(link, self.speaker.hello().frames, data=False)
        try:
            async with asyncio.timeout(self.timing.login_timeout):
                while True:
                    progress = self.speaker.on_login_frame(await link.next_frame())
                    if progress.done:
                        break
                    if progress.refused:
                        raise LinkDown("login refused")
                    if progress.send is not None:
                        await self._send_frames(link, progress.send.frames, data=False)
        except TimeoutError:
            raise LinkDown("no login acknowledgement") from None
        self.online = True
        self.counters.logins += 1
        self._logged_in_once.set()

    async def _converse(self, link: Link) -> bool:
        """Send, and read acknowledgements and commands, until something ends the session;
        True when a half-open fault wants the link left open."""
        receiver = asyncio.create_task(self._receive(link))
        receiver.add_done_callback(lambda _: self._wake.set())
        try:
            while True:
                self._wake.clear()
                if receiver.done():
                    receiver.result()                       # raises why it stopped
                    raise LinkDown("the reader stopped")
                if self._drop is not None:
                    drop, self._drop = self._drop, None
                    return drop == "abandon"
                await self._transmit(link)
                if self._finished_going_silent():
                    self.silenced = True
                    return False
                if self._acknowledgement_overdue():
                    raise LinkDown("no acknowledgement in time")
                try:
                    async with asyncio.timeout(self._until_overdue()):
                        await self._wake.wait()
                except TimeoutError:
                    pass
        finally:
            receiver.cancel()

    def _until_overdue(self) -> float | None:
        """Real seconds until the oldest unacknowledged frame is overdue; None when nothing
        awaits an acknowledgement (an idle device then sleeps without a timer)."""
        oldest = self.outbox.oldest_sent_at()
        if oldest is None:
            return None
        return max(0.0, oldest + self.timing.ack_timeout - time.monotonic())

    def _acknowledgement_overdue(self) -> bool:
        oldest = self.outbox.oldest_sent_at()
        return oldest is not None and time.monotonic() - oldest > self.timing.ack_timeout

    def _finished_going_silent(self) -> bool:
        """A torn-out tracker gets its last alarm acknowledged (or gives up waiting)."""
        return self._going_silent and (self.outbox.idle or self._acknowledgement_overdue())

    async def _transmit(self, link: Link) -> None:
        while self.outbox.stored:
            items = self.outbox.take_stored(self.timing.resend_chunk)
            await self._send_envelopes(link, self.speaker.envelopes(items, stored=True))
        while (item := self.outbox.take_fresh()) is not None:
            await self._send_envelopes(link, self.speaker.envelopes([item], stored=False))

    async def _send_envelopes(self, link: Link, envelopes: list[Envelope]) -> None:
        for index, envelope in enumerate(envelopes):
            self.outbox.sending(envelope, time.monotonic())
            try:
                await self._send_frames(link, envelope.frames, data=True, envelope=envelope)
            except LinkDown:
                later = [item for rest in envelopes[index + 1:] for item in rest.items]
                self.outbox.put_back(later)
                raise
            for item in envelope.items:
                if item.attempts:
                    self.counters.resent += 1
                else:
                    self.counters.sent += 1
                item.attempts += 1

    async def _send_frames(self, link: Link, frames: list[bytes], *, data: bool,
                           envelope: Envelope | None = None) -> None:
        for frame in frames:
            await self.pacer.wait()
            link.write(self._on_the_line(frame, data))
            self.counters.frames += 1
        if envelope is not None:
            envelope.sent_at = time.monotonic()     # written: the wait for a slot is over
        await link.drain()

    def _on_the_line(self, frame: bytes, data: bool) -> bytes:
        """The frame as a faulty line or firmware delivers it."""
        plan = self.fault
        if plan is None or self.rng.random() >= plan.noise:
            return frame
        if plan.fault is Fault.BAD_CHECKSUM and data:
            self.counters.corrupted += 1
            return self.speaker.with_bad_checksum(frame)
        if plan.fault is Fault.GARBAGE:
            self.counters.garbage += 1
            return self._line_noise() + frame
        return frame

    def _line_noise(self) -> bytes:
        """Random bytes without a frame start in them (noise that swallowed the next frame
        would test the framer's resynchronisation, not the device)."""
        noise = bytes(b for b in self.rng.randbytes(self.rng.randint(1, 32))
                      if b not in self.speaker.markers)
        return noise or b"\x00"

    async def _receive(self, link: Link) -> None:
        while True:
            heard = self.speaker.hear(await link.next_frame())
            for key in heard.acks:
                settled = self.outbox.acknowledge(key)
                if settled is not None:
                    self.counters.acknowledged += len(settled.items)
                    self.latencies.add(time.monotonic() - settled.sent_at)
            if heard.command is not None:
                answer = self.speaker.answer(heard.command, self.reading(self.car.at(
                    self.clock.now())))
                if answer.relay_cut is not None:
                    self.relay_cut = answer.relay_cut
                await self._send_frames(link, [answer.frame], data=False)
                self.counters.commands_answered += 1
            if heard.acks:
                self._wake.set()
