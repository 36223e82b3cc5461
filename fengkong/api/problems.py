"""Errors as RFC 9457 problem details, with a machine-readable `code` and the `field` at fault.

The one table that maps error classes to HTTP status codes lives here.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fengkong.core.errors import (
    AccountLocked,
    AuthenticationError,
    Conflict,
    FengkongError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)

STATUS: list[tuple[type[FengkongError], int]] = [
    (AccountLocked, 423),
    (AuthenticationError, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (InvalidInput, 422),
]

MEDIA_TYPE = "application/problem+json"

# Pydantic error types → our codes, so clients see one vocabulary.
_PYDANTIC_CODES = {
    "extra_forbidden": "unknown_field",
    "missing": "required",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "too_short": "too_short",
    "too_long": "too_long",
    "string_pattern_mismatch": "bad_format",
    "json_invalid": "invalid_json",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
}


def status_for(exc: FengkongError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def problem(request: Request, status: int, code: str, detail: str, *,
            field: str | None = None, title: str | None = None,
            **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:fengkong:problem:{code}",
        "title": title or code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        "field": field,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    body.update(extra)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_domain_error(request: Request, exc: FengkongError) -> JSONResponse:
    extra = dict(exc.extra)
    if exc.entity:
        extra["entity"] = exc.entity
    return problem(request, status_for(exc), exc.code, exc.detail, field=exc.field, **extra)


def _field(loc: tuple[Any, ...]) -> str | None:
    if loc and loc[0] in ("body", "query", "path", "header"):
        loc = loc[1:]  # only the first element names where the input came from
    parts = [str(p) for p in loc]
    return ".".join(parts) or None


def _type_code(error_type: str) -> str:
    if error_type in _PYDANTIC_CODES:
        return _PYDANTIC_CODES[error_type]
    if error_type.endswith("_type") or error_type.endswith("_parsing"):
        return "wrong_type"
    return "invalid_input"


def from_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"code": _type_code(e["type"]),
         "field": None if e["type"] == "json_invalid" else _field(tuple(e["loc"])),
         "detail": e["msg"]}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"code": "invalid_input", "field": None, "detail": ""}
    return problem(request, 422, str(first["code"]), str(first["detail"]),
                   field=first["field"], errors=errors)


def from_http_exception(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    codes = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated",
             403: "permission_denied", 413: "payload_too_large", 415: "unsupported_media_type"}
    code = codes.get(exc.status_code, "http_error")
    return problem(request, exc.status_code, code, str(exc.detail))
