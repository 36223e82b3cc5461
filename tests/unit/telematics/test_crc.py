"""The checksums against their definitions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fengkong.telematics.protocols.crc import crc16_x25, luhn, xor8
from tests.unit.telematics.reference import crc_x25, xor


def test_crc16_x25_of_the_check_string_is_0x906e() -> None:
    assert crc16_x25(b"123456789") == 0x906E


@given(st.binary(max_size=300))
def test_crc16_x25_agrees_with_the_bit_by_bit_definition(data: bytes) -> None:
    assert crc16_x25(data) == crc_x25(data)


@given(st.binary(max_size=300))
def test_the_folded_xor_equals_a_byte_by_byte_xor(data: bytes) -> None:
    assert xor8(data) == xor(data)


def test_luhn_completes_an_imei() -> None:
    assert luhn(49015420323751) == 8          # 490154203237518, the textbook IMEI
    assert luhn(35209900176148) == 1
