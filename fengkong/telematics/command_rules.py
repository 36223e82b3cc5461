"""The rules of device commands, pure: kinds, states and their moves, when an approved engine
stop is held back, how a command becomes a protocol message, and which sent command a
device's reply answers.

    awaiting_approval ──approve──► pending ──send──► sent ──reply──► acknowledged | failed
        │ reject / cancel             │ cancel          │ write failed: back to pending
        ▼                             ▼                 ▼
    rejected | cancelled          cancelled         expired (no answer in time)
    (any open state expires when its time is up; a command that cannot be encoded fails)

Engine commands (stop and resume) wait for a second person's approval; the other kinds are
pending from the start. A resume is approved too: releasing a car held for a defaulted loan
gives up the lender's lever over its collateral, a decision as weighty as the stop. Only an
engine stop is held for the vehicle's state: a car is cut off when it has a recent valid fix
and is slower than a limit, so that it never loses power at speed; a resume goes at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from fengkong.core.errors import Conflict, InvalidInput
from fengkong.telematics.protocols.commands import (
    Command,
    EngineResume,
    EngineStop,
    PositionQuery,
    TextCommand,
)
from fengkong.telematics.protocols.messages import CommandReply, Message, TerminalResponse


class Kind(StrEnum):
    ENGINE_STOP = "engine_stop"
    ENGINE_RESUME = "engine_resume"
    POSITION_REQUEST = "position_request"
    CUSTOM = "custom"


class State(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    PENDING = "pending"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Hold(StrEnum):
    """Why a pending command is not sent yet."""

    OFFLINE = "offline"        # the device has no live connection
    NO_FIX = "no_fix"          # no valid fix with a speed
    STALE_FIX = "stale_fix"    # the newest valid fix is too old to trust
    MOVING = "moving"          # at or above the speed limit


ENGINE = frozenset({Kind.ENGINE_STOP, Kind.ENGINE_RESUME})
OPEN = frozenset({State.AWAITING_APPROVAL, State.PENDING, State.SENT})
CANCELLABLE = frozenset({State.AWAITING_APPROVAL, State.PENDING})

_MOVES: dict[State, frozenset[State]] = {
    State.AWAITING_APPROVAL: frozenset({State.PENDING, State.REJECTED, State.CANCELLED,
                                        State.EXPIRED}),
    State.PENDING: frozenset({State.SENT, State.CANCELLED, State.EXPIRED, State.FAILED}),
    State.SENT: frozenset({State.ACKNOWLEDGED, State.FAILED, State.EXPIRED, State.PENDING}),
}

# Loan states in which a car may be cut off: money is still owed (a written-off loan is still
# being recovered). A resume is allowed whatever the loan's state.
LOAN_OPEN_FOR_STOP = frozenset({"active", "overdue", "restructured", "written_off"})

# The first word of a relay command in the firmware dialects fengkong knows (GT06 `Relay,1#`,
# `DYD,<password>#`, `HFYD#`). Free text starting so would cut or restore the engine without
# the approval an engine command needs.
_RELAY_TEXT = re.compile(r"^\s*(relay|dyd|hfyd)\s*(,|#|$)", re.IGNORECASE)
# Words by which a GT06 reply says the device did not do it ("Cut off the fuel supply:
# Failed!", "Password error", "Unknown command").
_FAILED_TEXT = re.compile(r"\b(fail(ed|ure)?|error|invalid|unknown command|unsupported)\b",
                          re.IGNORECASE)
# The JT/T 808 messages each kind goes out as (0x8900 carries text to Jimi dashcams; 0x8500
# is the vehicle control some vendors cut the engine with), which the terminal's answer names.
JT808_MESSAGES: dict[Kind, frozenset[int]] = {
    Kind.ENGINE_STOP: frozenset({0x8105, 0x8500}),
    Kind.ENGINE_RESUME: frozenset({0x8105, 0x8500}),
    Kind.POSITION_REQUEST: frozenset({0x8201}),
    Kind.CUSTOM: frozenset({0x8300, 0x8900}),
}
JT808_RESULTS = {0: "ok", 1: "failed", 2: "bad message", 3: "unsupported"}


@dataclass(frozen=True)
class Timing:
    """How long commands wait, and the limits an engine stop is held by."""

    ttl: timedelta = timedelta(hours=24)           # to be sent, from the request
    answer_window: timedelta = timedelta(hours=1)  # to be answered, from sending
    max_speed_kmh: float = 20.0                    # an engine stop is sent below this speed
    max_fix_age: timedelta = timedelta(minutes=10)  # ... on a valid fix at most this old


def move(current: str, target: State) -> State:
    """`target` if a command in `current` may move there; Conflict otherwise."""
    if target not in _MOVES.get(State(current), frozenset()):
        raise Conflict(f"a command that is {current} cannot become {target}",
                       code="wrong_state", field="state")
    return target


def needs_approval(kind: Kind) -> bool:
    return kind in ENGINE


@dataclass(frozen=True)
class Request:
    """What a requester asked for, before it is checked against stored state."""

    kind: Kind
    reason: str | None = None
    loan_id: str | None = None
    text: str | None = None


def check_request(request: Request) -> Request:
    """The request with blank strings dropped, or InvalidInput naming the field at fault.
    Engine commands carry a reason and the loan concerned; custom commands carry text that
    is not a relay command in disguise; other kinds carry no text."""
    reason = (request.reason or "").strip() or None
    text = (request.text or "").strip() or None
    kind = request.kind
    if kind in ENGINE:
        if reason is None:
            raise InvalidInput("say why the engine command is needed", code="required",
                               field="reason")
        if request.loan_id is None:
            raise InvalidInput("name the loan the engine command concerns", code="required",
                               field="loan_id")
    if kind is Kind.CUSTOM:
        if text is None:
            raise InvalidInput("a custom command needs its text", code="required",
                               field="text")
        if _RELAY_TEXT.match(text):
            raise InvalidInput("cut or restore the engine with an engine command, which "
                               "needs approval", code="engine_command_as_text", field="text")
    elif text is not None:
        raise InvalidInput(f"a {kind} command takes no text", code="not_allowed",
                           field="text")
    return Request(kind, reason, request.loan_id, text)


# --- holding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveFix:
    """What the device's live state says about its newest fix."""

    valid: bool | None
    fix_time: datetime | None
    speed_kmh: float | None


