"""The event bus: at-least-once delivery of `Event` envelopes, over NATS JetStream or, embedded,
over the outbox table itself (`services.shared.outbox.OutboxBus`)."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence

import nats
import nats.errors
import nats.js.errors
from google.protobuf.message import DecodeError
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from pyat.events.v1.events_pb2 import Event

from services.shared.cache import redacted_url
from services.shared.config import Settings
from services.shared.db import Database
from services.shared.errors import Unavailable

log = logging.getLogger(__name__)

Handler = Callable[[Event], Awaitable[None]]
# Takes the events of one delivery together, in order (e.g. to write them in one transaction).
BatchHandler = Callable[[Sequence[Event]], Awaitable[None]]


class EventBus(ABC):
    """Publish events; consume them with named, resumable, at-least-once subscriptions."""

    @abstractmethod
    async def publish(self, event: Event) -> None:
        """Hand `event` to the bus, or raise `Unavailable` so the caller (the outbox) retries."""

    @abstractmethod
    async def subscribe(self, durable: str, event_types: Sequence[str], handler: Handler) -> None:
        """Consume events of `event_types` (all types if empty) in the background until close.

        `durable` names the consumer, so a restarted process resumes where it stopped. An event
        is acknowledged only after `handler` returns; when it raises, the error is logged and
        the event is delivered again after a short delay. Handlers must tolerate duplicates
        (drop them by `event.id`).
        """

    async def subscribe_batches(
        self, durable: str, event_types: Sequence[str], handler: BatchHandler
    ) -> None:
        """As `subscribe`, with the events a delivery brings handed over together: all are
        acknowledged when `handler` returns, and all come again when it raises. A bus that
        delivers one at a time hands over batches of one."""

        async def one(event: Event) -> None:
            await handler([event])

        await self.subscribe(durable, event_types, one)

    @abstractmethod
    async def listen(self, event_types: Sequence[str], handler: Handler) -> None:
        """Hand every event of `event_types` (all types if empty) published from now on to
        `handler`, in this process, until close. Not resumable and nothing is stored: events
        published while the process is away, or while the bus is unreachable, are not seen.
        For wake-ups and caches, never for work that must happen. A handler that raises is
        logged; its event is not delivered again."""

    @abstractmethod
    async def close(self) -> None: ...


async def hand_over(handler: Handler, event: Event, listener: str) -> None:
    """Give a listener its event; a failure is logged, as a listener gets no second try."""
    try:
        await handler(event)
    except Exception:
        log.exception(
            "listener %s: handler failed on event %s (%s)", listener, event.id, event.type
        )


# How many messages one pull asks for, and how long it waits for the first.
_FETCH_BATCH = 32
_FETCH_WAIT_S = 1.0


class NatsBus(EventBus):
    """NATS JetStream: one stream `<stream>` holding subjects `<stream>.<event type>`.

    Publishing sets `Nats-Msg-Id` to the event id, so the server drops a republished event
    (within the stream's duplicate window, two minutes by default). Subscriptions are durable
    pull consumers with explicit acks.
    """

    def __init__(
        self,
        nc: NatsClient,
        stream: str,
        *,
        publish_timeout_s: float = 3.0,
        redeliver_delay_s: float = 1.0,
    ) -> None:
        self._nc = nc
        self._js = nc.jetstream(timeout=publish_timeout_s)
        self.stream = stream
        self._publish_timeout_s = publish_timeout_s
        self._redeliver_delay_s = redeliver_delay_s
        self._tasks: list[asyncio.Task[None]] = []
        self._subs: list[JetStreamContext.PullSubscription] = []
        self._listeners: list[JetStreamContext.PushSubscription] = []
        self._closed = False

    @classmethod
    async def connect(
        cls,
        url: str,
        stream: str,
        *,
        publish_timeout_s: float = 3.0,
        redeliver_delay_s: float = 1.0,
        connect_timeout_s: float = 5.0,
        reconnect_wait_s: int = 1,
    ) -> NatsBus:
        """Connect (reconnecting forever afterwards) and create the stream if it is missing."""

        async def on_error(exc: Exception) -> None:
            log.warning("NATS: %s", exc or type(exc).__name__)

        async def on_disconnected() -> None:
            log.info("NATS: disconnected")

        async def on_reconnected() -> None:
            log.info("NATS: reconnected")

        try:
            # With unlimited reconnects nats-py retries a failed first connect forever too;
            # the timeout turns a wrong URL into a startup error instead of a hang.
            nc = await asyncio.wait_for(
                nats.connect(
                    url,
                    name="pyat",
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=reconnect_wait_s,
                    connect_timeout=max(1, int(connect_timeout_s)),
                    error_cb=on_error,
                    disconnected_cb=on_disconnected,
                    reconnected_cb=on_reconnected,
                ),
                timeout=connect_timeout_s,
            )
        except (TimeoutError, OSError, nats.errors.Error) as exc:
            raise ConnectionError(f"cannot reach NATS at {redacted_url(url)}: {exc!r}") from exc
        bus = cls(
            nc, stream, publish_timeout_s=publish_timeout_s, redeliver_delay_s=redeliver_delay_s
        )
        try:
            await bus._ensure_stream()
        except nats.errors.Error as exc:
            await nc.close()
            raise ConnectionError(
                f"cannot find or create stream {stream} on NATS at {redacted_url(url)}"
                f" (is JetStream enabled?): {exc!r}"
            ) from exc
        except BaseException:
            await nc.close()
            raise
        return bus

    async def _ensure_stream(self) -> None:
        try:
            await self._js.stream_info(self.stream)
        except nats.js.errors.NotFoundError:
            await self._js.add_stream(
                StreamConfig(
                    name=self.stream,
                    subjects=[f"{self.stream}.>"],
                    storage=StorageType.FILE,
                    # Consumers are expected to keep up; a week covers a long outage.
                    max_age=7 * 24 * 3600,
                )
            )

    def subject_of(self, event_type: str) -> str:
        return f"{self.stream}.{event_type}"

    async def publish(self, event: Event) -> None:
        if self._closed:
            raise Unavailable("event bus is closed")
        # While reconnecting nats-py would buffer the request and wait out the timeout;
        # failing at once lets the outbox back off sooner.
        if not self._nc.is_connected:
            raise Unavailable("NATS is not connected")
        try:
            await self._js.publish(
                self.subject_of(event.type),
                event.SerializeToString(),
                timeout=self._publish_timeout_s,
                stream=self.stream,
                headers={"Nats-Msg-Id": event.id},
            )
        except (TimeoutError, nats.errors.Error) as exc:
            raise Unavailable(f"cannot publish event {event.id}: {exc!r}") from exc

    async def subscribe(self, durable: str, event_types: Sequence[str], handler: Handler) -> None:
        if self._closed:
            raise Unavailable("event bus is closed")
        types = frozenset(event_types)
        subjects = sorted(self.subject_of(t) for t in types)
        config = ConsumerConfig(
            name=durable,
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
        )
        version = self._nc.connected_server_version
        if len(subjects) == 1:
            config.filter_subject = subjects[0]
        elif subjects and (version.major, version.minor) >= (2, 10):
            config.filter_subjects = subjects
        else:
            # Servers before 2.10 take one filter subject; _deliver skips the other types.
            config.filter_subject = f"{self.stream}.>"
        await self._js.add_consumer(self.stream, config)
        sub = await self._js.pull_subscribe_bind(durable=durable, stream=self.stream)
        self._subs.append(sub)
        self._tasks.append(
            asyncio.create_task(self._consume(sub, durable, types, handler), name=f"bus:{durable}")
        )

    async def _consume(
        self,
        sub: JetStreamContext.PullSubscription,
        durable: str,
        types: frozenset[str],
        handler: Handler,
    ) -> None:
        while not self._closed:
            try:
                msgs = await sub.fetch(_FETCH_BATCH, timeout=_FETCH_WAIT_S)
            except TimeoutError:
                # Nothing new, or the connection is down and nats-py is reconnecting.
                continue
            except Exception as exc:
                if self._closed or self._nc.is_closed:
                    return
                # Keep consuming whatever went wrong; a dead consumer would fail silently.
                log.warning("consumer %s: fetch failed: %r", durable, exc)
                await asyncio.sleep(self._redeliver_delay_s)
                continue
            for msg in msgs:
                await self._deliver(msg, durable, types, handler)

    async def _deliver(
        self, msg: Msg, durable: str, types: frozenset[str], handler: Handler
    ) -> None:
        try:
            try:
                event = Event.FromString(msg.data)
            except DecodeError:
                # It can never be handled; redelivering it would only block the consumer.
                log.error("consumer %s: dropping undecodable message on %s", durable, msg.subject)
                await msg.term()
                return
            if types and event.type not in types:
                await msg.ack()
                return
            try:
                await handler(event)
            except Exception:
                log.exception(
                    "consumer %s: handler failed on event %s (%s); redelivering in %.2fs",
                    durable,
                    event.id,
                    event.type,
                    self._redeliver_delay_s,
                )
                await msg.nak(delay=self._redeliver_delay_s)
                return
            await msg.ack()
        except nats.errors.Error as exc:
            # The ack (or nak) was lost; the server redelivers after its ack wait.
            log.warning("consumer %s: could not acknowledge a message: %r", durable, exc)

    async def listen(self, event_types: Sequence[str], handler: Handler) -> None:
        """One ephemeral ordered push consumer per subject, delivering only new messages: the
        server forgets it soon after this process goes away, and stores no position."""
        if self._closed:
            raise Unavailable("event bus is closed")
        types = frozenset(event_types)
        subjects = sorted(self.subject_of(t) for t in types) or [f"{self.stream}.>"]
        name = ",".join(sorted(types)) or "*"

        async def on_message(msg: Msg) -> None:
            try:
                event = Event.FromString(msg.data)
            except DecodeError:
                log.error("listener %s: dropping undecodable message on %s", name, msg.subject)
                return
            if not types or event.type in types:
                await hand_over(handler, event, name)

        for subject in subjects:
            self._listeners.append(
                await self._js.subscribe(
                    subject,
                    cb=on_message,
                    stream=self.stream,
                    ordered_consumer=True,
                    deliver_policy=DeliverPolicy.NEW,
                    inactive_threshold=60.0,
                )
            )

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for listener in self._listeners:
            try:
                await listener.unsubscribe()
            except nats.errors.Error:
                pass
        # Withdraw pending pull requests, so the server stops sending to this process at once.
        for sub in self._subs:
            try:
                await sub.unsubscribe()
            except nats.errors.Error:
                pass
        await self._nc.close()


async def open_bus(settings: Settings, db: Database) -> EventBus:
    """NATS JetStream when NATS_URL is set, else the embedded bus on `db`'s outbox table."""
    if settings.nats_url:
        return await NatsBus.connect(settings.nats_url, settings.nats_stream)
    # Imported here: the outbox builds on this module.
    from services.shared.outbox import OutboxBus

    return OutboxBus(db)
