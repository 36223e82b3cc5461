"""Commands: the corpus's encoded commands byte for byte, and every command parsed back by
the test's own reading of the frame to the same text, word and serial."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.core.errors import InvalidInput
from fengkong.telematics.protocols import PROTOCOLS, gt06, jt808
from fengkong.telematics.protocols.commands import (
    EngineResume,
    EngineStop,
    PositionQuery,
    TerminalControl,
    TextCommand,
    VehicleControl,
)
from fengkong.telematics.protocols.jt808_frames import parse
from tests.unit.telematics.corpus import MISSING, available, cases
from tests.unit.telematics.reference import gt06_fields, jt808_fields, jt808_unescape

ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200)
serials = st.integers(0, 0xFFFF)
phones = st.from_regex(r"[0-9]{12}", fullmatch=True)
IMEI = "123456789012345"


def test_gt06_engine_stop_is_relay_1_as_traccar_sends_it() -> None:
    assert gt06.encode(EngineStop()) == bytes.fromhex(
        "7878 12 80 0c 00000000 52656c61792c3123 0000 9dee 0d0a")


@pytest.mark.parametrize(("command", "text"), [
    (EngineStop(), "Relay,1#"),
    (EngineResume(), "Relay,0#"),
    (EngineStop(password="654321"), "DYD,654321#"),
    (EngineResume(password="654321"), "HFYD,654321#"),
    (EngineStop(model="G109"), "DYD#"),
    (EngineResume(model="G109"), "HFYD#"),
    (PositionQuery(), "WHERE#"),
])
def test_gt06_cut_off_restore_and_query_use_the_model_s_command_text(
    command: EngineStop, text: str
) -> None:
    type_, content, _ = gt06_fields(gt06.encode(command))
    assert type_ == 0x80 and content[5:].decode() == text


@given(ascii_text, serials, st.integers(0, 0xFFFFFFFF))
def test_a_gt06_online_command_reads_back_to_its_text_flag_and_serial(
    text: str, serial: int, flag: int
) -> None:
    sent = gt06.encode(TextCommand(text=text, serial=serial, server_flag=flag))
    type_, content, echoed = gt06_fields(sent)
    assert type_ == 0x80 and echoed == serial
    assert content[0] == 4 + len(text)
    assert int.from_bytes(content[1:5], "big") == flag
    assert content[5:].decode("ascii") == text
    assert gt06.frame(sent).frames == [sent]


@given(phones, serials, st.integers(0, 255), ascii_text)
def test_a_jt808_terminal_control_reads_back_to_its_word_and_serial(
    phone: str, serial: int, word: int, params: str
) -> None:
    sent = jt808.encode(TerminalControl(device_id=phone, serial=serial, word=word,
                                        params=params))
    message_id, terminal, echoed, body = jt808_fields(sent)
    assert (message_id, terminal.hex(), echoed) == (0x8105, phone, serial)
    assert body[0] == word and body[1:].decode("ascii") == params


@given(phones, serials, st.integers(0, 255))
def test_a_jt808_vehicle_control_reads_back_to_its_flag_and_serial(
    phone: str, serial: int, flag: int
) -> None:
    sent = jt808.encode(VehicleControl(device_id=phone, serial=serial, flag=flag))
    assert jt808_fields(sent) == (0x8500, bytes.fromhex(phone), serial, bytes([flag]))


def test_a_2019_vehicle_control_lists_its_control_items() -> None:
    sent = jt808.encode(VehicleControl(device_id="13511221122", serial=3, protocol_version=1,
                                       items=((0xF001, b"\x01"),)))
    header = parse(jt808_unescape(sent[1:-1]).join((b"\x7e", b"\x7e")))
    assert (header.message_id, header.version, header.serial) == (0x8500, 1, 3)
    assert header.device_id == "00000000013511221122"
    assert header.body == bytes.fromhex("0001 F001 01")


@pytest.mark.parametrize(("command", "message_id", "body"), [
    (EngineStop(device_id=IMEI), 0x8105, b"\xf0"),
    (EngineResume(device_id=IMEI), 0x8105, b"\xf1"),
    (EngineStop(device_id=IMEI, model="W15L"), 0x8105, b"\x64"),
    (PositionQuery(device_id=IMEI), 0x8201, b""),
    (TextCommand(device_id=IMEI, text="STATUS#"), 0x8300, b"\x01STATUS#"),
])
def test_jt808_commands_carry_their_message_id_and_body(
    command: EngineStop, message_id: int, body: bytes
) -> None:
    found_id, terminal, _, found_body = jt808_fields(jt808.encode(command))
    assert (found_id, terminal.hex(), found_body) == (message_id, "0b3a73ce2ff2", body)


def test_a_command_a_protocol_cannot_express_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        gt06.encode(TerminalControl(word=4))
    with pytest.raises(InvalidInput):
        jt808.encode(PositionQuery(device_id="not a phone"))
    with pytest.raises(InvalidInput):
        gt06.encode(TextCommand(text="断油"))


skip_without_corpus = pytest.mark.skipif(not available(), reason=MISSING)
_COMMANDS = {
    ("gt06", "E1"): EngineStop(),
    ("jt808", "E1"): EngineStop(device_id=IMEI),
    ("jt808", "E2"): TextCommand(device_id=IMEI, text="Test, Command, 123#"),
    ("jt808", "E3"): TextCommand(device_id=IMEI, text="Test, Command, 123#", model="BSJ"),
    ("jt808", "E4"): TextCommand(device_id=IMEI, text="TEST", model="JC371"),
}


@skip_without_corpus
@pytest.mark.parametrize(("protocol", "label"), list(_COMMANDS))
def test_the_corpus_command_encodings_hold_byte_for_byte(protocol: str, label: str) -> None:
    line = dict(cases(protocol, "E"))[label]
    expected = bytes.fromhex(line.split(" -> ")[1].split()[0])
    assert PROTOCOLS[protocol].encode(_COMMANDS[protocol, label]) == expected
