"""Problem details: the status table, and pydantic errors turned into our codes and fields."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request

from fengkong.api.problems import (
    _field,
    _type_code,
    from_domain_error,
    from_validation_error,
    problem,
    status_for,
)
from fengkong.core.errors import (
    AccountLocked,
    AuthenticationError,
    Conflict,
    FengkongError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)


def request(path: str = "/api/v1/org/units") -> Request:
    return Request({"type": "http", "method": "POST", "path": path, "query_string": b"",
                    "headers": [], "scheme": "http", "server": ("testserver", 80)})


def body_of(response: Any) -> dict[str, Any]:
    return json.loads(response.body)


@pytest.mark.parametrize(("error", "status"), [
    (AccountLocked("locked"), 423),
    (AuthenticationError("who are you"), 401),
    (PermissionDenied("no"), 403),
    (NotFound("user"), 404),
    (Conflict("duplicate"), 409),
    (InvalidInput("bad"), 422),
    (FengkongError("unclassified"), 400),
])
def test_each_error_class_maps_to_its_status(error: FengkongError, status: int) -> None:
    assert status_for(error) == status


def test_a_locked_account_is_423_although_it_is_also_an_authentication_error() -> None:
    assert isinstance(AccountLocked("x"), AuthenticationError)
    assert status_for(AccountLocked("x")) == 423


def test_a_subclass_of_a_mapped_error_takes_its_parents_status() -> None:
    class DuplicateCode(Conflict):
        pass

    assert status_for(DuplicateCode("dup")) == 409


@pytest.mark.parametrize(("pydantic_type", "code"), [
    ("extra_forbidden", "unknown_field"),
    ("missing", "required"),
    ("string_too_long", "too_long"),
    ("string_too_short", "too_short"),
    ("string_pattern_mismatch", "bad_format"),
    ("json_invalid", "invalid_json"),
    ("literal_error", "invalid_choice"),
    ("greater_than_equal", "out_of_range"),
    ("int_parsing", "wrong_type"),
    ("string_type", "wrong_type"),
    ("bool_parsing", "wrong_type"),
    ("value_error", "invalid_input"),
])
def test_pydantic_error_types_map_to_our_codes(pydantic_type: str, code: str) -> None:
    assert _type_code(pydantic_type) == code


@pytest.mark.parametrize(("loc", "field"), [
    (("body", "parent_id"), "parent_id"),
    (("query", "limit"), "limit"),
    (("path", "unit_id"), "unit_id"),
    (("header", "x-request-id"), "x-request-id"),
    (("body", "items", 0, "amount"), "items.0.amount"),
    (("body",), None),
    ((), None),
    (("body", "path"), "path"),
    (("body", "filter", "query"), "filter.query"),
])
def test_error_locations_become_dotted_field_paths(loc: tuple[Any, ...], field: str) -> None:
    assert _field(loc) == field


class UnitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=5)
    depth: int


def validation_error(data: dict[str, Any]) -> RequestValidationError:
    with pytest.raises(ValidationError) as caught:
        UnitIn.model_validate(data)
    errors = [{**e, "loc": ("body", *e["loc"])} for e in caught.value.errors()]
    return RequestValidationError(errors)


def test_a_validation_error_lists_each_fault_with_our_code_and_field() -> None:
    response = from_validation_error(
        request(), validation_error({"name": "much too long", "depth": "x", "colour": "red"}))
    body = body_of(response)
    assert response.status_code == 422
    assert response.media_type == "application/problem+json"
    faults = {(e["code"], e["field"]) for e in body["errors"]}
    assert faults == {("too_long", "name"), ("wrong_type", "depth"), ("unknown_field", "colour")}
    assert (body["code"], body["field"]) == (body["errors"][0]["code"],
                                             body["errors"][0]["field"])


def test_missing_fields_are_reported_as_required() -> None:
    body = body_of(from_validation_error(request(), validation_error({})))
    assert {(e["code"], e["field"]) for e in body["errors"]} == {("required", "name"),
                                                                 ("required", "depth")}


def test_a_domain_error_becomes_a_problem_with_its_code_field_and_entity() -> None:
    error = Conflict("code EAST is taken", code="duplicate_code", field="code",
                     entity="org_unit")
    response = from_domain_error(request("/api/v1/org/units"), error)
    body = body_of(response)
    assert response.status_code == 409
    assert body["type"] == "urn:fengkong:problem:duplicate_code"
    assert body["title"] == "duplicate code"
    assert (body["code"], body["field"], body["entity"]) == ("duplicate_code", "code",
                                                             "org_unit")
    assert body["detail"] == "code EAST is taken"
    assert body["instance"] == "/api/v1/org/units"


def test_a_401_asks_for_a_bearer_token() -> None:
    response = problem(request(), 401, "not_authenticated", "log in first")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_locked_account_tells_the_client_when_to_retry() -> None:
    response = from_domain_error(request(), AccountLocked("locked", extra={"retry_after": 840}))
    assert response.status_code == 423
    assert response.headers["Retry-After"] == "840"
    assert body_of(response)["retry_after"] == 840
    assert "WWW-Authenticate" not in response.headers
