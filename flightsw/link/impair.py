"""Link impairment for tests and the HIL rig: seeded bit errors, dropped, duplicated and delayed bytes or
whole units (TM frames with their ASM, or CLTUs), with counters of everything it did.

:class:`Impairment` is the sans-IO core: ``process(data, now)`` takes the octets that entered the channel and
returns those that leave it now. With ``units="tm"`` or ``units="cltu"`` it finds unit boundaries (the ASM
and the fixed frame length; the CLTU start sequence and the tail sequence on a codeblock boundary, CCSDS
231.0-B-4 §5.2) and holds the start of a unit until the whole of it has arrived, so that a unit can be
dropped, duplicated or delayed as one. Octets outside units pass through with only the octet-level
impairments. A delayed octet or unit is released ``delay_s`` later and is overtaken by what follows it.

:class:`ImpairmentProxy` pumps two transports through one :class:`Impairment` per direction, on two threads.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Literal, Protocol

from flightsw.ccsds.cltu import CODEBLOCK_OCTETS, INFO_OCTETS
from flightsw.ccsds.tc_frame import MAX_FRAME_LENGTH
from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

UnitKind = Literal["none", "tm", "cltu"]


@dataclass(frozen=True)
class ImpairmentConfig:
    """Probabilities per bit (``bit_error_rate``), per octet (``byte_*``) and per unit (``unit_*``)."""

    bit_error_rate: float = 0.0
    byte_drop_rate: float = 0.0
    byte_duplicate_rate: float = 0.0
    byte_delay_rate: float = 0.0
    unit_drop_rate: float = 0.0
    unit_duplicate_rate: float = 0.0
    unit_delay_rate: float = 0.0
    delay_s: float = 0.1
    units: UnitKind = "none"

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_rate") and not 0.0 <= value <= 1.0:
                raise ConfigError("bad_impairment", f"{f.name}={value}: a probability, 0..1")
        if self.delay_s < 0:
            raise ConfigError("bad_impairment", f"delay_s={self.delay_s}")
        if self.units not in ("none", "tm", "cltu"):
            raise ConfigError("bad_impairment", f"units={self.units!r}: none, tm or cltu")


@dataclass
class ImpairmentCounters:
    octets_in: int = 0
    octets_out: int = 0
    bits_flipped: int = 0
    bytes_dropped: int = 0
    bytes_duplicated: int = 0
    bytes_delayed: int = 0
    units_seen: int = 0
    units_dropped: int = 0
    units_duplicated: int = 0
    units_delayed: int = 0


def _hits(rng: random.Random, count: int, probability: float) -> list[int]:
    """Sorted indices in ``range(count)`` each chosen with ``probability``, by geometric gaps (cheap when
    the probability is small, as it is for bit errors)."""
    if probability <= 0.0 or count <= 0:
        return []
    if probability >= 1.0:
        return list(range(count))
    out: list[int] = []
    log_q = math.log1p(-probability)
    index = -1
    while True:
        index += 1 + int(math.log(1.0 - rng.random()) / log_q)
        if index >= count:
            return out
        out.append(index)


class Impairment:
    """One direction of an impaired channel, seeded, sans-IO."""

    def __init__(
        self,
        config: ImpairmentConfig = ImpairmentConfig(),
        *,
        seed: int = 0,
        profile: LinkProfile = DEFAULT_PROFILE,
    ) -> None:
        self.config = config
        self.counters = ImpairmentCounters()
        self._rng = random.Random(seed)
        self._buffer = bytearray()
        self._delayed: list[tuple[float, int, bytes]] = []  # (due, arrival order, octets)
        self._order = 0
        if config.units == "tm":
            self._marker = profile.tm.asm
            self._tm_unit = len(profile.tm.asm) + profile.tm.frame_length
        elif config.units == "cltu":
            self._marker = profile.tc.cltu_start
            self._tail = profile.tc.cltu_tail
            # The longest CLTU: the codeblocks of a maximum TC frame and the tail (231.0-B-4 §5.2).
            blocks = -(-MAX_FRAME_LENGTH // INFO_OCTETS)
            self._max_cltu = len(self._marker) + (blocks + 1) * CODEBLOCK_OCTETS
        else:
            self._marker = b""

    # -- the channel ----------------------------------------------------------------------------------

    def process(self, data: bytes | bytearray | memoryview, now: float) -> bytes:
        """Octets leaving the channel at ``now``: delayed ones now due, then those of ``data`` not held."""
        self.counters.octets_in += len(data)
        out = bytearray(self.release(now))
        if self.config.units == "none":
            out += self._octets(bytes(data), now)
        else:
            self._buffer += data
            out += self._split_units(now)
        self.counters.octets_out += len(out)
        return bytes(out)

    def release(self, now: float) -> bytes:
        """Delayed octets whose time has come (``process`` calls this itself)."""
        if not self._delayed:
            return b""
        self._delayed.sort()
        out = bytearray()
        while self._delayed and self._delayed[0][0] <= now:
            out += self._delayed.pop(0)[2]
        return bytes(out)

    def flush(self) -> bytes:
        """Everything still held (delayed octets and an incomplete unit), unimpaired: end of a test."""
        self._delayed.sort()
        out = b"".join(chunk for _, _, chunk in self._delayed) + bytes(self._buffer)
        self._delayed.clear()
        self._buffer.clear()
        self.counters.octets_out += len(out)
        return out

    @property
    def held_octets(self) -> int:
        return len(self._buffer) + sum(len(chunk) for _, _, chunk in self._delayed)

    # -- units ----------------------------------------------------------------------------------------

    def _split_units(self, now: float) -> bytes:
        out = bytearray()
        buf = self._buffer
        while True:
            start = buf.find(self._marker)
            if start < 0:
                # Keep a possible marker split across chunks.
                keep = len(self._marker) - 1
                loose = bytes(buf[: max(0, len(buf) - keep)])
                del buf[: len(loose)]
                out += self._octets(loose, now)
                break
            if start:
                out += self._octets(bytes(buf[:start]), now)
                del buf[:start]
            end = self._unit_end()
            if end is None:
                break
            if end < 0:  # no tail where one must be: not a unit, pass its marker on as loose octets
                out += self._octets(bytes(buf[: len(self._marker)]), now)
                del buf[: len(self._marker)]
                continue
            unit = bytes(buf[:end])
            del buf[:end]
            out += self._unit(unit, now)
        return bytes(out)

    def _unit_end(self) -> int | None:
        """End of the unit starting at the front of the buffer; None until it has arrived, -1 if none."""
        buf = self._buffer
        if self.config.units == "tm":
            return self._tm_unit if len(buf) >= self._tm_unit else None
        pos = len(self._marker)
        while pos + CODEBLOCK_OCTETS <= len(buf):
            if buf[pos : pos + CODEBLOCK_OCTETS] == self._tail:
                return pos + CODEBLOCK_OCTETS
            pos += CODEBLOCK_OCTETS
            if pos >= self._max_cltu:
                return -1
        return None

    def _unit(self, unit: bytes, now: float) -> bytes:
        c, rng = self.config, self._rng
        self.counters.units_seen += 1
        if rng.random() < c.unit_drop_rate:
            self.counters.units_dropped += 1
            return b""
        copies = 1
        if rng.random() < c.unit_duplicate_rate:
            self.counters.units_duplicated += 1
            copies = 2
        if rng.random() < c.unit_delay_rate:
            self.counters.units_delayed += 1
            self._hold(self._octets(unit * copies, now), now)
            return b""
        return self._octets(unit * copies, now)

    # -- octets ---------------------------------------------------------------------------------------

    def _hold(self, chunk: bytes, now: float) -> None:
        if chunk:
            self._order += 1
            self._delayed.append((now + self.config.delay_s, self._order, chunk))

    def _octets(self, data: bytes, now: float) -> bytes:
        if not data:
            return b""
        c, rng, n = self.config, self._rng, len(data)
        drops = set(_hits(rng, n, c.byte_drop_rate))
        dups = set(_hits(rng, n, c.byte_duplicate_rate))
        delays = set(_hits(rng, n, c.byte_delay_rate))
        if drops or dups or delays:
            out = bytearray()
            for i, octet in enumerate(data):
                if i in drops:
                    self.counters.bytes_dropped += 1
                    continue
                one = bytes((octet, octet)) if i in dups else bytes((octet,))
                self.counters.bytes_duplicated += i in dups
                if i in delays:
                    self.counters.bytes_delayed += 1
                    self._hold(self._flip(one), now)
                    continue
                out += one
            data = bytes(out)
        return self._flip(data)

    def _flip(self, data: bytes) -> bytes:
        flips = _hits(self._rng, len(data) * 8, self.config.bit_error_rate)
        if not flips:
            return data
        out = bytearray(data)
        for bit in flips:
            out[bit >> 3] ^= 0x80 >> (bit & 7)
        self.counters.bits_flipped += len(flips)
        return bytes(out)


# ---- the pump ----


class ByteStream(Protocol):
    """What the proxy needs of each side (every :class:`flightsw.link.transport.Transport` has it)."""

    def read(self, max_octets: int, timeout: float) -> bytes: ...
    def write(self, data: bytes) -> int: ...


class ImpairmentProxy:
    """Moves octets between ``a`` and ``b`` through ``a_to_b`` and ``b_to_a``, one thread per direction.

    Use as a context manager, or call :meth:`start` and :meth:`stop`; ``stop`` joins both threads. Errors of
    a side (its device gone) end that direction's thread and are kept in ``errors``."""

    def __init__(
        self,
        a: ByteStream,
        b: ByteStream,
        a_to_b: Impairment,
        b_to_a: Impairment,
        *,
        poll_s: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.a_to_b = a_to_b
        self.b_to_a = b_to_a
        self.errors: list[BaseException] = []
        self._poll_s = poll_s
        self._clock = clock
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(a, b, a_to_b), name="impair-a-b", daemon=True),
            threading.Thread(target=self._run, args=(b, a, b_to_a), name="impair-b-a", daemon=True),
        ]

    def start(self) -> ImpairmentProxy:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def __enter__(self) -> ImpairmentProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self, src: ByteStream, dst: ByteStream, channel: Impairment) -> None:
        try:
            while not self._stop.is_set():
                data = src.read(65536, self._poll_s)
                out = channel.process(data, self._clock())
                if out:
                    dst.write(out)
            rest = channel.flush()
            if rest:
                dst.write(rest)
        except (OSError, ValueError) as exc:  # ValueError: a side closed under us
            self.errors.append(exc)
