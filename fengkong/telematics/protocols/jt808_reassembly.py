"""Reassembling JT/T 808 sub-packaged messages (header bit 13: total and index per part).

Parts of one message carry consecutive serials, so a message is known by device, message id,
part count and the serial of its first part. The reassembler is a plain object the session
layer keeps per connection; it holds at most `max_pending` unfinished messages (dropping the
oldest) and refuses messages of more than `max_parts` parts.
"""

from __future__ import annotations

from collections import OrderedDict

from fengkong.telematics.protocols.jt808_frames import build
from fengkong.telematics.protocols.messages import Fragment

_Key = tuple[str, int, int, int]


class Reassembler:
    def __init__(self, max_pending: int = 16, max_parts: int = 256) -> None:
        self.max_pending = max_pending
        self.max_parts = max_parts
        self._pending: OrderedDict[_Key, dict[int, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, part: Fragment) -> bytes | None:
        """Keep `part`; when it completes its message, return the whole message as one
        unescaped frame for `jt808.decode` (its replies repeat acks already sent per part, and
        its length field is meaningless past 1023 bytes: the decoder does not read it)."""
        if not 1 <= part.index <= part.total <= self.max_parts:
            return None
        first = (part.serial - part.index + 1) & 0xFFFF
        key = (part.device_id, part.message_id, part.total, first)
        parts = self._pending.pop(key, {})
        parts[part.index] = part.body
        if len(parts) < part.total:
            self._pending[key] = parts
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
            return None
        body = b"".join(parts[index] for index in range(1, part.total + 1))
        return build(part.message_id, part.device_id, first, body, part.protocol_version)
