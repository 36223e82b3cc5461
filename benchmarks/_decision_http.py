"""The HTTP decision API under a steady offered load: the real server with the demo
strategies, `POST /api/v1/decisions/application` at a fixed rate (open loop: requests leave
on schedule whether or not earlier ones came back), and `GET /healthz` at the same rate as
the floor."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from benchmarks._harness import Latencies, fengkong_server
from fengkong import demo
from fengkong.bootstrap import bootstrap
from fengkong.core.config import load_settings
from fengkong.core.migrate import upgrade
from fengkong.decision.demo_data import SOLID, seed_strategies


def _prepare(env: dict[str, str]) -> str:
    container = bootstrap(load_settings({**os.environ, **env}))
    try:
        upgrade(container.engine)
        world = demo.seed(container)
        with container.uow() as uow:
            seed_strategies(container, uow, world)
            uow.commit()
        return load_settings({**os.environ, **env}).demo_password
    finally:
        container.close()


def _paced(base: str, method: str, path: str, headers: dict[str, str], body: Any,
           rate: float, count: int) -> Latencies:
    samples: list[float] = []
    lock = threading.Lock()
    local = threading.local()

    def send(i: int, due: float) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=30.0)
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        payload = None if body is None else {**body, "subject_id": f"B-{i}"}
        response = client.request(method, path, headers=headers, json=payload)
        if response.status_code >= 300:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
        # Latency from when the request was due: queueing behind a slow server counts.
        elapsed = time.perf_counter() - due
        with lock:
            samples.append(elapsed)

    start = time.perf_counter() + 0.2
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(send, i, start + i / rate) for i in range(count)]
        for f in futures:
            f.result()
    return Latencies(samples, time.perf_counter() - start)


def measure(rate: float, count: int) -> dict[str, Latencies]:
    with tempfile.TemporaryDirectory(prefix="fengkong-decision-http-") as tmp:
        env = {"FENGKONG_DATA_DIR": tmp, "FENGKONG_DATABASE_URL": "",
               "FENGKONG_LOG_LEVEL": "WARNING"}
        password = _prepare(env)
        with fengkong_server(env, Path(tmp) / "server.log") as base:
            with httpx.Client(base_url=base, timeout=30.0) as client:
                token = client.post("/api/v1/auth/token", data={
                    "username": "demo.officer", "password": password}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            body = {"product": "AUTO-60", "inputs": SOLID}
            _paced(base, "POST", "/api/v1/decisions/application", headers, body, rate, 50)
            decisions = _paced(base, "POST", "/api/v1/decisions/application", headers, body,
                               rate, count)
            floor = _paced(base, "GET", "/healthz", {}, None, rate, count)
    return {"decisions": decisions, "healthz": floor}
