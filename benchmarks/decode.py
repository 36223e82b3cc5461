"""Decode benchmark: the pure decode rate of the shared tracker corpus (every packet framed and
decoded, as a connection would see it), in packets per second on one core, per protocol;
against a checksum-only peer that does no more than find each frame and verify its CRC-16/X.25
or XOR with the same checksum routines (the floor any decoder pays), in the same run, in
alternating rounds.

    python -m benchmarks.decode [--size N]     # N passes over the corpus (default: ~5 s)
"""

from __future__ import annotations

import argparse
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from benchmarks._harness import emit
from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.protocols.crc import crc16_x25, xor8
from fengkong.telematics.protocols.jt808_frames import unescape, wire
from fengkong.telematics.protocols.messages import DecodeContext
from fengkong.telematics.protocols.position import Position
from tests.unit.telematics.corpus import MISSING, available, vectors

ROUNDS = 5
TARGET_SECONDS = 5.0
CTX = DecodeContext(received_at=datetime(2026, 9, 1, tzinfo=UTC), device_id="864717003283581")


def main() -> None:
    args = _parse()
    if not available():
        sys.exit(f"benchmarks.decode: {MISSING}")
    corpus = {"gt06": [v.data for v in vectors("gt06")],
              "jt808": [wire(v.data) for v in vectors("jt808") if v.data[0] == 0x7E]}
    passes = args.size or _passes_for(corpus, TARGET_SECONDS)
    seconds = {(side, name): 0.0 for side in ("fengkong", "peer") for name in corpus}
    for round_ in range(ROUNDS):
        share = passes // ROUNDS + (1 if round_ < passes % ROUNDS else 0)
        for name, packets in corpus.items():
            seconds["fengkong", name] += _timed(_decoder(name), packets, share)
            seconds["peer", name] += _timed(_PEERS[name], packets, share)
    _report(corpus, passes, seconds)


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.decode", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=0,
                        help="passes over the corpus (default: as many as take about 5 s)")
    return parser.parse_args()


def _decoder(name: str) -> Callable[[bytes], int]:
    codec = PROTOCOLS[name]
    framer, decode = codec.framer, codec.decode

    def frame_and_decode(packet: bytes) -> int:
        frames = framer(packet).frames
        for frame in frames:
            decode(frame, CTX)
        return len(frames)

    return frame_and_decode


def _gt06_checksum(packet: bytes) -> int:
    """Find the frame, read LEN, verify the CRC: nothing else."""
    start = packet.find(b"\x78\x78")
    if start < 0:
        start = packet.find(b"\x79\x79")
    if start < 0:
        return 0
    if packet[start] == 0x78:
        total = struct.unpack_from(">B", packet, start + 2)[0] + 5
    else:
        total = struct.unpack_from(">H", packet, start + 2)[0] + 6
    frame = packet[start:start + total]
    (sent,) = struct.unpack_from(">H", frame, len(frame) - 4) if len(frame) >= 6 else (-1,)
    return int(crc16_x25(frame[2:-4]) == sent)


def _jt808_checksum(packet: bytes) -> int:
    """Find the flags, unescape, verify the XOR: nothing else."""
    start = packet.find(b"\x7e")
    end = packet.find(b"\x7e", start + 1)
    inner = unescape(packet[start + 1:end])
    return int(xor8(inner[:-1]) == inner[-1])


_PEERS: dict[str, Callable[[bytes], int]] = {"gt06": _gt06_checksum, "jt808": _jt808_checksum}


def _timed(work: Callable[[bytes], int], packets: list[bytes], passes: int) -> float:
    started = time.perf_counter()
    for _ in range(passes):
        for packet in packets:
            work(packet)
    return time.perf_counter() - started


def _passes_for(corpus: dict[str, list[bytes]], target: float) -> int:
    """Passes that make the whole run (decoder and peer, both protocols) last about `target`."""
    one = sum(_timed(_decoder(name), packets, 3) + _timed(_PEERS[name], packets, 3)
              for name, packets in corpus.items()) / 3
    return max(ROUNDS, round(target / one))


def _outcomes(name: str, packets: list[bytes]) -> Counter[str]:
    """What one pass yields: positions, other messages, rejections by reason."""
    found: Counter[str] = Counter()
    codec = PROTOCOLS[name]
    for packet in packets:
        for frame in codec.framer(packet).frames:
            decoded = codec.decode(frame, CTX)
            found["positions"] += sum(isinstance(m, Position) for m in decoded.messages)
            found["other messages"] += sum(not isinstance(m, Position) for m in decoded.messages)
            if decoded.rejected:
                found[f"rejected: {decoded.rejected.value}"] += 1
    return found


def _report(corpus: dict[str, list[bytes]], passes: int,
            seconds: dict[tuple[str, str], float]) -> None:
    console = Console()
    table = Table(title=f"Decode rate, one core, {passes} passes over the corpus")
    for column in ("protocol", "packets", "fengkong pkt/s", "checksum-only pkt/s",
                   "cost vs checksum", "µs per packet"):
        table.add_column(column, justify="right")
    yields = Table(title="One pass over the corpus yields")
    for column in ("protocol", "packets", "outcome", "count"):
        yields.add_column(column, justify="left" if column == "outcome" else "right")
    rate: dict[tuple[str, str], float] = {}
    for name, packets in corpus.items():
        count = len(packets) * passes
        for side in ("fengkong", "peer"):
            rate[side, name] = count / seconds[side, name]
        table.add_row(name, f"{count:,}", f"{rate['fengkong', name]:,.0f}",
                      f"{rate['peer', name]:,.0f}",
                      f"{rate['peer', name] / rate['fengkong', name]:.1f}x",
                      f"{1e6 / rate['fengkong', name]:.1f}")
        for outcome, n in sorted(_outcomes(name, packets).items()):
            yields.add_row(name, str(len(packets)), outcome, str(n))
    console.print(table)
    console.print(yields)
    total = sum(len(p) for p in corpus.values()) * passes
    ours = sum(seconds["fengkong", name] for name in corpus)
    peer = sum(seconds["peer", name] for name in corpus)
    console.print(f"fengkong decodes {total / ours:,.0f} packets/s overall; checksum-only "
                  f"{total / peer:,.0f} packets/s: decoding costs {ours / peer:.1f}x the checksum.")
    emit({"benchmark": "decode", "packets": total, "passes": passes,
          "seconds": round(ours, 3),
          "packets_per_second": round(total / ours),
          "gt06_packets_per_second": round(rate["fengkong", "gt06"]),
          "jt808_packets_per_second": round(rate["fengkong", "jt808"]),
          "peer": "checksum-only",
          "peer_packets_per_second": round(total / peer),
          "peer_gt06_packets_per_second": round(rate["peer", "gt06"]),
          "peer_jt808_packets_per_second": round(rate["peer", "jt808"])})


if __name__ == "__main__":
    main()
