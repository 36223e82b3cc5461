"""The rules of device commands without a database: which moves a command may make, what a
request must carry, when an engine stop is held, how commands are numbered and encoded, and
which sent command a reply answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fengkong.core.errors import Conflict, InvalidInput
from fengkong.telematics.command_rules import (
    CANCELLABLE,
    OPEN,
    Addressee,
    Hold,
    Kind,
    LiveFix,
    Request,
    Sent,
    State,
    Timing,
    check_request,
    hold_for,
    match_reply,
    move,
    needs_approval,
    next_serial,
    protocol_command,
    reply_state,
    server_flag,
)
from fengkong.telematics.device_side.platform import OnlineCommand, read_gt06
from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.protocols.commands import EngineStop, TextCommand
from fengkong.telematics.protocols.messages import CommandReply, Login, TerminalResponse

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
TIMING = Timing()
LOAN = "01KA0000000000000000000000"


# --- states ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), [
    (State.AWAITING_APPROVAL, State.PENDING),
    (State.AWAITING_APPROVAL, State.REJECTED),
    (State.AWAITING_APPROVAL, State.CANCELLED),
    (State.AWAITING_APPROVAL, State.EXPIRED),
    (State.PENDING, State.SENT),
    (State.PENDING, State.CANCELLED),
    (State.PENDING, State.EXPIRED),
    (State.PENDING, State.FAILED),
    (State.SENT, State.ACKNOWLEDGED),
    (State.SENT, State.FAILED),
    (State.SENT, State.EXPIRED),
    (State.SENT, State.PENDING),
])
def test_a_command_makes_the_moves_of_its_life(current: State, target: State) -> None:
    assert move(current, target) is target


@pytest.mark.parametrize(("current", "target"), [
    (State.AWAITING_APPROVAL, State.SENT),       # never sent without approval
    (State.PENDING, State.REJECTED),
    (State.SENT, State.CANCELLED),               # out of the platform's hands
    (State.ACKNOWLEDGED, State.FAILED),
    (State.EXPIRED, State.PENDING),
    (State.REJECTED, State.PENDING),
    (State.CANCELLED, State.PENDING),
])
def test_a_command_refuses_moves_its_state_does_not_allow(current: State,
                                                          target: State) -> None:
    with pytest.raises(Conflict) as caught:
        move(current, target)
    assert caught.value.code == "wrong_state"


@given(st.sampled_from(list(State)), st.sampled_from(list(State)))
def test_every_end_state_is_final_and_only_open_states_move(current: State,
                                                            target: State) -> None:
    try:
        move(current, target)
    except Conflict:
        return
    assert current in OPEN


def test_only_engine_commands_wait_for_approval_and_only_unsent_ones_cancel() -> None:
    assert {k for k in Kind if needs_approval(k)} == {Kind.ENGINE_STOP, Kind.ENGINE_RESUME}
    assert {State.AWAITING_APPROVAL, State.PENDING} == CANCELLABLE


# --- requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("asked", "code", "field"), [
    (Request(Kind.ENGINE_STOP, loan_id=LOAN), "required", "reason"),
    (Request(Kind.ENGINE_STOP, reason="   ", loan_id=LOAN), "required", "reason"),
    (Request(Kind.ENGINE_STOP, reason="90 days past due"), "required", "loan_id"),
    (Request(Kind.ENGINE_RESUME, reason="paid"), "required", "loan_id"),
    (Request(Kind.ENGINE_STOP, reason="x", loan_id=LOAN, text="Relay,1#"), "not_allowed",
     "text"),
    (Request(Kind.POSITION_REQUEST, text="WHERE#"), "not_allowed", "text"),
    (Request(Kind.CUSTOM), "required", "text"),
    (Request(Kind.CUSTOM, text="Relay,1#"), "engine_command_as_text", "text"),
    (Request(Kind.CUSTOM, text=" relay , 0#"), "engine_command_as_text", "text"),
    (Request(Kind.CUSTOM, text="DYD,123456#"), "engine_command_as_text", "text"),
    (Request(Kind.CUSTOM, text="hfyd#"), "engine_command_as_text", "text"),
])
def test_a_request_missing_what_its_kind_needs_is_refused_naming_the_field(
        asked: Request, code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_request(asked)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_a_good_request_comes_back_trimmed() -> None:
    assert check_request(Request(Kind.ENGINE_STOP, " overdue ", LOAN)) == Request(
        Kind.ENGINE_STOP, "overdue", LOAN)
    assert check_request(Request(Kind.CUSTOM, text=" TIMER,10# ")).text == "TIMER,10#"
    assert check_request(Request(Kind.CUSTOM, text="RELAYSTATUS#")).text == "RELAYSTATUS#"


# --- holding ---------------------------------------------------------------------------------


def fix(speed: float | None = 5.0, age: timedelta = timedelta(minutes=1),
        valid: bool | None = True) -> LiveFix:
    return LiveFix(valid, NOW - age, speed)


@pytest.mark.parametrize(("live", "hold"), [
    (fix(), None),
    (fix(speed=0.0), None),
    (fix(speed=19.9), None),
    (fix(speed=20.0), Hold.MOVING),
    (fix(speed=87.0), Hold.MOVING),
    (fix(age=timedelta(minutes=10)), None),
    (fix(age=timedelta(minutes=10, seconds=1)), Hold.STALE_FIX),
    (fix(valid=False), Hold.NO_FIX),
    (fix(valid=None), Hold.NO_FIX),
    (fix(speed=None), Hold.NO_FIX),
    (LiveFix(True, None, 0.0), Hold.NO_FIX),
    (None, Hold.NO_FIX),
])
def test_an_engine_stop_goes_only_on_a_recent_valid_fix_below_the_speed_limit(
        live: LiveFix | None, hold: Hold | None) -> None:
    assert hold_for(Kind.ENGINE_STOP, True, live, NOW, TIMING) == hold


def test_the_speed_limit_and_fix_age_are_settings() -> None:
    strict = Timing(max_speed_kmh=5.0, max_fix_age=timedelta(minutes=2))
    assert hold_for(Kind.ENGINE_STOP, True, fix(speed=6.0), NOW, strict) is Hold.MOVING
    assert hold_for(Kind.ENGINE_STOP, True, fix(age=timedelta(minutes=3)), NOW,
                    strict) is Hold.STALE_FIX


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_waits_for_a_connection_and_only_a_stop_for_the_vehicle(kind: Kind) -> None:
    assert hold_for(kind, False, fix(), NOW, TIMING) is Hold.OFFLINE
    moving = hold_for(kind, True, fix(speed=120.0), NOW, TIMING)
    assert moving is (Hold.MOVING if kind is Kind.ENGINE_STOP else None)


# --- numbering and encoding ------------------------------------------------------------------


def test_serials_count_up_from_one_and_wrap_past_65535_without_zero() -> None:
    assert [next_serial(s) for s in (None, 1, 41, 0xFFFE, 0xFFFF)] == [1, 2, 42, 0xFFFF, 1]


def test_only_gt06_text_commands_carry_their_serial_as_server_flag() -> None:
    assert server_flag("gt06", Kind.CUSTOM, 7) == 7
    assert server_flag("gt06", Kind.ENGINE_STOP, 7) == 0
    assert server_flag("jt808", Kind.CUSTOM, 7) is None


def test_a_gt06_custom_command_puts_its_flag_in_the_0x80_frame() -> None:
    to = Addressee("gt06", "864717003283581", "GT06N")
    command = protocol_command(Kind.CUSTOM, to, 300, "STATUS#")
    assert command == TextCommand(device_id=to.identifier, serial=300, model="GT06N",
                                  text="STATUS#", server_flag=300)
    assert read_gt06(PROTOCOLS["gt06"].encode(command)) == OnlineCommand(300, 300, "STATUS#")


def test_a_gt06_engine_stop_is_the_models_relay_text_with_flag_zero() -> None:
    to = Addressee("gt06", "864717003283581")
    command = protocol_command(Kind.ENGINE_STOP, to, 5)
    assert command == EngineStop(device_id=to.identifier, serial=5)
    assert read_gt06(PROTOCOLS["gt06"].encode(command)) == OnlineCommand(5, 0, "Relay,1#")
    g109 = protocol_command(Kind.ENGINE_RESUME, Addressee("gt06", to.identifier, "G109"), 6)
    assert read_gt06(PROTOCOLS["gt06"].encode(g109)) == OnlineCommand(6, 0, "HFYD#")


# --- replies ---------------------------------------------------------------------------------

STOP = Sent("stop", Kind.ENGINE_STOP, 11, 0)
TEXT = Sent("text", Kind.CUSTOM, 12, 12)
WHERE = Sent("where", Kind.POSITION_REQUEST, 13, 0)


def gt06_reply(text: str, flag: int) -> CommandReply:
    return CommandReply("864717003283581", text, 99, server_flag=flag)


def test_a_gt06_reply_answers_the_oldest_command_sent_with_its_flag() -> None:
    answer = match_reply(gt06_reply("TIMER=10", 12), [STOP, TEXT, WHERE])
    assert answer is not None and (answer.command_id, answer.state) == ("text",
                                                                        State.ACKNOWLEDGED)
    answer = match_reply(gt06_reply("Cut off the fuel supply: Success!", 0),
                         [TEXT, STOP, WHERE])
    assert answer is not None and answer.command_id == "stop"
    assert answer.text == "Cut off the fuel supply: Success!"


def test_a_gt06_reply_with_flag_zero_answers_the_oldest_command_when_none_has_it() -> None:
    answer = match_reply(gt06_reply("TIMER=10", 0), [TEXT])
    assert answer is not None and answer.command_id == "text"


def test_a_gt06_reply_with_an_unknown_flag_answers_nothing() -> None:
    assert match_reply(gt06_reply("late", 77), [STOP, TEXT]) is None
    assert match_reply(gt06_reply("late", 0), []) is None


@pytest.mark.parametrize(("text", "state"), [
    ("Cut off the fuel supply: Success!", State.ACKNOWLEDGED),
    ("Restore fuel supply: Success!", State.ACKNOWLEDGED),
    ("Already in the state of fuel supply cut off!", State.ACKNOWLEDGED),
    ("Cut off the fuel supply: Failed! Speed:45km/h", State.FAILED),
    ("Password error!", State.FAILED),
    ("Unknown command", State.FAILED),
])
def test_a_gt06_reply_saying_it_failed_fails_the_command(text: str, state: State) -> None:
    assert reply_state(text) is state


@pytest.mark.parametrize(("result", "state", "text"), [
    (0, State.ACKNOWLEDGED, "ok"), (1, State.FAILED, "failed"),
    (2, State.FAILED, "bad message"), (3, State.FAILED, "unsupported"),
])
def test_a_jt808_general_response_answers_by_serial_with_its_result(
        result: int, state: State, text: str) -> None:
    response = TerminalResponse("13512345678", 40, 12, 0x8300, result)
    answer = match_reply(response, [STOP, TEXT])
    assert answer is not None
    assert (answer.command_id, answer.state, answer.text, answer.result) == (
        "text", state, text, result)


def test_a_jt808_response_must_name_the_serial_and_the_message_the_kind_went_as() -> None:
    assert match_reply(TerminalResponse("13512345678", 40, 12, 0x8001, 0), [TEXT]) is None
    assert match_reply(TerminalResponse("13512345678", 40, 12, 0x8105, 0), [TEXT]) is None
    assert match_reply(TerminalResponse("13512345678", 40, 14, 0x8300, 0), [TEXT]) is None
    stop = match_reply(TerminalResponse("13512345678", 40, 11, 0x8105, 0), [TEXT, STOP])
    assert stop is not None and stop.command_id == "stop"
    where = match_reply(TerminalResponse("13512345678", 40, 13, 0x8201, 0), [STOP, WHERE])
    assert where is not None and where.command_id == "where"


def test_jt808_text_replies_answer_by_serial_or_else_the_oldest_custom_command() -> None:
    by_serial = CommandReply("13512345678", "done", 41, reply_serial=13)
    answer = match_reply(by_serial, [STOP, TEXT, WHERE])
    assert answer is not None and answer.command_id == "where"
    unnamed = CommandReply("13512345678", "done", 42)
    answer = match_reply(unnamed, [STOP, TEXT])
    assert answer is not None and answer.command_id == "text"
    assert match_reply(unnamed, [STOP]) is None


def test_messages_that_are_not_replies_answer_nothing() -> None:
    assert match_reply(Login("864717003283581", 1), [STOP]) is None
