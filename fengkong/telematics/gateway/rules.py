"""The session's decisions as pure functions: who a frame claims to come from, whether that
fits the connection, and what a frame from an identified device leads to.

A connection serves one device. It is unbound until a frame names a registered identifier
(GT06: only the login does; JT/T 808: every header does), then bound for good: a frame that
names another identifier is refused, not followed (Traccar does not multiplex devices over
one connection either). JT/T 808 adds authentication: registration (0x0100) earns a code,
authentication (0x0102) presents it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import tzinfo
from enum import StrEnum

from fengkong.telematics.gateway.ports import DeviceInfo
from fengkong.telematics.protocols.messages import Authentication, Login, Message


class Refusal(StrEnum):
    """Why the gateway (not the codec) turned a frame down. Counted like codec reasons."""

    UNIDENTIFIED = "unidentified"          # data before a login
    UNKNOWN_DEVICE = "unknown_device"      # the identifier is not registered
    IDENTITY_MISMATCH = "identity_mismatch"  # another identifier on a bound connection
    UNAUTHENTICATED = "unauthenticated"    # JT/T 808 data before a good 0x0102
    BAD_AUTH_CODE = "bad_auth_code"        # JT/T 808 0x0102 with a code not issued
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"                  # handling the frame raised: a bug, counted


@dataclass(slots=True)
class Binding:
    """Who is on a connection: the identifier as it came over the wire, the device it
    resolved to, whether a JT/T 808 terminal authenticated, the zone a GT06 login announced."""

    claimed_as: str | None = None
    device: DeviceInfo | None = None
    authenticated: bool = False
    login_timezone: tzinfo | None = None
    header_version: int | None = None  # JT/T 808-2019 version byte announced; None: 2013

    def bind(self, claimed_as: str, device: DeviceInfo) -> None:
        self.claimed_as, self.device = claimed_as, device


class Identity(StrEnum):
    KNOWN = "known"                # from the bound device, or naming nobody
    RESOLVE = "resolve"            # an unbound connection names someone: look them up
    UNIDENTIFIED = "unidentified"  # an unbound connection, and the frame names nobody
    MISMATCH = "identity_mismatch"


class Step(StrEnum):
    STORE = "store"
    REGISTER = "register"                  # issue a code, answer with it
    AUTHENTICATE = "authenticate"          # check the code presented
    UNAUTHENTICATED = "unauthenticated"    # refuse: authentication is required first


def claimed_identity(messages: Iterable[Message], *, at_login_only: bool) -> str | None:
    """The identifier a frame's messages name, if any. GT06 data carries the identifier the
    session itself put into the decode context, so only its login counts as a claim."""
    for message in messages:
        if at_login_only and not isinstance(message, Login):
            continue
        if message.device_id:
            return message.device_id
    return None


def identity_of(binding: Binding, claimed: str | None) -> Identity:
    if binding.device is None:
        return Identity.RESOLVE if claimed else Identity.UNIDENTIFIED
    if claimed is None or claimed == binding.claimed_as:
        return Identity.KNOWN
    return Identity.MISMATCH


def step_for(messages: Iterable[Message], *, authenticated: bool,
             authentication_required: bool) -> Step:
    """What to do with a checked frame from the bound device. Registration and authentication
    are always let through (they are how a terminal becomes authenticated)."""
    for message in messages:
        if isinstance(message, Login) and message.registration is not None:
            return Step.REGISTER
        if isinstance(message, Authentication):
            return Step.AUTHENTICATE
    if authentication_required and not authenticated:
        return Step.UNAUTHENTICATED
    return Step.STORE


def may_answer(binding: Binding, *, authentication_required: bool) -> bool:
    """Whether replies may go out at all: never to an unidentified sender, and not to a
    terminal that still has to authenticate."""
    if binding.device is None:
        return False
    return binding.authenticated or not authentication_required
