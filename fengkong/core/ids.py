"""Sortable identifiers: ULIDs (48-bit millisecond time, 80 random bits, Crockford base32)."""

from __future__ import annotations

import base64
import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_ms = -1
_last_random = 0


# RFC 4648 base32 spelled in Crockford's alphabet: b32encode does the digit work in C.
_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _ALPHABET.encode())


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
    """The 26 digits of a ULID. 160 bits are exactly 32 base32 digits; the ULID is the last
    26 of them (the top 30 bits are zero)."""
    digits = base64.b32encode(((ms << 80) | rnd).to_bytes(20, "big"))
    return digits[6:].translate(_TO_CROCKFORD).decode()


def id_timestamp_ms(ulid: str) -> int:
    """The millisecond timestamp an id was made at."""
    value = 0
    for ch in ulid[:10]:
        value = value * 32 + _ALPHABET.index(ch)
    return value


def is_valid_id(value: str) -> bool:
    # 26 base32 characters carry 130 bits; a ULID has 128, so the first is at most 7
    return len(value) == 26 and value[0] <= "7" and all(ch in _ALPHABET for ch in value)
