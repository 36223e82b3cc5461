"""ASGI middleware: request ids, Prometheus request metrics and one JSON log line a request."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fengkong.core.ids import new_id

log = logging.getLogger("fengkong.http")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("fengkong_http_requests_total", "HTTP requests",
                                ["method", "route", "status"], registry=registry)
        self.latency = Histogram("fengkong_http_request_seconds", "HTTP request latency",
                                 ["method", "route"], registry=registry,
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))


class RequestMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics,
                 templates: dict[int, str] | None = None) -> None:
        self.app = app
        self.metrics = metrics
        # route object id -> full path template; routers mounted under a prefix keep their own
        # relative path on the route object, so the labels come from this table
        self.templates = templates or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else new_id()
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = self._template(scope.get("route"))
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            log.info("request", extra={
                "request_id": request_id, "method": scope["method"], "path": scope["path"],
                "route": route, "status": status, "ms": round(elapsed * 1000, 2),
                "client": (scope.get("client") or ("", 0))[0],
            })


    def _template(self, route: object) -> str:
        if route is None:
            return "unmatched"
        return self.templates.get(id(route)) or str(getattr(route, "path", "unmatched"))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            decoded: Any = value.decode("latin-1")
            return str(decoded)
    return None
