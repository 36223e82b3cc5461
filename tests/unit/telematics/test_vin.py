"""VIN check digits (ISO 3779 / 49 CFR 565 / GB 16735): real VINs pass, typos are caught."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.telematics import vin

REAL = [
    "1M8GDM9AXKP042788",   # the textbook example: check digit X
    "JHMCM56557C404453",   # Honda Accord, Japan
    "LSVAM4187C2184847",   # SAIC Volkswagen, China (GB 16735)
    "11111111111111111",   # all ones: the sum is 1 x 89, and 89 mod 11 is 1
]

VIN_CHARS = sorted(vin.ALPHABET)
vins = st.lists(st.sampled_from(VIN_CHARS), min_size=17, max_size=17).map("".join)


@pytest.mark.parametrize("number", REAL)
def test_real_vins_are_valid(number: str) -> None:
    assert vin.problem(number) is None
    assert vin.is_valid(number.lower())


def test_a_wrong_ninth_character_is_a_check_digit_problem() -> None:
    assert vin.problem("1M8GDM9A1KP042788") is vin.VinProblem.CHECK_DIGIT
    assert vin.check_digit("1M8GDM9A1KP042788") == "X"


@pytest.mark.parametrize(("number", "problem"), [
    ("1M8GDM9AXKP04278", vin.VinProblem.LENGTH),
    ("1M8GDM9AXKP0427888", vin.VinProblem.LENGTH),
    ("1M8GDM9AXKP04278O", vin.VinProblem.CHARACTER),   # O is not a VIN letter
    ("IM8GDM9AXKP042788", vin.VinProblem.CHARACTER),   # nor is I
    ("1M8GDM9AXKP04278-", vin.VinProblem.CHARACTER),
])
def test_malformed_vins_say_what_is_wrong(number: str, problem: vin.VinProblem) -> None:
    assert vin.problem(number) is problem


def test_letters_i_o_and_q_are_not_in_the_alphabet() -> None:
    assert not {"I", "O", "Q"} & vin.ALPHABET
    assert len(vin.ALPHABET) == 33


@given(vins)
def test_a_vin_given_its_check_digit_is_valid(number: str) -> None:
    completed = vin.with_check_digit(number)
    assert vin.problem(completed) is None
    assert completed[:8] == number[:8] and completed[9:] == number[9:]


@given(vins, st.integers(0, 16).filter(lambda i: i != vin.CHECK_POSITION),
       st.sampled_from(VIN_CHARS))
def test_changing_one_other_character_is_caught_unless_it_counts_the_same(
        number: str, position: int, replacement: str) -> None:
    valid = vin.with_check_digit(number)
    changed = valid[:position] + replacement + valid[position + 1:]
    same_value = vin.value_of(replacement) == vin.value_of(valid[position])
    # Every weight but the check position's is non-zero mod 11, and 11 is prime, so only a
    # character that transliterates to the same digit (A/J/1, B/K/S/2, ...) goes unnoticed.
    assert (vin.problem(changed) is None) == same_value
