"""Bad input gets a 4xx problem with a machine-readable code and the field, and changes
nothing that is stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fengkong.bootstrap import Container
from fengkong.core.audit_service import SystemActor
from fengkong.demo import DemoWorld
from fengkong.org import service
from fengkong.org.models import ApiKey, OrgUnit, Role, Tenant, User, UserRole
from tests.conftest import login


def snapshot(container: Container) -> dict[str, list[tuple[Any, ...]]]:
    """Every business row, as plain tuples, to compare before and after."""
    out = {}
    with container.uow() as uow:
        for model in (Tenant, OrgUnit, Role, User, UserRole, ApiKey):
            columns = list(model.__table__.columns)
            rows = uow.session.execute(select(*columns)).all()
            out[model.__tablename__] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def other_tenant_unit(container: Container) -> str:
    with container.uow() as uow:
        tenant = service.create_tenant(uow, SystemActor(), code="rival", name="Rival")
        unit_id = service.root_unit(uow, tenant.id).id
        uow.commit()
        return unit_id


CASES = [
    # (name, method, path template, body, status, code, field)
    ("unknown field", "POST", "/api/v1/org/units",
     {"parent_id": "{EAST}", "code": "X1", "name": "x", "colour": "red"}, 422,
     "unknown_field", "colour"),
    ("wrong type", "POST", "/api/v1/org/units",
     {"parent_id": "{EAST}", "code": "X1", "name": 42}, 422, "wrong_type", "name"),
    ("over-long name", "POST", "/api/v1/org/units",
     {"parent_id": "{EAST}", "code": "X1", "name": "n" * 121}, 422, "too_long", "name"),
    ("bad code format", "POST", "/api/v1/org/units",
     {"parent_id": "{EAST}", "code": "has space", "name": "x"}, 422, "bad_format", "code"),
    ("missing field", "POST", "/api/v1/org/units", {"parent_id": "{EAST}", "name": "x"}, 422,
     "required", "code"),
    ("parent unit of another tenant", "POST", "/api/v1/org/units",
     {"parent_id": "{RIVAL}", "code": "X1", "name": "x"}, 422, "unknown_reference",
     "parent_id"),
    ("parent unit that does not exist", "POST", "/api/v1/org/units",
     {"parent_id": "01M80H3WC1V0ZJN5BZ1EVZ9HPZ", "code": "X1", "name": "x"}, 422,
     "unknown_reference", "parent_id"),
    ("duplicate unit code", "POST", "/api/v1/org/units",
     {"parent_id": "{EAST}", "code": "WEST-CD", "name": "x"}, 409, "duplicate_code", "code"),
    ("cycle in the tree", "PATCH", "/api/v1/org/units/{EAST}", {"parent_id": "{EAST-SH}"},
     422, "tree_cycle", "parent_id"),
    ("move under itself", "PATCH", "/api/v1/org/units/{EAST}", {"parent_id": "{EAST}"},
     422, "tree_cycle", "parent_id"),
    ("move to another tenant", "PATCH", "/api/v1/org/units/{EAST}", {"parent_id": "{RIVAL}"},
     422, "unknown_reference", "parent_id"),
    ("moving the root", "PATCH", "/api/v1/org/units/{HQ}", {"parent_id": "{EAST}"},
     422, "root_immovable", "parent_id"),
    ("weak password", "POST", "/api/v1/users",
     {"username": "new.user", "display_name": "N", "password": "short",
      "org_unit_id": "{EAST}", "roles": ["collector"]}, 422, "weak_password", "password"),
    ("unknown role", "POST", "/api/v1/users",
     {"username": "new.user", "display_name": "N", "password": "Good-pass-1234",
      "org_unit_id": "{EAST}", "roles": ["collector", "wizard"]}, 422, "unknown_role",
     "roles.1"),
    ("duplicate username", "POST", "/api/v1/users",
     {"username": "demo.sh", "display_name": "N", "password": "Good-pass-1234",
      "org_unit_id": "{EAST}", "roles": ["collector"]}, 409, "duplicate_username", "username"),
    ("bad email", "POST", "/api/v1/users",
     {"username": "new.user", "display_name": "N", "password": "Good-pass-1234",
      "email": "not-an-address", "org_unit_id": "{EAST}", "roles": ["collector"]}, 422,
     "invalid_input", "email"),
    ("user in another tenant's unit", "POST", "/api/v1/users",
     {"username": "new.user", "display_name": "N", "password": "Good-pass-1234",
      "org_unit_id": "{RIVAL}", "roles": ["collector"]}, 422, "unknown_reference",
     "org_unit_id"),
    ("unknown permission in a role", "POST", "/api/v1/roles",
     {"code": "r1", "name": "R", "permissions": ["org.units.read", "launch.rockets"],
      "data_scope": "unit"}, 422, "unknown_permission", "permissions.1"),
    ("unknown data scope", "POST", "/api/v1/roles",
     {"code": "r1", "name": "R", "permissions": [], "data_scope": "galaxy"}, 422,
     "invalid_choice", "data_scope"),
    ("api key with a naive expiry", "POST", "/api/v1/api-keys",
     {"name": "k", "permissions": ["org.units.read"], "org_unit_id": "{EAST}",
      "expires_at": "2030-01-01T00:00:00"}, 422, "invalid_input", "expires_at"),
    ("malformed JSON", "POST", "/api/v1/org/units", "{not json", 422, "invalid_json", None),
]


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, id_ in ids.items():
            value = value.replace("{" + name + "}", id_)
        return value
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    return value


@pytest.mark.parametrize(("name", "method", "path", "body", "status", "code", "field"), CASES,
                         ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_code_and_field_and_changes_nothing(
    client: TestClient, container: Container, world: DemoWorld, name: str, method: str,
    path: str, body: Any, status: int, code: str, field: str | None,
) -> None:
    ids = {**world.units, "RIVAL": other_tenant_unit(container)}
    headers = login(client, "demo.admin")
    before = snapshot(container)
    if isinstance(body, str) and not body.startswith("{EAST"):
        response = client.request(method, _resolve(path, ids), content=body,
                                  headers={**headers, "content-type": "application/json"})
    else:
        response = client.request(method, _resolve(path, ids), json=_resolve(body, ids),
                                  headers=headers)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["code"] == code
    assert problem["field"] == field
    assert problem["status"] == status and problem["detail"]
    assert snapshot(container) == before


def test_a_refused_change_is_itself_audited(client: TestClient, world: DemoWorld) -> None:
    headers = login(client, "demo.admin")
    client.patch(f"/api/v1/org/units/{world.units['EAST']}",
                 json={"parent_id": world.units["EAST-SH"]}, headers=headers)
    records = client.get("/api/v1/audit", params={"action": "request.rejected"},
                         headers=headers).json()["items"]
    assert records and records[0]["outcome"] == "rejected:tree_cycle"
    assert records[0]["changes"]["field"] == "parent_id"
