"""One connection's protocol state and the handling of one frame, without sockets.

`Session.handle(frame)` decodes the frame with what the session knows of the device, resolves
the device through the directory when the frame first names it, runs the JT/T 808
registration and authentication, reassembles sub-packaged messages, and says what to store and
what to answer. It writes nothing: the connection stores the `Inbound`s of a batch and only
then sends the replies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from fengkong.telematics.gateway.dialects import DIALECTS
from fengkong.telematics.gateway.ports import DeviceDirectory, DeviceInfo, Inbound
from fengkong.telematics.gateway.rules import (
    Binding,
    Identity,
    Refusal,
    Step,
    claimed_identity,
    identity_of,
    may_answer,
    step_for,
)
from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.protocols.jt808_reassembly import Reassembler
from fengkong.telematics.protocols.messages import (
    Authentication,
    DecodeContext,
    Decoded,
    Fragment,
    Login,
    Reason,
)

_CHECKSUM = frozenset({Reason.BAD_CRC, Reason.BAD_CHECKSUM})


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one frame leads to: something to store, replies to send once it is stored, or
    the reason it was turned down."""

    inbound: Inbound | None = None
    replies: tuple[bytes, ...] = ()
    rejected: str | None = None


def _refused(reason: str, replies: tuple[bytes, ...] = ()) -> Outcome:
    return Outcome(rejected=reason, replies=replies)


