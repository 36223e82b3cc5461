"""Login lockout: N failures within a window lock the account for a cool-down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int = 5
    window: timedelta = timedelta(minutes=15)
    cooldown: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class LockState:
    failed_attempts: int = 0
    window_start: datetime | None = None
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until


def after_failure(state: LockState, now: datetime, policy: LockoutPolicy) -> LockState:
    expired = state.locked_until is not None and now >= state.locked_until
    if state.window_start is None or now - state.window_start > policy.window or expired:
        state = LockState(0, now, None)  # a served cool-down starts the count afresh
    failed = state.failed_attempts + 1
    locked_until = now + policy.cooldown if failed >= policy.attempts else state.locked_until
    return LockState(failed, state.window_start, locked_until)


def cleared() -> LockState:
    return LockState()
