"""Use cases of loan products and quotes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from fengkong.core import audit_service as audit
from fengkong.core.errors import Conflict, InvalidInput, NotFound
from fengkong.core.ids import new_id
from fengkong.core.uow import UnitOfWork
from fengkong.loans.models import LoanProduct, LoanProductVersion
from fengkong.loans.parse import parse_terms
from fengkong.loans.products import (
    ProductParams,
    check_cost_cap,
    loan_terms,
    parse_product,
    product_to_dict,
)
from fengkong.loans.quote import Quote, quote
from fengkong.org import service as org
from fengkong.org.scoping import Principal, scoped


def create_product(uow: UnitOfWork, principal: Principal, *, code: str, name: str,
                   params: Mapping[str, Any]) -> LoanProduct:
    principal.scope_for("loans.products.manage")
    parsed = _checked(uow, principal, params)
    if uow.session.scalar(select(LoanProduct.id).where(
            LoanProduct.tenant_id == principal.tenant_id, LoanProduct.code == code)):
        raise Conflict(f"product {code} exists", code="duplicate_code", field="code")
    product = LoanProduct(id=new_id(), tenant_id=principal.tenant_id, code=code, name=name,
                          latest_version=0, is_active=True, created_at=uow.clock.now())
    uow.session.add(product)
    uow.session.flush()
    _add_version(uow, principal, product, parsed)
    audit.record(uow, principal, "loan_product.created", entity_type="loan_product",
                 entity_id=product.id, changes={"code": code, "name": name})
    return product


def publish_version(uow: UnitOfWork, principal: Principal, product_id: str,
                    params: Mapping[str, Any]) -> LoanProductVersion:
    """A new version of a product; loans already booked keep theirs."""
    product = get_product(uow, principal, product_id, "loans.products.manage")
    return _add_version(uow, principal, product, _checked(uow, principal, params))


def _checked(uow: UnitOfWork, principal: Principal, params: Mapping[str, Any]
             ) -> ProductParams:
    try:
        parsed = parse_product(params)
    except InvalidInput as exc:
        exc.field = f"params.{exc.field}" if exc.field else "params"
        raise
    org.check_unit_ids(uow, principal, parsed.org_unit_ids, "params.org_unit_ids")
    return parsed


def _add_version(uow: UnitOfWork, principal: Principal, product: LoanProduct,
                 params: ProductParams) -> LoanProductVersion:
    product.latest_version += 1
    version = LoanProductVersion(id=new_id(), tenant_id=product.tenant_id,
                                 product_id=product.id, version=product.latest_version,
                                 params=product_to_dict(params), created_by=principal.actor_id,
                                 created_at=uow.clock.now())
    uow.session.add(version)
    uow.session.flush()
    audit.record(uow, principal, "loan_product.version_published", entity_type="loan_product",
                 entity_id=product.id, changes={"version": version.version,
                                                "params": version.params})
    uow.emit("loans.product_published", product.tenant_id, product_id=product.id,
             version=version.version)
    return version


def list_products(uow: UnitOfWork, principal: Principal) -> Sequence[LoanProduct]:
    stmt = scoped(select(LoanProduct), LoanProduct, principal, "loans.products.read")
    return uow.session.scalars(stmt.order_by(LoanProduct.code)).all()


def get_product(uow: UnitOfWork, principal: Principal, product_id: str,
                permission: str = "loans.products.read") -> LoanProduct:
    stmt = scoped(select(LoanProduct), LoanProduct, principal, permission).where(
        LoanProduct.id == product_id)
    product = uow.session.scalar(stmt)
    if product is None:
        raise NotFound("loan product", product_id)
    return product


def versions(uow: UnitOfWork, product: LoanProduct) -> Sequence[LoanProductVersion]:
    return uow.session.scalars(select(LoanProductVersion).where(
        LoanProductVersion.product_id == product.id).order_by(
        LoanProductVersion.version.desc())).all()


def latest_params(uow: UnitOfWork, product: LoanProduct) -> ProductParams:
    version = uow.session.scalars(select(LoanProductVersion).where(
        LoanProductVersion.product_id == product.id,
        LoanProductVersion.version == product.latest_version)).one()
    return parse_product(version.params)


def quote_for(uow: UnitOfWork, principal: Principal, body: Mapping[str, Any]) -> Quote:
    """A quote from full terms, or from a product's terms and the loan's own values."""
    principal.scope_for("loans.quote")
    if "product_id" not in body:
        return quote(parse_terms(body))
    product_id = body["product_id"]
    product = usable_product(uow, principal, product_id)
    params = latest_params(uow, product)
    loan = {k: v for k, v in body.items() if k != "product_id"}
    result = quote(loan_terms(params, loan))
    check_cost_cap(params, result)
    return result


def usable_product(uow: UnitOfWork, principal: Principal, product_id: object,
                   unit_id: str | None = None) -> LoanProduct:
    """An active product of the caller's tenant offered in `unit_id` (the caller's unit when
    not given)."""
    if not isinstance(product_id, str):
        raise InvalidInput("product_id is a product id", code="invalid_type",
                           field="product_id")
    product = uow.session.scalar(scoped(select(LoanProduct), LoanProduct, principal,
                                        "loans.quote").where(LoanProduct.id == product_id))
    if product is None or not product.is_active:
        raise InvalidInput(f"no active loan product {product_id}", code="unknown_reference",
                           field="product_id")
    params = latest_params(uow, product)
    if params.org_unit_ids and not org.unit_within_any(uow, unit_id or principal.org_unit_id,
                                                       params.org_unit_ids):
        raise InvalidInput("this product is not offered in your org unit",
                           code="product_not_available", field="product_id")
    return product
