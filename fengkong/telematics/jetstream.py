"""Tracker frames across NATS JetStream, for a gateway and a pipeline that run apart.

The gateway publishes every frame it accepted, raw, with what a decoder needs to decode it
again (the device, its protocol, model, clock zone and CRC tolerance) in the headers, and
acknowledges the device only once JetStream has confirmed the frame is stored. The worker
pulls frames in batches from one durable consumer, decodes them again with the same pure
codecs, stores them, and only then acknowledges them to JetStream; a worker killed halfway
gets the batch redelivered, and the store's unique key keeps the positions once.

Frames travel raw rather than decoded: the codecs are pure and cheap (tens of thousands of
frames a second per core), so decoding twice costs less than a wire format for every message
type, and a stored frame can be decoded again by a later, better codec.

Subjects are `<prefix>.<tenant id>.<device id>`, one per device, so that a device's frames
keep their order within the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from fengkong.telematics.gateway.ports import Inbound
from fengkong.telematics.protocols import PROTOCOLS
from fengkong.telematics.protocols.messages import DecodeContext, Decoded

log = logging.getLogger(__name__)

STREAM = "FENGKONG_FRAMES"
SUBJECT_PREFIX = "fengkong.frames"
CONSUMER = "pipeline"
DUPLICATE_WINDOW_S = 120.0   # a publish retried within this window is stored once

_H = "Fk-"


@dataclass(frozen=True, slots=True)
class ReceivedFrame:
    """One frame as a gateway accepted it, with what a decoder needs to decode it again."""

    tenant_id: str
    device_id: str           # fengkong's id of the device
    identifier: str          # IMEI or terminal phone
    protocol: str
    received_at: datetime    # UTC
    frame: bytes
    sequence: int = 0        # the connection's frame counter: part of the publish's id
    model: str | None = None
    timezone: str | None = None
    accept_bad_crc: bool = False

    def decode(self) -> Decoded:
        codec = PROTOCOLS[self.protocol]
        return codec.decode(self.frame, DecodeContext(
            received_at=self.received_at, device_id=self.identifier, model=self.model,
            accept_bad_crc=self.accept_bad_crc, timezone=zone_from_text(self.timezone)))

    @classmethod
    def of(cls, inbound: Inbound, sequence: int = 0) -> ReceivedFrame:
        """What crosses the queue for one frame the gateway accepted."""
        ctx = inbound.context
        return cls(tenant_id=inbound.tenant_id, device_id=inbound.device_id,
                   identifier=(ctx.device_id if ctx else None) or "", protocol=inbound.protocol,
                   received_at=inbound.received_at, frame=inbound.raw, sequence=sequence,
                   model=ctx.model if ctx else None,
                   timezone=zone_to_text(ctx.timezone if ctx else None),
                   accept_bad_crc=bool(ctx and ctx.accept_bad_crc))


def zone_to_text(zone: tzinfo | None) -> str | None:
    """A device clock's zone as text: an IANA name, or a fixed offset in seconds (the GT06
    login extension gives only an offset)."""
    if zone is None:
        return None
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    offset = zone.utcoffset(None)
    if offset is None:
        return None
    return f"{int(offset.total_seconds()):+d}"


def zone_from_text(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text[0] in "+-":
        return timezone(timedelta(seconds=int(text)))
    return ZoneInfo(text)


class BadEnvelope(ValueError):
    """A message on the frames subject that is not a frame fengkong published."""


def subject_for(prefix: str, tenant_id: str, device_id: str) -> str:
    return f"{prefix}.{tenant_id}.{device_id}"


def envelope(frame: ReceivedFrame) -> dict[str, str]:
    """The headers a frame travels with; `Nats-Msg-Id` lets JetStream drop a retried publish."""
    headers = {
        f"{_H}Tenant": frame.tenant_id, f"{_H}Device": frame.device_id,
        f"{_H}Identifier": frame.identifier, f"{_H}Protocol": frame.protocol,
        f"{_H}Received": frame.received_at.isoformat(),
        "Nats-Msg-Id": f"{frame.device_id}:{frame.received_at.timestamp():.6f}:"
                       f"{frame.sequence}",
    }
    if frame.model:
        headers[f"{_H}Model"] = frame.model
    if frame.timezone:
        headers[f"{_H}Tz"] = frame.timezone
    if frame.accept_bad_crc:
        headers[f"{_H}Bad-Crc"] = "1"
    return headers


def from_envelope(headers: dict[str, str] | None, payload: bytes) -> ReceivedFrame:
    h = headers or {}
    try:
        protocol = h[f"{_H}Protocol"]
        if protocol not in PROTOCOLS:
            raise BadEnvelope(f"unknown protocol {protocol!r}")
        received = datetime.fromisoformat(h[f"{_H}Received"])
        if received.tzinfo is None:
            raise BadEnvelope("receipt time without a zone")
        zone_from_text(h.get(f"{_H}Tz"))
        return ReceivedFrame(
            tenant_id=h[f"{_H}Tenant"], device_id=h[f"{_H}Device"],
            identifier=h[f"{_H}Identifier"], protocol=protocol, received_at=received,
            frame=payload, model=h.get(f"{_H}Model"), timezone=h.get(f"{_H}Tz"),
            accept_bad_crc=h.get(f"{_H}Bad-Crc") == "1")
    except KeyError as missing:
        raise BadEnvelope(f"header {missing} missing") from None
    except (ValueError, ZoneInfoNotFoundError) as bad:
        raise BadEnvelope(str(bad)) from None


@dataclass(frozen=True)
class StreamNames:
    """Where frames go; tests use their own names so that runs never share a stream."""

    stream: str = STREAM
    prefix: str = SUBJECT_PREFIX
    consumer: str = CONSUMER

    @classmethod
    def named(cls, stream: str) -> StreamNames:
        """The stream `stream`, with subjects of its own (two installations, or a test, can
        share one NATS server)."""
        if stream == STREAM:
            return cls()
        return cls(stream=stream, prefix=f"{SUBJECT_PREFIX}.{stream.lower()}")


async def connect(url: str) -> NatsClient:
    return await nats.connect(url, name="fengkong", max_reconnect_attempts=-1,
                              reconnect_time_wait=0.5, connect_timeout=5)


async def ensure_stream(js: JetStreamContext, names: StreamNames) -> None:
    """The frames stream, on disk, kept until the pipeline has taken each frame."""
    config = StreamConfig(name=names.stream, subjects=[f"{names.prefix}.>"],
                          storage=StorageType.FILE, duplicate_window=DUPLICATE_WINDOW_S)
    try:
        await js.stream_info(names.stream)
    except NotFoundError:
        await js.add_stream(config)


class FramePublisher:
    """The gateway's side: `publish` returns once JetStream has stored every frame."""

    def __init__(self, nc: NatsClient, names: StreamNames = StreamNames()) -> None:
        self.nc, self.names = nc, names
        self.js = nc.jetstream()

    @classmethod
    async def open(cls, url: str, names: StreamNames = StreamNames()) -> FramePublisher:
        publisher = cls(await connect(url), names)
        await ensure_stream(publisher.js, names)
        return publisher

    async def publish(self, frames: Sequence[ReceivedFrame], timeout: float = 5.0) -> None:
        """Store the frames in the stream; raises if any is not confirmed within `timeout`
        (the caller then withholds the device's acknowledgement, and the device resends)."""
        pending = [self.js.publish(
            subject_for(self.names.prefix, f.tenant_id, f.device_id), f.frame,
            timeout=timeout, stream=self.names.stream, headers=envelope(f)) for f in frames]
        await asyncio.gather(*pending)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.nc.drain()


