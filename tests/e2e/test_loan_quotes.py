"""Quotes and loan products over HTTP and from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fengkong.demo import DemoWorld
from tests.conftest import login

QUOTE = "/api/v1/loans/quote"
FINERACT_CASE = {"principal": "100.00", "annual_rate": "9.4822", "term": 6,
                 "days_in_year": "360", "days_in_month": "30",
                 "disbursement_date": "2024-01-01"}


def products(client: TestClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    items = client.get("/api/v1/loan-products", headers=headers).json()["items"]
    return {p["code"]: p for p in items}


def test_a_quote_from_full_terms_matches_the_published_schedule(
    client: TestClient, world: DemoWorld
) -> None:
    response = client.post(QUOTE, json=FINERACT_CASE, headers=login(client, "demo.officer"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [i["interest"] for i in body["installments"]] == [
        "0.79", "0.66", "0.53", "0.40", "0.27", "0.13"]
    assert body["installments"][0]["total"] == "17.13"
    assert body["installments"][-1]["balance"] == "0.00"


def test_a_quote_from_a_product_applies_its_terms_and_fees(client: TestClient,
                                                           world: DemoWorld) -> None:
    headers = login(client, "demo.officer")
    car = products(client, headers)["AUTO-60"]
    response = client.post(QUOTE, headers=headers, json={
        "product_id": car["id"], "principal": "120000.00", "term": 36, "annual_rate": "6",
        "disbursement_date": "2026-03-31"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["disbursed_amount"] == "118800.00"  # 1 % upfront fee kept back
    assert {i["fees"] for i in body["installments"]} == {"30.00"}  # GPS service fee
    assert [i["due_date"] for i in body["installments"][:3]] == [
        "2026-04-30", "2026-05-31", "2026-06-30"]
    assert Decimal(body["apr"]) > Decimal("6")


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"term": 72}, "out_of_range", "term"),
    ({"principal": "900000.00"}, "out_of_range", "principal"),
    ({"annual_rate": "19"}, "out_of_range", "annual_rate"),
    ({"amortization": "flat"}, "set_by_product", "amortization"),
    ({"principal": "0"}, "not_positive", "principal"),
])
def test_a_quote_outside_the_product_is_refused_with_the_field(
    client: TestClient, world: DemoWorld, change: dict[str, Any], code: str, field: str
) -> None:
    headers = login(client, "demo.officer")
    car = products(client, headers)["AUTO-60"]
    body = {"product_id": car["id"], "principal": "120000.00", "term": 36,
            "annual_rate": "6", "disbursement_date": "2026-03-31", **change}
    response = client.post(QUOTE, headers=headers, json=body)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (code, field)


def test_the_cost_cap_refuses_a_flat_loan_whose_true_rate_is_too_high(
    client: TestClient, world: DemoWorld
) -> None:
    headers = login(client, "demo.officer")
    cash = products(client, headers)["CASH-24"]
    body = {"product_id": cash["id"], "principal": "10000.00", "term": 12,
            "disbursement_date": "2026-03-01"}
    allowed = client.post(QUOTE, headers=headers, json={**body, "annual_rate": "10"})
    assert allowed.status_code == 200
    assert Decimal("17") < Decimal(allowed.json()["apr"]) < Decimal("19")
    refused = client.post(QUOTE, headers=headers, json={**body, "annual_rate": "14"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "above_cost_cap"


def test_a_product_limited_to_a_region_is_not_offered_elsewhere(
    client: TestClient, world: DemoWorld
) -> None:
    body = {"principal": "200000.00", "term": 36, "annual_rate": "5",
            "balloon_amount": "60000.00", "disbursement_date": "2026-03-01"}
    east = login(client, "demo.officer")  # EAST-SH, inside EAST
    lease = products(client, east)["LEASE-48"]
    assert client.post(QUOTE, headers=east, json={**body, "product_id": lease["id"]}
                       ).status_code == 200
    west_user = client.post("/api/v1/users", headers=login(client, "demo.admin"), json={
        "username": "west.officer", "display_name": "West", "password": "West-officer-1",
        "org_unit_id": world.units["WEST-CD"], "roles": ["credit_officer"]})
    assert west_user.status_code == 201
    west = login(client, "west.officer", "West-officer-1")
    refused = client.post(QUOTE, headers=west, json={**body, "product_id": lease["id"]})
    assert refused.status_code == 422
    assert refused.json()["code"] == "product_not_available"


def test_a_new_product_version_keeps_the_old_one(client: TestClient, world: DemoWorld) -> None:
    headers = login(client, "demo.finance")
    car = products(client, headers)["AUTO-60"]
    detail = client.get(f"/api/v1/loan-products/{car['id']}", headers=headers).json()
    params = detail["versions"][0]["params"]
    published = client.post(f"/api/v1/loan-products/{car['id']}/versions", headers=headers,
                            json={"params": {**params, "annual_rate_max": "12"}})
    assert published.status_code == 201, published.text
    versions = published.json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["params"]["annual_rate_max"] == "18"
    assert versions[0]["params"]["annual_rate_max"] == "12"


@pytest.mark.parametrize(("params", "code", "field"), [
    ({"term_min": 0}, "out_of_range", "params.term_min"),
    ({"term_max": 5}, "out_of_range", "params.term_max"),
    ({"terms": {"amortization": "zigzag"}}, "invalid_choice", "params.terms.amortization"),
    ({"terms": {"principal": "5"}}, "set_per_loan", "params.terms.principal"),
    ({"allocation": "whatever"}, "invalid_choice", "params.allocation"),
    ({"delinquency_buckets": [{"code": "M0", "min_days": 0, "max_days": 0},
                              {"code": "M1", "min_days": 5, "max_days": None}]},
     "bucket_gap", "params.delinquency_buckets.1.min_days"),
    ({"org_unit_ids": ["01M80H3WC1V0ZJN5BZ1EVZ9HPZ"]}, "unknown_reference",
     "params.org_unit_ids.0"),
    ({"colour": "red"}, "unknown_field", "params.colour"),
])
def test_bad_product_parameters_are_refused_and_store_nothing(
    client: TestClient, world: DemoWorld, params: dict[str, Any], code: str, field: str
) -> None:
    headers = login(client, "demo.finance")
    base = {"principal_min": "1000.00", "principal_max": "5000.00", "term_min": 6,
            "term_max": 12, "annual_rate_min": "1", "annual_rate_max": "10"}
    response = client.post("/api/v1/loan-products", headers=headers,
                           json={"code": "BAD", "name": "Bad", "params": {**base, **params}})
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert "BAD" not in products(client, headers)


def _cli(args: list[str], stdin: str, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fengkong", "loan", "quote", *args],
                          input=stdin, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_the_cli_quotes_json_from_standard_input() -> None:
    result = _cli([], json.dumps(FINERACT_CASE))
    assert result.returncode == 0, result.stderr
    assert [i["balance"] for i in json.loads(result.stdout)["installments"]] == [
        "83.66", "67.19", "50.59", "33.86", "17.00", "0.00"]


def test_the_cli_refuses_bad_terms_with_the_field_and_a_non_zero_exit() -> None:
    result = _cli([], json.dumps({**FINERACT_CASE, "term": 0}))
    assert result.returncode == 2
    assert "out_of_range (term)" in result.stderr
    garbage = _cli([], "{not json")
    assert garbage.returncode == 2 and "invalid_json" in garbage.stderr


def test_the_cli_quotes_from_a_product_as_a_user(world: DemoWorld, database_url: str,
                                                 tmp_path: Path, client: TestClient) -> None:
    car = products(client, login(client, "demo.officer"))["AUTO-60"]
    body = {"product_id": car["id"], "principal": "50000.00", "term": 12, "annual_rate": "8",
            "disbursement_date": "2026-01-15"}
    env = {"FENGKONG_DATABASE_URL": database_url, "FENGKONG_DATA_DIR": str(tmp_path),
           "FENGKONG_SECRET_KEY": "x"}
    result = _cli(["--user", "demo.officer"], json.dumps(body), env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["disbursed_amount"] == "49500.00"
    missing_user = _cli([], json.dumps(body), env)
    assert missing_user.returncode == 2 and "(user)" in missing_user.stderr
