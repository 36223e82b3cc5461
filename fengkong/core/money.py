"""Money: `Decimal` in code, integer minor units (fen) in the database."""

from __future__ import annotations

from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
    localcontext,
)

from fengkong.core.errors import InvalidInput

ROUNDING_MODES = {
    "half_even": ROUND_HALF_EVEN,
    "half_up": ROUND_HALF_UP,
    "down": ROUND_DOWN,
    "up": ROUND_UP,
}

# ISO 4217 minor-unit exponents that differ from 2; every other currency has 2.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3,
                "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3}


def minor_digits(currency: str = "CNY") -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def parse_amount(value: object, *, field: str = "amount") -> Decimal:
    """A finite Decimal from a string, int or Decimal; floats are refused (they are not money)."""
    if isinstance(value, (bool, float)):
        raise InvalidInput("amounts are decimal strings, not floats", code="invalid_amount",
                           field=field)
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidInput(f"{value!r} is not a decimal amount", code="invalid_amount",
                           field=field) from None
    if not amount.is_finite():
        raise InvalidInput("amount must be finite", code="invalid_amount", field=field)
    return amount


def quantize(amount: Decimal, digits: int = 2, rounding: str = "half_even") -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUNDING_MODES[rounding])


def to_minor(amount: Decimal, currency: str = "CNY") -> int:
    """Exact conversion to fen (or the currency's minor unit); refuses sub-fen amounts."""
    digits = minor_digits(currency)
    with localcontext() as ctx:  # exact for any amount a ledger can hold
        ctx.prec = 60
        scaled = amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(f"{amount} has more than {digits} decimal places",
                           code="too_many_decimals", field="amount")
    return int(scaled)


def from_minor(minor: int, currency: str = "CNY") -> Decimal:
    digits = minor_digits(currency)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def format_amount(amount: Decimal, currency: str = "CNY") -> str:
    """The decimal string used in API responses (fixed digits, no exponent)."""
    rounded = quantize(amount, minor_digits(currency))
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:f}"  # never "-0.00"
