"""The telematics context's permissions and which predefined roles hold them.

Positions are where a borrower's car has been, so reading them (and the live map) is its own
permission, apart from seeing the device registry. SIM numbers are shown in full only to
those who must call or replace the SIM.
"""

from fengkong.org.permissions import register

DEVICES_READ = "telematics.devices.read"
DEVICES_MANAGE = "telematics.devices.manage"
VEHICLES_READ = "telematics.vehicles.read"
VEHICLES_MANAGE = "telematics.vehicles.manage"
INSTALL = "telematics.install"
POSITIONS_READ = "telematics.positions.read"
SIM_READ = "telematics.sim.read"

_WATCH = {DEVICES_READ, VEHICLES_READ, POSITIONS_READ}

register(
    {
        DEVICES_READ: "see trackers, their status and installation history",
        DEVICES_MANAGE: "register and change trackers; see and register pending identifiers",
        VEHICLES_READ: "see vehicles and which trackers they carry",
        VEHICLES_MANAGE: "record and change vehicles",
        INSTALL: "install trackers on vehicles and remove them",
        POSITIONS_READ: "see live state and position history of trackers and vehicles",
        SIM_READ: "see tracker SIM phone numbers and ICCIDs unmasked",
    },
    {
        "tenant_admin": {*_WATCH, DEVICES_MANAGE, VEHICLES_MANAGE, INSTALL, SIM_READ},
        "hq_manager": _WATCH,
        "branch_manager": {*_WATCH, VEHICLES_MANAGE},
        "gps_monitor": {*_WATCH, DEVICES_MANAGE, VEHICLES_MANAGE, INSTALL, SIM_READ},
        "installer": {*_WATCH, DEVICES_MANAGE, VEHICLES_MANAGE, INSTALL},
        "credit_officer": {VEHICLES_READ, VEHICLES_MANAGE},
        "approver": {VEHICLES_READ},
        "risk_strategist": _WATCH,
        "collector": {VEHICLES_READ, POSITIONS_READ},
        "field_agent": {VEHICLES_READ, POSITIONS_READ},
        "legal_officer": {VEHICLES_READ},
    },
)
