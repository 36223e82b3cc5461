"""The loans context's permissions and which predefined roles hold them."""

from fengkong.org.permissions import register

_READ = {"loans.quote", "loans.products.read", "loans.read"}

register(
    {
        "loans.quote": "quote repayment schedules and annual rates",
        "loans.products.read": "see loan products and their versions",
        "loans.products.manage": "create loan products and publish new versions",
        "loans.read": "see loans, their schedules and transactions",
        "loans.book": "book approved loans",
        "loans.disburse": "disburse booked loans",
        "loans.repay": "record repayments and prepayments",
        "loans.adjust": "reverse transactions, waive charges, refund overpayments, restructure",
        "loans.writeoff": "write loans off and record recoveries",
        "loans.cob": "run the close of business",
    },
    {
        "tenant_admin": {*_READ, "loans.products.manage", "loans.book", "loans.disburse",
                         "loans.repay", "loans.adjust", "loans.writeoff", "loans.cob"},
        "finance": {*_READ, "loans.products.manage", "loans.disburse", "loans.repay",
                    "loans.adjust", "loans.writeoff", "loans.cob"},
        "hq_manager": _READ,
        "branch_manager": {*_READ, "loans.book", "loans.repay"},
        "credit_officer": {*_READ, "loans.book"},
        "approver": {*_READ, "loans.book"},
        "risk_strategist": _READ,
        "collector": {"loans.products.read", "loans.read", "loans.repay"},
        "field_agent": {"loans.read"},
        "agency_collector": {"loans.read"},
        "legal_officer": {"loans.read"},
    },
)
