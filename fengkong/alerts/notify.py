"""Pure parts of notifying: quiet hours, which channel hears of which alarm, the messages
each channel kind sends, the webhook signature and the retry back-off."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fengkong.alerts.vocabulary import severity_rank
from fengkong.core.errors import InvalidInput

KINDS = ("webhook", "wecom", "email", "sms")
SIGNATURE_HEADER = "X-Fengkong-Signature"
TIMESTAMP_HEADER = "X-Fengkong-Timestamp"
# Attempt n (1-based) that failed waits BACKOFF[n-1] before the next; after the last, failed.
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
           timedelta(minutes=30))
MAX_ATTEMPTS = len(BACKOFF) + 1


def parse_clock(value: str, field: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise InvalidInput("a time of day is HH:MM", code="bad_time", field=field) from None


def in_quiet_hours(at: datetime, zone: str, start: str | None, end: str | None) -> bool:
    """Whether `at` falls in [start, end) local time; a period may run past midnight."""
    if not start or not end:
        return False
    local = at.astimezone(ZoneInfo(zone)).time()
    begin, finish = parse_clock(start, "quiet_start"), parse_clock(end, "quiet_end")
    if begin == finish:
        return False
    if begin < finish:
        return begin <= local < finish
    return local >= begin or local < finish


def quiet_until(at: datetime, zone: str, start: str, end: str) -> datetime:
    """The end of the quiet period `at` falls in (the next `end` local time), in UTC."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    finish = parse_clock(end, "quiet_end")
    candidate = datetime.combine(local.date(), finish, tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), finish, tz)
    return candidate.astimezone(at.tzinfo)


@dataclass(frozen=True, slots=True)
class ChannelView:
    """What deciding about a channel needs to know of it."""

    min_severity: str
    types: Sequence[str]
    quiet_start: str | None
    quiet_end: str | None
    critical_overrides_quiet: bool
    enabled: bool = True


def channel_outcome(channel: ChannelView, alarm_type: str, severity: str, at: datetime,
                    zone: str) -> str | None:
    """None when the channel does not take this alarm; "quiet" when it would but its quiet
    hours hold it back until they end; "send" otherwise."""
    if not channel.enabled or severity_rank(severity) < severity_rank(channel.min_severity):
        return None
    if channel.types and alarm_type not in channel.types:
        return None
    if in_quiet_hours(at, zone, channel.quiet_start, channel.quiet_end) and not (
            severity == "critical" and channel.critical_overrides_quiet):
        return "quiet"
    return "send"


def retry_at(attempts: int, failed_at: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts; None when it is given up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return failed_at + BACKOFF[attempts - 1]


# --- messages --------------------------------------------------------------------------------


def summary(alarm: Mapping[str, Any]) -> str:
    """One human line about an alarm."""
    text = (alarm.get("evidence") or {}).get("text") or ""
    who = alarm.get("plate") or alarm.get("vehicle_id") or alarm.get("device_id") or "?"
    line = f"[{alarm['severity'].upper()}] {alarm['type']} on {who}"
    if alarm.get("event") == "escalated":
        line = f"ESCALATED (level {alarm.get('escalation_level')}): " + line
    return f"{line}: {text}" if text else line


def webhook_body(alarm: Mapping[str, Any]) -> bytes:
    return json.dumps({"event": alarm.get("event", "raised"), "alarm": dict(alarm)},
                      sort_keys=True, separators=(",", ":"), default=str).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": the timestamp is signed with the body so that a
    captured request cannot be replayed later with a fresh timestamp."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str, now: int,
           tolerance_s: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    return abs(now - timestamp) <= tolerance_s and hmac.compare_digest(
        sign(secret, timestamp, body), signature)


def wecom_body(alarm: Mapping[str, Any], mentioned_mobiles: Sequence[str] = ()) -> bytes:
    """A WeCom group-robot message: markdown, with @-mentions by mobile as a text message
    (the robot's markdown type cannot mention)."""
    if mentioned_mobiles:
        message: dict[str, Any] = {"msgtype": "text", "text": {
            "content": summary(alarm), "mentioned_mobile_list": list(mentioned_mobiles)}}
    else:
        colour = {"critical": "warning", "warning": "comment"}.get(alarm["severity"], "info")
        content = (f"**<font color=\"{colour}\">{alarm['severity'].upper()}</font> "
                   f"{alarm['type']}**\n> {summary(alarm)}\n> alarm {alarm['id']}")
        message = {"msgtype": "markdown", "markdown": {"content": content}}
    return json.dumps(message, ensure_ascii=False).encode()


def email_subject(alarm: Mapping[str, Any]) -> str:
    return f"fengkong alarm: {alarm['type']} ({alarm['severity']})"


def email_text(alarm: Mapping[str, Any]) -> str:
    lines = [summary(alarm), "", f"alarm: {alarm['id']}", f"state: {alarm['state']}",
             f"vehicle: {alarm.get('vehicle_id')}", f"device: {alarm.get('device_id')}",
             f"at: {alarm.get('first_at')}"]
    return "\n".join(lines) + "\n"
