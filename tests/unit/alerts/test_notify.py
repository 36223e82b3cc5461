"""Pure notification parts: quiet hours, channel choice, signatures, messages, back-off."""

import json
from datetime import UTC, datetime, timedelta

from fengkong.alerts import notify
from fengkong.alerts.notify import ChannelView

ALARM = {"id": "A1", "type": "powerCut", "severity": "critical", "state": "new",
         "vehicle_id": "V1", "evidence": {"text": "external power lost"}}


def test_quiet_hours_run_past_midnight_in_the_tenants_zone() -> None:
    # 23:30 in Shanghai is 15:30 UTC
    late = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
    assert notify.in_quiet_hours(late, "Asia/Shanghai", "22:00", "07:00")
    assert not notify.in_quiet_hours(late, "UTC", "22:00", "07:00")
    assert notify.in_quiet_hours(late + timedelta(hours=7), "Asia/Shanghai", "22:00", "07:00")
    assert not notify.in_quiet_hours(late + timedelta(hours=8), "Asia/Shanghai", "22:00",
                                     "07:00")
    assert not notify.in_quiet_hours(late, "Asia/Shanghai", None, None)


def test_quiet_hours_end_at_the_next_local_end_time() -> None:
    late = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)  # 23:30 Shanghai
    assert notify.quiet_until(late, "Asia/Shanghai", "22:00", "07:00") == datetime(
        2026, 1, 5, 23, 0, tzinfo=UTC)
    early = datetime(2026, 1, 5, 20, 0, tzinfo=UTC)  # 04:00 Shanghai, the next day
    assert notify.quiet_until(early, "Asia/Shanghai", "22:00", "07:00") == datetime(
        2026, 1, 5, 23, 0, tzinfo=UTC)
    noon = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert notify.quiet_until(noon, "UTC", "12:00", "13:00") == datetime(
        2026, 1, 5, 13, 0, tzinfo=UTC)


def test_channel_outcome_by_severity_type_and_quiet_hours() -> None:
    at = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)
    channel = ChannelView("warning", [], "22:00", "07:00", True)
    assert notify.channel_outcome(channel, "lowBattery", "info", at, "UTC") is None
    assert notify.channel_outcome(channel, "offline", "warning", at, "Asia/Shanghai") == "quiet"
    assert notify.channel_outcome(channel, "powerCut", "critical", at,
                                  "Asia/Shanghai") == "send"
    strict = ChannelView("warning", ["removal"], "22:00", "07:00", False)
    assert notify.channel_outcome(strict, "powerCut", "critical", at, "UTC") is None
    assert notify.channel_outcome(strict, "removal", "critical", at, "Asia/Shanghai") == "quiet"


def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    import hashlib
    import hmac

    body = notify.webhook_body(ALARM)
    signature = notify.sign("s3cret", 1767574800, body)
    expected = hmac.new(b"s3cret", b"1767574800." + body, hashlib.sha256).hexdigest()
    assert signature == "sha256=" + expected
    assert notify.verify("s3cret", 1767574800, body, signature, now=1767574900)
    assert not notify.verify("other", 1767574800, body, signature, now=1767574900)
    assert not notify.verify("s3cret", 1767574800, body + b" ", signature, now=1767574900)
    assert not notify.verify("s3cret", 1767574800, body, signature, now=1767574800 + 301)


def test_wecom_messages_follow_the_robot_format() -> None:
    markdown = json.loads(notify.wecom_body(ALARM))
    assert markdown["msgtype"] == "markdown"
    assert "powerCut" in markdown["markdown"]["content"]
    text = json.loads(notify.wecom_body(ALARM, ["13800000000"]))
    assert text == {"msgtype": "text", "text": {
        "content": notify.summary(ALARM), "mentioned_mobile_list": ["13800000000"]}}


def test_retries_back_off_and_then_give_up() -> None:
    at = datetime(2026, 1, 5, tzinfo=UTC)
    waits = [notify.retry_at(n, at) for n in range(1, notify.MAX_ATTEMPTS + 1)]
    assert waits[:-1] == [at + b for b in notify.BACKOFF]
    assert waits[-1] is None
