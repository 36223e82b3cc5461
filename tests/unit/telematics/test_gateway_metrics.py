"""Gateway counters: the metrics land in the registry given, and the per-device reject
ledger stays bounded."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from fengkong.telematics.gateway.metrics import GatewayMetrics, LedgerCollector, RejectLedger


def test_the_metrics_are_registered_in_the_registry_passed_in() -> None:
    registry = CollectorRegistry()
    metrics = GatewayMetrics(registry)
    metrics.rejected.labels("gt06", "bad_crc").inc()
    metrics.connections.labels("jt808").inc()
    text = generate_latest(registry).decode()
    assert 'fengkong_gateway_frames_rejected_total{protocol="gt06",reason="bad_crc"} 1.0' in text
    assert 'fengkong_gateway_connections_open{protocol="jt808"} 1.0' in text


def test_the_ledger_counts_per_device_and_reason() -> None:
    ledger = RejectLedger()
    for reason in ("bad_crc", "bad_crc", "truncated"):
        ledger.add("dev-1", reason)
    assert ledger.for_device("dev-1") == {"bad_crc": 2, "truncated": 1}
    assert ledger.for_device("dev-2") == {}


def test_the_ledger_forgets_the_device_rejected_longest_ago() -> None:
    ledger = RejectLedger(max_devices=2)
    ledger.add("dev-1", "bad_crc")
    ledger.add("dev-2", "bad_crc")
    ledger.add("dev-1", "truncated")                  # dev-1 is recent again
    ledger.add("dev-3", "bad_crc")
    assert len(ledger) == 2
    assert ledger.for_device("dev-2") == {}
    assert ledger.for_device("dev-1") == {"bad_crc": 1, "truncated": 1}


def test_the_ledger_shows_at_metrics_per_device_and_reason_and_forgets_with_it() -> None:
    registry = CollectorRegistry()
    ledger = RejectLedger(max_devices=1)
    registry.register(LedgerCollector(ledger))
    ledger.add("dev-1", "bad_crc")
    ledger.add("dev-1", "bad_crc")
    text = generate_latest(registry).decode()
    assert ('fengkong_gateway_device_frames_rejected_total{device="dev-1",reason="bad_crc"} 2.0'
            in text)
    ledger.add("dev-2", "truncated")
    text = generate_latest(registry).decode()
    assert 'device="dev-1"' not in text
    assert 'device="dev-2",reason="truncated"} 1.0' in text
