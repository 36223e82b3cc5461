"""`fengkong simulate`: drive a fleet of virtual cars against a tracker gateway, with live
counters. `register(app)` adds the command to a Typer app; `simulate` is also a plain
function for other entry points."""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from fengkong.telematics.simulator.counters import Counters
from fengkong.telematics.simulator.fleet import Fleet, FleetConfig


class ProtocolName(StrEnum):
    GT06 = "gt06"
    JT808 = "jt808"


def simulate(
    devices: Annotated[int, typer.Option(min=1, help="How many cars (one tracker each).")] = 10,
    protocol: Annotated[ProtocolName, typer.Option(help="The trackers' protocol.")] = (
        ProtocolName.GT06),
    host: Annotated[str, typer.Option(help="The gateway's host.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(
        help="The gateway's port (default: 5023 for gt06, 5015 for jt808).")] = None,
    rate: Annotated[float | None, typer.Option(
        min=0.001, help="At most this many messages per second, all devices together.")] = None,
    duration: Annotated[float | None, typer.Option(
        min=0.0, help="Seconds of real time to run (default: until Ctrl-C).")] = None,
    speedup: Annotated[float, typer.Option(
        min=0.001, help="Simulated seconds per real second. With --duration the simulated "
        "clock ends at the present; without, it runs ahead of it.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Same seed, same devices and days.")] = 1,
    misbehaving: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Share of devices with a fault (power cut, removal, long "
        "offline, garbage bytes, bad checksums, half-open connections).")] = 0.0,
    id_prefix: Annotated[str | None, typer.Option(
        help="Leading digits of the IMEIs (gt06) or terminal phones (jt808).")] = None,
) -> None:
    """Drive virtual cars against a tracker gateway over TCP with the real protocol."""
    config = FleetConfig(devices=devices, protocol=protocol.value, host=host, port=port,
                         rate=rate, speedup=speedup, seed=seed, misbehaving=misbehaving,
                         id_prefix=id_prefix, start=_start(duration, speedup))
    try:
        fleet = Fleet(config)
    except ValueError as exc:                       # a prefix that leaves no room, say
        raise typer.BadParameter(str(exc)) from None
    console = Console()
    with contextlib.suppress(KeyboardInterrupt):    # Ctrl-C stops the fleet, then the summary
        asyncio.run(_run(fleet, duration, console))
    if not console.is_terminal:
        console.line()                              # the last table ends without one
    console.print(_summary(fleet.totals()), soft_wrap=True)
    if fleet.errors:
        for error in fleet.errors:
            console.print(f"[red]device failed:[/red] {error!r}")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)


def _start(duration: float | None, speedup: float) -> datetime | None:
    """With a known duration, a fast clock starts in the past and ends at the present, so
    that no fix lies in the future (the pipeline drops those); otherwise it starts now."""
    if duration is None or speedup <= 1:
        return None
    return datetime.now(UTC) - timedelta(seconds=duration * (speedup - 1))


async def _run(fleet: Fleet, duration: float | None, console: Console) -> None:
    began = time.monotonic()
    with Live(_table(fleet, 0.0, duration), console=console, refresh_per_second=4) as live:
        fleet.start()
        try:
            while duration is None or time.monotonic() - began < duration:
                left = None if duration is None else duration - (time.monotonic() - began)
                await asyncio.sleep(0.25 if left is None else max(0.0, min(0.25, left)))
                live.update(_table(fleet, time.monotonic() - began, duration))
        finally:
            await fleet.stop()
            live.update(_table(fleet, time.monotonic() - began, duration))


def _table(fleet: Fleet, elapsed: float, duration: float | None) -> Table:
    config = fleet.config
    host, port = fleet.address
    limit = f" of {duration:.0f}" if duration is not None else ""
    table = Table(title=f"{config.devices} {config.protocol} devices → {host}:{port}",
                  caption=f"{elapsed:.0f}{limit} s · simulated {fleet.clock.now():%Y-%m-%d %H:%M} "
                          "UTC", min_width=48)
    table.add_column("counter")
    table.add_column("value", justify="right")
    totals = fleet.totals()
    online = sum(device.online for device in fleet.devices)
    table.add_row("online", f"{online}/{config.devices}")
    for name, value in totals.as_dict().items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    if elapsed > 0:
        table.add_row("messages/s", f"{(totals.sent + totals.resent) / elapsed:,.0f}")
    for label, q in (("ack p50 ms", 0.5), ("ack p99 ms", 0.99)):
        seconds = fleet.latencies.quantile(q)
        table.add_row(label, "-" if seconds is None else f"{seconds * 1000:,.1f}")
    return table


def _summary(totals: Counters) -> str:
    return " ".join(f"{name}={value}" for name, value in totals.as_dict().items())
