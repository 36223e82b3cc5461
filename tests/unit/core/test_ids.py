"""ULIDs: 26 characters of Crockford base32 that sort in the order they were made."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import given
from hypothesis import strategies as st

from fengkong.core import ids
from fengkong.core.ids import id_timestamp_ms, is_valid_id, new_id

CROCKFORD = set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
MAX_MS = 2**48 - 1


@contextmanager
def fresh_generator() -> Iterator[None]:
    """Run with a generator that has made no id yet, and give the real one back after."""
    saved = ids._last_ms, ids._last_random
    ids._last_ms, ids._last_random = -1, 0
    try:
        yield
    finally:
        ids._last_ms, ids._last_random = saved


def test_an_id_is_26_characters_of_crockford_base32() -> None:
    value = new_id()
    assert len(value) == 26
    assert set(value) <= CROCKFORD
    assert not set(value) & set("ILOU")


def test_ids_made_in_the_same_millisecond_sort_in_creation_order() -> None:
    with fresh_generator():
        made = [new_id(now_ms=1_767_574_800_000) for _ in range(2000)]
    assert len(set(made)) == len(made)
    assert sorted(made) == made


def test_ids_sort_by_time_across_milliseconds() -> None:
    with fresh_generator():
        made = [new_id(now_ms=ms) for ms in range(1_767_574_800_000, 1_767_574_800_050)
                for _ in range(3)]
    assert sorted(made) == made


def test_an_id_made_after_the_clock_steps_back_still_sorts_after_the_earlier_ones() -> None:
    with fresh_generator():
        first = new_id(now_ms=1_767_574_800_500)
        second = new_id(now_ms=1_767_574_800_000)
    assert second > first
    assert id_timestamp_ms(second) == 1_767_574_800_500


@given(st.integers(min_value=0, max_value=MAX_MS))
def test_the_timestamp_an_id_was_made_at_can_be_read_back(ms: int) -> None:
    with fresh_generator():
        value = new_id(now_ms=ms)
    assert id_timestamp_ms(value) == ms
    assert is_valid_id(value)


@given(st.integers(min_value=0, max_value=MAX_MS - 1), st.integers(min_value=1, max_value=10**6))
def test_a_later_millisecond_always_gives_a_greater_id(ms: int, gap: int) -> None:
    later = min(ms + gap, MAX_MS)
    with fresh_generator():
        earlier_id = new_id(now_ms=ms)
        later_id = new_id(now_ms=later)
    assert earlier_id < later_id


def test_an_id_made_now_carries_the_current_time() -> None:
    before = int(time.time() * 1000)
    with fresh_generator():
        value = new_id()
    after = int(time.time() * 1000)
    assert before <= id_timestamp_ms(value) <= after


def test_the_ulid_epoch_is_encoded_as_zeros() -> None:
    with fresh_generator():
        value = new_id(now_ms=0)
    assert value.startswith("0000000000")


def test_valid_ids_are_recognised() -> None:
    assert is_valid_id(new_id())
    assert is_valid_id("01KE6A5Z000000000000000000")


def test_malformed_ids_are_not_valid() -> None:
    assert not is_valid_id("")
    assert not is_valid_id(new_id()[:25])
    assert not is_valid_id(new_id() + "0")
    assert not is_valid_id("01KE6A5Z00000000000000000I")  # I is not Crockford
    assert not is_valid_id("01ke6a5z000000000000000000")  # ids are stored upper case


@given(st.integers(0, (1 << 48) - 1), st.integers(0, (1 << 80) - 1))
def test_the_fast_encoding_spells_what_the_digit_by_digit_one_does(ms: int, rnd: int) -> None:
    assert ids._spell(ms, rnd) == ids._encode(ms, 10) + ids._encode(rnd, 16)
