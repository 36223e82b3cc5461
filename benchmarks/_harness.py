"""What every benchmark shares: progress bars, latency statistics, the closing JSON line,
and the real server run in a child process on a loopback port."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# Progress goes to stderr, so that stdout ends with the JSON line and nothing after it.
progress_console = Console(stderr=True)


def progress() -> Progress:
    return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=progress_console, transient=True)


@dataclass
class Latencies:
    """Seconds per request, and the wall time the requests took together."""

    samples: list[float]
    wall_s: float

    @property
    def rate(self) -> float:
        return len(self.samples) / self.wall_s if self.wall_s else 0.0

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.samples) * 1000 if self.samples else 0.0

    def ms(self, q: float) -> float:
        """The q-th percentile (0 < q < 100) in milliseconds."""
        if len(self.samples) < 2:
            return self.samples[0] * 1000 if self.samples else 0.0
        cuts = statistics.quantiles(self.samples, n=1000, method="inclusive")
        return cuts[round(q * 10) - 1] * 1000


def emit(figures: Mapping[str, Any]) -> None:
    """The closing line of every benchmark: its figures as one JSON object."""
    sys.stdout.flush()
    print(json.dumps(figures, sort_keys=False), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def fengkong_server(env: Mapping[str, str], log_path: Path,
                    startup_s: float = 60.0) -> Iterator[str]:
    """`fengkong serve` on a free loopback port in a child process; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fengkong", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--no-trackers"],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(proc, base, log_path, startup_s)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log_path: Path,
                startup_s: float) -> None:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n"
                               + _tail(log_path))
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {startup_s:.0f}s:\n"
                       + _tail(log_path))


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
