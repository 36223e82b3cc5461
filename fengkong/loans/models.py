"""Tables of the loans context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
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
