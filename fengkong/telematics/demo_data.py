"""Demo trackers for "Demo Auto Finance": cars in three branches, each with a wired GT06 unit
and a hidden wireless JT/T 808 unit, installed a month ago.

The identifiers are fixed (`DEMO_DEVICES`) so that a simulator can speak as these devices
and show moving cars at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from fengkong.core.uow import UnitOfWork
from fengkong.org.auth_service import user_principal
from fengkong.org.models import User
from fengkong.telematics import device_service
from fengkong.telematics.simulator import Fleet, FleetConfig, identifiers
from fengkong.telematics.simulator.faults import Fault
from fengkong.telematics.vin import with_check_digit

# (unit, VIN without its check digit, plate, make, model, colour, price)
DEMO_CARS = [
    ("EAST-SH", "LSVAM418_C2184847", "沪A1F203", "Volkswagen", "Lavida", "white", "128000.00"),
    ("EAST-SH", "LFV3A23C_J3000121", "沪B7K551", "Audi", "A4L", "black", "318000.00"),
    ("EAST-HZ", "LGBH52E0_JY000388", "浙A9D810", "Nissan", "Sylphy", "silver", "119800.00"),
    ("EAST-HZ", "LSGKB54H_KS000912", "浙A2M366", "Buick", "Excelle", "blue", "99800.00"),
    ("WEST-CD", "LVVDB11B_HD000451", "川A5S772", "Chery", "Tiggo 7", "red", "109900.00"),
    ("WEST-CD", "LBV8W310_MM000077", "川A0T915", "BMW", "325Li", "grey", "349000.00"),
]
# ... and a dozen more of the common makes, so that the map shows a few dozen trackers
_PLATE_PREFIX = {"EAST-SH": "沪C", "EAST-HZ": "浙A", "WEST-CD": "川A", "WEST-CQ": "渝A"}
_MORE = [("Toyota", "Corolla", "99800.00"), ("Honda", "Civic", "129900.00"),
         ("BYD", "Qin Plus", "109800.00"), ("Geely", "Emgrand", "79900.00"),
         ("Changan", "CS75", "119900.00"), ("Haval", "H6", "136000.00")]
DEMO_CARS += [
    (unit, f"LDC9{index:02d}2R_PA{index:06d}", f"{_PLATE_PREFIX[unit]}{index:02d}{index * 7:03d}",
     make, model, ("white", "black", "silver")[index % 3], price)
    for index, (unit, (make, model, price)) in enumerate(
        zip(["EAST-SH", "EAST-HZ", "WEST-CD", "WEST-CQ"] * 3, _MORE * 2, strict=True), start=1)
]


# The demo's trackers are the simulator's devices of one seed, so that `fengkong demo` can
# drive them at once (`demo_fleets`); the simulator's device i speaks as identifier i.
DEMO_SEED = 2026
GT06_PREFIX, JT808_PREFIX = "8686", "0138"
_GT06_IDS = identifiers("gt06", len(DEMO_CARS) + 1, DEMO_SEED, GT06_PREFIX)
_JT808_IDS = identifiers("jt808", len(DEMO_CARS) + 1, DEMO_SEED, JT808_PREFIX)

# (protocol, identifier, kind, model) per car, in DEMO_CARS order
DEMO_DEVICES = [
    [("gt06", _GT06_IDS[i], "wired", "GT06N"), ("jt808", _JT808_IDS[i], "wireless", "JT701")]
    for i in range(len(DEMO_CARS))
]


# Faults of the demo's misbehaving trackers, in turn, per protocol: the same cars misbehave
# in both fleets, so the orders differ to give one car a pulled wired unit while its
# wireless one reports on battery (removal), one a cut supply (power cut) and one a long
# silence (offline), all within the first minutes.
DEMO_FAULTS = {"gt06": (Fault.REMOVAL, Fault.POWER_CUT, Fault.LONG_OFFLINE),
               "jt808": (Fault.POWER_CUT, Fault.LONG_OFFLINE, Fault.REMOVAL)}


def demo_fleets(ports: Mapping[str, int], misbehaving: float = 4 / 7) -> list[Fleet]:
    """Simulated trackers for the demo cars, plus one unregistered device per protocol (it
    shows up among the pending devices), half the cars driving from the start."""
    return [Fleet(FleetConfig(devices=len(DEMO_CARS) + 1, protocol=protocol,
                              host="127.0.0.1", port=ports[protocol], seed=DEMO_SEED,
                              id_prefix=prefix, driving_at_start=0.5,
                              misbehaving=misbehaving, faults=DEMO_FAULTS[protocol],
                              fault_window=timedelta(minutes=2)))
            for protocol, prefix in (("gt06", GT06_PREFIX), ("jt808", JT808_PREFIX))
            if protocol in ports]


async def drive(fleets: Sequence[Fleet]) -> None:
    """Run the fleets until cancelled."""
    for fleet in fleets:
        fleet.start()
    try:
        await asyncio.Event().wait()
    finally:
        for fleet in fleets:
            await fleet.stop()


def seed_trackers(container: Any, uow: UnitOfWork, world: Any) -> None:
    monitor = user_principal(uow, uow.session.scalars(
        select(User).where(User.username == "demo.monitor")).one())
    fitted_at = uow.clock.now() - timedelta(days=30)
    for car, devices in zip(DEMO_CARS, DEMO_DEVICES, strict=True):
        unit, vin, plate, make, model, colour, price = car
        vehicle = device_service.create_vehicle(
            uow, monitor, vin=with_check_digit(vin.replace("_", "0")), org_unit=unit,
            plate=plate, make=make, model=model, colour=colour, purchase_price=price)
        for protocol, identifier, kind, device_model in devices:
            device = device_service.register_device(
                uow, monitor, identifier=identifier, protocol=protocol, org_unit=unit,
                kind=kind, model=device_model)
            device_service.install(uow, monitor, vehicle.id, device_service.Fitting(
                device.id, installed_at=fitted_at, installer="Demo installer"))
    world.notes.append(f"Trackers: {len(DEMO_CARS)} cars with a GT06 and a JT/T 808 unit each; "
                       "GET /api/v1/live shows them")
