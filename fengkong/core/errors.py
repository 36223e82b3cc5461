"""The one error tree of fengkong.

Every error a use case raises on purpose is a `FengkongError`. It carries a machine-readable
`code`, an optional `field` (dotted path of the input at fault) and the entity it concerns.
The HTTP layer maps each class to a status code in one table (`fengkong.api.problems`).

    FengkongError
     ├── InvalidInput            422  the input is malformed or breaks a rule about itself
     ├── NotFound                404  no such object, or the caller may not know it exists
     ├── Conflict                409  the input clashes with stored state (duplicate, wrong state)
     ├── AuthenticationError     401  no credentials, bad credentials, expired or revoked token
     │    └── AccountLocked      423  too many failed logins; retry after the cool-down
     └── PermissionDenied        403  authenticated, but the role lacks the permission
"""

from __future__ import annotations

from typing import Any


class FengkongError(Exception):
    code = "error"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        field: str | None = None,
        entity: str | None = None,
        entity_id: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.field = field
        self.entity = entity
        self.entity_id = entity_id
        self.extra = extra or {}


class InvalidInput(FengkongError):
    code = "invalid_input"


class NotFound(FengkongError):
    code = "not_found"

    def __init__(self, entity: str, entity_id: str | None = None, *, field: str | None = None):
        super().__init__(
            f"{entity} not found", entity=entity, entity_id=entity_id, field=field
        )


class Conflict(FengkongError):
    code = "conflict"


class AuthenticationError(FengkongError):
    code = "not_authenticated"


class AccountLocked(AuthenticationError):
    code = "account_locked"


class PermissionDenied(FengkongError):
    code = "permission_denied"