def hold_for(kind: Kind, connected: bool, fix: LiveFix | None, now: datetime,
             timing: Timing) -> Hold | None:
    """Why a pending command must wait, or None to send it now."""
    if not connected:
        return Hold.OFFLINE
    if kind is not Kind.ENGINE_STOP:
        return None
    if fix is None or not fix.valid or fix.fix_time is None or fix.speed_kmh is None:
        return Hold.NO_FIX
    if now - fix.fix_time > timing.max_fix_age:
        return Hold.STALE_FIX
    if fix.speed_kmh >= timing.max_speed_kmh:
        return Hold.MOVING
    return None


# --- encoding --------------------------------------------------------------------------------


def next_serial(previous: int | None) -> int:
    """The platform serial after `previous`: 1..65535, wrapping (0 is left out so that a
    GT06 server flag made from it is never the 0 devices send when they echo nothing)."""
    return 1 if previous is None or previous >= 0xFFFF else previous + 1


def server_flag(protocol: str, kind: Kind, serial: int) -> int | None:
    """The GT06 server flag a command carries and its reply echoes. The encoder puts a flag
    only into free-text commands; engine commands and position requests go with 0."""
    if protocol != "gt06":
        return None
    return serial if kind is Kind.CUSTOM else 0


@dataclass(frozen=True)
class Addressee:
    """The device as a command is addressed to it."""

    protocol: str
    identifier: str
    model: str | None = None
    header_version: int | None = None   # JT/T 808-2019 version byte; None: 2013 header


def protocol_command(kind: Kind, to: Addressee, serial: int, text: str | None = None
                     ) -> Command:
    """The protocol-level command for a stored one."""
    device, version, model = to.identifier, to.header_version, to.model
    match kind:
        case Kind.ENGINE_STOP:
            return EngineStop(device_id=device, serial=serial, protocol_version=version,
                              model=model)
        case Kind.ENGINE_RESUME:
            return EngineResume(device_id=device, serial=serial, protocol_version=version,
                                model=model)
        case Kind.POSITION_REQUEST:
            return PositionQuery(device_id=device, serial=serial, protocol_version=version,
                                 model=model)
    return TextCommand(device_id=device, serial=serial, protocol_version=version, model=model,
                       text=text or "", server_flag=server_flag(to.protocol, kind, serial) or 0)


# --- replies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """A command waiting for its answer, as reply matching needs it."""

    id: str
    kind: Kind
    serial: int
    server_flag: int | None


@dataclass(frozen=True)
class Answer:
    """A reply matched to the sent command it answers."""

    command_id: str
    state: State               # acknowledged or failed
    text: str | None
    result: int | None         # JT/T 808 result code


def match_reply(reply: Message, waiting: Sequence[Sent]) -> Answer | None:
    """The sent command (oldest first in `waiting`) that `reply` answers, if any.

    - GT06 0x15/0x21 echo the server flag: the oldest command sent with that flag; a reply
      with flag 0 from firmware that echoes nothing takes the oldest command of all. A text
      saying the device failed fails the command.
    - JT/T 808 0x0001 (and 0x0201/0x0500) name the serial and id of the message answered,
      which must be one the command's kind goes out as; a result other than 0 fails it.
      0x1300 names the serial; 0x0701/0x6006 name nothing and answer the oldest custom
      command.
    """
    if isinstance(reply, TerminalResponse):
        found = _first(waiting, lambda s: s.serial == reply.reply_serial
                       and reply.reply_id in JT808_MESSAGES[s.kind])
        if found is None:
            return None
        state = State.ACKNOWLEDGED if reply.result == 0 else State.FAILED
        return Answer(found.id, state, JT808_RESULTS.get(reply.result), reply.result)
    if not isinstance(reply, CommandReply):
        return None
    if reply.server_flag is not None:
        found = _first(waiting, lambda s: s.server_flag == reply.server_flag)
        if found is None and reply.server_flag == 0:
            found = _first(waiting, lambda s: True)
    elif reply.reply_serial is not None:
        found = _first(waiting, lambda s: s.serial == reply.reply_serial)
    else:
        found = _first(waiting, lambda s: s.kind is Kind.CUSTOM)
    if found is None:
        return None
    return Answer(found.id, reply_state(reply.text), reply.text, None)


def reply_state(text: str) -> State:
    """Acknowledged, unless the device's text says it failed."""
    return State.FAILED if _FAILED_TEXT.search(text) else State.ACKNOWLEDGED


def _first(waiting: Sequence[Sent], keep: Callable[[Sent], bool]) -> Sent | None:
    return next((s for s in waiting if keep(s)), None)
