"""Device identifiers from a seed: 15-digit IMEIs with their Luhn check digit (GT06) and
12-digit terminal phone numbers (JT/T 808). Device `index` of a seed always gets the same
identifier, so a demo can register the devices before the simulator starts them."""

from __future__ import annotations

import random

from fengkong.telematics.protocols.crc import luhn

GT06_PREFIX = "86"          # the reporting body of most Chinese-made modules' IMEIs
JT808_PREFIX = "013"


def imei(seed: int, index: int, prefix: str = GT06_PREFIX) -> str:
    body = _digits(seed, index, prefix, 14)
    return body + str(luhn(int(body)))


def terminal_phone(seed: int, index: int, prefix: str = JT808_PREFIX) -> str:
    return _digits(seed, index, prefix, 12)


def identifiers(protocol: str, count: int, seed: int, prefix: str | None = None) -> list[str]:
    """The identifiers of devices 0..count-1 for `protocol` ("gt06" or "jt808")."""
    if protocol == "gt06":
        return [imei(seed, index, prefix or GT06_PREFIX) for index in range(count)]
    if protocol == "jt808":
        return [terminal_phone(seed, index, prefix or JT808_PREFIX) for index in range(count)]
    raise ValueError(f"unknown protocol {protocol!r}")


def _digits(seed: int, index: int, prefix: str, width: int) -> str:
    """`prefix`, then a number that starts at a seeded offset and counts up with `index`."""
    if not prefix.isdigit() or len(prefix) >= width:
        raise ValueError(f"the prefix must be fewer than {width} digits, not {prefix!r}")
    free = width - len(prefix)
    base = random.Random(seed).randrange(10 ** free)
    return prefix + str((base + index) % 10 ** free).zfill(free)
