"""The telematics context's permissions and which predefined roles hold them.

Positions are where a borrower's car has been, so reading them (and the live map) is its own
permission, apart from seeing the device registry. SIM numbers are shown in full only to
those who must call or replace the SIM.

Commands to trackers: any queued command needs `commands.request`; free text needs
`commands.custom` besides (firmware takes configuration through it), an engine stop or resume
needs `commands.engine` besides, and another user holding `commands.approve` must approve it.
GPS monitors request and may approve (never their own); headquarters managers and risk
strategists approve; installers send position requests and configuration text.
"""

from fengkong.org.permissions import register

DEVICES_READ = "telematics.devices.read"
DEVICES_MANAGE = "telematics.devices.manage"
VEHICLES_READ = "telematics.vehicles.read"
VEHICLES_MANAGE = "telematics.vehicles.manage"
INSTALL = "telematics.install"
POSITIONS_READ = "telematics.positions.read"
SIM_READ = "telematics.sim.read"
COMMANDS_READ = "telematics.commands.read"
COMMANDS_REQUEST = "telematics.commands.request"
COMMANDS_CUSTOM = "telematics.commands.custom"
COMMANDS_ENGINE = "telematics.commands.engine"
COMMANDS_APPROVE = "telematics.commands.approve"

_WATCH = {DEVICES_READ, VEHICLES_READ, POSITIONS_READ}
_COMMAND_ALL = {COMMANDS_READ, COMMANDS_REQUEST, COMMANDS_CUSTOM, COMMANDS_ENGINE,
                COMMANDS_APPROVE}

register(
    {
        DEVICES_READ: "see trackers, their status and installation history",
        DEVICES_MANAGE: "register and change trackers; see and register pending identifiers",
        VEHICLES_READ: "see vehicles and which trackers they carry",
        VEHICLES_MANAGE: "record and change vehicles",
        INSTALL: "install trackers on vehicles and remove them",
        POSITIONS_READ: "see live state and position history of trackers and vehicles",
        SIM_READ: "see tracker SIM phone numbers and ICCIDs unmasked",
        COMMANDS_READ: "see commands queued for trackers and their state",
        COMMANDS_REQUEST: "queue position requests to trackers and cancel queued commands",
        COMMANDS_CUSTOM: "queue free-text commands to trackers (with commands.request)",
        COMMANDS_ENGINE: "request an engine stop or resume (with commands.request)",
        COMMANDS_APPROVE: "approve or reject another user's engine stop or resume",
    },
    {
        "tenant_admin": {*_WATCH, DEVICES_MANAGE, VEHICLES_MANAGE, INSTALL, SIM_READ,
                         *_COMMAND_ALL},
        "hq_manager": {*_WATCH, COMMANDS_READ, COMMANDS_APPROVE},
        "branch_manager": {*_WATCH, VEHICLES_MANAGE, COMMANDS_READ},
        "gps_monitor": {*_WATCH, DEVICES_MANAGE, VEHICLES_MANAGE, INSTALL, SIM_READ,
                        *_COMMAND_ALL},
        "installer": {*_WATCH, DEVICES_MANAGE, VEHICLES_MANAGE, INSTALL, COMMANDS_READ,
                      COMMANDS_REQUEST, COMMANDS_CUSTOM},
        "credit_officer": {VEHICLES_READ, VEHICLES_MANAGE},
        "approver": {VEHICLES_READ},
        "risk_strategist": {*_WATCH, COMMANDS_READ, COMMANDS_APPROVE},
        "collector": {VEHICLES_READ, POSITIONS_READ},
        "field_agent": {VEHICLES_READ, POSITIONS_READ},
        "legal_officer": {VEHICLES_READ},
    },
)
