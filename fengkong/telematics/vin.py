"""Vehicle identification numbers: format and check digit.

ISO 3779 leaves the ninth character free; North America (49 CFR 565) and China (GB 16735)
make it a check digit computed the same way, so a Chinese VIN with a wrong ninth character
is a typo or a forgery. Letters I, O and Q never appear (they read as 1 and 0).

    check_digit("1M8GDM9A_KP042788") == "X"
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

LENGTH: Final = 17
CHECK_POSITION: Final = 8  # zero-based: the ninth character
WEIGHTS: Final = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

# Letters transliterate to digits by their place in three runs of the alphabet.
_VALUES: Final = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7, "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
ALPHABET: Final = frozenset(_VALUES)


class VinProblem(StrEnum):
    LENGTH = "length"
    CHARACTER = "character"
    CHECK_DIGIT = "check_digit"


def normalise(vin: str) -> str:
    """Upper case without surrounding blanks: how VINs are stored and compared."""
    return vin.strip().upper()


def value_of(char: str) -> int:
    """The digit a VIN character counts as in the check-digit sum."""
    return _VALUES[char]


def check_digit(vin: str) -> str:
    """The check digit `vin` should carry at position 9 (whatever is there now is ignored).
    `vin` must already be 17 characters of the VIN alphabet, position 9 aside."""
    total = sum(WEIGHTS[i] * _VALUES[c] for i, c in enumerate(vin) if i != CHECK_POSITION)
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def with_check_digit(vin: str) -> str:
    """`vin` with its ninth character replaced by the correct check digit."""
    return vin[:CHECK_POSITION] + check_digit(vin) + vin[CHECK_POSITION + 1:]


def problem(vin: str) -> VinProblem | None:
    """What is wrong with `vin` (already normalised), or None when it is a valid VIN."""
    if len(vin) != LENGTH:
        return VinProblem.LENGTH
    if not all(c in ALPHABET for c in vin):
        return VinProblem.CHARACTER
    if vin[CHECK_POSITION] != check_digit(vin):
        return VinProblem.CHECK_DIGIT
    return None


def is_valid(vin: str) -> bool:
    return problem(normalise(vin)) is None
