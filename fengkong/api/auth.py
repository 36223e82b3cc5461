"""Routes of authentication: tokens, logout, own password and profile, API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, status
from pydantic import AwareDatetime, Field

from fengkong.api.deps import AppContainer, UoW, authenticated, public, require
from fengkong.api.schemas import Id, Input, Name, Output, Password
from fengkong.core.errors import InvalidInput
from fengkong.org import auth_service
from fengkong.org.scoping import Principal

router = APIRouter(tags=["auth"])


class TokenOut(Output):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


def _token_out(pair: auth_service.TokenPair) -> TokenOut:
    return TokenOut(access_token=pair.access_token, expires_in=pair.expires_in,
                    refresh_token=pair.refresh_token,
                    refresh_expires_in=pair.refresh_expires_in)


@router.post("/auth/token", response_model=TokenOut, dependencies=[public()])
def issue_token(
    uow: UoW,
    container: AppContainer,
    grant_type: Annotated[Literal["password", "refresh_token"], Form()] = "password",
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=128)] = None,
    refresh_token: Annotated[str | None, Form(max_length=200)] = None,
) -> TokenOut:
    """OAuth2 password and refresh-token grants."""
    if grant_type == "refresh_token":
        if not refresh_token:
            raise InvalidInput("refresh_token is required", code="required",
                               field="refresh_token")
        pair = auth_service.refresh(uow, container.settings, refresh_token)
    else:
        if not username:
            raise InvalidInput("username is required", code="required", field="username")
        if not password:
            raise InvalidInput("password is required", code="required", field="password")
        pair = auth_service.login(uow, container.settings, container.hasher, username, password)
    uow.commit()
    return _token_out(pair)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(uow: UoW, principal: Principal = authenticated()) -> None:
    auth_service.logout(uow, principal)
    uow.commit()


class PasswordChange(Input):
    current_password: Password
    new_password: Password


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, uow: UoW, container: AppContainer,
                    principal: Principal = authenticated()) -> None:
    auth_service.change_password(uow, container.settings, container.hasher, principal,
                                 body.current_password, body.new_password)
    uow.commit()


class MeOut(Output):
    id: str
    kind: str
    name: str
    tenant_id: str
    org_unit_id: str
    permissions: dict[str, str]


@router.get("/auth/me", response_model=MeOut)
def me(principal: Principal = authenticated()) -> MeOut:
    return MeOut(id=principal.actor_id, kind=principal.kind, name=principal.name,
                 tenant_id=principal.tenant_id, org_unit_id=principal.org_unit_id,
                 permissions={p: s.value for p, s in sorted(principal.grants.items())})


class ApiKeyIn(Input):
    name: Name
    permissions: list[Annotated[str, Field(max_length=80)]] = Field(min_length=1, max_length=100)
    org_unit_id: Id
    expires_at: AwareDatetime | None = None


class ApiKeyOut(Output):
    id: str
    name: str
    prefix: str
    permissions: list[str]
    org_unit_id: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyIssued(ApiKeyOut):
    key: str = Field(description="the secret; shown only this once")


class ApiKeyList(Output):
    items: list[ApiKeyOut]


@router.post("/api-keys", response_model=ApiKeyIssued, status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyIn, uow: UoW, container: AppContainer,
                   principal: Principal = require("auth.api_keys.manage")) -> ApiKeyIssued:
    issued = auth_service.create_api_key(
        uow, container.settings, principal, name=body.name, permissions=body.permissions,
        org_unit_id=body.org_unit_id, expires_at=body.expires_at)
    uow.commit()
    out = ApiKeyOut.model_validate(issued.key)
    return ApiKeyIssued(**out.model_dump(), key=issued.secret)


@router.get("/api-keys", response_model=ApiKeyList)
def list_api_keys(uow: UoW, principal: Principal = require("auth.api_keys.manage")
                  ) -> ApiKeyList:
    keys = auth_service.list_api_keys(uow, principal)
    return ApiKeyList(items=[ApiKeyOut.model_validate(k) for k in keys])


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut)
def revoke_api_key(key_id: str, uow: UoW,
                   principal: Principal = require("auth.api_keys.manage")) -> ApiKeyOut:
    key = auth_service.revoke_api_key(uow, principal, key_id)
    uow.commit()
    return ApiKeyOut.model_validate(key)
