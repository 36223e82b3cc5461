"""Request-scoped dependencies: the unit of work, the caller, and permission requirements.

Every route declares either `require("<permission>")`, `authenticated()` or `public()`; the
authorization matrix test reads these declarations off the routes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request

from fengkong.bootstrap import Container
from fengkong.core.errors import AuthenticationError
from fengkong.core.uow import RequestContext, UnitOfWork
from fengkong.org import auth_service
from fengkong.org.scoping import Principal


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    container = get_container(request)
    context = RequestContext(
        request_id=getattr(request.state, "request_id", None),
        client_addr=request.client.host if request.client else None,
        purpose=(request.headers.get("x-purpose") or None),
    )
    with container.uow(context) as uow:
        yield uow


UoW = Annotated[UnitOfWork, Depends(get_uow)]
AppContainer = Annotated[Container, Depends(get_container)]


def bearer_credential(request: Request) -> str:
    header = request.headers.get("authorization")
    if header:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise AuthenticationError("use 'Authorization: Bearer <token>'",
                                      code="invalid_token")
        return credential.strip()
    api_key = request.headers.get("x-api-key")
    if api_key:
        return api_key.strip()
    raise AuthenticationError("this endpoint needs a bearer token or an API key")


def current_principal(request: Request, uow: UoW) -> Principal:
    principal = auth_service.authenticate(uow, get_container(request).settings,
                                          bearer_credential(request))
    request.state.principal = principal
    return principal


class Require:
    """Dependency: an authenticated caller holding `permission` (any caller when None)."""

    def __init__(self, permission: str | None) -> None:
        self.permission = permission

    def __call__(self, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if self.permission is not None:
            principal.scope_for(self.permission)
        return principal

    def __repr__(self) -> str:
        return f"Require({self.permission!r})"


def require(permission: str) -> Any:
    return Depends(Require(permission))


def authenticated() -> Any:
    return Depends(Require(None))


def _public() -> None:
    """Marks a route that answers without credentials."""


def public() -> Any:
    return Depends(_public)


def is_public_marker(call: Any) -> bool:
    return call is _public
