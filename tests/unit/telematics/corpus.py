"""The shared tracker corpus (real packets captured by Traccar's tests, with the expectations
beside them): where it is, and one `Vector` per packet line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "protocols"
FILES = {"gt06": "gt06_vectors.txt", "jt808": "jt808_vectors.txt"}
MISSING = f"the shared tracker corpus is not at {CORPUS} (it is in CI)"


@dataclass(frozen=True)
class Vector:
    """`N | HEX | assertion | model=X | frame info`, the assertion split into its parts."""

    protocol: str
    number: int
    data: bytes
    check: str                  # verifyNull, verifyNotNull, verifyPosition(s), verifyAttribute(s)
    key: str | None             # verifyAttribute: Traccar's attribute name
    expected: str | None        # verifyAttribute: the value as written; verifyPosition: exact
    model: str | None
    info: str

    @property
    def id(self) -> str:
        return f"{self.protocol}-{self.number}"

    @property
    def checksum_bad(self) -> bool:
        return "crc=BAD" in self.info or "xor=BAD" in self.info


_LINE = re.compile(r"^(\d+) \| ([0-9A-Fa-f]+) \| ([^|]+) \| model=([^|]+) \| (.*)$")


def available() -> bool:
    return all((CORPUS / name).is_file() for name in FILES.values())


def vectors(protocol: str) -> list[Vector]:
    """The numbered packets of one protocol's file (framing and encoding cases excluded)."""
    found = []
    for line in (CORPUS / FILES[protocol]).read_text().splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        number, data, assertion, model, info = match.groups()
        check, _, rest = assertion.strip().partition(":")
        key = expected = None
        if check == "verifyAttribute":
            key, _, expected = (part.strip() for part in rest.partition("=="))
        elif rest:
            expected = rest.strip()
        found.append(Vector(protocol, int(number), bytes.fromhex(data), check, key, expected,
                            None if model.strip() == "-" else model.strip(), info.strip()))
    return found


def cases(protocol: str, prefix: str) -> list[tuple[str, str]]:
    """The framing (`F`) or encoding (`E`) cases: (label, rest of the line)."""
    found = []
    for line in (CORPUS / FILES[protocol]).read_text().splitlines():
        match = re.match(rf"^({prefix}\d+) \| (.*)$", line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found
