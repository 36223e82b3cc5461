"""The session's pure decisions: identity claims, binding, and the JT/T 808 authentication
gate."""

from __future__ import annotations

from datetime import UTC, datetime

from fengkong.telematics.gateway import DeviceInfo
from fengkong.telematics.gateway.rules import (
    Binding,
    Identity,
    Step,
    claimed_identity,
    identity_of,
    may_answer,
    step_for,
)
from fengkong.telematics.protocols.messages import Authentication, Login, Registration
from fengkong.telematics.protocols.position import Position, Status

DEVICE = DeviceInfo("t", "dev-1", "013511221122", "jt808")
FIX = Position("013511221122", datetime(2026, 1, 1, tzinfo=UTC), True, 1.0, 2.0)
REGISTRATION = Login("013511221122", 5, registration=Registration(0, 0, "m", "x", "t", 1, "P"))
AUTH = Authentication("013511221122", 6, "code")


def bound(*, authenticated: bool = False) -> Binding:
    binding = Binding()
    binding.bind("013511221122", DEVICE)
    binding.authenticated = authenticated
    return binding


def test_a_gt06_frame_claims_an_identity_only_by_its_login() -> None:
    assert claimed_identity([Status("864717003283581")], at_login_only=True) is None
    assert claimed_identity([Login("864717003283581", 1)], at_login_only=True) == (
        "864717003283581")


def test_every_jt808_message_claims_its_terminal() -> None:
    assert claimed_identity([FIX], at_login_only=False) == "013511221122"
    assert claimed_identity([], at_login_only=False) is None


def test_an_unbound_connection_resolves_a_claim_and_refuses_anonymous_data() -> None:
    assert identity_of(Binding(), "013511221122") is Identity.RESOLVE
    assert identity_of(Binding(), None) is Identity.UNIDENTIFIED


def test_a_bound_connection_keeps_its_device_and_refuses_another() -> None:
    assert identity_of(bound(), "013511221122") is Identity.KNOWN
    assert identity_of(bound(), None) is Identity.KNOWN
    assert identity_of(bound(), "099999999999") is Identity.MISMATCH


def test_registration_and_authentication_pass_the_gate_before_authentication() -> None:
    assert step_for([REGISTRATION], authenticated=False,
                    authentication_required=True) is Step.REGISTER
    assert step_for([AUTH], authenticated=False,
                    authentication_required=True) is Step.AUTHENTICATE


def test_data_waits_for_authentication_only_where_it_is_required() -> None:
    assert step_for([FIX], authenticated=False,
                    authentication_required=True) is Step.UNAUTHENTICATED
    assert step_for([], authenticated=False,
                    authentication_required=True) is Step.UNAUTHENTICATED
    assert step_for([FIX], authenticated=True, authentication_required=True) is Step.STORE
    assert step_for([FIX], authenticated=False, authentication_required=False) is Step.STORE


def test_nobody_unidentified_or_unauthenticated_is_answered() -> None:
    assert not may_answer(Binding(), authentication_required=False)
    assert not may_answer(bound(), authentication_required=True)
    assert may_answer(bound(authenticated=True), authentication_required=True)
    assert may_answer(bound(), authentication_required=False)
