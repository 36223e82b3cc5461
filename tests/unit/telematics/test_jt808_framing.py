"""JT/T 808 framing: escaping round-trips; frames survive any split into reads; garbage, bad
escapes and oversize frames are skipped and reported; the corpus's framing cases hold."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.telematics.protocols import jt808
from fengkong.telematics.protocols.jt808_frames import build, escape, unescape, wire
from fengkong.telematics.protocols.messages import FrameError, FrameResult
from tests.unit.telematics.corpus import MISSING, available, cases
from tests.unit.telematics.reference import jt808_unescape, read_in_chunks

frames_ = st.lists(
    st.builds(build, st.integers(0, 0xFFFF), st.from_regex(r"[0-9]{12}", fullmatch=True),
              st.integers(0, 0xFFFF), st.binary(max_size=120)),
    min_size=1, max_size=6)
garbage = st.binary(max_size=20).map(lambda b: b.replace(b"\x7e", b""))


@given(st.binary())
def test_escaping_round_trips_for_any_payload(payload: bytes) -> None:
    escaped = escape(payload)
    assert b"\x7e" not in escaped
    assert unescape(escaped) == payload == jt808_unescape(escaped)


@given(frames_, st.data())
def test_any_split_of_a_stream_into_reads_yields_the_same_frames(
    frames: list[bytes], data: st.DataObject
) -> None:
    stream = b"".join(wire(f) for f in frames)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    found, rest, errors = read_in_chunks(jt808.frame, stream, cuts)
    assert found == frames and rest == b"" and errors == []


@given(frames_, st.data())
def test_garbage_between_frames_is_skipped_and_reported(
    frames: list[bytes], data: st.DataObject
) -> None:
    junk = [data.draw(garbage) for _ in range(len(frames) + 1)]
    stream = b"".join(g + wire(f) for g, f in zip(junk, frames, strict=False)) + junk[-1]
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=4))
    found, rest, errors = read_in_chunks(jt808.frame, stream, cuts)
    assert found == frames and rest == b""
    assert {e.reason for e in errors} <= {"garbage"}
    assert b"".join(e.skipped for e in errors) == b"".join(junk)


def test_a_bad_escape_drops_that_frame_only() -> None:
    good = build(0x0002, "013511221122", 1, b"")
    result = jt808.frame(b"\x7e\x00\x02\x7d\x03\x7e" + wire(good))
    assert result.frames == [good]
    assert result.errors == [FrameError("bad_escape", b"\x7e\x00\x02\x7d\x03\x7e")]


def test_a_frame_longer_than_the_limit_is_reported_and_skipped() -> None:
    good = build(0x0002, "013511221122", 1, b"")
    result = jt808.frame(b"\x7e" + b"\x01" * 5000 + wire(good))
    assert result.frames == [good]
    assert result.errors[0] == FrameError("oversize", b"\x7e")


def test_a_partial_frame_waits_in_rest_for_the_next_read() -> None:
    sent = wire(build(0x0200, "013511221122", 9, bytes(28)))
    first = jt808.frame(sent[:20])
    assert first == FrameResult([], sent[:20], [])


skip_without_corpus = pytest.mark.skipif(not available(), reason=MISSING)


@skip_without_corpus
@pytest.mark.parametrize(("label", "line"), cases("jt808", "F") if available() else [])
def test_the_corpus_framing_cases_unescape_to_the_stated_frame(label: str, line: str) -> None:
    given_hex, _, rest = line.partition(" -> ")
    result = jt808.frame(bytes.fromhex(given_hex))
    if label == "F1":                       # an e-lock's ASCII sentence: not JT/T 808
        assert result.frames == [] and result.errors[0].reason == "garbage"
    else:
        assert result.frames == [bytes.fromhex(rest.split()[0])]


@skip_without_corpus
def test_the_corpus_escaping_case_holds() -> None:
    line = dict(cases("jt808", "E"))["E0"]
    unescaped, _, escaped = line.partition(" -> ")
    assert wire(bytes.fromhex(unescaped)) == bytes.fromhex(escaped.split()[0])
