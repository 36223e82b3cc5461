"""Message serial numbers as a tracker keeps them: one counter per device, wrapping at 16 bits."""

from __future__ import annotations


class Serials:
    """The next serial a device puts into its frames. Devices number every frame they send,
    and the platform echoes the number in its acknowledgement, so the counter is per device
    (per connection would repeat numbers across a reconnect and confuse the resend logic)."""

    __slots__ = ("_next",)

    def __init__(self, start: int = 1) -> None:
        self._next = start & 0xFFFF

    def take(self, count: int = 1) -> int:
        """The first of `count` consecutive serials (sub-packaged parts need a run)."""
        first = self._next
        self._next = (first + count) & 0xFFFF
        return first

    def peek(self) -> int:
        return self._next
