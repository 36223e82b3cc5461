"""Loan accounts over HTTP: bad input refused with a code and the field, storing nothing;
settlement for exactly the quoted amount; and each caller sees only the loans of their scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.demo import DemoWorld
from fengkong.ledger.models import JournalEntry, JournalLine
from fengkong.loans.models import Loan, LoanInstallment, LoanTransaction
from tests.conftest import login

API = "/api/v1/loans"
TODAY = "2026-01-05"  # the business date in Shanghai at the test clock's instant
UNKNOWN_ID = "01M80H3WC1V0ZJN5BZ1EVZ9HPZ"

Headers = dict[str, str]


def product_ids(client: TestClient, headers: Headers) -> dict[str, str]:
    items = client.get("/api/v1/loan-products", headers=headers).json()["items"]
    return {p["code"]: p["id"] for p in items}


def loan_body(client: TestClient, headers: Headers, world: DemoWorld, *,
              unit: str = "EAST-SH", **change: Any) -> dict[str, Any]:
    """100,000.00 at 6 % over 12 months on the car-loan product, disbursed 2025-06-05."""
    return {"product_id": product_ids(client, headers)["AUTO-60"], "borrower_ref": "B-1",
            "org_unit_id": world.units[unit], "principal": "100000.00", "term": 12,
            "annual_rate": "6", "disbursement_date": "2025-06-05",
            "approved_on": "2025-06-01", **change}


def open_loan(client: TestClient, headers: Headers, world: DemoWorld, *,
              unit: str = "EAST-SH", **change: Any) -> str:
    booked = client.post(API, json=loan_body(client, headers, world, unit=unit, **change),
                         headers=headers)
    assert booked.status_code == 201, booked.text
    loan_id: str = booked.json()["id"]
    disbursed = client.post(f"{API}/{loan_id}/disburse", headers=headers,
                            json={"on": "2025-06-05", "channel": "bank"})
    assert disbursed.status_code == 200, disbursed.text
    return loan_id


def pay(client: TestClient, headers: Headers, loan_id: str, amount: str, on: str,
        route: str = "repayments") -> dict[str, Any]:
    response = client.post(f"{API}/{loan_id}/{route}", headers=headers,
                           json={"value_date": on, "amount": amount, "channel": "bank"})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def snapshot(container: Container) -> dict[str, list[tuple[str, ...]]]:
    """Every row of the loan and ledger tables, to compare before and after."""
    with container.uow() as uow:
        return {model.__tablename__: sorted(tuple(map(str, row)) for row in uow.session.execute(
            select(*model.__table__.columns)).all())
            for model in (Loan, LoanInstallment, LoanTransaction, JournalEntry, JournalLine)}


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


# --- bad input -----------------------------------------------------------------------------


@dataclass
class Book:
    """Loans in the states the refusals need."""

    active: str
    paid_off: str  # closed on 2025-06-10 with 100.00 of credit
    reversed_txn: str  # a reversed repayment of `active`
    disbursement: str  # the disbursement of `active`
    body: Callable[..., dict[str, Any]]


@pytest.fixture
def book(client: TestClient, world: DemoWorld) -> Book:
    headers = login(client, "demo.admin")
    active = open_loan(client, headers, world)
    first = pay(client, headers, active, "8636.64", "2025-07-05")
    reversed_ = client.post(f"{API}/{active}/transactions/{first['id']}/reverse",
                            headers=headers, json={"reason": "entered twice"})
    assert reversed_.status_code == 200, reversed_.text
    paid_off = open_loan(client, headers, world)
    schedule = client.get(f"{API}/{paid_off}/schedule", headers=headers).json()["items"]
    owed = sum(Decimal(i["outstanding"]) for i in schedule)
    pay(client, headers, paid_off, f"{owed + Decimal('100.00')}", "2025-06-10")
    loan = client.get(f"{API}/{paid_off}", headers=headers).json()
    assert (loan["status"], loan["credit_balance"]) == ("closed", "100.00")
    txns = client.get(f"{API}/{active}/transactions", headers=headers).json()["items"]
    disbursement = next(t["id"] for t in txns if t["kind"] == "disbursement")
    return Book(active, paid_off, first["id"], disbursement,
                lambda **change: loan_body(client, headers, world, **change))


def repayment(**change: str) -> dict[str, str]:
    return {"value_date": "2025-07-05", "amount": "1000.00", "channel": "bank", **change}


BAD = [
    # (name, path, body, status, code, field)
    ("zero amount", "{active}/repayments", repayment(amount="0"), 422, "out_of_range",
     "amount"),
    ("negative amount", "{active}/repayments", repayment(amount="-50.00"), 422,
     "out_of_range", "amount"),
    ("negative prepayment", "{active}/prepayments", repayment(amount="-1.00"), 422,
     "out_of_range", "amount"),
    ("value date before the disbursement", "{active}/repayments",
     repayment(value_date="2025-06-04"), 422, "before_disbursement", "value_date"),
    ("value date in the future", "{active}/repayments", repayment(value_date="2026-01-06"),
     422, "future_date", "value_date"),
    ("repayment on a closed loan", "{paid_off}/repayments",
     repayment(value_date="2025-07-01"), 422, "loan_closed", "value_date"),
    ("refund above the credit balance", "{paid_off}/refunds",
     repayment(value_date="2025-07-01", amount="100.01"), 422, "exceeds_credit_balance",
     "amount"),
    ("waiver above what is owed", "{active}/waivers",
     {"value_date": "2025-07-05", "amount": "99999.00", "component": "interest"}, 422,
     "waiver_exceeds_outstanding", "amount"),
    ("disbursement of a disbursed loan", "{active}/disburse",
     {"on": "2025-06-05", "channel": "bank"}, 409, "invalid_state", "status"),
    ("reversal of a reversed transaction", "{active}/transactions/{reversed_txn}/reverse",
     {"reason": "again"}, 409, "already_reversed", "transaction_id"),
    ("reversal of the disbursement", "{active}/transactions/{disbursement}/reverse",
     {"reason": "wrong loan"}, 409, "not_reversible", "transaction_id"),
    ("term outside the product's range", "", {"term": 72}, 422, "out_of_range", "term"),
    ("unknown product", "", {"product_id": UNKNOWN_ID}, 422, "unknown_reference",
     "product_id"),
]


@pytest.mark.parametrize(("name", "path", "body", "status", "code", "field"), BAD,
                         ids=[case[0] for case in BAD])
def test_bad_input_is_refused_with_its_code_and_field_and_stores_nothing(
    client: TestClient, container: Container, book: Book, name: str, path: str,
    body: dict[str, Any], status: int, code: str, field: str
) -> None:
    if not path:  # a booking: the body changes a good loan
        body = book.body(**body)
    url = f"{API}/{path}".rstrip("/").format(active=book.active, paid_off=book.paid_off,
                                             reversed_txn=book.reversed_txn,
                                             disbursement=book.disbursement)
    headers = login(client, "demo.admin")
    before = snapshot(container)

    response = client.post(url, json=body, headers=headers)

    assert response.status_code == status, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert snapshot(container) == before


@pytest.mark.parametrize(("officer", "code"), [("nobody", "unknown_officer"),
                                               ("demo.hz", "officer_outside_unit")])
def test_a_loan_officer_must_be_a_user_whose_unit_covers_the_loan(
    client: TestClient, container: Container, book: Book, world: DemoWorld, officer: str,
    code: str
) -> None:
    headers = login(client, "demo.admin")
    before = snapshot(container)
    response = client.post(API, headers=headers, json=book.body(
        officer_id=world.users.get(officer, UNKNOWN_ID)))
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, "officer_id")
    assert snapshot(container) == before
    accepted = client.post(API, headers=headers, json=book.body(
        officer_id=world.users["demo.officer"]))
    assert accepted.status_code == 201, accepted.text


# --- settlement ----------------------------------------------------------------------------


def test_a_settlement_of_the_quoted_amount_closes_the_loan_early(
    client: TestClient, container: Container, world: DemoWorld
) -> None:
    headers = login(client, "demo.admin")
    loan_id = open_loan(client, headers, world)
    pay(client, headers, loan_id, "8636.64", "2025-07-05")
    quote = client.get(f"{API}/{loan_id}/settlement-quote", params={"on": TODAY},
                       headers=headers)
    assert quote.status_code == 200, quote.text
    total = Decimal(quote.json()["total"])
    assert total > Decimal(quote.json()["principal"]) > 0

    before = snapshot(container)
    for wrong in (total - Decimal("0.01"), total + Decimal("100.00")):
        refused = client.post(f"{API}/{loan_id}/settlement", headers=headers, json={
            "value_date": TODAY, "amount": f"{wrong}", "channel": "bank"})
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert (problem["code"], problem["field"]) == ("settlement_amount_mismatch", "amount")
        assert problem["expected"] == f"{total}"
    assert snapshot(container) == before

    settled = pay(client, headers, loan_id, f"{total}", TODAY, route="settlement")

    assert settled["kind"] == "settlement"
    loan = client.get(f"{API}/{loan_id}", headers=headers).json()
    assert (loan["status"], loan["closed_on"]) == ("settled_early", TODAY)
    assert (loan["principal_outstanding"], loan["interest_due"], loan["credit_balance"]) == (
        "0.00", "0.00", "0.00")


# --- scope ---------------------------------------------------------------------------------


def test_a_branch_manager_sees_only_the_loans_of_their_branch(
    client: TestClient, container: Container, world: DemoWorld
) -> None:
    admin = login(client, "demo.admin")
    shanghai = open_loan(client, admin, world, unit="EAST-SH")
    chengdu = open_loan(client, admin, world, unit="WEST-CD")
    hangzhou = open_loan(client, admin, world, unit="EAST-HZ")
    manager = login(client, "demo.sh")

    listed = client.get(API, params={"limit": 500}, headers=manager)

    assert shanghai in ids(listed) and not {chengdu, hangzhou} & ids(listed)
    assert {x["org_unit_id"] for x in listed.json()["items"]} == {world.units["EAST-SH"]}
    for suffix in ("", "/schedule", "/transactions", "/settlement-quote?on=" + TODAY):
        assert client.get(f"{API}/{chengdu}{suffix}", headers=manager).status_code == 404
    paid = client.post(f"{API}/{chengdu}/repayments", headers=admin,
                       json=repayment(external_id="CD-1"))
    assert paid.status_code == 201, paid.text
    before = snapshot(container)
    for body in (repayment(), repayment(external_id="CD-1")):  # a retry answers in scope only
        refused = client.post(f"{API}/{chengdu}/repayments", headers=manager, json=body)
        assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    assert snapshot(container) == before
    assert client.get(f"{API}/{shanghai}", headers=manager).status_code == 200


def test_a_collector_sees_only_the_loans_assigned_to_them(
    client: TestClient, container: Container, world: DemoWorld
) -> None:
    admin = login(client, "demo.admin")
    collector_id = world.users["demo.collector"]
    assigned = open_loan(client, admin, world, officer_id=collector_id)
    not_assigned = open_loan(client, admin, world)  # same branch, the admin's own
    collector = login(client, "demo.collector")

    listed = client.get(API, params={"limit": 500}, headers=collector)

    assert ids(listed) == {assigned}
    assert client.get(f"{API}/{not_assigned}", headers=collector).status_code == 404
    assert client.get(f"{API}/{assigned}/schedule", headers=collector).status_code == 200
    before = snapshot(container)
    refused = client.post(f"{API}/{not_assigned}/repayments", headers=collector,
                          json=repayment())
    assert refused.status_code == 404
    assert snapshot(container) == before
    paid = pay(client, collector, assigned, "8636.64", "2025-07-05")
    assert paid["principal"] != "0.00"
