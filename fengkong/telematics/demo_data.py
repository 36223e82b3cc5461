"""Demo trackers for "Demo Auto Finance": cars in three branches, each with a wired GT06 unit
and a hidden wireless JT/T 808 unit, installed a month ago.

The identifiers are fixed (`DEMO_DEVICES`) so that a simulator can speak as these devices
and show moving cars at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from fengkong.core.uow import UnitOfWork
from fengkong.org.auth_service import user_principal
from fengkong.org.models import User
from fengkong.telematics import device_service
from fengkong.telematics.protocols.crc import luhn
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


def _imei(index: int) -> str:
    body = f"8686860000{index:04d}"
    return body + str(luhn(int(body)))


# (protocol, identifier, kind, model) per car, in DEMO_CARS order
DEMO_DEVICES = [
    [("gt06", _imei(i), "wired", "GT06N"), ("jt808", f"13800{i:06d}", "wireless", "JT701")]
    for i in range(len(DEMO_CARS))
]


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
