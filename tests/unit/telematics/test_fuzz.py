"""Fuzzing: random bytes, random content in well-formed frames of every decoded type, and
mutations of real packets never raise from a framer or a decoder. `FENGKONG_FUZZ_FRAMES`
scales the bulk loop (default 20,000 frames per protocol; `.ci/run` sets 500,000 per
protocol: a million in all)."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fengkong.telematics.protocols import PROTOCOLS, gt06, jt808
from fengkong.telematics.protocols.gt06_frames import build as gt06_build
from fengkong.telematics.protocols.jt808_frames import build as jt808_build
from fengkong.telematics.protocols.messages import DecodeContext, Decoded
from tests.unit.telematics.corpus import available, vectors

NOW = datetime(2026, 9, 1, tzinfo=UTC)
GT06_TYPES = sorted(gt06.DECODED_TYPES)
MODELS = [None, "VL103", "LW4G-4B", "SEEWORLD", "R11", "QH302R", "NT20", "AL300", "G-360P",
          "MV710G", "JC371", "GL100"]
CONTEXTS = [DecodeContext(received_at=NOW, device_id="864717003283581", model=model,
                          accept_bad_crc=relaxed, auth_code="code")
            for model in MODELS for relaxed in (False, True)]


def _decode_everywhere(protocol: str, frame: bytes) -> None:
    for ctx in CONTEXTS[::5] if len(frame) > 64 else CONTEXTS:
        decoded = PROTOCOLS[protocol].decode(frame, ctx)
        assert isinstance(decoded, Decoded)
        assert decoded.messages or decoded.replies or decoded.rejected or decoded == Decoded()


def _gt06_frame(type_: int, content: bytes, serial: int, extended: bool) -> bytes:
    if not extended and len(content) > 250:
        content = content[:250]
    return gt06_build(type_, content, serial, extended=extended)


@given(st.sampled_from(["gt06", "jt808"]), st.binary(max_size=400))
def test_random_bytes_never_raise_from_framer_or_decoder(protocol: str, data: bytes) -> None:
    codec = PROTOCOLS[protocol]
    frames, rest, errors = codec.framer(data)
    assert len(rest) <= len(data)
    for frame in [*frames, data]:
        _decode_everywhere(protocol, frame)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(GT06_TYPES), st.binary(max_size=300), st.integers(0, 0xFFFF),
       st.booleans())
def test_any_content_in_a_well_formed_gt06_frame_never_raises(
    type_: int, content: bytes, serial: int, extended: bool
) -> None:
    _decode_everywhere("gt06", _gt06_frame(type_, content, serial, extended))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(jt808.DECODED_IDS)), st.binary(max_size=600), st.integers(0, 0xFFFF),
       st.sampled_from([None, 1]))
def test_any_body_in_a_well_formed_jt808_frame_never_raises(
    message_id: int, body: bytes, serial: int, version: int | None
) -> None:
    phone = "013511221122" if version is None else "00000866496077582164"
    _decode_everywhere("jt808", jt808_build(message_id, phone, serial, body, version))


def _mutate(rng: random.Random, frame: bytes) -> bytes:
    data = bytearray(frame)
    for _ in range(rng.randint(1, 4)):
        choice = rng.random()
        if choice < 0.5 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice < 0.7 and data:
            start = rng.randrange(len(data))
            del data[start:start + rng.randint(1, 8)]
        elif choice < 0.9:
            data[rng.randrange(len(data) + 1):0] = rng.randbytes(rng.randint(1, 8))
        else:
            data = data[:rng.randrange(len(data) + 1)]
    return bytes(data)


def _seeds(protocol: str, rng: random.Random) -> list[bytes]:
    if available():
        return [v.data for v in vectors(protocol)]
    if protocol == "gt06":
        return [_gt06_frame(t, rng.randbytes(40), 1, False) for t in GT06_TYPES]
    return [jt808_build(m, "013511221122", 1, rng.randbytes(60)) for m in jt808.DECODED_IDS]


@pytest.mark.parametrize("protocol", ["gt06", "jt808"])
def test_a_bulk_of_random_and_mutated_frames_never_raises(protocol: str) -> None:
    rng = random.Random(808)
    seeds = _seeds(protocol, rng)
    codec = PROTOCOLS[protocol]
    count = int(os.environ.get("FENGKONG_FUZZ_FRAMES", "20000"))
    for i in range(count):
        if i % 4 == 0:
            frame = rng.randbytes(rng.randint(0, 120))
        elif protocol == "gt06" and i % 4 == 1:
            frame = _gt06_frame(rng.choice(GT06_TYPES), rng.randbytes(rng.randint(0, 120)),
                                i & 0xFFFF, rng.random() < 0.2)
        elif i % 4 == 1:
            frame = jt808_build(rng.choice(sorted(jt808.DECODED_IDS)), "013511221122", i & 0xFFFF,
                                rng.randbytes(rng.randint(0, 200)))
        else:
            frame = _mutate(rng, rng.choice(seeds))
        codec.framer(frame)
        ctx = CONTEXTS[i % len(CONTEXTS)]
        assert isinstance(codec.decode(frame, ctx), Decoded)
