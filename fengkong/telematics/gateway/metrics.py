"""Gateway counters: Prometheus metrics in the registry the application exposes at /metrics,
and an in-process count of rejected frames per device and reason that other modules read."""

from __future__ import annotations

from collections import Counter as Tally
from collections import OrderedDict
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decoded = Counter(
            "fengkong_gateway_frames_decoded_total", "Frames decoded", ["protocol"],
            registry=registry)
        self.rejected = Counter(
            "fengkong_gateway_frames_rejected_total", "Frames or bytes rejected, by reason",
            ["protocol", "reason"], registry=registry)
        self.connections = Gauge(
            "fengkong_gateway_connections_open", "Open tracker connections", ["protocol"],
            registry=registry)
        self.closed = Counter(
            "fengkong_gateway_connections_closed_total", "Closed tracker connections, by reason",
            ["protocol", "reason"], registry=registry)
        self.acks = Counter(
            "fengkong_gateway_acks_sent_total", "Replies written to devices after storage",
            ["protocol"], registry=registry)
        self.store_failures = Counter(
            "fengkong_gateway_store_failures_total", "Batches the sink failed to store",
            ["protocol"], registry=registry)
        self.stored = Counter(
            "fengkong_gateway_frames_stored_total", "Frames handed to the sink and stored",
            ["protocol"], registry=registry)


class RejectLedger:
    """Rejected frames per device and reason, for the device pages and health rules.

    Bounded: it remembers the `max_devices` devices that were rejected most recently (a device
    that keeps sending bad frames stays in), each with its handful of reasons.
    """

    def __init__(self, max_devices: int = 10_000) -> None:
        self.max_devices = max_devices
        self._by_device: OrderedDict[str, Tally[str]] = OrderedDict()

    def add(self, device_id: str, reason: str) -> None:
        tally = self._by_device.pop(device_id, None) or Tally()
        tally[reason] += 1
        self._by_device[device_id] = tally
        while len(self._by_device) > self.max_devices:
            self._by_device.popitem(last=False)

    def for_device(self, device_id: str) -> dict[str, int]:
        return dict(self._by_device.get(device_id, {}))

    def items(self) -> list[tuple[str, dict[str, int]]]:
        return [(device_id, dict(tally)) for device_id, tally in self._by_device.items()]

    def __len__(self) -> int:
        return len(self._by_device)


class LedgerCollector(Collector):
    """The ledger at /metrics: `fengkong_gateway_device_frames_rejected_total{device, reason}`,
    bounded by the ledger's size (the devices rejected most recently), so a flood of bad
    devices cannot blow up the metrics."""

    def __init__(self, ledger: RejectLedger) -> None:
        self.ledger = ledger

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("fengkong_gateway_device_frames_rejected",
                                     "Frames rejected per registered device and reason",
                                     labels=["device", "reason"])
        for device_id, tally in self.ledger.items():
            for reason, count in tally.items():
                family.add_metric([device_id, reason], count)
        yield family
