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


# (unit, product, principal, term, months ago disbursed, months paid, pays late by days)
DEMO_LOANS = [
    ("EAST-SH", "AUTO-60", "150000.00", 36, 8, 8, 0),
    ("EAST-SH", "AUTO-60", "98000.00", 24, 6, 3, 0),
    ("EAST-SH", "CASH-24", "20000.00", 12, 5, 5, 6),
    ("EAST-SH", "AUTO-60", "210000.00", 48, 10, 6, 0),
    ("EAST-HZ", "AUTO-60", "132000.00", 36, 7, 7, 0),
    ("EAST-HZ", "CASH-24", "15000.00", 12, 4, 1, 0),
    ("EAST-HZ", "LEASE-48", "300000.00", 36, 9, 9, 2),
    ("WEST-CD", "AUTO-60", "88000.00", 24, 6, 2, 0),
    ("WEST-CD", "CASH-24", "30000.00", 18, 3, 3, 0),
    ("WEST-CQ", "AUTO-60", "176000.00", 36, 12, 12, 0),
    ("WEST-CQ", "AUTO-60", "64000.00", 12, 9, 4, 15),
]


def seed_loans(container: Any, uow: UnitOfWork, world: Any) -> None:
    """A small book of loans: some paid on time, some late, some behind."""
    from datetime import timedelta
    from decimal import Decimal

    from fengkong.core.clock import business_date
    from fengkong.loans import loan_service
    from fengkong.loans.calendar import add_months
    from fengkong.loans.models import LoanProduct

    admin = user_principal(uow, uow.session.scalars(
        select(User).where(User.username == "demo.admin")).one())
    products = dict(uow.session.execute(select(LoanProduct.code, LoanProduct.id)).all())
    today = business_date(uow.clock, "Asia/Shanghai")
    officer = uow.session.scalars(select(User.id).where(User.username == "demo.officer")).one()
    for unit, code, amount, term, ago, paid, late in DEMO_LOANS:
        start = add_months(today, -ago)
        loan: dict[str, Any] = {"principal": amount, "term": term, "annual_rate": "7.5",
                                "disbursement_date": start.isoformat()}
        if code == "LEASE-48":
            loan["balloon_amount"] = f"{Decimal(amount) * Decimal('0.3'):.2f}"
        booked = loan_service.book(uow, admin, loan_service.Booking(
            product_id=products[code], borrower_ref=f"DEMO-{len(world.notes):03d}-{unit}",
            org_unit_id=world.units[unit], loan=loan, approved_on=start,
            officer_id=officer if unit == "EAST-SH" else None))
        loan_service.disburse(uow, admin, booked.id, on=start, channel="bank")
        rows = loan_service.installments(uow, booked)
        for row in rows[:paid]:
            on = min(row.due_date + timedelta(days=late), today)
            due = row.principal_fen + row.interest_fen + row.fee_fen
            loan_service.record(uow, admin, booked.id, loan_service.Event(
                "repayment", on, Decimal(due + 5000).scaleb(-2), "bank"))
    world.notes.append(f"{len(DEMO_LOANS)} demo loans; close of business: `fengkong cob`")
