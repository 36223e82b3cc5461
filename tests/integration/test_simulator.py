"""Simulated trackers over real sockets against a minimal platform written here: it frames with
the product's framers, decodes with the product's decoders, sends the decoders' replies and
records what arrived. Each scenario runs a few devices for about a second of real time at a
high speedup."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

import pytest
from typer.testing import CliRunner

from fengkong.telematics.protocols import PROTOCOLS, gt06, jt808
from fengkong.telematics.protocols.commands import EngineStop, PositionQuery, TextCommand
from fengkong.telematics.protocols.crc import luhn
from fengkong.telematics.protocols.jt808_frames import parse
from fengkong.telematics.protocols.jt808_reassembly import Reassembler
from fengkong.telematics.protocols.messages import (
    Authentication,
    CommandReply,
    DecodeContext,
    Decoded,
    Fragment,
    FrameError,
    Login,
    Message,
    Reason,
    TerminalResponse,
)
from fengkong.telematics.protocols.position import Position, Status, alarms
from fengkong.telematics.simulator import Fault, Fleet, FleetConfig, Timing
from fengkong.telematics.simulator.car import Car
from fengkong.telematics.simulator.cli import register
from fengkong.telematics.simulator.geo import SHANGHAI, LatLon, distance_m
from fengkong.telematics.simulator.identities import identifiers
from fengkong.telematics.simulator.places import places_around
from fengkong.telematics.simulator.routine import CITY_TIME

PROTOCOL_NAMES = ["gt06", "jt808"]
QUICK = Timing(ack_timeout=0.4, login_timeout=1.0, connect_timeout=1.0, backoff=(0.02, 0.2))


@dataclass
class Connection:
    device_id: str | None = None
    number: int = 0                      # the device's first, second, ... connection
    acked_positions: int = 0
    withheld: int = 0
    open: bool = True


@dataclass
class Arrival:
    device_id: str
    position: Position
    connection: int
    acknowledged: bool


@dataclass
class Platform:
    """Just enough platform to talk to trackers. `withhold_after`: on a device's first
    connection, acknowledge that many positions, then none, and hang up after
    `hang_up_after` unacknowledged ones."""

    protocol: str
    withhold_after: int | None = None
    hang_up_after: int = 4
    logins: list[str] = field(default_factory=list)
    arrivals: list[Arrival] = field(default_factory=list)
    statuses: list[tuple[str, Status]] = field(default_factory=list)
    answers: list[CommandReply | TerminalResponse] = field(default_factory=list)
    frame_errors: list[tuple[str | None, FrameError]] = field(default_factory=list)
    rejections: list[tuple[str | None, Reason | None]] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    writers: dict[str, asyncio.StreamWriter] = field(default_factory=dict)
    most_open: dict[str, int] = field(default_factory=dict)    # connections open at once
    port: int = 0

    async def __aenter__(self) -> Platform:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        for writer in self.writers.values():
            writer.close()

    async def send(self, device_id: str, frame: bytes) -> None:
        writer = self.writers[device_id]
        writer.write(frame)
        await writer.drain()

    def positions(self, device_id: str | None = None) -> list[Position]:
        return [a.position for a in self.arrivals if device_id in (None, a.device_id)]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        codec = PROTOCOLS[self.protocol]
        link = Connection()
        self.connections.append(link)
        state = _Session()
        rest = b""
        try:
            while data := await reader.read(65536):
                found = codec.framer(rest + data)
                rest = found.rest
                self.frame_errors += [(link.device_id, error) for error in found.errors]
                for frame in found.frames:
                    replies = self._handle(codec.decode(frame, state.context(frame)), link, state)
                    writer.writelines(replies)
                    if link.device_id is not None:
                        self.writers[link.device_id] = writer
                if link.withheld >= self.hang_up_after:
                    break
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            link.open = False
            writer.close()

    def _handle(self, decoded: Decoded, link: Connection, state: _Session) -> list[bytes]:
        if decoded.rejected:
            self.rejections.append((link.device_id, decoded.rejected))
            return []
        replies = list(decoded.replies)
        for message in decoded.messages:
            if isinstance(message, Fragment):
                whole = state.reassembler.add(message)
                if whole is not None:
                    complete = PROTOCOLS[self.protocol].decode(whole, state.context(whole))
                    replies += self._handle(replace(complete, replies=()), link, state)
                continue
            acknowledged = self._record(message, link, state)
            if not acknowledged:
                return []
        return replies

    def _record(self, message: Message, link: Connection, state: _Session) -> bool:
        """Keep the message; False when its acknowledgement is withheld."""
        if isinstance(message, Login):
            self._bind(message.device_id, link, state)
            state.zone = message.timezone
            if message.registration is None:      # JT/T 808 logs in by authenticating
                self.logins.append(message.device_id)
        elif isinstance(message, Authentication):
            if message.auth_code != f"A{message.device_id}":
                raise AssertionError(f"wrong auth code {message.auth_code}")
            self._bind(message.device_id, link, state)
            self.logins.append(message.device_id)
        elif isinstance(message, Position):
            device = message.device_id or link.device_id
            assert device is not None
            withhold = (self.withhold_after is not None and link.number == 1
                        and link.acked_positions >= self.withhold_after)
            link.withheld += withhold
            link.acked_positions += not withhold
            self.arrivals.append(Arrival(device, message, link.number, not withhold))
            return not withhold
        elif isinstance(message, Status):
            self.statuses.append((message.device_id or link.device_id or "", message))
        elif isinstance(message, CommandReply | TerminalResponse):
            self.answers.append(message)
        return True

    def _bind(self, device_id: str, link: Connection, state: _Session) -> None:
        if link.device_id is not None:
            return
        link.device_id = state.device_id = device_id
        mine = [c for c in self.connections if c.device_id == device_id]
        link.number = len(mine)
        open_now = sum(c.open for c in mine)
        self.most_open[device_id] = max(self.most_open.get(device_id, 0), open_now)


@dataclass
class _Session:
    device_id: str | None = None
    zone: tzinfo | None = None
    serial: int = 0
    reassembler: Reassembler = field(default_factory=Reassembler)

    def context(self, frame: bytes) -> DecodeContext:
        """What the platform knows for this frame; a JT/T 808 registration gets the auth
        code made from the terminal id in its header."""
        self.serial += 1
        claimed = self.device_id
        if claimed is None and frame[:1] == b"\x7e":
            with contextlib.suppress(ValueError, IndexError):
                claimed = parse(frame).device_id
        return DecodeContext(received_at=datetime.now(UTC), device_id=self.device_id,
                             timezone=self.zone, auth_code=f"A{claimed}" if claimed else None,
                             reply_serial=self.serial)


def run(scenario: Callable[[], Awaitable[None]], timeout: float = 15.0) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(timeout):
            await scenario()
    asyncio.run(bounded())


async def until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def config(protocol: str, port: int, **overrides: object) -> FleetConfig:
    values: dict[str, object] = {
        "devices": 3, "protocol": protocol, "port": port, "speedup": 300.0, "seed": 11,
        "driving_at_start": 1.0, "timing": QUICK,
        "start": datetime(2026, 9, 1, 1, 0, tzinfo=UTC),        # a Tuesday, 09:00 in Shanghai
    }
    return FleetConfig(**(values | overrides))  # type: ignore[arg-type]


def is_device_identifier(protocol: str, identifier: str) -> bool:
    if protocol == "jt808":
        return len(identifier) == 12 and identifier.isdigit()
    return (len(identifier) == 15 and identifier.isdigit()
            and luhn(int(identifier[:-1])) == int(identifier[-1]))


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_devices_log_in_and_report_plausible_positions_once_each(protocol: str) -> None:
    async def scenario() -> None:
        async with Platform(protocol) as platform:
            fleet = Fleet(config(protocol, platform.port, gt06_zone=timedelta(hours=8)))
            async with fleet:
                await until(lambda: len({p.device_id for p in platform.positions()}) == 3
                            and len(platform.arrivals) >= 30)
                await asyncio.sleep(0.3)
            ids = {device.identifier for device in fleet.devices}
            assert set(platform.logins) == ids
            assert all(is_device_identifier(protocol, identifier) for identifier in ids)
            started, now = fleet.clock.start, fleet.clock.now()
            for position in platform.positions():
                point = LatLon(position.latitude, position.longitude)
                assert distance_m(point, SHANGHAI) < 100_000
                assert 0 <= position.speed_kmh <= 110
                assert started - timedelta(seconds=1) <= position.fix_time <= now
            assert max(p.speed_kmh for p in platform.positions()) > 20       # cars drive
            seen = Counter((a.device_id, a.position.fix_time) for a in platform.arrivals)
            assert seen.most_common(1)[0][1] == 1                            # no duplicates
            totals = fleet.totals()
            assert totals.resent == 0 and totals.logins == 3
            assert totals.sent - totals.acknowledged <= 3                    # in flight at stop
            assert fleet.latencies.count >= 30
            p99 = fleet.latencies.quantile(0.99)
            assert p99 is not None and 0 < p99 < 1
            assert not fleet.errors
    run(scenario)


def test_jt808_2019_terminals_register_authenticate_and_report_with_long_ids() -> None:
    async def scenario() -> None:
        async with Platform("jt808", withhold_after=2, hang_up_after=2) as platform:
            fleet = Fleet(config("jt808", platform.port, devices=2, jt808_version=1))
            async with fleet:
                await until(lambda: sum(bool(a.position.attributes.get("archived"))
                                        for a in platform.arrivals) >= 4)
            assert set(platform.logins) == {d.identifier.rjust(20, "0") for d in fleet.devices}
            assert fleet.totals().resent >= 4 and not fleet.errors
    run(scenario)


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_unacknowledged_messages_are_resent_after_a_reconnect_and_acknowledged_ones_are_not(
    protocol: str,
) -> None:
    async def scenario() -> None:
        async with Platform(protocol, withhold_after=3, hang_up_after=4) as platform:
            fleet = Fleet(config(protocol, platform.port, devices=2))
            async with fleet:
                await until(lambda: sum(a.connection == 2 and a.position.attributes.get(
                    "archived", False) for a in platform.arrivals) >= 8)
                await asyncio.sleep(0.2)
            for device in fleet.devices:
                arrivals = [a for a in platform.arrivals if a.device_id == device.identifier]
                first = [a for a in arrivals if a.connection == 1]
                later = [a for a in arrivals if a.connection > 1]
                acked = {a.position.fix_time for a in first if a.acknowledged}
                withheld = {a.position.fix_time for a in first if not a.acknowledged}
                again = {a.position.fix_time for a in later}
                assert len(acked) == 3 and len(withheld) >= 4
                assert withheld <= again                          # every one re-sent
                assert not acked & again                          # none acknowledged re-sent
                assert all(a.position.attributes.get("archived") for a in later
                           if a.position.fix_time in withheld)
                assert device.counters.resent >= len(withheld)
                assert device.counters.connects >= 2
    run(scenario)


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_a_command_from_the_platform_is_answered(protocol: str) -> None:
    async def scenario() -> None:
        async with Platform(protocol) as platform:
            fleet = Fleet(config(protocol, platform.port, devices=1))
            async with fleet:
                device = fleet.devices[0].identifier
                await until(lambda: device in platform.writers and bool(platform.arrivals))
                if protocol == "gt06":
                    await platform.send(device, gt06.encode(
                        TextCommand(text="Relay,1#", serial=7, server_flag=0xFEED)))
                    await until(lambda: bool(platform.answers))
                    [reply] = platform.answers
                    assert isinstance(reply, CommandReply) and reply.server_flag == 0xFEED
                    assert reply.text.startswith("Cut off the fuel supply: Success!")
                else:
                    await platform.send(device, jt808.encode(EngineStop(device_id=device,
                                                                        serial=9)))
                    await platform.send(device, jt808.encode(PositionQuery(device_id=device,
                                                                           serial=10)))
                    await until(lambda: len(platform.answers) >= 2)
                    answered = [(a.reply_serial, a.reply_id, a.result) for a in platform.answers
                                if isinstance(a, TerminalResponse)]
                    assert answered == [(9, 0x8105, 0), (10, 0x8201, 0)]
                assert fleet.devices[0].relay_cut                # the relay is engaged
                if protocol == "jt808":                          # and the status word says so
                    count = len(platform.arrivals)
                    await until(lambda: len(platform.arrivals) > count + 1)
                    assert platform.positions()[-1].attributes["blocked"] is True
            assert fleet.totals().commands_answered == (1 if protocol == "gt06" else 2)
    run(scenario)


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_line_noise_and_bad_checksums_are_framing_errors_that_do_not_break_the_stream(
    protocol: str,
) -> None:
    async def scenario() -> None:
        async with Platform(protocol) as platform:
            fleet = Fleet(config(protocol, platform.port, devices=2, misbehaving=1.0,
                                 faults=(Fault.GARBAGE, Fault.BAD_CHECKSUM), noise=0.3))
            noisy, broken = (d.identifier for d in fleet.devices
                             if d.fault and d.fault.fault is Fault.GARBAGE), (
                d.identifier for d in fleet.devices
                if d.fault and d.fault.fault is Fault.BAD_CHECKSUM)
            noisy_id, broken_id = next(noisy), next(broken)
            async with fleet:
                await until(lambda: len(platform.positions(noisy_id)) >= 20
                            and len(platform.positions(broken_id)) >= 20)
            assert {e.reason for d, e in platform.frame_errors if d == noisy_id} == {"garbage"}
            checksum = Reason.BAD_CRC if protocol == "gt06" else Reason.BAD_CHECKSUM
            assert {r for d, r in platform.rejections if d == broken_id} == {checksum}
            broken_device = fleet.device(broken_id)
            assert broken_device.counters.corrupted > 0
            assert broken_device.counters.resent > 0               # re-sent after reconnecting
            assert fleet.device(noisy_id).counters.garbage > 0
            assert not fleet.errors
    run(scenario)


@pytest.mark.parametrize("protocol", PROTOCOL_NAMES)
def test_power_cut_removal_long_offline_and_half_open_devices_behave_as_described(
    protocol: str,
) -> None:
    faults = (Fault.POWER_CUT, Fault.REMOVAL, Fault.LONG_OFFLINE, Fault.HALF_OPEN)

    async def scenario() -> None:
        async with Platform(protocol) as platform:
            fleet = Fleet(config(protocol, platform.port, devices=4, misbehaving=1.0,
                                 faults=faults, fault_window=timedelta(minutes=2),
                                 offline_for=(timedelta(minutes=5), timedelta(minutes=5))))
            by_fault = {d.fault.fault: d for d in fleet.devices if d.fault}
            offline = by_fault[Fault.LONG_OFFLINE]
            async with fleet:
                await until(lambda: offline.counters.connects >= 2 and any(
                    p.attributes.get("archived") for p in platform.positions(
                        offline.identifier)), timeout=6)
                await asyncio.sleep(0.3)
            cut, removed = by_fault[Fault.POWER_CUT], by_fault[Fault.REMOVAL]
            assert "powerCut" in _alarms_of(platform, cut.identifier)
            removal = "removing" if protocol == "gt06" else "tampering"
            assert removal in _alarms_of(platform, removed.identifier)
            assert removed.silenced and _last_was_alarm(platform, removed.identifier, removal)
            half_open = by_fault[Fault.HALF_OPEN]
            assert half_open.counters.abandoned >= 1
            assert platform.most_open[half_open.identifier] >= 2    # the old one left open
            assert not fleet.errors
    run(scenario)


def _alarms_of(platform: Platform, device: str) -> set[str]:
    found = [p.attributes for p in platform.positions(device)]
    found += [s.attributes for d, s in platform.statuses if d == device]
    return {name for attributes in found for name in alarms(attributes)}


def _last_was_alarm(platform: Platform, device: str, name: str) -> bool:
    return name in alarms(platform.positions(device)[-1].attributes)


def test_the_simulate_command_runs_a_fleet_and_prints_its_counters() -> None:
    import typer

    app = typer.Typer()
    register(app)

    async def scenario() -> None:
        async with Platform("jt808") as platform:
            result = await asyncio.to_thread(
                CliRunner().invoke, app,
                ["--devices", "2", "--protocol", "jt808", "--port", str(platform.port),
                 "--duration", "1", "--speedup", "200", "--seed", "3"])
            assert result.exit_code == 0, result.output
            assert "acknowledged" in result.output
            assert len(set(platform.logins)) == 2 and platform.arrivals
    run(scenario)


# --- the pure parts, checked without sockets (quick) ----------------------------------------

def test_identifiers_are_valid_deterministic_and_take_the_prefix() -> None:
    imeis = identifiers("gt06", 50, seed=4, prefix="8688")
    phones = identifiers("jt808", 50, seed=4, prefix="0139")
    assert imeis == identifiers("gt06", 50, seed=4, prefix="8688")
    assert len(set(imeis)) == len(set(phones)) == 50
    assert all(is_device_identifier("gt06", i) and i.startswith("8688") for i in imeis)
    assert all(is_device_identifier("jt808", p) and p.startswith("0139") for p in phones)
    assert identifiers("gt06", 3, seed=5) != identifiers("gt06", 3, seed=4)


def test_the_same_seed_builds_the_same_fleet() -> None:
    one, two = (Fleet(FleetConfig(devices=20, seed=9, misbehaving=0.3,
                                  start=datetime(2026, 9, 1, tzinfo=UTC))) for _ in range(2))
    assert [d.identifier for d in one.devices] == [d.identifier for d in two.devices]
    assert [d.car.places for d in one.devices] == [d.car.places for d in two.devices]
    assert [d.fault for d in one.devices] == [d.fault for d in two.devices]
    assert sum(d.fault is not None for d in one.devices) == 6


def test_a_simulated_week_has_nights_at_home_commutes_and_road_speeds() -> None:
    monday = datetime(2026, 8, 31, tzinfo=CITY_TIME)
    for seed in range(3):
        rng = random.Random(seed)
        car = Car(rng, places_around(rng, SHANGHAI), monday)
        at_work = driving = 0
        moment, previous = monday, None
        while moment < monday + timedelta(days=7):
            state = car.at(moment)
            local = moment.astimezone(CITY_TIME)
            if local.hour == 3 and local.minute == 0:
                assert distance_m(state.point, car.places.home.point) < 50
            if local.weekday() < 5 and local.hour == 11 and local.minute == 0:
                at_work += distance_m(state.point, car.places.work.point) < 50
            assert 0 <= state.speed_kmh <= 100 and state.engine_on == state.driving
            if previous is not None:
                assert distance_m(previous.point, state.point) < 30 * 60 + 50   # no jumps
            driving += state.driving
            previous, moment = state, moment + timedelta(minutes=1)
        assert at_work >= 3                            # most weekdays at work by 11:00
        assert 3 * 60 < driving < 20 * 60              # hours behind the wheel in a week
