"""The alarm vocabulary, severities and each type's default rule (pure)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

SEVERITIES = ("info", "warning", "critical")
STATES = ("new", "acknowledged", "assigned", "resolved", "false_alarm")
OPEN_STATES = frozenset({"new", "acknowledged", "assigned"})
CLOSED_STATES = frozenset({"resolved", "false_alarm"})

MINUTE = 60
HOUR = 3600


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class Rule:
    """How a tenant treats one alarm type.

    - `severity`: the alarm's severity; None keeps the analyzer's suggestion.
    - `dedup_window_s`: a repeat of an open alarm's situation (same key) within this time of
      its last occurrence is counted on that alarm instead of raising a new one.
    - `cooldown_s`: after an alarm of a key is closed, the same situation raised again within
      this time is suppressed (the monitor has just dealt with it).
    - `auto_resolve`: when the analyzer says the condition ended, the open alarm is resolved
      by the system; otherwise the end is only noted on it.
    - `escalate_after_s` / `escalate_again_s`: an unacknowledged critical alarm goes to the
      nearest branch manager after the first, and one level further up after each second.
    """

    type: str
    severity: str | None
    enabled: bool = True
    dedup_window_s: int = 30 * MINUTE
    cooldown_s: int = 10 * MINUTE
    auto_resolve: bool = False
    escalate_after_s: int = 15 * MINUTE
    escalate_again_s: int = 15 * MINUTE

    def with_changes(self, changes: dict[str, Any]) -> Rule:
        return replace(self, **changes)


RULE_FIELDS = ("severity", "enabled", "dedup_window_s", "cooldown_s", "auto_resolve",
               "escalate_after_s", "escalate_again_s")


def _r(type_: str, severity: str, **kw: Any) -> Rule:
    return Rule(type_, severity, **kw)


# Defaults, by what the situation means for the lender's collateral.
DEFAULT_RULES: dict[str, Rule] = {r.type: r for r in (
    _r("geofenceExit", "warning", auto_resolve=True),
    _r("geofenceEnter", "warning", auto_resolve=True),
    _r("riskAreaDwell", "critical", dedup_window_s=2 * HOUR),
    _r("powerCut", "critical", auto_resolve=True),
    _r("removal", "critical", dedup_window_s=6 * HOUR),
    # the analyzer's: a warning, critical when the car was last seen moving
    Rule("offline", None, dedup_window_s=12 * HOUR, auto_resolve=True),
    _r("lowBattery", "info", dedup_window_s=12 * HOUR, auto_resolve=True),
    _r("gpsAntennaCut", "critical", auto_resolve=True),
    _r("jamming", "critical", auto_resolve=True),
    _r("stuckGps", "warning", dedup_window_s=6 * HOUR, auto_resolve=True),
    _r("simChanged", "critical", dedup_window_s=24 * HOUR),
    _r("tampering", "critical"),
    _r("sos", "critical", dedup_window_s=10 * MINUTE),
    _r("vibration", "info", dedup_window_s=HOUR),
    _r("overspeed", "info", dedup_window_s=HOUR),
    _r("towing", "critical"),
    _r("nightAway", "warning", dedup_window_s=24 * HOUR),
    _r("newFrequentPlace", "info", dedup_window_s=7 * 24 * HOUR),
    _r("idleLong", "warning", dedup_window_s=24 * HOUR, auto_resolve=True),
    _r("leftHomeCity", "warning", dedup_window_s=12 * HOUR, auto_resolve=True),
    _r("leftHomeProvince", "critical", dedup_window_s=12 * HOUR, auto_resolve=True),
    _r("towardBorder", "critical", dedup_window_s=6 * HOUR),
    _r("positionJump", "warning"),
    _r("installationFailed", "warning", dedup_window_s=24 * HOUR, auto_resolve=True),
)}

ALARM_TYPES = tuple(DEFAULT_RULES)


def default_rule(type_: str) -> Rule:
    """The default rule of a type; a type outside the vocabulary keeps the analyzer's
    severity and the general windows, so that a new analyzer is never silenced."""
    return DEFAULT_RULES.get(type_) or Rule(type_, None)