class JetStreamSink:
    """The gateway's `PacketSink` when the pipeline runs apart: a batch is durable once
    JetStream has confirmed every frame of it."""

    def __init__(self, publisher: FramePublisher) -> None:
        self.publisher = publisher
        self._sequence = itertools.count(1)

    async def store(self, batch: Sequence[Inbound]) -> None:
        await self.publisher.publish([ReceivedFrame.of(item, next(self._sequence))
                                      for item in batch])


Handler = Callable[[list[ReceivedFrame]], Awaitable[None]]


@dataclass
class ConsumerCounts:
    batches: int = 0
    frames: int = 0
    bad_envelopes: int = 0
    failed_batches: int = 0


class FrameConsumer:
    """The worker's side: batches from the durable consumer, handed to `handle` in stream
    order; acknowledged to JetStream only after `handle` returned."""

    def __init__(self, nc: NatsClient, names: StreamNames = StreamNames(), *,
                 batch: int = 500, ack_wait_s: float = 30.0) -> None:
        self.nc, self.names, self.batch = nc, names, batch
        self.js = nc.jetstream()
        self.ack_wait_s = ack_wait_s
        self.counts = ConsumerCounts()
        self._sub: Any = None

    @classmethod
    async def open(cls, url: str, names: StreamNames = StreamNames(), **kwargs: Any
                   ) -> FrameConsumer:
        consumer = cls(await connect(url), names, **kwargs)
        await ensure_stream(consumer.js, names)
        consumer._sub = await consumer.js.pull_subscribe(
            f"{names.prefix}.>", durable=names.consumer, stream=names.stream,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=consumer.ack_wait_s,
                                  max_ack_pending=consumer.batch * 4))
        return consumer

    async def run(self, handle: Handler, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.step(handle)

    async def step(self, handle: Handler, wait_s: float = 1.0) -> int:
        """Take one batch (waiting up to `wait_s` for it); returns the frames handled."""
        try:
            msgs: list[Msg] = await self._sub.fetch(self.batch, timeout=wait_s)
        except (TimeoutError, NatsTimeout):
            return 0
        frames, good = [], []
        for msg in msgs:
            try:
                frames.append(from_envelope(msg.headers, msg.data))
                good.append(msg)
            except BadEnvelope as bad:
                self.counts.bad_envelopes += 1
                log.warning("dropped a message that is not a frame", extra={"reason": str(bad)})
                await msg.term()
        if not frames:
            return 0
        try:
            await handle(frames)
        except Exception:
            self.counts.failed_batches += 1
            log.exception("a batch of frames failed; JetStream will deliver it again")
            for msg in good:
                with contextlib.suppress(Exception):
                    await msg.nak(delay=1.0)
            return 0
        await asyncio.gather(*(msg.ack() for msg in good))
        self.counts.batches += 1
        self.counts.frames += len(frames)
        return len(frames)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.nc.drain()
