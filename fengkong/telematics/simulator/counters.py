"""What a simulated device did, counted: for tests, the progress display and benchmarks."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields


@dataclass(slots=True)
class Counters:
    """Messages are counted one per location, alarm or heartbeat, however many share a frame
    (a JT/T 808 blind-area batch carries many); `frames` counts what went on the wire."""

    connects: int = 0             # TCP connections opened
    logins: int = 0               # logins the platform acknowledged
    sent: int = 0                 # messages sent for the first time
    acknowledged: int = 0         # messages the platform acknowledged
    resent: int = 0               # messages sent again after a reconnect
    commands_answered: int = 0
    alarms: int = 0               # alarm messages raised
    frames: int = 0
    garbage: int = 0              # bursts of line noise written between frames
    corrupted: int = 0            # frames sent with a wrong checksum
    abandoned: int = 0            # connections left half-open
    discarded: int = 0            # stored messages dropped because the store was full

    def __add__(self, other: Counters) -> Counters:
        return Counters(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def total(counters: list[Counters]) -> Counters:
    result = Counters()
    for each in counters:
        result = result + each
    return result


class Latencies:
    """Acknowledgement latencies in seconds (frame written to acknowledgement read), kept as
    a uniform sample of at most `keep` values so that long runs still give percentiles."""

    def __init__(self, keep: int = 100_000, seed: int = 0) -> None:
        self.keep = keep
        self.count = 0
        self.samples: list[float] = []
        self._rng = random.Random(seed)

    def add(self, seconds: float) -> None:
        self.count += 1
        if len(self.samples) < self.keep:
            self.samples.append(seconds)
            return
        slot = self._rng.randrange(self.count)
        if slot < self.keep:
            self.samples[slot] = seconds

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0.99 for p99) of the sample; None before any acknowledgement."""
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
