"""The alerts context's permissions and which predefined roles hold them.

Monitors and managers read and handle the alarms of their subtree; collectors and field
agents (own scope) see and handle the alarms assigned to them; rules are the risk side's,
channels the administrators'.
"""

from fengkong.org.permissions import register

READ = "alerts.read"
HANDLE = "alerts.handle"
RULES_MANAGE = "alerts.rules.manage"
CHANNELS_MANAGE = "alerts.channels.manage"

register(
    {
        READ: "see alarms, their history and deliveries, and the alarm rules",
        HANDLE: "acknowledge, assign, resolve alarms, mark them false and add notes",
        RULES_MANAGE: "change the tenant's alarm rules",
        CHANNELS_MANAGE: "set up notification channels (webhooks, WeCom, e-mail, SMS)",
    },
    {
        "tenant_admin": {READ, HANDLE, RULES_MANAGE, CHANNELS_MANAGE},
        "hq_manager": {READ, HANDLE, RULES_MANAGE},
        "branch_manager": {READ, HANDLE},
        "gps_monitor": {READ, HANDLE},
        "risk_strategist": {READ, RULES_MANAGE},
        "collector": {READ, HANDLE},
        "field_agent": {READ, HANDLE},
        "legal_officer": {READ},
    },
)
