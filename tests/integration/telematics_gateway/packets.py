"""Packets from the shared corpus (`../shared/protocols`), by their number there."""

from __future__ import annotations

import functools

import pytest

from tests.unit.telematics import corpus


@functools.cache
def _by_number(protocol: str) -> dict[int, bytes]:
    return {vector.number: vector.data for vector in corpus.vectors(protocol)}


def packet(protocol: str, number: int) -> bytes:
    if not corpus.available():
        pytest.skip(corpus.MISSING)
    return _by_number(protocol)[number]


def gt06(number: int) -> bytes:
    return packet("gt06", number)


def jt808(number: int) -> bytes:
    return packet("jt808", number)


# GT06: login of 864717003283581 (serial 9), locations 0x12 (exact fix 54.94535 N 24.01762 E)
# and 0x22, an SOS alarm 0x16, a status heartbeat 0x13, a command reply 0x15.
GT06_LOGIN, GT06_LOCATION, GT06_LOCATION_2, GT06_ALARM, GT06_HEARTBEAT, GT06_REPLY = (
    2, 144, 54, 26, 142, 138)
# JT/T 808: registration (serial 5) and authentication "authentication" (serial 6) of
# 013511221122, a location 0x0200 of another terminal, a heartbeat of another terminal.
JT808_REGISTER, JT808_AUTHENTICATE, JT808_LOCATION, JT808_HEARTBEAT = 84, 86, 91, 92
