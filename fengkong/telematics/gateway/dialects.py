"""How the protocols differ in session matters: where identity comes from, whether a terminal
authenticates, and how a wrong authentication code is answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fengkong.telematics.protocols import gt06, jt808
from fengkong.telematics.protocols.jt808_messages import FAILED, platform_response
from fengkong.telematics.protocols.messages import Authentication


def _refuse_jt808(auth: Authentication, serial: int) -> bytes:
    """0x8001 with result 1 (failed) to the 0x0102: the terminal registers again."""
    return platform_response(auth.device_id, auth.serial, 0x0102, FAILED, serial=serial,
                             version=auth.protocol_version)


@dataclass(frozen=True, slots=True)
class Dialect:
    binds_at_login_only: bool       # only a login names the device (GT06)
    authenticates: bool             # registration and authentication codes (JT/T 808)
    refuse_authentication: Callable[[Authentication, int], bytes] | None = None


DIALECTS: dict[str, Dialect] = {
    gt06.NAME: Dialect(binds_at_login_only=True, authenticates=False),
    jt808.NAME: Dialect(binds_at_login_only=False, authenticates=True,
                        refuse_authentication=_refuse_jt808),
}
