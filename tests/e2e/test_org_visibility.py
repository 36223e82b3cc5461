"""Branch users see their own subtree and nothing of sibling branches."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from fengkong.demo import DemoWorld
from tests.conftest import login


def unit_codes(client: TestClient, username: str) -> set[str]:
    response = client.get("/api/v1/org/units", headers=login(client, username))
    assert response.status_code == 200, response.text
    return {u["code"] for u in response.json()["items"]}


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("demo.sh", {"EAST-SH"}),
        ("demo.east", {"EAST", "EAST-SH", "EAST-HZ"}),
        ("demo.hq", {"HQ", "EAST", "EAST-SH", "EAST-HZ", "WEST", "WEST-CD", "WEST-CQ"}),
        ("demo.admin", {"HQ", "EAST", "EAST-SH", "EAST-HZ", "WEST", "WEST-CD", "WEST-CQ"}),
        ("demo.officer", {"EAST-SH"}),
    ],
)
def test_each_user_sees_exactly_their_subtree_of_units(
    client: TestClient, world: DemoWorld, username: str, expected: set[str]
) -> None:
    assert unit_codes(client, username) == expected


def test_a_branch_manager_lists_only_the_users_of_their_subtree(
    client: TestClient, world: DemoWorld
) -> None:
    response = client.get("/api/v1/users", headers=login(client, "demo.east"))
    assert response.status_code == 200
    names = {u["username"] for u in response.json()["items"]}
    assert names == {"demo.east", "demo.sh", "demo.hz", "demo.officer", "demo.approver",
                     "demo.collector", "demo.field"}


def test_a_sibling_branch_unit_answers_404_not_403(client: TestClient, world: DemoWorld) -> None:
    headers = login(client, "demo.sh")
    response = client.get(f"/api/v1/org/units/{world.units['EAST-HZ']}", headers=headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    own = client.get(f"/api/v1/org/units/{world.units['EAST-SH']}", headers=headers)
    assert own.status_code == 200 and own.json()["code"] == "EAST-SH"
