"""The ledger context's permissions and which predefined roles hold them."""

from fengkong.org.permissions import register

register(
    {
        "ledger.read": "see the chart of accounts, journal entries, statements and the trial "
                       "balance",
        "ledger.manage": "add accounts, post manual journal entries and reverse them",
    },
    {
        "tenant_admin": {"ledger.read", "ledger.manage"},
        "finance": {"ledger.read", "ledger.manage"},
        "hq_manager": {"ledger.read"},
    },
)
