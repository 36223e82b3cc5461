"""Every registered route, walked: who may call it and what they may reach through it.

For each route: no credentials → 401; a bad or expired token → 401; an authenticated caller
without the route's permission → 403; another tenant's object → 404; a sibling branch's object
→ 404; the caller's own subtree → success, written to the audit trail when state changes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from fengkong.api.app import api_routes
from fengkong.api.deps import Require, is_public_marker
from fengkong.bootstrap import Container
from fengkong.core import audit_service
from fengkong.core.clock import FixedClock
from fengkong.demo import DemoWorld
from tests.conftest import login
from tests.e2e import authz_registry as reg

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def _requirements(dependant: Any) -> list[Any]:
    found = []
    for dep in dependant.dependencies:
        if isinstance(dep.call, Require) or is_public_marker(dep.call):
            found.append(dep.call)
        found.extend(_requirements(dep))
    return found


def _routes() -> list[tuple[str, str, APIRoute]]:
    return [
        (method, path, route) for path, route in api_routes() for method in sorted(route.methods)
    ]


ROUTES = _routes()
PARAM = re.compile(r"{(\w+)}")


def test_every_route_declares_who_may_call_it() -> None:
    assert len(ROUTES) > 20
    undeclared = [f"{m} {p}" for m, p, r in ROUTES if not _requirements(r.dependant)]
    assert not undeclared, f"routes without require()/authenticated()/public(): {undeclared}"


def _call(
    client: TestClient, method: str, path: str, headers: dict[str, str] | None, body: Any,
    query: dict[str, str] | None = None,
) -> Any:
    kwargs: dict[str, Any] = {"headers": headers or {}, "params": query}
    if body is not None:
        kwargs["json"] = body
    return client.request(method, path, **kwargs)


def _fill(path: str, ids: dict[str, str]) -> str:
    return PARAM.sub(lambda m: ids[m.group(1)], path)


@pytest.mark.parametrize(
    ("method", "path", "route"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_route_answers_each_caller_as_their_rights_say(
    method: str,
    path: str,
    route: APIRoute,
    client: TestClient,
    container: Container,
    world: DemoWorld,
    clock: FixedClock,
) -> None:
    requirements = _requirements(route.dependant)
    if any(is_public_marker(r) for r in requirements):
        response = client.request(method, path)
        assert response.status_code != 401, f"public route asked for credentials: {path}"
        assert response.status_code < 500
        return
    (requirement,) = [r for r in requirements if isinstance(r, Require)]
    params = PARAM.findall(path)
    key = (method, path)
    missing = [p for p in params if p not in reg.OBJECT_KINDS]
    assert not missing, f"register a factory for path parameters {missing} in authz_registry"
    if method in MUTATING:
        assert key in reg.SAMPLE_BODIES, f"register a sample body for {key} in authz_registry"
    matrix = reg.build(container, world)
    body = reg.SAMPLE_BODIES[key](matrix) if method in MUTATING else None
    own = {p: matrix.objects[p].own for p in params}
    own.update(reg.OWN_OBJECTS.get(key, lambda m: {})(matrix))
    query = reg.QUERIES.get(key)

    # No credentials, a malformed one, an unknown one.
    anonymous = _call(client, method, _fill(path, own), None, body, query)
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["code"] == "not_authenticated"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    forged = _call(client, method, _fill(path, own), {"Authorization": "Bearer fka_forged"},
                   body, query)
    assert forged.status_code == 401 and forged.json()["code"] == "invalid_token"

    caller = reg.PLATFORM_CALLER if key in reg.PLATFORM_ROUTES else reg.CALLER
    headers = login(client, caller)

    # An expired access token.
    clock.advance(seconds=container.settings.access_token_ttl_s + 1)
    expired = _call(client, method, _fill(path, own), headers, body, query)
    assert expired.status_code == 401 and expired.json()["code"] == "token_expired"
    clock.advance(-timedelta(seconds=container.settings.access_token_ttl_s + 1))

    # Authenticated, but without the permission.
    if requirement.permission is not None:
        denied = _call(client, method, _fill(path, own), login(client, reg.NOBODY), body, query)
        assert denied.status_code == 403, denied.text
        assert denied.json()["code"] == "permission_denied"

    # Objects outside the caller's reach do not exist for them.
    for where in ("other_tenant", "sibling"):
        ids = {p: getattr(matrix.objects[p], where) for p in params}
        if not params or any(v is None for v in ids.values()):
            continue
        hidden = _call(client, method, _fill(path, ids), headers, body, query)
        assert hidden.status_code == 404, f"{where}: {hidden.status_code} {hidden.text}"
        assert hidden.json()["code"] == "not_found"

    # The caller's own subtree works, and a change leaves an audit record.
    with container.uow() as uow:
        before = audit_service.count(uow.session)
    ok = _call(client, method, _fill(path, own), headers, body, query)
    assert 200 <= ok.status_code < 300, ok.text
    if method in MUTATING and key not in reg.COMPUTATIONS:
        with container.uow() as uow:
            assert audit_service.count(uow.session) > before
    elif ok.headers.get("content-type", "").startswith("application/json"):
        text = ok.text
        for kind in matrix.objects.values():
            assert kind.other_tenant not in text
            if kind.sibling is not None and caller == reg.CALLER:
                assert kind.sibling not in text
        assert matrix.rival_root not in text or caller == reg.PLATFORM_CALLER
