"""Shared fixtures. The database is SQLite in a temporary file unless
FENGKONG_TEST_DATABASE_URL names another one (CI points it at a fresh PostgreSQL database)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from fengkong import demo
from fengkong.api.app import create_app
from fengkong.bootstrap import Container, bootstrap
from fengkong.core.clock import FixedClock
from fengkong.core.config import Settings
from fengkong.core.db import make_engine
from fengkong.core.migrate import upgrade
from fengkong.schema import metadata

TEST_DATABASE_URL = os.environ.get("FENGKONG_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")

requires_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL: set FENGKONG_TEST_DATABASE_URL=postgresql://…/<database>",
)

TEST_NATS_URL = os.environ.get("FENGKONG_TEST_NATS_URL", "")

requires_nats = pytest.mark.skipif(
    not TEST_NATS_URL,
    reason="needs NATS with JetStream: set FENGKONG_TEST_NATS_URL=nats://127.0.0.1:4222",
)

DEMO_PASSWORD = "fengkong-demo"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'fengkong-test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    with engine.begin() as conn:  # a reused test database starts over
        metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(engine)
    yield engine
    engine.dispose()


def wipe(engine: Engine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 1, 5, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=database_url, secret_key="test-secret-key",
                    password_hash_cost="low", demo_password=DEMO_PASSWORD, log_format="text")


@pytest.fixture
def container(settings: Settings, engine: Engine, clock: FixedClock) -> Iterator[Container]:
    wipe(engine)
    yield bootstrap(settings, clock=clock, engine=engine)


@pytest.fixture
def world(container: Container) -> demo.DemoWorld:
    """The demo tenant with its seven units and its users."""
    return demo.seed(container)


@pytest.fixture
def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """Authorization headers for a user, through the real token endpoint."""
    response = client.post("/api/v1/auth/token",
                           data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
