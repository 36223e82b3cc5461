"""The error tree: codes, fields and entities carried by each error."""

from __future__ import annotations

import pytest

from fengkong.core.errors import (
    AccountLocked,
    AuthenticationError,
    Conflict,
    FengkongError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)


@pytest.mark.parametrize(("cls", "code"), [
    (InvalidInput, "invalid_input"),
    (Conflict, "conflict"),
    (AuthenticationError, "not_authenticated"),
    (AccountLocked, "account_locked"),
    (PermissionDenied, "permission_denied"),
])
def test_each_error_class_has_its_own_default_code(cls: type[FengkongError], code: str) -> None:
    error = cls("something went wrong")
    assert error.code == code
    assert error.detail == "something went wrong"
    assert str(error) == "something went wrong"
    assert error.field is None
    assert error.extra == {}


def test_a_given_code_overrides_the_default_for_that_error_only() -> None:
    error = InvalidInput("too short", code="weak_password", field="password")
    assert error.code == "weak_password"
    assert error.field == "password"
    assert InvalidInput("other").code == "invalid_input"


def test_an_error_carries_its_entity_and_extra_context() -> None:
    error = Conflict("already exists", entity="org_unit", entity_id="u1",
                     extra={"code": "EAST"})
    assert (error.entity, error.entity_id, error.extra) == ("org_unit", "u1", {"code": "EAST"})


def test_not_found_names_the_entity_that_is_missing() -> None:
    error = NotFound("user", "01KE6A5Z000000000000000000", field="user_id")
    assert error.detail == "user not found"
    assert error.code == "not_found"
    assert error.entity == "user"
    assert error.entity_id == "01KE6A5Z000000000000000000"
    assert error.field == "user_id"


def test_a_locked_account_is_an_authentication_error() -> None:
    assert issubclass(AccountLocked, AuthenticationError)
    for cls in (InvalidInput, NotFound, Conflict, AuthenticationError, PermissionDenied):
        assert issubclass(cls, FengkongError)
