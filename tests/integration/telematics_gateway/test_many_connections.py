"""Ten thousand idle connections cost the device that talks nothing. The idle end is a child
process: one process may hold 20,000 descriptors here, and both ends in one would need more."""

from __future__ import annotations

import asyncio
import resource
import sys

import pytest

from tests.integration.telematics_gateway import packets
from tests.integration.telematics_gateway.harness import (
    eventually,
    gt06_ack,
    run,
    running,
    settings,
)
from tests.unit.telematics.reference import gt06_fields

IDLE = 10_000

# Opens `count` connections to the port, 250 at a time, says "ready" and holds them until its
# standard input closes.
IDLE_CLIENTS = """
import asyncio, resource, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
async def main():
    held = []
    for start in range(0, count, 250):
        held += await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                       for _ in range(min(250, count - start))))
    print("ready", len(held), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"""


def raise_descriptor_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"needs {needed} open files per process; the hard limit here is {hard}")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def test_one_device_keeps_working_beside_ten_thousand_idle_connections() -> None:
    raise_descriptor_limit(IDLE + 1000)

    async def scenario() -> None:
        async with running(settings(backlog=2048)) as world:
            idle = await asyncio.create_subprocess_exec(
                sys.executable, "-c", IDLE_CLIENTS, str(world.gateway.ports["gt06"]), str(IDLE),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            try:
                assert idle.stdout is not None and idle.stdin is not None
                assert await idle.stdout.readline() == f"ready {IDLE}\n".encode()
                await eventually(lambda: world.gateway.open_connections == IDLE, timeout=20)
                tracker = await world.gt06_logged_in()
                location = packets.gt06(packets.GT06_LOCATION)
                for _ in range(20):
                    await tracker.send(location)
                    await tracker.expect(gt06_ack(0x12, gt06_fields(location)[2]), timeout=2)
                assert world.metric("fengkong_gateway_connections_open",
                                    protocol="gt06") == IDLE + 1
                assert len(world.sink.messages()) == 21
            finally:
                if idle.stdin is not None:
                    idle.stdin.close()
                await idle.wait()

    run(scenario, timeout=90)
