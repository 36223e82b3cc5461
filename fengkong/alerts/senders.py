"""The channel kinds that carry alarms out: signed webhooks, WeCom group robots, e-mail over
SMTP, and an SMS gateway (a protocol, with an HTTP implementation). Each send either returns
the receiver's status code or raises `DeliveryFailed`."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from fengkong.alerts import notify

TIMEOUT_S = 10.0


class DeliveryFailed(Exception):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


Sender = Callable[[Mapping[str, Any], Mapping[str, Any]], int]


def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}"[:300]) from exc
    if response.status_code >= 300:
        raise DeliveryFailed(f"HTTP {response.status_code}", response.status_code)
    return response


def send_webhook(config: Mapping[str, Any], alarm: Mapping[str, Any],
                 now: Callable[[], float] = time.time) -> int:
    body = notify.webhook_body(alarm)
    stamp = int(now())
    headers = {"Content-Type": "application/json", notify.TIMESTAMP_HEADER: str(stamp),
               notify.SIGNATURE_HEADER: notify.sign(config["secret"], stamp, body)}
    return _post(config["url"], body, headers).status_code


def send_wecom(config: Mapping[str, Any], alarm: Mapping[str, Any]) -> int:
    """POST to the robot's webhook URL; WeCom answers 200 with `errcode` 0 on success."""
    body = notify.wecom_body(alarm, config.get("mentioned_mobiles") or ())
    response = _post(config["url"], body, {"Content-Type": "application/json"})
    try:
        answer = response.json()
    except ValueError:
        raise DeliveryFailed("WeCom answered something that is not JSON",
                             response.status_code) from None
    if answer.get("errcode") != 0:
        raise DeliveryFailed(f"WeCom errcode {answer.get('errcode')}: {answer.get('errmsg')}",
                             response.status_code)
    return response.status_code


def send_email(config: Mapping[str, Any], alarm: Mapping[str, Any]) -> int:
    message = EmailMessage()
    message["Subject"] = notify.email_subject(alarm)
    message["From"] = config["sender"]
    message["To"] = ", ".join(config["to"])
    message.set_content(notify.email_text(alarm))
    try:
        with smtplib.SMTP(config["host"], int(config.get("port", 25)),
                          timeout=TIMEOUT_S) as smtp:
            if config.get("starttls"):
                smtp.starttls()
            if config.get("username"):
                smtp.login(config["username"], config.get("password", ""))
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"SMTP: {exc}"[:300]) from exc
    if refused:
        raise DeliveryFailed(f"SMTP refused {sorted(refused)}")
    return 250


class SmsGateway(Protocol):
    """Sends one text to one phone number; returns the gateway's message id."""

    def send(self, phone: str, text: str) -> str: ...


class HttpSmsGateway:
    """An SMS gateway behind an HTTP API: POST {"to", "text"} with a bearer token, answered
    with {"id": ...}. Providers' own APIs fit behind the same protocol."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    def send(self, phone: str, text: str) -> str:
        body = httpx.Request("POST", self.url, json={"to": phone, "text": text}).content
        response = _post(self.url, body, {"Content-Type": "application/json",
                                          "Authorization": f"Bearer {self.token}"})
        try:
            return str(response.json().get("id", ""))
        except ValueError:
            return ""


def send_sms(config: Mapping[str, Any], alarm: Mapping[str, Any],
             gateway: SmsGateway | None = None) -> int:
    gateway = gateway or HttpSmsGateway(config["url"], config["token"])
    text = notify.summary(alarm)[:300]
    for phone in config["phones"]:
        gateway.send(phone, text)
    return 200


SENDERS: dict[str, Sender] = {"webhook": send_webhook, "wecom": send_wecom,
                              "email": send_email, "sms": send_sms}
