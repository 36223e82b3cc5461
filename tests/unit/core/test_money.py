"""Money: parsing, exact minor-unit conversion, rounding and formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.core.errors import InvalidInput
from fengkong.core.money import (
    format_amount,
    from_minor,
    minor_digits,
    parse_amount,
    quantize,
    to_minor,
)

# Amounts a lender meets: up to a trillion yuan, to the fen.
fen_amounts = st.decimals(min_value=-10**12, max_value=10**12, places=2,
                          allow_nan=False, allow_infinity=False)
minor_units = st.integers(min_value=-10**18, max_value=10**18)


@pytest.mark.parametrize(("text", "expected"), [
    ("12.34", Decimal("12.34")),
    ("-0.01", Decimal("-0.01")),
    ("1000", Decimal("1000")),
    (7, Decimal(7)),
    (Decimal("3.5"), Decimal("3.5")),
])
def test_decimal_strings_ints_and_decimals_parse_to_the_same_amount(
    text: object, expected: Decimal
) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize("value", [0.1, 1.0, float("nan"), True, False])
def test_floats_and_booleans_are_refused_as_amounts(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount(value, field="principal")
    assert caught.value.code == "invalid_amount"
    assert caught.value.field == "principal"


@pytest.mark.parametrize("value", ["NaN", "sNaN", "inf", "-Infinity", Decimal("NaN"),
                                   Decimal("Infinity")])
def test_non_finite_amounts_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount(value)
    assert caught.value.code == "invalid_amount"
    assert caught.value.field == "amount"


@pytest.mark.parametrize("value", ["", "abc", "12.3.4", "1,000", "¥12", None, [1], "12e"])
def test_garbage_is_refused_with_the_field_it_came_from(value: object) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount(value, field="items.0.amount")
    assert caught.value.code == "invalid_amount"
    assert caught.value.field == "items.0.amount"


@given(fen_amounts)
def test_an_amount_printed_as_text_parses_back_to_itself(amount: Decimal) -> None:
    assert parse_amount(str(amount)) == amount


@given(fen_amounts)
def test_any_amount_to_the_fen_survives_a_round_trip_through_minor_units(
    amount: Decimal,
) -> None:
    minor = to_minor(amount)
    assert isinstance(minor, int)
    assert from_minor(minor) == amount


@given(minor_units)
def test_any_count_of_fen_survives_a_round_trip_through_decimal(minor: int) -> None:
    amount = from_minor(minor)
    assert amount.as_tuple().exponent == -2
    assert to_minor(amount) == minor


@given(st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False,
                   allow_infinity=False).filter(lambda d: d.scaleb(2) % 1 != 0))
def test_sub_fen_amounts_are_refused_rather_than_rounded(amount: Decimal) -> None:
    with pytest.raises(InvalidInput) as caught:
        to_minor(amount)
    assert caught.value.code == "too_many_decimals"
    assert caught.value.field == "amount"


def test_trailing_zeros_beyond_the_fen_are_not_sub_fen() -> None:
    assert to_minor(Decimal("12.3400")) == 1234


@pytest.mark.parametrize(("currency", "digits"), [
    ("CNY", 2), ("usd", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("bhd", 3),
])
def test_each_currency_has_its_iso_minor_digits(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


def test_yen_have_no_minor_unit() -> None:
    assert to_minor(Decimal("1500"), "JPY") == 1500
    assert from_minor(1500, "JPY") == Decimal("1500")
    with pytest.raises(InvalidInput):
        to_minor(Decimal("1500.5"), "JPY")


def test_dinars_have_three_minor_digits() -> None:
    assert to_minor(Decimal("1.234"), "KWD") == 1234
    assert str(from_minor(1234, "KWD")) == "1.234"
    with pytest.raises(InvalidInput):
        to_minor(Decimal("1.2345"), "KWD")


@given(st.integers(min_value=-10**15, max_value=10**15), st.sampled_from(["JPY", "KWD", "CNY"]))
def test_minor_units_round_trip_in_every_exponent(minor: int, currency: str) -> None:
    assert to_minor(from_minor(minor, currency), currency) == minor


@pytest.mark.parametrize(("amount", "rounding", "expected"), [
    ("2.345", "half_even", "2.34"),
    ("2.355", "half_even", "2.36"),
    ("2.345", "half_up", "2.35"),
    ("2.349", "down", "2.34"),
    ("2.341", "up", "2.35"),
    ("-2.345", "half_even", "-2.34"),
    ("-2.345", "half_up", "-2.35"),
    ("-2.349", "down", "-2.34"),
    ("-2.341", "up", "-2.35"),
    ("2.34", "up", "2.34"),
])
def test_each_rounding_mode_rounds_known_halves_its_own_way(
    amount: str, rounding: str, expected: str
) -> None:
    result = quantize(Decimal(amount), 2, rounding)
    assert str(result) == expected


def test_quantize_rounds_to_the_digits_asked_for() -> None:
    assert str(quantize(Decimal("1.5"), 0)) == "2"
    assert str(quantize(Decimal("2.5"), 0)) == "2"
    assert str(quantize(Decimal("1.2345"), 3, "half_up")) == "1.235"


def test_an_unknown_rounding_mode_is_refused() -> None:
    with pytest.raises(KeyError):
        quantize(Decimal("1.005"), 2, "bankers")


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    (Decimal("1E+3"), "CNY", "1000.00"),
    (Decimal("1.5"), "CNY", "1.50"),
    (Decimal("12345678.9"), "CNY", "12345678.90"),
    (Decimal("0.00001"), "CNY", "0.00"),
    (Decimal("-7.125"), "CNY", "-7.12"),
    (Decimal("1234.5"), "JPY", "1234"),
    (Decimal("1.5"), "KWD", "1.500"),
])
def test_format_amount_gives_fixed_digits_without_an_exponent(
    amount: Decimal, currency: str, expected: str
) -> None:
    assert format_amount(amount, currency) == expected


@given(st.decimals(min_value=-10**12, max_value=10**12, allow_nan=False,
                   allow_infinity=False))
def test_formatted_amounts_always_show_exactly_two_decimals(amount: Decimal) -> None:
    text = format_amount(amount)
    assert "E" not in text.upper()
    whole, _, fraction = text.partition(".")
    assert len(fraction) == 2
    assert whole.lstrip("-").isdigit()
