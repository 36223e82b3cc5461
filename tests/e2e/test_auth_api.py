"""Authentication over HTTP: the OAuth2 token endpoint, refresh, logout, lockout, API keys."""

from __future__ import annotations

from fastapi.testclient import TestClient

from fengkong.bootstrap import Container
from fengkong.core.clock import FixedClock
from fengkong.demo import DemoWorld
from tests.conftest import DEMO_PASSWORD, login

TOKEN = "/api/v1/auth/token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_password_grant_returns_short_lived_access_and_refresh_tokens(
    client: TestClient, world: DemoWorld, container: Container
) -> None:
    response = client.post(TOKEN, data={"username": "demo.hq", "password": DEMO_PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == container.settings.access_token_ttl_s
    me = client.get("/api/v1/auth/me", headers=bearer(body["access_token"])).json()
    assert me["name"] == "demo.hq" and me["permissions"]["org.units.read"] == "subtree"


def test_refresh_grant_rotates_and_the_spent_refresh_token_dies(
    client: TestClient, world: DemoWorld
) -> None:
    first = client.post(TOKEN, data={"username": "demo.sh", "password": DEMO_PASSWORD}).json()
    second = client.post(TOKEN, data={"grant_type": "refresh_token",
                                      "refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["access_token"] != first["access_token"]
    replay = client.post(TOKEN, data={"grant_type": "refresh_token",
                                      "refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_token"
    old_access = client.get("/api/v1/auth/me", headers=bearer(first["access_token"]))
    assert old_access.status_code == 401


def test_logout_revokes_the_session(client: TestClient, world: DemoWorld) -> None:
    pair = client.post(TOKEN, data={"username": "demo.sh", "password": DEMO_PASSWORD}).json()
    assert client.post("/api/v1/auth/logout", headers=bearer(pair["access_token"])
                       ).status_code == 204
    after = client.get("/api/v1/auth/me", headers=bearer(pair["access_token"]))
    assert after.status_code == 401 and after.json()["code"] == "token_revoked"
    refresh = client.post(TOKEN, data={"grant_type": "refresh_token",
                                       "refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401 and refresh.json()["code"] == "token_revoked"


def test_wrong_password_is_a_401_that_names_no_user(client: TestClient, world: DemoWorld
                                                    ) -> None:
    wrong = client.post(TOKEN, data={"username": "demo.sh", "password": "nope-nope-1"})
    unknown = client.post(TOKEN, data={"username": "nobody.here", "password": "nope-nope-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"


def test_five_failures_lock_the_account_until_an_admin_unlocks_it(
    client: TestClient, world: DemoWorld, clock: FixedClock
) -> None:
    for _ in range(4):
        r = client.post(TOKEN, data={"username": "demo.sh", "password": "wrong-pass-1"})
        assert r.status_code == 401
        clock.advance(seconds=60)
    fifth = client.post(TOKEN, data={"username": "demo.sh", "password": "wrong-pass-1"})
    assert fifth.status_code == 423
    assert fifth.json()["code"] == "account_locked"
    assert int(fifth.headers["retry-after"]) == 15 * 60
    right = client.post(TOKEN, data={"username": "demo.sh", "password": DEMO_PASSWORD})
    assert right.status_code == 423

    admin = login(client, "demo.admin")
    users = client.get("/api/v1/users", headers=admin).json()["items"]
    (sh,) = [u for u in users if u["username"] == "demo.sh"]
    assert sh["locked"] is True
    unlocked = client.post(f"/api/v1/users/{sh['id']}/unlock", headers=admin)
    assert unlocked.status_code == 200 and unlocked.json()["locked"] is False
    assert client.post(TOKEN, data={"username": "demo.sh", "password": DEMO_PASSWORD}
                       ).status_code == 200


def test_the_lock_lifts_by_itself_after_the_cool_down(
    client: TestClient, world: DemoWorld, clock: FixedClock
) -> None:
    for _ in range(5):
        client.post(TOKEN, data={"username": "demo.hz", "password": "wrong-pass-1"})
    assert client.post(TOKEN, data={"username": "demo.hz", "password": DEMO_PASSWORD}
                       ).status_code == 423
    clock.advance(minutes=15, seconds=1)
    assert client.post(TOKEN, data={"username": "demo.hz", "password": DEMO_PASSWORD}
                       ).status_code == 200


def test_an_api_key_acts_within_its_permissions_and_unit(client: TestClient, world: DemoWorld
                                                         ) -> None:
    admin = login(client, "demo.admin")
    issued = client.post("/api/v1/api-keys", headers=admin, json={
        "name": "east reporting", "permissions": ["org.units.read"],
        "org_unit_id": world.units["EAST"]})
    assert issued.status_code == 201
    secret = issued.json()["key"]
    listed = client.get("/api/v1/api-keys", headers=admin).json()["items"]
    assert all("key" not in k for k in listed)
    for headers in ({"X-API-Key": secret}, bearer(secret)):
        units = client.get("/api/v1/org/units", headers=headers)
        assert units.status_code == 200
        assert {u["code"] for u in units.json()["items"]} == {"EAST", "EAST-SH", "EAST-HZ"}
        assert client.get("/api/v1/users", headers=headers).status_code == 403
    client.delete(f"/api/v1/api-keys/{issued.json()['id']}", headers=admin)
    revoked = client.get("/api/v1/org/units", headers={"X-API-Key": secret})
    assert revoked.status_code == 401 and revoked.json()["code"] == "token_revoked"


def test_a_user_changes_their_password_and_old_sessions_end(
    client: TestClient, world: DemoWorld
) -> None:
    headers = login(client, "demo.finance")
    weak = client.post("/api/v1/auth/password", headers=headers,
                       json={"current_password": DEMO_PASSWORD, "new_password": "aaaa"})
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
    ok = client.post("/api/v1/auth/password", headers=headers,
                     json={"current_password": DEMO_PASSWORD, "new_password": "Finance-2026!"})
    assert ok.status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    login(client, "demo.finance", "Finance-2026!")


def test_audit_search_pages_newest_first_within_the_callers_subtree(
    client: TestClient, world: DemoWorld
) -> None:
    admin = login(client, "demo.admin")
    for i in range(3):
        client.patch(f"/api/v1/org/units/{world.units['WEST-CD']}", headers=admin,
                     json={"name": f"Chengdu {i}"})
    page = client.get("/api/v1/audit", headers=admin,
                      params={"action": "org_unit.updated", "limit": 2}).json()
    assert [r["changes"]["name"][1] for r in page["items"]] == ["Chengdu 2", "Chengdu 1"]
    rest = client.get("/api/v1/audit", headers=admin, params={
        "action": "org_unit.updated", "limit": 2, "after": page["next"]}).json()
    assert [r["changes"]["name"][1] for r in rest["items"]] == ["Chengdu 0"]
    assert rest["next"] is None
    first = page["items"][0]
    assert first["actor_name"] == "demo.admin" and first["request_id"]
    assert first["entity_id"] == world.units["WEST-CD"]
