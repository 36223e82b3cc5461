"""The shapes of a loan account: its contract, its transactions and what a replay makes of them.

Money is `Decimal` at the loan's digits (usually 2); dates are business dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args

from fengkong.loans.terms import LoanTerms, PenaltyBase

TxnKind = Literal["repayment", "prepayment", "settlement", "waiver", "writeoff", "recovery",
                  "refund", "restructure"]
Status = Literal["active", "overdue", "closed", "settled_early", "written_off", "restructured"]
Part = Literal["penalty", "fee", "interest", "principal"]
PrepaymentMode = Literal["reduce_term", "reduce_installment"]

TXN_KINDS: tuple[str, ...] = get_args(TxnKind)
PARTS: tuple[Part, ...] = get_args(Part)
PREPAYMENT_MODES: tuple[str, ...] = get_args(PrepaymentMode)
WAIVABLE: tuple[Part, ...] = ("interest", "fee", "penalty")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ScheduledInstallment:
    """One row of the contractual schedule (from `quote(terms).installments`)."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal


@dataclass(frozen=True, slots=True)
class PenaltyRule:
    """Penalty interest (罚息) and the late fee. `daily_rate_ppm` is in millionths a day:
    0.05 % a day is 500. The late fee is charged once per installment, on the day after
    `late_fee_grace_days` have passed since its due date, if it is still unpaid then."""

    daily_rate_ppm: int
    base: PenaltyBase = "overdue_principal"
    late_fee: Decimal = ZERO
    late_fee_grace_days: int = 0


@dataclass(frozen=True, slots=True)
class LoanContract:
    """What a loan was booked with. `principal` is what the schedule repays (the financed
    principal: the principal lent plus a financed upfront fee); `annual_cost_cap` is the
    product's cap in percent a year, which penalty interest never takes the cost above."""

    principal: Decimal
    disbursement_date: date
    terms: LoanTerms
    schedule: tuple[ScheduledInstallment, ...]
    allocation: str | tuple[str, ...] = "penalties_fees_interest_principal"
    penalty: PenaltyRule | None = None
    prepayment_fee_percent: Decimal = ZERO
    digits: int = 2
    annual_cost_cap: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Txn:
    """One stored transaction, listed in the order it was recorded.

    `amount`: money in for repayment, prepayment, settlement and recovery; money out of the
    credit balance for refund; the amount waived for waiver; unused for writeoff and
    restructure. `component` names what a waiver waives (interest, fee or penalty); `mode` how
    a prepayment reshapes the schedule (default `reduce_installment`); `new_terms` is the
    `parse_terms` input of a restructure, without `principal` and `disbursement_date`."""

    id: str
    kind: TxnKind
    value_date: date
    amount: Decimal = ZERO
    component: str | None = None
    mode: str | None = None
    new_terms: Mapping[str, Any] | None = None
    reversed: bool = False


