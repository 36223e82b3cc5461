"""The loans context's permissions and which predefined roles hold them."""

from fengkong.org.permissions import register

register(
    {
        "loans.quote": "quote repayment schedules and annual rates",
        "loans.products.read": "see loan products and their versions",
        "loans.products.manage": "create loan products and publish new versions",
    },
    {
        "tenant_admin": {"loans.quote", "loans.products.read", "loans.products.manage"},
        "finance": {"loans.quote", "loans.products.read", "loans.products.manage"},
        "hq_manager": {"loans.quote", "loans.products.read"},
        "branch_manager": {"loans.quote", "loans.products.read"},
        "credit_officer": {"loans.quote", "loans.products.read"},
        "approver": {"loans.quote", "loans.products.read"},
        "risk_strategist": {"loans.quote", "loans.products.read"},
        "collector": {"loans.products.read"},
    },
)
