"""Routes of the installation check: installing a registered device on a vehicle (the
contract's `POST /vehicles/{id}/devices`) and reading the vehicle's latest check."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import Field

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Id, Input, Output
from fengkong.api.telematics import InstallationOut
from fengkong.core.errors import NotFound
from fengkong.org.scoping import Principal
from fengkong.telematics.health import installation_service as svc
from fengkong.telematics.permissions import INSTALL, VEHICLES_READ

router = APIRouter(tags=["telematics"])


class VehicleDeviceIn(Input):
    device_id: Id
    wired: bool = Field(description="wired to the car's supply (true) or battery-powered")
    installed_at: datetime | None = Field(None, description="default: now")
    installer: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    address: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None


class CheckOut(Output):
    id: str
    vehicle_id: str
    installation_id: str
    state: str
    started_at: datetime
    deadline: datetime
    finished_at: datetime | None
    results: list[dict[str, Any]]


class VehicleDeviceOut(Output):
    installation: InstallationOut
    check: CheckOut


@router.post("/vehicles/{vehicle_id}/devices", response_model=VehicleDeviceOut,
             status_code=status.HTTP_201_CREATED)
def install_device(vehicle_id: str, body: VehicleDeviceIn, uow: UoW,
                   principal: Principal = require(INSTALL)) -> VehicleDeviceOut:
    """Install a registered device on the vehicle; the installation check starts (it passes
    when every device of the vehicle logged in, has a valid fix near the installation
    position and, if wired, external power; it fails when the time limit passes first)."""
    fitting = body.model_dump(exclude={"device_id", "wired"})
    done = svc.install_device(uow, principal, vehicle_id, body.device_id, body.wired,
                              **fitting)
    uow.commit()
    return VehicleDeviceOut(installation=InstallationOut.model_validate(done.installation),
                            check=CheckOut.model_validate(done.check))


@router.get("/vehicles/{vehicle_id}/installation-check", response_model=CheckOut)
def installation_check(vehicle_id: str, uow: UoW,
                       principal: Principal = require(VEHICLES_READ)) -> CheckOut:
    """The vehicle's latest installation check, with each device's reasons."""
    check = svc.latest_check(uow, principal, vehicle_id)
    if check is None:
        raise NotFound("installation check", vehicle_id)
    return CheckOut.model_validate(check)
