"""The FastAPI application: routers, error mapping, middleware."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fengkong import __version__
from fengkong.api import (
    alerts,
    audit,
    auth,
    decisions,
    gps_risk,
    installation_checks,
    ledger,
    loan_accounts,
    loans,
    ops,
    org,
    strategies,
    telematics,
    telematics_commands,
)
from fengkong.api.deps import public
from fengkong.api.middleware import HttpMetrics, RequestMiddleware
from fengkong.api.problems import (
    from_domain_error,
    from_http_exception,
    from_validation_error,
    problem,
)
from fengkong.bootstrap import Container
from fengkong.core import audit_service
from fengkong.core.errors import FengkongError
from fengkong.core.uow import RequestContext

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
ROUTERS = [auth.router, org.router, audit.router, loans.router, ledger.router, loan_accounts.router,
           telematics.router, telematics_commands.router, alerts.router,
           installation_checks.router, strategies.router, decisions.router, gps_risk.router]
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def api_routes() -> list[tuple[str, APIRoute]]:
    """Every route of the API with its full path: what the authorization matrix walks."""
    routes = [(r.path, r) for r in ops.router.routes if isinstance(r, APIRoute)]
    for router in ROUTERS:
        routes += [(API_PREFIX + r.path, r) for r in router.routes if isinstance(r, APIRoute)]
    return routes


def create_app(container: Container, *, metrics: CollectorRegistry | None = None) -> FastAPI:
    """The HTTP application; `metrics` is the registry /metrics shows (one of its own by
    default; `fengkong serve` shares it with the tracker gateway)."""
    app = FastAPI(
        title="fengkong",
        version=__version__,
        summary="Risk control for car and consumer lenders",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.container = container
    app.state.metrics_registry = metrics if metrics is not None else CollectorRegistry()
    app.add_middleware(RequestMiddleware, metrics=HttpMetrics(app.state.metrics_registry),
                       templates={id(route): path for path, route in api_routes()})
    app.include_router(ops.router)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)

    @app.get("/", include_in_schema=False, dependencies=[public()])
    def index() -> RedirectResponse:
        return RedirectResponse("/api/docs")

    @app.exception_handler(FengkongError)
    def _domain(request: Request, exc: FengkongError) -> JSONResponse:
        _audit_rejection(request, exc.code, exc.field)
        return from_domain_error(request, exc)

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        response = from_validation_error(request, exc)
        _audit_rejection(request, "invalid_input", None)
        return response

    @app.exception_handler(IntegrityError)
    def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # A uniqueness race that slipped past a service's own check: the loser gets a 409.
        log.warning("integrity error", extra={"error": str(exc.orig)[:200]})
        return problem(request, 409, "conflict", "the change clashes with stored data")

    app.add_exception_handler(StarletteHTTPException, from_http_exception)  # type: ignore[arg-type]
    return app


def _audit_rejection(request: Request, code: str, field: str | None) -> None:
    """A refused state-changing request by a known caller is itself an audit record."""
    principal = getattr(request.state, "principal", None)
    if request.method not in MUTATING or principal is None:
        return
    container: Container = request.app.state.container
    context = RequestContext(request_id=getattr(request.state, "request_id", None),
                             client_addr=request.client.host if request.client else None)
    with container.uow(context) as uow:
        audit_service.record(uow, principal, "request.rejected", entity_type="http",
                             entity_id=None, outcome=f"rejected:{code}",
                             changes={"method": request.method, "path": request.url.path,
                                      "field": field})
        uow.commit()