class Session:
    def __init__(self, protocol: str, directory: DeviceDirectory, remote: str, *,
                 require_authentication: bool = True) -> None:
        self.protocol = protocol
        self.codec = PROTOCOLS[protocol]
        self.dialect = DIALECTS[protocol]
        self.directory = directory
        self.remote = remote
        self.authentication_required = self.dialect.authenticates and require_authentication
        self.binding = Binding()
        self.reassembler = Reassembler()
        self._serial = 0                 # JT/T 808 platform serial for replies

    @property
    def device(self) -> DeviceInfo | None:
        return self.binding.device

    @property
    def identified(self) -> bool:
        """The device is known and, where the protocol asks for it, authenticated: only then
        may the connection become the device's (receive its commands, replace an older one,
        count as online). A JT/T 808 terminal that merely claims a phone number does not."""
        return may_answer(self.binding, authentication_required=self.authentication_required)

    async def handle(self, frame: bytes, received_at: datetime) -> Outcome:
        if self.binding.device is None:
            outcome = await self._identify(frame, received_at)
        else:
            outcome = await self._handle_bound(frame, received_at)
        self._serial = (self._serial + len(outcome.replies)) & 0xFFFF
        return outcome

    async def _identify(self, frame: bytes, at: datetime) -> Outcome:
        """An unbound connection: find out who speaks. A frame failing its checksum is decoded
        again leniently only to learn the identifier, in case the device is registered with
        `accept_bad_crc`; a corrupted identifier is never reported as an unknown device."""
        decoded = self.codec.decode(frame, self._context(at))
        checksum_reason = decoded.rejected if decoded.rejected in _CHECKSUM else None
        if checksum_reason is not None:
            decoded = self.codec.decode(frame, self._context(at, accept_bad_crc=True))
        claimed = claimed_identity(decoded.messages,
                                   at_login_only=self.dialect.binds_at_login_only)
        if not claimed:
            return _refused(checksum_reason or decoded.rejected or Refusal.UNIDENTIFIED)
        device = await self.directory.lookup(self.protocol, claimed)
        if checksum_reason is not None and (device is None or not device.accept_bad_crc):
            return _refused(checksum_reason)
        if device is None:
            await self.directory.note_unknown(self.protocol, claimed, self.remote)
            return _refused(Refusal.UNKNOWN_DEVICE)
        self.binding.bind(claimed, device)
        return await self._handle_bound(frame, at)

    async def _handle_bound(self, frame: bytes, at: datetime) -> Outcome:
        context = self._context(at)
        decoded = self.codec.decode(frame, context)
        answer = may_answer(self.binding, authentication_required=self.authentication_required)
        if decoded.rejected:
            # a rejection may carry an ack (GT06 resends unacknowledged frames forever)
            return _refused(decoded.rejected, decoded.replies if answer else ())
        claimed = claimed_identity(decoded.messages,
                                   at_login_only=self.dialect.binds_at_login_only)
        if identity_of(self.binding, claimed) is Identity.MISMATCH:
            return _refused(Refusal.IDENTITY_MISMATCH)
        decoded, raw = self._reassemble(decoded, frame, context)
        if decoded.rejected:
            return _refused(decoded.rejected, decoded.replies if answer else ())
        step = step_for(decoded.messages, authenticated=self.binding.authenticated,
                        authentication_required=self.authentication_required)
        if step is Step.REGISTER:
            return await self._register(raw, at)
        if step is Step.AUTHENTICATE:
            return await self._authenticate(decoded, raw, at)
        if step is Step.UNAUTHENTICATED:
            return _refused(Refusal.UNAUTHENTICATED)
        return self._accept(decoded, raw, at, context)

    def _reassemble(self, decoded: Decoded, frame: bytes,
                    context: DecodeContext) -> tuple[Decoded, bytes]:
        """A JT/T 808 part is kept until its message is whole; each part's ack goes out as the
        decoder made it. The whole message's own replies would repeat the first part's ack
        and are dropped (so a sub-packaged registration is not answered)."""
        part = next((m for m in decoded.messages if isinstance(m, Fragment)), None)
        if part is None:
            return decoded, frame
        whole = self.reassembler.add(part)
        if whole is None:
            return Decoded(replies=decoded.replies), frame
        complete = self.codec.decode(whole, context)
        return replace(complete, replies=decoded.replies), whole

    async def _register(self, frame: bytes, at: datetime) -> Outcome:
        device = self._bound()
        code = await self.directory.issue_auth_code(device)
        self.binding.authenticated = False
        decoded = self.codec.decode(frame, self._context(at, auth_code=code))
        if decoded.rejected:
            return _refused(decoded.rejected)
        return self._accept(decoded, frame, at)

    async def _authenticate(self, decoded: Decoded, frame: bytes, at: datetime) -> Outcome:
        auth = next(m for m in decoded.messages if isinstance(m, Authentication))
        if await self.directory.check_auth_code(self._bound(), auth.auth_code):
            self.binding.authenticated = True
            return self._accept(decoded, frame, at)
        self.binding.authenticated = False
        refuse = self.dialect.refuse_authentication
        return _refused(Refusal.BAD_AUTH_CODE, (refuse(auth, self._serial),) if refuse else ())

    def _accept(self, decoded: Decoded, frame: bytes, at: datetime,
                context: DecodeContext | None = None) -> Outcome:
        """`context`: the one the frame was decoded with, reused for the `Inbound` unless
        the frame changes what a context holds (a login's time zone)."""
        device = self._bound()
        for message in decoded.messages:
            if isinstance(message, Login) and message.timezone is not None:
                self.binding.login_timezone = message.timezone
                context = None
            if isinstance(message, Login | Authentication):
                # commands must go out with the header the terminal speaks
                self.binding.header_version = message.protocol_version
        inbound = None
        if decoded.messages:
            inbound = Inbound(device.tenant_id, device.device_id, self.protocol, at,
                              decoded.messages, frame, context or self._context(at))
        return Outcome(inbound=inbound, replies=decoded.replies)

    def _bound(self) -> DeviceInfo:
        device = self.binding.device
        if device is None:
            raise RuntimeError("the session is not bound to a device")
        return device

    def _context(self, at: datetime, *, accept_bad_crc: bool | None = None,
                 auth_code: str | None = None) -> DecodeContext:
        device = self.binding.device
        if device is None:
            return DecodeContext(received_at=at, accept_bad_crc=bool(accept_bad_crc),
                                 reply_serial=self._serial)
        return DecodeContext(
            received_at=at,
            device_id=self.binding.claimed_as,
            model=device.model,
            accept_bad_crc=device.accept_bad_crc if accept_bad_crc is None else accept_bad_crc,
            timezone=device.timezone or self.binding.login_timezone,
            auth_code=auth_code,
            reply_serial=self._serial,
        )
