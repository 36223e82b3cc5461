"""Demo alarm rules and a notification channel for "Demo Auto Finance"."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select

from fengkong.alerts import channel_service, rule_service
from fengkong.core.uow import UnitOfWork
from fengkong.org.auth_service import user_principal
from fengkong.org.models import User

# Where the demo's webhook posts (nothing listens by default: the deliveries show their
# failures and retries; point it at a receiver to watch signed requests arrive).
DEMO_WEBHOOK_URL = os.environ.get("FENGKONG_DEMO_WEBHOOK_URL", "http://127.0.0.1:9009/alarms")
DEMO_WEBHOOK_SECRET = "demo-webhook-secret"


def seed_alerts(container: Any, uow: UnitOfWork, world: Any) -> None:
    admin = user_principal(uow, uow.session.scalars(
        select(User).where(User.username == "demo.admin")).one())
    rule_service.update_rules(uow, admin, [
        {"type": "offline", "cooldown_s": 300},
        {"type": "removal", "escalate_after_s": 300, "escalate_again_s": 600},
        {"type": "vibration", "enabled": False},
    ])
    channel_service.create_channel(
        uow, admin, org_unit_id=world.units["HQ"], kind="webhook", name="Risk desk webhook",
        config={"url": DEMO_WEBHOOK_URL, "secret": DEMO_WEBHOOK_SECRET},
        min_severity="warning", quiet_start="23:00", quiet_end="07:00")
    world.notes.append(
        f"Alarms: GET /api/v1/alarms (live: /api/v1/alarms/stream); faulty demo trackers raise "
        f"power cut, removal and offline alarms within minutes; a signed webhook posts to "
        f"{DEMO_WEBHOOK_URL} (secret {DEMO_WEBHOOK_SECRET})")
