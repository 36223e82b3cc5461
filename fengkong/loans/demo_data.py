"""Demo loan products for "Demo Auto Finance"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fengkong.core.uow import UnitOfWork
from fengkong.loans import product_service
from fengkong.org.auth_service import user_principal
from fengkong.org.models import User

CAR_LOAN: dict[str, Any] = {
    "principal_min": "30000.00", "principal_max": "800000.00", "term_min": 12, "term_max": 60,
    "annual_rate_min": "3.5", "annual_rate_max": "18", "annual_cost_cap": "24",
    "terms": {"amortization": "equal_installments", "frequency": "monthly",
              "days_in_year": "360", "days_in_month": "30",
              "fees": {"upfront": {"percent": "1", "mode": "deducted"},
                       "per_installment": "30.00",
                       "late_fee": {"amount": "50.00", "grace_days": 3},
                       "penalty_rate": {"daily_rate": "0.05", "base": "overdue_principal"}}},
}
CASH_LOAN: dict[str, Any] = {
    "principal_min": "1000.00", "principal_max": "200000.00", "term_min": 6, "term_max": 24,
    "annual_rate_min": "4", "annual_rate_max": "15", "annual_cost_cap": "24",
    "terms": {"amortization": "flat", "installment_multiple": "1",
              "fees": {"penalty_rate": {"daily_rate": "0.05",
                                        "base": "overdue_installment"}}},
    "allocation": "interest_principal_penalties_fees",
}
BALLOON_LEASE: dict[str, Any] = {
    "principal_min": "50000.00", "principal_max": "1000000.00", "term_min": 24,
    "term_max": 48, "annual_rate_min": "3", "annual_rate_max": "12", "annual_cost_cap": "24",
    "terms": {"amortization": "balloon", "fees": {"per_installment": "30.00"}},
}


def seed_products(container: Any, uow: UnitOfWork, world: Any) -> None:
    finance = uow.session.scalars(select(User).where(User.username == "demo.finance")).one()
    acting = user_principal(uow, finance)
    product_service.create_product(uow, acting, code="AUTO-60", name="Car loan, 12-60 months",
                                   params=CAR_LOAN)
    product_service.create_product(uow, acting, code="CASH-24",
                                   name="Consumer loan, flat rate", params=CASH_LOAN)
    product_service.create_product(uow, acting, code="LEASE-48",
                                   name="Car lease with balloon (East region only)",
                                   params={**BALLOON_LEASE,
                                           "org_unit_ids": [world.units["EAST"]]})
    world.notes.append("Loan products: AUTO-60, CASH-24, LEASE-48; quote with "
                       "POST /api/v1/loans/quote or `fengkong loan quote`")
