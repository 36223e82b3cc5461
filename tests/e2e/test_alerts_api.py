"""The alarm API over HTTP: the contract's list, handling, rules, channels, the live stream
and refusals of bad input."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from fengkong.alerts.stream import broker_for
from fengkong.bootstrap import Container
from fengkong.demo import DemoWorld
from tests.conftest import login
from tests.integration.alerts_world import publish, wire


def test_the_contract_list_filters_and_pages(client: TestClient, container: Container,
                                             world: DemoWorld) -> None:
    wire(container)
    publish(container, world, vehicle_id="V-1", key="powerCut:V-1")
    publish(container, world, type_="offline", severity="warning", vehicle_id="V-2",
            key="offline:V-2")
    publish(container, world, type_="removal", vehicle_id="V-1", key="removal:V-1")
    headers = login(client, "demo.monitor")
    body = client.get("/api/v1/alarms", params={"vehicle_id": "V-1"}, headers=headers).json()
    assert [a["type"] for a in body["items"]] == ["removal", "powerCut"]
    first = body["items"][0]
    assert {"id", "type", "severity", "state", "vehicle_id", "created_at", "evidence"} <= set(
        first)
    assert first["evidence"]["text"] == "external power lost"
    assert body["next"] is None
    typed = client.get("/api/v1/alarms", params={"type": "offline", "state": "new"},
                       headers=headers).json()
    assert [a["vehicle_id"] for a in typed["items"]] == ["V-2"]
    page = client.get("/api/v1/alarms", params={"limit": 2}, headers=headers).json()
    assert len(page["items"]) == 2 and page["next"]
    rest = client.get("/api/v1/alarms", params={"limit": 2, "after": page["next"]},
                      headers=headers).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    inbox = client.get("/api/v1/alarms", params={"inbox": True}, headers=headers).json()
    assert len(inbox["items"]) == 3  # the HQ monitor is the nearest monitor of EAST-SH


def test_handling_an_alarm_over_http(client: TestClient, container: Container,
                                     world: DemoWorld) -> None:
    wire(container)
    publish(container, world)
    headers = login(client, "demo.monitor")
    (alarm,) = client.get("/api/v1/alarms", headers=headers).json()["items"]
    url = f"/api/v1/alarms/{alarm['id']}"
    assert client.post(url + "/acknowledge", json={}, headers=headers).json()["state"] == (
        "acknowledged")
    bad = client.post(url + "/assign", json={"user_id": "0" * 26}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "user_id"
    assigned = client.post(url + "/assign", json={"user_id": world.users["demo.field"]},
                           headers=headers).json()
    assert assigned["assigned_to"] == world.users["demo.field"]
    noted = client.post(url + "/notes", json={"text": "called"}, headers=headers)
    assert noted.status_code == 201
    no_reason = client.post(url + "/false-alarm", json={}, headers=headers)
    assert no_reason.status_code == 422
    done = client.post(url + "/false-alarm", json={"note": "workshop"}, headers=headers).json()
    assert done["state"] == "false_alarm"
    assert [h["action"] for h in done["history"]] == [
        "raised", "acknowledged", "assigned", "note", "false_alarm"]
    again = client.post(url + "/resolve", json={}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    hidden = client.get(url, headers=login(client, "demo.hz"))
    assert hidden.status_code == 404


def test_rules_read_and_change(client: TestClient, world: DemoWorld) -> None:
    headers = login(client, "demo.strategist")
    rules = {r["type"]: r for r in client.get("/api/v1/alarm-rules",
                                              headers=headers).json()["items"]}
    assert rules["powerCut"]["severity"] == "critical"
    assert rules["powerCut"]["escalate_after_s"] == 900
    changed = client.patch("/api/v1/alarm-rules", headers=headers, json={"rules": [
        {"type": "offline", "cooldown_s": 0, "auto_resolve": False}]})
    assert changed.status_code == 200
    offline = {r["type"]: r for r in changed.json()["items"]}["offline"]
    assert (offline["cooldown_s"], offline["auto_resolve"]) == (0, False)
    unknown = client.patch("/api/v1/alarm-rules", headers=headers,
                           json={"rules": [{"type": "loud"}]})
    assert unknown.status_code == 422
    denied = client.patch("/api/v1/alarm-rules", headers=login(client, "demo.monitor"),
                          json={"rules": [{"type": "offline", "cooldown_s": 5}]})
    assert denied.status_code == 403


def test_channels_keep_their_secrets(client: TestClient, world: DemoWorld) -> None:
    headers = login(client, "demo.admin")
    made = client.post("/api/v1/notification-channels", headers=headers, json={
        "org_unit_id": world.units["EAST"], "kind": "webhook", "name": "risk desk",
        "config": {"url": "https://risk.example/hook", "secret": "top-secret"},
        "quiet_start": "22:00", "quiet_end": "07:00"})
    assert made.status_code == 201, made.text
    assert made.json()["config"] == {"url": "https://risk.example/hook", "secret": "***"}
    assert "top-secret" not in client.get("/api/v1/notification-channels",
                                          headers=headers).text
    missing = client.post("/api/v1/notification-channels", headers=headers, json={
        "org_unit_id": world.units["EAST"], "kind": "webhook", "name": "x",
        "config": {"url": "https://risk.example/hook"}})
    assert missing.status_code == 422 and missing.json()["field"] == "config.secret"
    half = client.patch(f"/api/v1/notification-channels/{made.json()['id']}",
                        headers=headers, json={"quiet_start": None})
    assert half.status_code == 422 and half.json()["field"] == "quiet_end"


def test_the_stream_carries_visible_alarm_changes_only(client: TestClient,
                                                       container: Container,
                                                       world: DemoWorld) -> None:
    wire(container)
    broker = broker_for(container.bus)

    def raise_two() -> None:
        deadline = time.monotonic() + 5
        while not broker._subs and time.monotonic() < deadline:
            time.sleep(0.02)
        publish(container, world, unit="WEST-CD", key="powerCut:west", vehicle_id="V-WEST")
        publish(container, world, unit="EAST-SH", key="powerCut:east", vehicle_id="V-EAST")

    thread = threading.Thread(target=raise_two)
    thread.start()
    response = client.get("/api/v1/alarms/stream", params={"lasts_s": 1.5},
                          headers=login(client, "demo.sh"))
    thread.join()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.startswith(": ready")
    assert "V-EAST" in response.text and "V-WEST" not in response.text
    assert "event: alarm" in response.text and '"change":"raised"' in response.text
