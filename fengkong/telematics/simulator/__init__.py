"""Virtual cars with GPS trackers that speak GT06 or JT/T 808 to a platform over real TCP.

Each car lives a routine around a city (nights at home, weekday work hours, errands,
weekend trips) and drives road-like routes at realistic speeds; its tracker logs in, waits
for the acknowledgement, reports every few seconds while moving and now and then while
parked, re-uploads what was not acknowledged after a reconnect, answers commands, and a
chosen share of trackers misbehave (power cut, removal, long offline, line noise, bad
checksums, half-open connections).

    from fengkong.telematics.simulator import Fleet, FleetConfig

    async with Fleet(FleetConfig(devices=20, protocol="jt808", port=5015, speedup=5)) as fleet:
        await asyncio.sleep(30)
        print(fleet.totals().as_dict())

`fengkong simulate` (see `cli.py`) runs the same from the command line.
"""

from fengkong.telematics.simulator.counters import Counters, Latencies
from fengkong.telematics.simulator.device import Timing, VirtualDevice
from fengkong.telematics.simulator.faults import Fault, FaultPlan
from fengkong.telematics.simulator.fleet import Fleet, FleetConfig
from fengkong.telematics.simulator.geo import SHANGHAI, LatLon
from fengkong.telematics.simulator.identities import identifiers, imei, terminal_phone

__all__ = ["SHANGHAI", "Counters", "Fault", "FaultPlan", "Fleet", "FleetConfig", "LatLon",
           "Latencies", "Timing", "VirtualDevice", "identifiers", "imei", "terminal_phone"]
