"""The decision context's permissions and which predefined roles hold them."""

from fengkong.org.permissions import register

register(
    {
        "strategies.read": "see decision strategies, their versions, diffs and reports",
        "strategies.author": "write strategy drafts, submit them and run simulations",
        "strategies.approve": "approve, activate, retire and roll back strategy versions "
                              "(never one's own)",
        "decisions.make": "run the decision engine and record decisions' outcomes",
        "decisions.read": "see decisions and their explanations",
    },
    {
        "tenant_admin": {"strategies.read", "strategies.author", "decisions.read",
                         "decisions.make"},
        "risk_strategist": {"strategies.read", "strategies.author", "strategies.approve",
                            "decisions.read", "decisions.make"},
        "hq_manager": {"strategies.read", "decisions.read"},
        "branch_manager": {"decisions.read", "decisions.make"},
        "credit_officer": {"decisions.read", "decisions.make"},
        "approver": {"strategies.read", "decisions.read", "decisions.make"},
        "collector": {"decisions.read"},
    },
)
