"""Tables of the loans context."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn


class LoanProduct(Base):
    __tablename__ = "loan_products"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_loan_products_tenant_code"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    latest_version: Mapped[int]
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class LoanProductVersion(Base):
    """One immutable set of product parameters; loans point at the version they were booked
    under."""

    __tablename__ = "loan_product_versions"
    __table_args__ = (UniqueConstraint("product_id", "version",
                                       name="uq_loan_product_versions_product_version"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("loan_products.id"))
    version: Mapped[int]
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(IdColumn)
    created_at: Mapped[datetime]


class Loan(Base):
    """A loan account. The installments and transactions are the record; the columns from
    `principal_outstanding_fen` on summarise the last replay so that queries and the close of
    business read one row per loan."""

    __tablename__ = "loans"
    __owner_column__ = "officer_id"  # "own records" scope: the loans a user looks after
    __table_args__ = (
        Index("ix_loans_tenant_unit", "tenant_id", "org_unit_id"),
        Index("ix_loans_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    product_id: Mapped[str] = mapped_column(ForeignKey("loan_products.id"))
    product_version_id: Mapped[str] = mapped_column(ForeignKey("loan_product_versions.id"))
    officer_id: Mapped[str | None] = mapped_column(IdColumn)
    borrower_ref: Mapped[str] = mapped_column(String(64))
    application_ref: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    principal_fen: Mapped[int]
    annual_rate: Mapped[str] = mapped_column(String(20))  # percent, exact decimal text
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)  # parse_terms input of the booking
    status: Mapped[str] = mapped_column(String(20))
    approved_on: Mapped[date]
    disbursed_on: Mapped[date | None]
    maturity_date: Mapped[date | None]
    closed_on: Mapped[date | None]
    principal_outstanding_fen: Mapped[int] = mapped_column(default=0)
    interest_due_fen: Mapped[int] = mapped_column(default=0)
    fee_due_fen: Mapped[int] = mapped_column(default=0)
    penalty_due_fen: Mapped[int] = mapped_column(default=0)
    penalty_charged_fen: Mapped[int] = mapped_column(default=0)
    # Interest and fees earned so far (installments due by the last close): the loan's side
    # of the accrual lines in the ledger.
    interest_accrued_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    fee_accrued_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    credit_balance_fen: Mapped[int] = mapped_column(default=0)
    written_off_fen: Mapped[int] = mapped_column(default=0)
    days_past_due: Mapped[int] = mapped_column(default=0)
    # The most days past due the loan has ever been seen at (close of business or replay):
    # the "ever 30+" of the vintage table.
    max_days_past_due: Mapped[int] = mapped_column(default=0, server_default="0")
    bucket: Mapped[str] = mapped_column(String(10), default="M0")
    npa: Mapped[bool] = mapped_column(Boolean, default=False)
    npa_days: Mapped[int] = mapped_column(default=90)
    penalty_ppm: Mapped[int] = mapped_column(default=0)  # daily penalty rate after the cap
    penalty_base: Mapped[str] = mapped_column(String(20), default="overdue_principal")
    late_fee_fen: Mapped[int] = mapped_column(default=0)
    late_fee_grace_days: Mapped[int] = mapped_column(default=0)
    oldest_unpaid_due_date: Mapped[date | None]
    last_cob_date: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]


class LoanInstallment(Base):
    __tablename__ = "loan_installments"
    # The loan id in the due-date index lets a close-of-business chunk (a range of loan ids)
    # find what falls due today without reading the whole tenant's day.
    __table_args__ = (Index("ix_loan_installments_tenant_due", "tenant_id", "due_date",
                            "loan_id"),)

    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    due_date: Mapped[date]
    principal_fen: Mapped[int]
    interest_fen: Mapped[int]
    fee_fen: Mapped[int]
    penalty_fen: Mapped[int] = mapped_column(default=0)
    principal_paid_fen: Mapped[int] = mapped_column(default=0)
    interest_paid_fen: Mapped[int] = mapped_column(default=0)
    fee_paid_fen: Mapped[int] = mapped_column(default=0)
    penalty_paid_fen: Mapped[int] = mapped_column(default=0)
    interest_waived_fen: Mapped[int] = mapped_column(default=0)
    fee_waived_fen: Mapped[int] = mapped_column(default=0)
    penalty_waived_fen: Mapped[int] = mapped_column(default=0)
    completed_on: Mapped[date | None]


class LoanTransaction(Base):
    """One money event on a loan, as recorded; its allocation is the last replay's."""

    __tablename__ = "loan_transactions"
    __table_args__ = (
        Index("ix_loan_transactions_loan", "loan_id", "value_date"),
        UniqueConstraint("tenant_id", "external_id", name="uq_loan_transactions_external_id"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.id"))
    kind: Mapped[str] = mapped_column(String(20))
    value_date: Mapped[date]
    amount_fen: Mapped[int]
    component: Mapped[str | None] = mapped_column(String(10))
    mode: Mapped[str | None] = mapped_column(String(20))
    new_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(64))
    principal_fen: Mapped[int] = mapped_column(default=0)
    interest_fen: Mapped[int] = mapped_column(default=0)
    fee_fen: Mapped[int] = mapped_column(default=0)
    penalty_fen: Mapped[int] = mapped_column(default=0)
    overpayment_fen: Mapped[int] = mapped_column(default=0)
    prepayment_fee_fen: Mapped[int] = mapped_column(default=0)
    credit_used_fen: Mapped[int] = mapped_column(default=0)
    released_fen: Mapped[int] = mapped_column(default=0)
    journal_entry_id: Mapped[str | None] = mapped_column(IdColumn)
    reversed_at: Mapped[datetime | None]
    reversal_reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(IdColumn)
    created_at: Mapped[datetime]


class LoanMonthEnd(Base):
    """Each open loan as the close of business left it on the last day of a month: the
    observations behind the vintage table and the roll-rate matrix."""

    __tablename__ = "loan_month_ends"
    __table_args__ = (Index("ix_loan_month_ends_tenant_month", "tenant_id", "month_end"),)

    loan_id: Mapped[str] = mapped_column(ForeignKey("loans.id"), primary_key=True)
    month_end: Mapped[date] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(IdColumn)
    disbursed_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20))
    bucket: Mapped[str] = mapped_column(String(10))
    days_past_due: Mapped[int]
    max_days_past_due: Mapped[int]
    principal_outstanding_fen: Mapped[int]
