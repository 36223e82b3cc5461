"""Routes of the loans context: quotes and loan products."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, status

from fengkong.api.deps import UoW, require
from fengkong.api.schemas import Code, Input, Name, Output
from fengkong.loans import product_service, quote_to_dict
from fengkong.loans.models import LoanProduct
from fengkong.org.scoping import Principal

router = APIRouter(tags=["loans"])

QUOTE_EXAMPLE = {
    "principal": "100000.00", "annual_rate": "7.2", "term": 36,
    "amortization": "equal_installments", "disbursement_date": "2026-03-15",
    "fees": {"per_installment": "30.00", "upfront": {"percent": "1", "mode": "deducted"}},
}


@router.post("/loans/quote")
def quote(
    uow: UoW,
    principal: Principal = require("loans.quote"),
    body: dict[str, Any] = Body(openapi_examples={"terms": {"value": QUOTE_EXAMPLE}}),
) -> dict[str, Any]:
    """The schedule, totals and APR of a loan: from full terms, or from `product_id` plus the
    loan's own `principal`, `term`, `annual_rate`, `disbursement_date` (and optionally
    `first_repayment_date`, `balloon_amount`). Money is a decimal string; rates are percent."""
    return quote_to_dict(product_service.quote_for(uow, principal, body))


class ProductIn(Input):
    code: Code
    name: Name
    params: dict[str, Any]


class VersionIn(Input):
    params: dict[str, Any]


class VersionOut(Output):
    version: int
    params: dict[str, Any]
    created_by: str
    created_at: datetime


class ProductOut(Output):
    id: str
    code: str
    name: str
    latest_version: int
    is_active: bool
    created_at: datetime


class ProductDetail(ProductOut):
    versions: list[VersionOut]


class ProductList(Output):
    items: list[ProductOut]


def _detail(uow: UoW, product: LoanProduct) -> ProductDetail:
    return ProductDetail(**ProductOut.model_validate(product).model_dump(),
                         versions=[VersionOut.model_validate(v)
                                   for v in product_service.versions(uow, product)])


@router.get("/loan-products", response_model=ProductList)
def list_products(uow: UoW, principal: Principal = require("loans.products.read")
                  ) -> ProductList:
    return ProductList(items=[ProductOut.model_validate(p)
                              for p in product_service.list_products(uow, principal)])


@router.post("/loan-products", response_model=ProductDetail,
             status_code=status.HTTP_201_CREATED)
def create_product(body: ProductIn, uow: UoW,
                   principal: Principal = require("loans.products.manage")) -> ProductDetail:
    product = product_service.create_product(uow, principal, code=body.code, name=body.name,
                                             params=body.params)
    uow.commit()
    return _detail(uow, product)


@router.get("/loan-products/{product_id}", response_model=ProductDetail)
def get_product(product_id: str, uow: UoW,
                principal: Principal = require("loans.products.read")) -> ProductDetail:
    return _detail(uow, product_service.get_product(uow, principal, product_id))


@router.post("/loan-products/{product_id}/versions", response_model=ProductDetail,
             status_code=status.HTTP_201_CREATED)
def publish_version(product_id: str, body: VersionIn, uow: UoW,
                    principal: Principal = require("loans.products.manage")) -> ProductDetail:
    """A new version of the product's parameters; booked loans keep their version."""
    product_service.publish_version(uow, principal, product_id, body.params)
    uow.commit()
    return _detail(uow, product_service.get_product(uow, principal, product_id))
