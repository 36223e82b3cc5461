"""Tables of the alerts context: rules, alarms with their history and recipients,
notification channels and deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.core.db import Base, IdColumn


class AlarmRuleRow(Base):
    """A tenant's change to one type's default rule (types without a row use the default)."""

    __tablename__ = "alarm_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "type", name="uq_alarm_rules_tenant_type"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(10))
    enabled: Mapped[bool] = mapped_column(Boolean)
    dedup_window_s: Mapped[int]
    cooldown_s: Mapped[int]
    auto_resolve: Mapped[bool] = mapped_column(Boolean)
    escalate_after_s: Mapped[int]
    escalate_again_s: Mapped[int]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(IdColumn)


class Alarm(Base):
    """One alarm: a situation (its `key`) from its first occurrence until it is closed."""

    __tablename__ = "alarms"
    __owner_column__ = "assigned_to"
    __table_args__ = (
        Index("ix_alarms_tenant_key_state", "tenant_id", "key", "state"),
        Index("ix_alarms_tenant_unit", "tenant_id", "org_unit_id", "id"),
        Index("ix_alarms_vehicle", "vehicle_id", "id"),
        Index("ix_alarms_escalation", "next_escalation_at"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
    vehicle_id: Mapped[str | None] = mapped_column(IdColumn)
    device_id: Mapped[str | None] = mapped_column(IdColumn)
    loan_id: Mapped[str | None] = mapped_column(IdColumn)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_at: Mapped[datetime]  # the occurrence that raised it
    last_at: Mapped[datetime]   # the latest occurrence counted on it
    count: Mapped[int]
    cleared_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(IdColumn)
    assigned_to: Mapped[str | None] = mapped_column(IdColumn)
    assigned_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(IdColumn)
    escalation_level: Mapped[int]
    next_escalation_at: Mapped[datetime | None]


class AlarmHistory(Base):
    """Every change of an alarm and every note on it, in order."""

    __tablename__ = "alarm_history"
    __table_args__ = (Index("ix_alarm_history_alarm", "alarm_id", "id"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    alarm_id: Mapped[str] = mapped_column(ForeignKey("alarms.id"))
    at: Mapped[datetime]
    actor_id: Mapped[str] = mapped_column(IdColumn)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class AlarmRecipient(Base):
    """A user whose inbox holds the alarm, and why (routed, or escalated to level n)."""

    __tablename__ = "alarm_recipients"
    __table_args__ = (Index("ix_alarm_recipients_user", "user_id", "alarm_id"),)

    alarm_id: Mapped[str] = mapped_column(ForeignKey("alarms.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    unit_id: Mapped[str] = mapped_column(IdColumn)
    level: Mapped[int]
    added_at: Mapped[datetime]


class NotificationChannel(Base):
    """Where alarms of a unit's subtree are sent: a webhook, a WeCom robot, e-mail, SMS."""

    __tablename__ = "notification_channels"
    __table_args__ = (Index("ix_notification_channels_tenant_unit", "tenant_id",
                            "org_unit_id"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    org_unit_id: Mapped[str] = mapped_column(ForeignKey("org_units.id"))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)  # url, secret, recipients, smtp…
    min_severity: Mapped[str] = mapped_column(String(10))
    types: Mapped[list[str]] = mapped_column(JSON)  # empty: every type
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    critical_overrides_quiet: Mapped[bool] = mapped_column(Boolean)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AlarmDelivery(Base):
    """One notification of one alarm through one channel, with its outcome."""

    __tablename__ = "alarm_deliveries"
    __table_args__ = (
        Index("ix_alarm_deliveries_alarm", "alarm_id", "id"),
        Index("ix_alarm_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    alarm_id: Mapped[str] = mapped_column(ForeignKey("alarms.id"))
    channel_id: Mapped[str] = mapped_column(ForeignKey("notification_channels.id"))
    event: Mapped[str] = mapped_column(String(20))  # raised | escalated
    state: Mapped[str] = mapped_column(String(20))  # pending | sent | failed | quiet
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    response_code: Mapped[int | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
