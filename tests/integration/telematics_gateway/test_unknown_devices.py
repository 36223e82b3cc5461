"""An identifier nobody registered: reported to the directory, nothing stored, nothing
answered (a login included, so the device retries), and picked up once it is registered."""

from __future__ import annotations

from fengkong.telematics.gateway import DeviceInfo
from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.fakes import InMemoryDirectory
from tests.integration.telematics_gateway.harness import (
    GT06_IMEI,
    GT06_LOGIN_ACK,
    run,
    running,
)


def test_an_unknown_gt06_login_is_noted_and_not_answered_until_the_device_is_registered(
) -> None:
    async def scenario() -> None:
        directory = InMemoryDirectory()
        async with running(directory=directory) as world:
            tracker = await world.connect("gt06")
            await tracker.send(packets.gt06(packets.GT06_LOGIN))
            await tracker.expect_silence()
            await tracker.send(packets.gt06(packets.GT06_LOCATION))   # data without a login
            await tracker.expect_silence()
            assert [u[:2] for u in directory.unknown] == [("gt06", GT06_IMEI)]
            assert world.sink.calls == 0
            assert world.rejected("gt06", "unknown_device") == 1
            assert world.rejected("gt06", "unidentified") == 1

            device = DeviceInfo("tenant-a", "dev-new", GT06_IMEI, "gt06")
            directory.devices[("gt06", GT06_IMEI)] = device        # an installer registers it
            await tracker.send(packets.gt06(packets.GT06_LOGIN))   # the device's next retry
            await tracker.expect(GT06_LOGIN_ACK)
            assert world.sink.inbound[0].device_id == "dev-new"

    run(scenario)
