"""Byte transports at the edge of the sans-IO stack: serial devices and pyserial URLs, reconnection, pacing.

* :func:`open_link` opens a device path (``/dev/serial0``, ``/dev/ttyUSB0``, a pty slave) or a pyserial URL
  (``socket://host:port``, ``loop://``) as a :class:`SerialTransport`.
* :class:`ReconnectingTransport` survives the device disappearing (a USB adapter unplugged, the other end of
  a socket gone): it reports "link down", retries at an interval and reports "link up" when the device is
  back, and never raises into the caller's loop.
* :class:`LinePacer` meters a virtual link (pty, socket, QEMU) at the line rate of a real UART, which those
  links do not impose by themselves.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import serial

from flightsw.errors import ConfigError, FlightswError
from flightsw.profile import DEFAULT_PROFILE

# A UART frame of 8N1 is a start bit, 8 data bits and a stop bit: 10 bit times per octet.
BITS_PER_OCTET_8N1 = 10


class LinkError(FlightswError):
    """A link that cannot be opened or used (``reason`` says why)."""


class Transport(Protocol):
    """What the flight loop, the ground console and the rig need of a byte link."""

    def read(self, max_octets: int, timeout: float) -> bytes:
        """Up to ``max_octets`` octets, as soon as any are there; ``b""`` after ``timeout`` seconds."""
        ...

    def write(self, data: bytes) -> int:
        """Write ``data``; the number of octets the link took."""
        ...

    def close(self) -> None: ...


class SerialTransport:
    """A pyserial port (device or URL) behind :class:`Transport`.

    Reads wait with ``select`` on the port's descriptor and then take whatever is there, so a read returns
    as soon as octets arrive (ports without a descriptor, such as ``loop://``, use pyserial's own timeout).
    A write waits at most the port's write timeout for room (nobody draining the other end) and returns
    how many octets went, possibly fewer than given; a vanished device raises :class:`serial.SerialException`
    or :class:`OSError` from read and write alike.
    """

    def __init__(self, port: serial.SerialBase, *, name: str = "") -> None:
        self.port = port
        self.name = name or str(port.port)
        self._timeout: float | None = port.timeout
        self._fd: int | None
        try:
            self._fd = port.fileno()
        except (AttributeError, NotImplementedError, serial.SerialException, OSError):
            self._fd = None
        if self._fd is not None and port.timeout != 0:
            port.timeout = 0  # select does the waiting; a read then takes what has arrived
            self._timeout = 0
        sock = getattr(port, "_socket", None)
        if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
            # pyserial's socket:// has no option for it; without it Nagle holds small TC frames back.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def nodelay(self) -> bool:
        sock = getattr(self.port, "_socket", None)
        if not isinstance(sock, socket.socket):
            return False
        return bool(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    def read(self, max_octets: int, timeout: float) -> bytes:
        if max_octets <= 0:
            return b""
        if self._fd is not None:
            ready, _, _ = select.select([self._fd], [], [], max(0.0, timeout))
            if not ready:
                return b""
            return bytes(self.port.read(max_octets))
        if self._timeout != timeout:
            self.port.timeout = timeout
            self._timeout = timeout
        first = self.port.read(1)
        if not first:
            return b""
        waiting = min(self.port.in_waiting, max_octets - 1)
        return bytes(first) + (bytes(self.port.read(waiting)) if waiting > 0 else b"")

    def write(self, data: bytes) -> int:
        if self._fd is None:
            written = self.port.write(data)
            return len(data) if written is None else int(written)
        # pyserial's own write spins on a full non-blocking descriptor when its write timeout is zero and
        # raises without a count on expiry; here a write waits at most ``write_timeout`` for room and
        # reports how much the link took.
        limit = self.port.write_timeout
        deadline = None if limit is None else time.monotonic() + limit
        view = memoryview(data)
        done = 0
        while done < len(view):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            _, ready, _ = select.select([], [self._fd], [], left)
            if not ready:
                break
            try:
                done += os.write(self._fd, view[done:])
            except (BlockingIOError, InterruptedError):
                continue
        return done

    def close(self) -> None:
        self.port.close()

    def __enter__(self) -> SerialTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_link(
    spec: str, baud: int = DEFAULT_PROFILE.baud, *, write_timeout_s: float | None = 0.1
) -> SerialTransport:
    """Open a device path or a pyserial URL at ``baud`` 8N1 (ignored by virtual links).

    ``write_timeout_s`` bounds how long a write waits for room: short, so that a flight loop writing to a
    link nobody drains loses time slices, not seconds (``None`` waits for ever).

    Raises :class:`LinkError` (``open_failed``, or ``bad_spec`` for a URL pyserial does not know)."""
    if not spec:
        raise LinkError("bad_spec", "an empty link name")
    if baud <= 0:
        raise ConfigError("bad_baud", f"{baud}")
    try:
        port = serial.serial_for_url(
            spec,
            baudrate=baud,
            bytesize=serial.EIGHTBITS,
            parity=serial.PARITY_NONE,
            stopbits=serial.STOPBITS_ONE,
            timeout=0,
            write_timeout=write_timeout_s,
        )
    except ValueError as exc:
        raise LinkError("bad_spec", f"{spec}: {exc}") from None
    except (serial.SerialException, OSError) as exc:
        raise LinkError("open_failed", f"{spec}: {exc}") from None
    return SerialTransport(port, name=spec)


# ---- reconnection ----


@dataclass(frozen=True)
class LinkEvent:
    """``kind`` is ``"up"`` or ``"down"``; ``at`` is the clock reading when it was noticed."""

    kind: Literal["up", "down"]
    detail: str
    at: float


class ReconnectingTransport:
    """A link that comes back: the device is reopened every ``retry_interval_s`` while it is gone.

    ``read`` returns ``b""`` and ``write`` returns 0 while the link is down; neither raises for a device
    error. Transitions are kept as :class:`LinkEvent` (take them with :meth:`take_events`) and passed to
    ``on_event`` when given. If the first open fails the transport starts down and keeps trying.
    """

    def __init__(
        self,
        spec: str,
        baud: int = DEFAULT_PROFILE.baud,
        *,
        retry_interval_s: float = 1.0,
        write_timeout_s: float | None = 0.1,
        on_event: Callable[[LinkEvent], None] | None = None,
        opener: Callable[[str, int], Transport] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if retry_interval_s <= 0:
            raise ConfigError("bad_retry_interval", f"{retry_interval_s}")
        self.spec = spec
        self.baud = baud
        self.retry_interval_s = retry_interval_s
        self._opener = opener or (lambda s, b: open_link(s, b, write_timeout_s=write_timeout_s))
        self._on_event = on_event
        self._clock = clock
        self._sleep = sleep
        self._link: Transport | None = None
        self._next_attempt = clock()
        self._events: deque[LinkEvent] = deque()
        self._closed = False
        self._last_failure = ""
        self.stats = {"opens": 0, "downs": 0, "open_failures": 0, "read_errors": 0, "write_errors": 0}
        if not self._try_open():
            self._report("down", self._last_failure)

    @property
    def is_up(self) -> bool:
        return self._link is not None

    def take_events(self) -> list[LinkEvent]:
        out = list(self._events)
        self._events.clear()
        return out

    def read(self, max_octets: int, timeout: float) -> bytes:
        link = self._link or self._reopen_when_due(timeout)
        if link is None:
            return b""
        try:
            return link.read(max_octets, timeout)
        except (serial.SerialException, OSError) as exc:
            self.stats["read_errors"] += 1
            self._lose(f"read: {exc}")
            return b""

    def write(self, data: bytes) -> int:
        link = self._link or self._reopen_when_due(0.0)
        if link is None:
            return 0
        try:
            return link.write(data)
        except serial.SerialTimeoutException:
            # Nobody drains the other end: the octets may be partly gone, the device is still there.
            self.stats["write_errors"] += 1
            return 0
        except (serial.SerialException, OSError) as exc:
            self.stats["write_errors"] += 1
            self._lose(f"write: {exc}")
            return 0

    def close(self) -> None:
        self._closed = True
        self._drop()

    def __enter__(self) -> ReconnectingTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------------------

    def _reopen_when_due(self, timeout: float) -> Transport | None:
        """Try to reopen if the retry interval has passed; otherwise wait (at most ``timeout``) for it."""
        if self._closed:
            return None
        wait = self._next_attempt - self._clock()
        if wait > 0:
            if timeout > 0:
                self._sleep(min(wait, timeout))
            if self._next_attempt - self._clock() > 0:
                return None
        if self._try_open():
            self._report("up", self.spec)
        return self._link

    def _try_open(self) -> bool:
        self._next_attempt = self._clock() + self.retry_interval_s
        try:
            self._link = self._opener(self.spec, self.baud)
        except (FlightswError, serial.SerialException, OSError) as exc:
            self.stats["open_failures"] += 1
            self._last_failure = str(exc)
            return False
        self.stats["opens"] += 1
        return True

    def _lose(self, detail: str) -> None:
        self._drop()
        self.stats["downs"] += 1
        self._next_attempt = self._clock() + self.retry_interval_s
        self._report("down", detail)

    def _drop(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            # Closing a vanished device may fail too; it is gone either way.
            with contextlib.suppress(serial.SerialException, OSError):
                link.close()

    def _report(self, kind: Literal["up", "down"], detail: str) -> None:
        event = LinkEvent(kind, detail, self._clock())
        self._events.append(event)
        if self._on_event is not None:
            self._on_event(event)


# ---- pacing ----


class LinePacer:
    """How many octets a line of ``baud`` 8N1 carries: ``baud / 10`` octets per second.

    A token bucket: credit accrues with elapsed time up to ``burst_octets`` (default: 50 ms of line time,
    at least one maximum CLTU or TM unit) and :meth:`consume` spends it. Time comes from the caller."""

    def __init__(self, baud: int = DEFAULT_PROFILE.baud, *, burst_octets: int | None = None,
                 start: float = 0.0) -> None:
        if baud <= 0:
            raise ConfigError("bad_baud", f"{baud}")
        self.octets_per_second = baud / BITS_PER_OCTET_8N1
        default_burst = max(2048, int(self.octets_per_second * 0.05))
        self.burst_octets = default_burst if burst_octets is None else burst_octets
        if self.burst_octets < 1:
            raise ConfigError("bad_burst", f"{self.burst_octets}")
        self._credit = 0.0
        self._last = start

    def allowance(self, now: float) -> int:
        """Octets that may be written at ``now``."""
        if now > self._last:
            earned = (now - self._last) * self.octets_per_second
            self._credit = min(float(self.burst_octets), self._credit + earned)
            self._last = now
        return int(self._credit)

    def consume(self, octets: int) -> None:
        """Record ``octets`` written (they may exceed the allowance: the debt is paid back by waiting)."""
        self._credit -= octets

    def delay_until(self, octets: int, now: float) -> float:
        """Seconds from ``now`` until ``octets`` may be written (0 when they may be written now)."""
        missing = octets - self.allowance(now)
        return max(0.0, missing / self.octets_per_second)

    def line_time(self, octets: int) -> float:
        """Seconds the line needs to carry ``octets``."""
        return octets / self.octets_per_second
