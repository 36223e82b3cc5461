"""Permissions of GPS analytics: reading fences, risk areas, stops, trips, places and risk
scores rides on the telematics position permission; managing fences and importing risk areas
is its own."""

from fengkong.org.permissions import register

GEOFENCES_READ = "gps.geofences.read"
GEOFENCES_MANAGE = "gps.geofences.manage"
RISK_READ = "gps.risk.read"

register(
    {
        GEOFENCES_READ: "see geofences and risk areas",
        GEOFENCES_MANAGE: "draw, assign and delete geofences; import risk areas",
        RISK_READ: "see vehicles' stops, trips, places, signals and risk scores",
    },
    {
        "tenant_admin": {GEOFENCES_READ, GEOFENCES_MANAGE, RISK_READ},
        "hq_manager": {GEOFENCES_READ, RISK_READ},
        "branch_manager": {GEOFENCES_READ, RISK_READ},
        "gps_monitor": {GEOFENCES_READ, GEOFENCES_MANAGE, RISK_READ},
        "risk_strategist": {GEOFENCES_READ, GEOFENCES_MANAGE, RISK_READ},
        "collector": {RISK_READ},
        "field_agent": {RISK_READ},
    },
)
