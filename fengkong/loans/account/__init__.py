"""The loan-account engine, pure: a loan's state replayed from its contract and transactions.

No database, clock or I/O: the services store contracts and transactions and call these.

    replay(contract, txns, as_of) -> AccountState
    settlement_quote(contract, txns, on) -> SettlementQuote
    contract_from_terms(terms, *, allocation, prepayment_fee_percent, annual_cost_cap)
    contract_for_product(params, terms) -> LoanContract
    penalty_for_day(base_fen, daily_rate_ppm) -> int    # the one penalty formula (also in SQL)
    capped_ppm(daily_rate_ppm, annual_rate, annual_cost_cap) -> int
    allocation_order(allocation) -> tuple[Rule, ...]

Conventions are written down in each module: allocation orders in `allocation`, penalties in
`penalties`, prepayment and restructuring in `reschedule`, settlement and write-off in
`settlement`, the order of replay in `replay`.
"""

from fengkong.loans.account.allocation import PRESETS, Rule, allocation_order
from fengkong.loans.account.contract import (
    contract_for_product,
    contract_from_terms,
    penalty_rule,
)
from fengkong.loans.account.penalties import capped_ppm, penalty_for_day
from fengkong.loans.account.replay import replay, settlement_quote
from fengkong.loans.account.types import (
    AccountState,
    Allocation,
    InstallmentState,
    LoanContract,
    PenaltyRule,
    ScheduledInstallment,
    SettlementQuote,
    Status,
    Txn,
    TxnKind,
)

__all__ = [
    "PRESETS", "AccountState", "Allocation", "InstallmentState", "LoanContract", "PenaltyRule",
    "Rule", "ScheduledInstallment", "SettlementQuote", "Status", "Txn", "TxnKind",
    "allocation_order", "capped_ppm", "contract_for_product", "contract_from_terms",
    "penalty_for_day", "penalty_rule", "replay", "settlement_quote",
]
