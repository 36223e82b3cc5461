"""The default chart of accounts every tenant starts with, and the rules for adding accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from fengkong.core.errors import InvalidInput


class AccountType(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        """Whether the account's balance grows with debits (assets and expenses)."""
        return self in (AccountType.ASSET, AccountType.EXPENSE)


@dataclass(frozen=True)
class AccountSpec:
    code: str
    name: str
    type: AccountType


PRINCIPAL_RECEIVABLE = "principal_receivable"
INTEREST_RECEIVABLE = "interest_receivable"
FEE_RECEIVABLE = "fee_receivable"
PENALTY_RECEIVABLE = "penalty_receivable"
INTEREST_INCOME = "interest_income"
FEE_INCOME = "fee_income"
PENALTY_INCOME = "penalty_income"
FUNDER_PAYABLE = "funder_payable"
OVERPAYMENT_LIABILITY = "overpayment_liability"
WRITEOFF_EXPENSE = "writeoff_expense"
RECOVERY_INCOME = "recovery_income"
SUSPENSE = "suspense"
CASH_PREFIX = "cash:"
DEFAULT_CHANNEL = "bank"

DEFAULT_CHART: tuple[AccountSpec, ...] = (
    AccountSpec(PRINCIPAL_RECEIVABLE, "Principal receivable (loan portfolio)", AccountType.ASSET),
    AccountSpec(INTEREST_RECEIVABLE, "Interest receivable", AccountType.ASSET),
    AccountSpec(FEE_RECEIVABLE, "Fee receivable", AccountType.ASSET),
    AccountSpec(PENALTY_RECEIVABLE, "Penalty receivable", AccountType.ASSET),
    AccountSpec(INTEREST_INCOME, "Interest income", AccountType.INCOME),
    AccountSpec(FEE_INCOME, "Fee income", AccountType.INCOME),
    AccountSpec(PENALTY_INCOME, "Penalty income", AccountType.INCOME),
    AccountSpec(FUNDER_PAYABLE, "Payable to funders", AccountType.LIABILITY),
    AccountSpec(OVERPAYMENT_LIABILITY, "Overpayments held for borrowers", AccountType.LIABILITY),
    AccountSpec(WRITEOFF_EXPENSE, "Losses written off", AccountType.EXPENSE),
    AccountSpec(RECOVERY_INCOME, "Recoveries after write-off", AccountType.INCOME),
    AccountSpec(SUSPENSE, "Suspense", AccountType.ASSET),
)

_CODE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,59}$")
_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def cash_code(channel: str) -> str:
    """The cash or clearing account of a payment channel (`cash:bank`, `cash:alipay`)."""
    if not _CHANNEL.match(channel):
        raise InvalidInput(f"{channel!r} is not a payment channel name (a-z, 0-9, _ and -)",
                           code="bad_format", field="channel")
    return CASH_PREFIX + channel


def cash_account(channel: str) -> AccountSpec:
    return AccountSpec(cash_code(channel), f"Cash and clearing: {channel}", AccountType.ASSET)


def is_cash_code(code: str) -> bool:
    return code.startswith(CASH_PREFIX) and bool(_CHANNEL.match(code[len(CASH_PREFIX):]))


def default_accounts() -> tuple[AccountSpec, ...]:
    """The chart a tenant gets on first use: the fixed accounts and the default bank channel."""
    return (*DEFAULT_CHART, cash_account(DEFAULT_CHANNEL))


def check_new_account(code: str, name: str, type_: AccountType) -> AccountSpec:
    """An account a tenant adds: a lower-case code; `cash:<channel>` codes are asset accounts."""
    if not _CODE.match(code) or (code.startswith(CASH_PREFIX) and not is_cash_code(code)):
        raise InvalidInput("account codes are 1-60 of a-z, 0-9, _ . : - starting with a letter "
                           "or digit; cash accounts are cash:<channel>", code="bad_format",
                           field="code")
    if is_cash_code(code) and type_ is not AccountType.ASSET:
        raise InvalidInput("cash and clearing accounts are asset accounts",
                           code="invalid_choice", field="type")
    return AccountSpec(code, name, type_)
