"""Login lockout: five failures within fifteen minutes lock the account for the cool-down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fengkong.org.lockout import LockoutPolicy, LockState, after_failure, cleared

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
POLICY = LockoutPolicy()  # 5 attempts, 15 min window, 15 min cool-down


def fail_at(times: list[timedelta], policy: LockoutPolicy = POLICY,
            state: LockState | None = None) -> LockState:
    state = state or cleared()
    for offset in times:
        state = after_failure(state, T0 + offset, policy)
    return state


def minutes(*values: float) -> list[timedelta]:
    return [timedelta(minutes=v) for v in values]


def test_the_default_policy_is_five_failures_in_fifteen_minutes() -> None:
    assert POLICY.attempts == 5
    assert POLICY.window == POLICY.cooldown == timedelta(minutes=15)


def test_four_failures_do_not_lock_the_account() -> None:
    state = fail_at(minutes(0, 1, 2, 3))
    assert state.failed_attempts == 4
    assert not state.is_locked(T0 + timedelta(minutes=3))


def test_a_fifth_failure_within_the_window_locks_the_account() -> None:
    state = fail_at(minutes(0, 1, 2, 3, 14))
    assert state.failed_attempts == 5
    assert state.locked_until == T0 + timedelta(minutes=14 + 15)
    assert state.is_locked(T0 + timedelta(minutes=14))


def test_the_lock_holds_until_the_end_of_the_cool_down() -> None:
    state = fail_at(minutes(0, 0, 0, 0, 0))
    assert state.is_locked(T0 + timedelta(minutes=14, seconds=59))
    assert not state.is_locked(T0 + timedelta(minutes=15))
    assert not state.is_locked(T0 + timedelta(hours=2))


def test_failures_spread_beyond_the_window_do_not_lock() -> None:
    state = fail_at(minutes(0, 4, 8, 12, 16, 20, 24, 28))
    assert not state.is_locked(T0 + timedelta(minutes=28))
    assert state.failed_attempts < POLICY.attempts


def test_a_failure_after_the_window_starts_a_new_count() -> None:
    state = fail_at(minutes(0, 1, 2, 3, 15.5))
    assert state.failed_attempts == 1
    assert state.window_start == T0 + timedelta(minutes=15.5)
    assert state.locked_until is None


def test_a_failure_exactly_at_the_end_of_the_window_still_counts() -> None:
    state = fail_at(minutes(0, 1, 2, 3, 15))
    assert state.is_locked(T0 + timedelta(minutes=15))


def test_a_single_failure_after_the_cool_down_does_not_lock_again() -> None:
    short_cooldown = LockoutPolicy(5, timedelta(minutes=15), timedelta(minutes=5))
    locked = fail_at(minutes(0, 0.1, 0.2, 0.3, 0.4), short_cooldown)
    assert locked.is_locked(T0 + timedelta(minutes=1))
    after = after_failure(locked, T0 + timedelta(minutes=6), short_cooldown)
    assert not after.is_locked(T0 + timedelta(minutes=6))
    assert after.failed_attempts == 1


def test_a_smaller_policy_locks_sooner_and_for_its_own_cool_down() -> None:
    strict = LockoutPolicy(3, timedelta(minutes=5), timedelta(hours=1))
    state = fail_at(minutes(0, 1, 2), strict)
    assert state.locked_until == T0 + timedelta(minutes=2, hours=1)


def test_a_cleared_state_has_no_failures_and_no_lock() -> None:
    state = cleared()
    assert state == LockState(0, None, None)
    assert not state.is_locked(T0)
