"""Liveness, readiness, metrics, request ids and the OpenAPI document."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from fengkong.api.app import create_app
from fengkong.bootstrap import Container, bootstrap
from fengkong.core.config import Settings
from fengkong.demo import DemoWorld
from tests.conftest import login


def test_healthz_answers_without_credentials(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_reports_the_database_reachable(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["database"] == "ok"


def test_readyz_answers_503_when_the_database_is_unreachable(settings: Settings) -> None:
    dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                         connect_args={"connect_timeout": 1})
    container: Container = bootstrap(settings, engine=dead)
    with TestClient(create_app(container)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_every_response_carries_a_request_id_and_echoes_a_given_one(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 26
    given = client.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert given.headers["x-request-id"] == "trace-42"
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert hostile.headers["x-request-id"] != "bad id\nwith newline"


def test_problem_responses_name_their_request_id(client: TestClient) -> None:
    response = client.get("/api/v1/org/units", headers={"X-Request-ID": "req-7"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == "req-7"


def test_metrics_count_requests_by_route_template(client: TestClient, world: DemoWorld) -> None:
    headers = login(client, "demo.admin")
    client.get(f"/api/v1/org/units/{world.units['EAST']}", headers=headers)
    client.get(f"/api/v1/org/units/{world.units['WEST']}", headers=headers)
    text = client.get("/metrics").text
    assert 'fengkong_http_requests_total{method="GET",route="/api/v1/org/units/{unit_id}",' \
           'status="200"} 2.0' in text
    assert "fengkong_http_request_seconds_bucket" in text


def test_openapi_document_lists_the_api_under_v1(client: TestClient) -> None:
    doc = client.get("/api/openapi.json").json()
    paths = set(doc["paths"])
    assert {"/api/v1/auth/token", "/api/v1/org/units", "/api/v1/users", "/api/v1/audit"} <= paths
    assert all(p.startswith("/api/v1/") or p in {"/healthz", "/readyz", "/metrics"}
               for p in paths)