@dataclass(slots=True)
class InstallmentState:
    """One installment as the transactions left it. `penalty` is what was charged so far
    (penalty interest and the late fee; `late_fee_charged` is the late-fee part); each part
    is owed less what was paid, waived or written off. `completed_on` is the value date on
    which nothing more was owed; `start_date` is the day its period's interest accrues from."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal = ZERO
    principal_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    fee_paid: Decimal = ZERO
    penalty_paid: Decimal = ZERO
    interest_waived: Decimal = ZERO
    fee_waived: Decimal = ZERO
    penalty_waived: Decimal = ZERO
    completed_on: date | None = None
    _: KW_ONLY
    start_date: date
    principal_written_off: Decimal = ZERO
    interest_written_off: Decimal = ZERO
    fee_written_off: Decimal = ZERO
    penalty_written_off: Decimal = ZERO
    late_fee_charged: Decimal = ZERO

    @property
    def principal_outstanding(self) -> Decimal:
        return self.principal - self.principal_paid - self.principal_written_off

    @property
    def interest_outstanding(self) -> Decimal:
        return self.interest - self.interest_paid - self.interest_waived \
            - self.interest_written_off

    @property
    def fee_outstanding(self) -> Decimal:
        return self.fee - self.fee_paid - self.fee_waived - self.fee_written_off

    @property
    def penalty_outstanding(self) -> Decimal:
        return self.penalty - self.penalty_paid - self.penalty_waived \
            - self.penalty_written_off

    @property
    def outstanding(self) -> Decimal:
        return self.principal_outstanding + self.interest_outstanding + self.fee_outstanding \
            + self.penalty_outstanding

    @property
    def unpaid_installment(self) -> Decimal:
        """Principal, interest and fee still owed: what makes an installment late."""
        return self.principal_outstanding + self.interest_outstanding + self.fee_outstanding

    def owed(self, part: Part) -> Decimal:
        return getattr(self, f"{part}_outstanding")  # type: ignore[no-any-return]

    def add(self, name: str, amount: Decimal) -> None:
        setattr(self, name, getattr(self, name) + amount)


# (number, principal, interest, fee, penalty)
Split = tuple[int, Decimal, Decimal, Decimal, Decimal]


@dataclass(frozen=True, slots=True)
class Allocation:
    """What one transaction did. `principal`, `interest`, `fee` and `penalty` are the amounts
    it moved, by `kind`: paid (repayment, prepayment, settlement), waived (waiver), written
    off (writeoff) or capitalised into the new principal (restructure; `principal` there is
    the outstanding principal carried over). `by_installment` splits them by installment
    number (numbers as they were when the transaction was applied).

    Money in conserves: principal + interest + fee + penalty + overpayment + prepayment_fee
    == amount + credit_used. `credit_used` is credit balance a settlement consumed; a refund
    has overpayment == -amount; a recovery has recovered == amount. `released` is interest
    or fees paid in advance for installments the transaction cancelled (prepayment,
    settlement, write-off, restructure), handed back to the credit balance."""

    txn_id: str
    kind: TxnKind
    value_date: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal
    overpayment: Decimal
    prepayment_fee: Decimal
    by_installment: tuple[Split, ...]
    credit_used: Decimal = ZERO
    released: Decimal = ZERO
    recovered: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass(frozen=True, slots=True)
class AccountState:
    """A loan account as of `as_of` (the last closed business date), after every
    non-reversed transaction. Written-off and outstanding figures sum the installments.
    Principal is conserved: principal paid + outstanding principal + written-off principal
    == contract principal + `capitalised` (interest, fees and penalties a restructure
    turned into principal)."""

    installments: tuple[InstallmentState, ...]
    allocations: Mapping[str, Allocation]
    credit_balance: Decimal
    status: Status
    closed_on: date | None
    written_off: Decimal
    recovered: Decimal
    days_past_due: int
    oldest_unpaid_due_date: date | None
    as_of: date
    terms: LoanTerms                # the terms the remaining schedule was made with
    written_off_principal: Decimal
    written_off_interest: Decimal
    written_off_fee: Decimal
    written_off_penalty: Decimal
    capitalised: Decimal
    principal_paid: Decimal
    principal_outstanding: Decimal
    principal_due: Decimal          # outstanding principal of installments due by `as_of`
    interest_due: Decimal
    fees_due: Decimal
    penalties_due: Decimal
    interest_accrued_not_due: Decimal   # current period's interest, pro rata to `as_of`
    penalty_rate_ppm: int               # the daily penalty rate after the cost cap
    penalties_through: date             # penalties are charged for every day up to this one

    @property
    def total_due(self) -> Decimal:
        return self.principal_due + self.interest_due + self.fees_due + self.penalties_due


@dataclass(frozen=True, slots=True)
class SettlementQuote:
    """What settles the loan in full on `on`: outstanding principal, interest due plus the
    current period's interest pro rata to `on`, fees due, penalties, and the prepayment fee
    on the principal not yet due; `credit_balance` is the credit applied towards it and
    `total` what the borrower pays (the amount a settlement must carry)."""

    on: date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    penalty: Decimal
    prepayment_fee: Decimal
    credit_balance: Decimal
    total: Decimal

    @property
    def gross(self) -> Decimal:
        return self.principal + self.interest + self.fee + self.penalty + self.prepayment_fee
