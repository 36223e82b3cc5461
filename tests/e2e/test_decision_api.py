"""The decision API over HTTP: the lifecycle of a strategy, the decision contract, the
explanation, and bad input answered with a code and the field at fault."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fengkong.demo import DemoWorld
from tests.conftest import login
from tests.unit.decision.samples import GOOD_APPLICANT, strategy


def _release(client: TestClient, document: dict[str, Any] | None = None) -> dict[str, Any]:
    admin, strategist = login(client, "demo.admin"), login(client, "demo.strategist")
    made = client.post("/api/v1/strategies/versions", headers=admin,
                       json={"document": document or strategy()})
    assert made.status_code == 201, made.text
    vid = made.json()["id"]
    assert client.post(f"/api/v1/strategy-versions/{vid}/submit", headers=admin).status_code \
        == 200
    for step in ("approve", "activate"):
        done = client.post(f"/api/v1/strategy-versions/{vid}/{step}", headers=strategist)
        assert done.status_code == 200, done.text
    return done.json()  # type: ignore[no-any-return]


def test_a_decision_answers_the_contract_and_explains_itself(client: TestClient,
                                                             world: DemoWorld) -> None:
    version = _release(client)
    officer = login(client, "demo.officer")
    answer = client.post("/api/v1/decisions/application", headers=officer,
                         json={"product": "CAR", "inputs": {**GOOD_APPLICANT,
                                                            "blacklisted": True}})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert {"id", "decision", "reason_codes", "score", "strategy_version", "arm",
            "outputs"} <= body.keys()
    assert body["decision"] == "decline"
    assert body["reason_codes"][0] == "BLACKLIST"
    assert body["score"] == 590.0 and body["strategy_version"] == version["version"] == 1
    assert body["outputs"]["price_tier"] == "A"
    explained = client.get(f"/api/v1/decisions/{body['id']}", headers=officer).json()
    assert explained["inputs"]["blacklisted"] is True
    assert explained["explanation"]["reasons"][0]["text"] == "Applicant is on a blacklist"
    assert explained["explanation"]["trace"]["rule_hits"][0]["id"] == "KO_BL"
    rerun = client.get(f"/api/v1/decisions/{body['id']}/rerun", headers=officer).json()
    assert rerun["same"] is True


def test_bad_decision_input_names_the_field(client: TestClient, world: DemoWorld) -> None:
    _release(client)
    officer = login(client, "demo.officer")
    wrong = client.post("/api/v1/decisions/application", headers=officer,
                        json={"product": "CAR", "inputs": {**GOOD_APPLICANT, "age": "x"}})
    assert wrong.status_code == 422
    assert (wrong.json()["code"], wrong.json()["field"]) == ("wrong_type", "inputs.age")
    missing = client.post("/api/v1/decisions/application", headers=officer,
                          json={"product": "CAR", "inputs": {"age": 30}})
    assert missing.json()["code"] == "required"
    nothing = client.post("/api/v1/decisions/application", headers=officer,
                          json={"product": "BOAT", "inputs": {}})
    assert (nothing.status_code, nothing.json()["code"]) == (422, "no_active_strategy")
    stage = client.post("/api/v1/decisions/origination", headers=officer,
                        json={"product": "CAR", "inputs": {}})
    assert stage.status_code == 404
    assert client.get("/api/v1/decisions", headers=officer).json()["items"] == []


def test_a_bad_document_is_refused_at_submission_with_paths(client: TestClient,
                                                            world: DemoWorld) -> None:
    admin = login(client, "demo.admin")
    doc = strategy()
    doc["derived"]["x"] = "y + 1"
    doc["derived"]["y"] = "x + 1"
    doc["inputs"]["age"] = {"type": "integer"}
    vid = client.post("/api/v1/strategies/versions", headers=admin,
                      json={"document": doc}).json()["id"]
    refused = client.post(f"/api/v1/strategy-versions/{vid}/submit", headers=admin)
    assert refused.status_code == 422
    problems = {(p["path"], p["code"]) for p in refused.json()["problems"]}
    assert ("$.inputs.age.type", "invalid_choice") in problems
    assert ("$.derived.x", "cycle") in problems
    checked = client.post("/api/v1/strategies/validate", headers=admin,
                          json={"document": doc}).json()
    assert checked["valid"] is False and len(checked["problems"]) == len(problems)


def test_four_eyes_and_immutability_over_http(client: TestClient, world: DemoWorld) -> None:
    strategist = login(client, "demo.strategist")
    vid = client.post("/api/v1/strategies/versions", headers=strategist,
                      json={"document": strategy()}).json()["id"]
    client.post(f"/api/v1/strategy-versions/{vid}/submit", headers=strategist)
    own = client.post(f"/api/v1/strategy-versions/{vid}/approve", headers=strategist)
    assert (own.status_code, own.json()["code"]) == (403, "four_eyes_required")
    edit = client.put(f"/api/v1/strategy-versions/{vid}", headers=strategist,
                      json={"document": strategy()})
    assert (edit.status_code, edit.json()["code"]) == (409, "version_immutable")


def test_the_schema_is_published(client: TestClient, world: DemoWorld) -> None:
    schema = client.get("/api/v1/strategies/schema", headers=login(client, "demo.strategist"))
    assert schema.status_code == 200
    body = schema.json()
    assert body["properties"]["stage"]["enum"] == ["application", "account_management",
                                                   "collections"]
    assert "characteristics" in body["properties"]["scorecards"]["items"]["properties"][
        "scorecard"]["properties"]
