"""The ledger over HTTP: the chart, manual entries and reversals, the trial balance and
statements by scope, and bad input refused with a code and the field, storing nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.audit_service import SystemActor
from fengkong.core.models import AuditRecord
from fengkong.demo import DemoWorld, principal_of
from fengkong.ledger import rules, service
from fengkong.ledger.models import JournalEntry, JournalLine, LedgerAccount
from fengkong.org import service as org
from fengkong.org.permissions import DataScope
from tests.conftest import DEMO_PASSWORD, login

API = "/api/v1/ledger"


def entry_body(unit: str | None = None, **change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "entry_date": "2026-01-05", "reference": "bank charges for December",
        "lines": [{"account_code": "suspense", "debit": "25.80"},
                  {"account_code": "cash:bank", "credit": "25.80"}]}
    if unit:
        body["org_unit_id"] = unit
    return {**body, **change}


def snapshot(container: Container) -> dict[str, list[tuple[Any, ...]]]:
    with container.uow() as uow:
        return {model.__tablename__: sorted(tuple(map(str, row)) for row in uow.session.execute(
            select(*model.__table__.columns)).all())
            for model in (LedgerAccount, JournalEntry, JournalLine)}


@pytest.fixture
def branch_finance(container: Container, world: DemoWorld) -> str:
    """A finance officer of the East region: reads and posts within its subtree."""
    with container.uow() as uow:
        admin = principal_of(uow, "demo.admin")
        org.create_role(uow, admin, code="region_finance", name="Regional finance",
                        permissions=["ledger.read", "ledger.manage"],
                        data_scope=DataScope.SUBTREE)
        org.create_user(uow, admin, container.hasher, username="east.finance",
                        display_name="East finance", password=DEMO_PASSWORD,
                        org_unit_id=world.units["EAST"], roles=["region_finance"])
        uow.commit()
    return "east.finance"


# --- the chart -----------------------------------------------------------------------------


def test_finance_sees_the_default_chart_and_adds_an_account(
    client: TestClient, world: DemoWorld
) -> None:
    headers = login(client, "demo.finance")
    listed = client.get(f"{API}/accounts", headers=headers)
    assert listed.status_code == 200, listed.text
    types = {a["code"]: a["type"] for a in listed.json()["items"]}
    assert types["principal_receivable"] == "asset" and types["recovery_income"] == "income"
    assert len(types) == 13
    made = client.post(f"{API}/accounts", headers=headers,
                       json={"code": "cash:wechat", "name": "WeChat Pay", "type": "asset"})
    assert made.status_code == 201, made.text
    again = client.post(f"{API}/accounts", headers=headers,
                        json={"code": "cash:wechat", "name": "Twice", "type": "asset"})
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_code")


def test_headquarters_reads_the_ledger_but_branches_and_readers_cannot_post(
    client: TestClient, world: DemoWorld
) -> None:
    assert client.get(f"{API}/trial-balance", headers=login(client, "demo.hq")).status_code == 200
    assert client.post(f"{API}/entries", json=entry_body(),
                       headers=login(client, "demo.hq")).status_code == 403
    assert client.get(f"{API}/accounts", headers=login(client, "demo.sh")).status_code == 403


# --- manual entries and reversal -----------------------------------------------------------


def test_a_manual_entry_is_stored_read_back_and_audited(
    client: TestClient, container: Container, world: DemoWorld
) -> None:
    headers = login(client, "demo.finance")
    made = client.post(f"{API}/entries", json=entry_body(world.units["EAST-SH"]),
                       headers=headers)
    assert made.status_code == 201, made.text
    entry = made.json()
    assert (entry["kind"], entry["org_unit_id"]) == ("manual", world.units["EAST-SH"])
    assert [(x["account_code"], x["debit"], x["credit"]) for x in entry["lines"]] == [
        ("suspense", "25.80", "0.00"), ("cash:bank", "0.00", "25.80")]
    assert {x["org_unit_id"] for x in entry["lines"]} == {world.units["EAST-SH"]}
    read = client.get(f"{API}/entries/{entry['id']}", headers=headers)
    assert read.json() == entry
    with container.uow() as uow:
        actions = set(uow.session.scalars(select(AuditRecord.action).where(
            AuditRecord.entity_id == entry["id"])))
    assert actions == {"ledger.entry_posted"}


def test_a_manual_entry_is_reversed_once(client: TestClient, world: DemoWorld) -> None:
    headers = login(client, "demo.finance")
    entry = client.post(f"{API}/entries", json=entry_body(), headers=headers).json()
    url = f"{API}/entries/{entry['id']}/reverse"
    early = client.post(url, json={"entry_date": "2026-01-04"}, headers=headers)
    assert (early.status_code, early.json()["code"], early.json()["field"]) == (
        422, "before_original", "entry_date")
    first = client.post(url, json={"entry_date": "2026-01-06"}, headers=headers)
    assert first.status_code == 201, first.text
    reversal = first.json()
    assert (reversal["kind"], reversal["reverses_id"]) == ("reversal", entry["id"])
    assert [(x["debit"], x["credit"]) for x in reversal["lines"]] == [
        ("0.00", "25.80"), ("25.80", "0.00")]
    second = client.post(url, json={"entry_date": "2026-01-06"}, headers=headers)
    assert (second.status_code, second.json()["code"]) == (409, "already_reversed")
    original = client.get(f"{API}/entries/{entry['id']}", headers=headers).json()
    assert original["reversed_by"] == reversal["id"]
    balance = client.get(f"{API}/trial-balance", headers=headers).json()
    assert {r["code"]: r["balance"] for r in balance["rows"]} == {
        "cash:bank": "0.00", "suspense": "0.00"}


def test_an_entry_booked_by_a_loan_event_is_not_reversed_by_hand(
    client: TestClient, container: Container, world: DemoWorld
) -> None:
    with container.uow() as uow:
        entry = service.post(uow, SystemActor(tenant_id=world.tenant_id),
                             tenant_id=world.tenant_id, entry_date=date(2026, 1, 5),
                             kind="disbursement", reference="loan L1",
                             lines=rules.disbursement(Decimal("900"), channel="bank",
                                                      loan_id="L1"), audit=False)
        uow.commit()
    response = client.post(f"{API}/entries/{entry.id}/reverse", json={"entry_date": "2026-01-05"},
                           headers=login(client, "demo.finance"))
    assert (response.status_code, response.json()["code"]) == (409, "not_manual_entry")


# --- bad input -----------------------------------------------------------------------------

UNIT = "{unit}"
BAD_ENTRIES = [
    # (name, change to the body, status, code, field)
    ("debits and credits differ", {"lines": [
        {"account_code": "suspense", "debit": "25.80"},
        {"account_code": "cash:bank", "credit": "25.79"}]}, 422, "unbalanced_entry", "lines"),
    ("a line on both sides", {"lines": [
        {"account_code": "suspense", "debit": "1", "credit": "1"},
        {"account_code": "cash:bank", "credit": "0"}]}, 422, "unbalanced_entry",
     "lines.0.credit"),
    ("a line on neither side", {"lines": [
        {"account_code": "suspense", "debit": "1"},
        {"account_code": "cash:bank"}]}, 422, "unbalanced_entry", "lines.1.debit"),
    ("sub-fen amount", {"lines": [
        {"account_code": "suspense", "debit": "1.005"},
        {"account_code": "cash:bank", "credit": "1.005"}]}, 422, "unbalanced_entry",
     "lines.0.debit"),
    ("negative amount", {"lines": [
        {"account_code": "suspense", "debit": "-5"},
        {"account_code": "cash:bank", "debit": "5"}]}, 422, "unbalanced_entry",
     "lines.0.debit"),
    ("one line only", {"lines": [{"account_code": "suspense", "debit": "5"}]}, 422,
     "unbalanced_entry", "lines"),
    ("unknown account", {"lines": [
        {"account_code": "suspense", "debit": "5"},
        {"account_code": "cash:nowhere", "credit": "5"}]}, 422, "unknown_account",
     "lines.1.account_code"),
    ("amount as a number", {"lines": [
        {"account_code": "suspense", "debit": 5},
        {"account_code": "cash:bank", "credit": "5"}]}, 422, "wrong_type", "lines.0.debit"),
    ("amount not decimal", {"lines": [
        {"account_code": "suspense", "debit": "5,00"},
        {"account_code": "cash:bank", "credit": "5"}]}, 422, "bad_format", "lines.0.debit"),
    ("a loan line by hand", {"lines": [
        {"account_code": "suspense", "debit": "5", "loan_id": "L1"},
        {"account_code": "cash:bank", "credit": "5"}]}, 422, "unknown_field",
     "lines.0.loan_id"),
    ("no reference", {"reference": ""}, 422, "too_short", "reference"),
    ("no date", {"entry_date": None}, 422, "wrong_type", "entry_date"),
    ("a sibling region's unit", {"org_unit_id": UNIT}, 422, "unknown_reference",
     "org_unit_id"),
    ("a line in a sibling region", {"lines": [
        {"account_code": "suspense", "debit": "5", "org_unit_id": UNIT},
        {"account_code": "cash:bank", "credit": "5"}]}, 422, "unknown_reference",
     "lines.0.org_unit_id"),
]


def _fill(value: Any, unit: str) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, unit) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, unit) for v in value]
    return unit if value == UNIT else value


@pytest.mark.parametrize(("name", "change", "status", "code", "field"), BAD_ENTRIES,
                         ids=[case[0] for case in BAD_ENTRIES])
def test_a_bad_manual_entry_is_refused_with_the_field_and_stores_nothing(
    client: TestClient, container: Container, world: DemoWorld, branch_finance: str,
    name: str, change: dict[str, Any], status: int, code: str, field: str
) -> None:
    headers = login(client, branch_finance)
    before = snapshot(container)
    body = entry_body(**_fill(change, world.units["WEST-CD"]))
    response = client.post(f"{API}/entries", json=body, headers=headers)
    assert response.status_code == status, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert snapshot(container) == before


def test_another_tenants_entry_does_not_exist_for_the_caller(
    client: TestClient, container: Container, world: DemoWorld
) -> None:
    with container.uow() as uow:
        rival = org.create_tenant(uow, SystemActor(), code="rival", name="Rival")
        rival_entry = service.post(
            uow, SystemActor(tenant_id=rival.id), tenant_id=rival.id,
            entry_date=date(2026, 1, 5), kind="manual", reference="theirs",
            lines=rules.recovery(Decimal("3"), channel="bank"))
        uow.commit()
    headers = login(client, "demo.finance")
    for response in (client.get(f"{API}/entries/{rival_entry.id}", headers=headers),
                     client.post(f"{API}/entries/{rival_entry.id}/reverse", headers=headers,
                                 json={"entry_date": "2026-01-05"})):
        assert (response.status_code, response.json()["code"]) == (404, "not_found")


# --- trial balance and statements ----------------------------------------------------------


@pytest.fixture
def booked(client: TestClient, world: DemoWorld) -> dict[str, str]:
    """Three manual entries by head office: Shanghai, Hangzhou and Chengdu, on three days."""
    headers = login(client, "demo.finance")
    for unit, day, amount in (("EAST-SH", "2026-01-03", "100.00"),
                              ("EAST-HZ", "2026-01-04", "20.50"),
                              ("WEST-CD", "2026-01-05", "7.25")):
        lines = [{"account_code": "cash:bank", "debit": amount},
                 {"account_code": "suspense", "credit": amount}]
        made = client.post(f"{API}/entries", headers=headers, json=entry_body(
            world.units[unit], entry_date=day, lines=lines))
        assert made.status_code == 201, made.text
    return headers


def test_a_regions_trial_balance_covers_its_subtree_only(
    client: TestClient, booked: dict[str, str], branch_finance: str
) -> None:
    whole = client.get(f"{API}/trial-balance", headers=booked).json()
    east = client.get(f"{API}/trial-balance", headers=login(client, branch_finance)).json()
    early = client.get(f"{API}/trial-balance", params={"as_of": "2026-01-03"},
                       headers=booked).json()
    rows = {r["code"]: r for r in whole["rows"]}
    assert (rows["cash:bank"]["debit"], rows["suspense"]["balance"]) == ("127.75", "-127.75")
    assert (whole["debit"], whole["credit"], whole["balanced"]) == ("127.75", "127.75", True)
    assert (east["debit"], east["balanced"]) == ("120.50", True)
    assert (early["as_of"], early["debit"]) == ("2026-01-03", "100.00")


def test_a_statement_pages_with_a_running_balance(
    client: TestClient, booked: dict[str, str], branch_finance: str
) -> None:
    url = f"{API}/accounts/cash:bank/statement"
    first = client.get(url, params={"limit": 2}, headers=booked).json()
    assert [x["balance"] for x in first["lines"]] == ["100.00", "120.50"]
    rest = client.get(url, params={"limit": 2, "after": first["next"]}, headers=booked).json()
    assert (rest["opening_balance"], [x["balance"] for x in rest["lines"]], rest["next"]) == (
        "120.50", ["127.75"], None)
    window = client.get(url, params={"from": "2026-01-04", "to": "2026-01-05"},
                        headers=login(client, branch_finance)).json()
    assert (window["opening_balance"], [x["debit"] for x in window["lines"]]) == (
        "100.00", ["20.50"])


@pytest.mark.parametrize(("path", "params", "status", "code"), [
    ("/accounts/vault/statement", {}, 404, "not_found"),
    ("/accounts/cash:bank/statement", {"after": "yesterday"}, 422, "bad_format"),
    ("/accounts/cash:bank/statement", {"from": "soon"}, 422, "wrong_type"),
    ("/trial-balance", {"as_of": "2026-13-01"}, 422, "wrong_type"),
    ("/entries/01M80H3WC1V0ZJN5BZ1EVZ9HPZ", {}, 404, "not_found"),
])
def test_bad_reads_are_refused_with_a_code(
    client: TestClient, world: DemoWorld, path: str, params: dict[str, str], status: int,
    code: str
) -> None:
    response = client.get(API + path, params=params, headers=login(client, "demo.finance"))
    assert (response.status_code, response.json()["code"]) == (status, code)
