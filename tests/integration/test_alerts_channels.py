"""Notification channels against real local servers: a signed webhook, a WeCom robot, an
SMTP server and an SMS gateway; retries with back-off, quiet hours, recorded outcomes."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from fengkong.alerts import channel_service, notify
from fengkong.alerts.models import AlarmDelivery
from fengkong.bootstrap import Container
from fengkong.core.clock import FixedClock
from fengkong.demo import DemoWorld, principal_of
from tests.integration.alerts_world import alarms, publish, wire


class Receiver:
    """A local HTTP server that records requests and answers with queued statuses."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]] | None = None) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.answers = answers or []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, dict(self.headers), body))
                status, answer = (receiver.answers.pop(0) if receiver.answers
                                  else (200, {"errcode": 0, "errmsg": "ok", "id": "m1"}))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def channel(container: Container, world: DemoWorld, kind: str, config: dict[str, Any],
            **fields: Any) -> str:
    with container.uow() as uow:
        made = channel_service.create_channel(uow, principal_of(uow, "demo.admin"),
                                              org_unit_id=world.units["EAST"], kind=kind,
                                              name=kind, config=config, **fields)
        uow.commit()
        return made.id


def deliveries(container: Container) -> list[AlarmDelivery]:
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(AlarmDelivery).order_by(AlarmDelivery.id)))
        uow.session.expunge_all()
        return rows


def test_a_webhook_is_signed_and_its_outcome_recorded(container: Container, world: DemoWorld,
                                                      receiver: Receiver) -> None:
    wire(container)
    channel(container, world, "webhook", {"url": receiver.url + "/hook", "secret": "k3y"})
    publish(container, world)
    ((path, headers, body),) = receiver.requests
    stamp = int(headers[notify.TIMESTAMP_HEADER])
    assert notify.verify("k3y", stamp, body, headers[notify.SIGNATURE_HEADER], now=stamp)
    message = json.loads(body)
    assert (message["event"], message["alarm"]["type"]) == ("raised", "powerCut")
    assert message["alarm"]["id"] == alarms(container)[0].id
    (row,) = deliveries(container)
    assert (row.state, row.attempts, row.response_code) == ("sent", 1, 200)


def test_a_failing_webhook_is_retried_with_back_off_then_given_up(
        container: Container, world: DemoWorld, clock: FixedClock) -> None:
    failing = Receiver([(500, {})] * notify.MAX_ATTEMPTS)
    try:
        wire(container)
        channel(container, world, "webhook", {"url": failing.url, "secret": "k"})
        publish(container, world)
        (row,) = deliveries(container)
        assert (row.state, row.attempts, row.response_code) == ("pending", 1, 500)
        assert row.next_attempt_at == clock.now() + notify.BACKOFF[0]
        assert channel_service.deliver_due(container.uow) == 0  # not yet due
        for wait in notify.BACKOFF:
            clock.advance(wait)
            assert channel_service.deliver_due(container.uow) == 1
        (row,) = deliveries(container)
        assert (row.state, row.attempts, row.last_error) == ("failed", notify.MAX_ATTEMPTS,
                                                             "HTTP 500")
        assert len(failing.requests) == notify.MAX_ATTEMPTS
    finally:
        failing.close()


def test_a_wecom_robot_gets_its_message_format_and_its_errcode_counts(
        container: Container, world: DemoWorld) -> None:
    robot = Receiver([(200, {"errcode": 93000, "errmsg": "invalid webhook url"})])
    try:
        wire(container)
        channel(container, world, "wecom", {"url": robot.url + "/cgi-bin/webhook/send?key=K",
                                            "mentioned_mobiles": ["13800000000"]})
        publish(container, world)
        ((path, _, body),) = robot.requests
        assert path == "/cgi-bin/webhook/send?key=K"
        message = json.loads(body)
        assert message["msgtype"] == "text"
        assert message["text"]["mentioned_mobile_list"] == ["13800000000"]
        (row,) = deliveries(container)
        assert row.state == "pending" and "93000" in (row.last_error or "")
    finally:
        robot.close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def test_e_mail_goes_through_smtp(container: Container, world: DemoWorld) -> None:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller's self-test needs one)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        wire(container)
        channel(container, world, "email", {"host": "127.0.0.1", "port": port,
                                            "sender": "alarms@lender.example",
                                            "to": ["risk@lender.example"]})
        publish(container, world)
        ((sender, to, content),) = inbox.messages
        mail = message_from_bytes(content)
        assert (sender, to) == ("alarms@lender.example", ["risk@lender.example"])
        assert mail["Subject"] == "fengkong alarm: powerCut (critical)"
        assert "external power lost" in mail.get_payload()
        assert deliveries(container)[0].state == "sent"
    finally:
        controller.stop()


def test_sms_goes_through_the_gateway_to_every_phone(container: Container, world: DemoWorld,
                                                     receiver: Receiver) -> None:
    wire(container)
    channel(container, world, "sms", {"url": receiver.url + "/sms", "token": "T",
                                      "phones": ["13800000001", "13800000002"]})
    publish(container, world)
    sent = [(json.loads(body)["to"], headers["Authorization"])
            for _, headers, body in receiver.requests]
    assert sent == [("13800000001", "Bearer T"), ("13800000002", "Bearer T")]


def test_quiet_hours_hold_back_all_but_critical_until_they_end(
        container: Container, world: DemoWorld, clock: FixedClock, receiver: Receiver) -> None:
    clock.set(datetime(2026, 1, 5, 15, 30, tzinfo=UTC))  # 23:30 in Shanghai
    wire(container)
    channel(container, world, "webhook", {"url": receiver.url, "secret": "k"},
            min_severity="info", quiet_start="22:00", quiet_end="07:00")
    publish(container, world, type_="offline", severity="warning", key="offline:D-1")
    publish(container, world)  # critical: overrides
    states = sorted(d.state for d in deliveries(container))
    assert states == ["quiet", "sent"]
    assert len(receiver.requests) == 1
    held = next(d for d in deliveries(container) if d.state == "quiet")
    assert held.next_attempt_at == datetime(2026, 1, 5, 23, 0, tzinfo=UTC)  # 07:00 local
    clock.set(datetime(2026, 1, 5, 22, 59, tzinfo=UTC))
    assert channel_service.deliver_due(container.uow) == 0
    clock.set(datetime(2026, 1, 5, 23, 0, tzinfo=UTC))
    assert channel_service.deliver_due(container.uow) == 1
    assert sorted(d.state for d in deliveries(container)) == ["sent", "sent"]
    assert json.loads(receiver.requests[1][2])["alarm"]["type"] == "offline"


def test_channels_of_other_branches_hear_nothing(container: Container, world: DemoWorld,
                                                 receiver: Receiver) -> None:
    wire(container)
    with container.uow() as uow:
        channel_service.create_channel(uow, principal_of(uow, "demo.admin"),
                                       org_unit_id=world.units["WEST"], kind="webhook",
                                       name="west", config={"url": receiver.url,
                                                            "secret": "k"})
        uow.commit()
    publish(container, world)
    assert receiver.requests == [] and deliveries(container) == []
