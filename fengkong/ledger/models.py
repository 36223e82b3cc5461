"""Tables of the ledger context: accounts, journal entries and their lines (amounts in fen)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "code", name="uq_ledger_accounts_tenant_code"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(10))
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class JournalEntry(Base):
    """An immutable entry; a reversal is another entry pointing at the one it undoes."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_tenant_date", "tenant_id", "entry_date"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    entry_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(120))
    # unique: an entry is reversed at most once, even when two reversals race
    reverses_id: Mapped[str | None] = mapped_column(ForeignKey("journal_entries.id"),
                                                    unique=True)
    created_by: Mapped[str] = mapped_column(IdColumn)
    created_at: Mapped[datetime]


class JournalLine(Base):
    __tablename__ = "journal_lines"
    __table_args__ = (
        CheckConstraint("(debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)",
                        name="one_side"),
        Index("ix_journal_lines_tenant_account_date", "tenant_id", "account_id", "entry_date"),
        Index("ix_journal_lines_tenant_loan", "tenant_id", "loan_id"),
    )

    # The one high-volume table (close of business books a line per loan and day). Its
    # references to tenants, units and accounts are checked by `service` once per batch, and
    # those rows are never deleted, so the per-row foreign-key checks, which cost as much as
    # the rest of the insert on PostgreSQL, are left out; the key to the entry stays.
    entry_id: Mapped[str] = mapped_column(ForeignKey("journal_entries.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tenant_id: Mapped[str] = mapped_column(IdColumn)
    org_unit_id: Mapped[str] = mapped_column(IdColumn)
    account_id: Mapped[str] = mapped_column(IdColumn)
    loan_id: Mapped[str | None] = mapped_column(IdColumn)  # the loans context's id
    # The entry's date again: immutable, and it lets balances as of a date and statements
    # read one index of this table instead of joining every line to its entry.
    entry_date: Mapped[date]
    debit: Mapped[int]
    credit: Mapped[int]
