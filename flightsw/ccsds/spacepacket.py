"""Space Packets (CCSDS 133.0-B-2): primary header, whole packets, idle packets, sequence counts.

Decoders are strict: a wrong version, a truncated buffer, trailing octets or a length field that disagrees
with the data each raise :class:`~flightsw.errors.DecodeError` with a specific ``reason``. Encoders raise
:class:`~flightsw.errors.EncodeError` for values that do not fit their field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from struct import Struct

from flightsw.errors import DecodeError, EncodeError

PRIMARY_HEADER_LENGTH = 6
PACKET_VERSION = 0  # CCSDS 133.0-B-2 §4.1.3.2: version 1 is encoded as '000'
IDLE_APID = 0x7FF  # §4.1.3.3.4.4
MAX_APID = 0x7FF
SEQUENCE_COUNT_MODULUS = 1 << 14  # §4.1.3.4.3: 14-bit count, modulo 16384
MAX_DATA_FIELD_LENGTH = 65536  # §4.1.3.5.3: the length field holds octets - 1, 16 bits
MIN_PACKET_LENGTH = PRIMARY_HEADER_LENGTH + 1  # §4.1.4.1: the data field holds at least one octet
MAX_PACKET_LENGTH = PRIMARY_HEADER_LENGTH + MAX_DATA_FIELD_LENGTH

_HEADER = Struct(">HHH")


class PacketType(IntEnum):
    TM = 0
    TC = 1


class SequenceFlags(IntEnum):
    CONTINUATION = 0
    FIRST = 1
    LAST = 2
    UNSEGMENTED = 3


def _check_field(name: str, value: int, limit: int) -> None:
    if not 0 <= value < limit:
        raise EncodeError("out_of_range", f"{name}={value} does not fit (0..{limit - 1})")


@dataclass(frozen=True)
class PrimaryHeader:
    """The six-octet packet primary header (CCSDS 133.0-B-2 §4.1.3).

    ``data_length`` is the field value: the number of octets of the packet data field minus one.
    """

    packet_type: PacketType
    secondary_header_flag: bool
    apid: int
    sequence_flags: SequenceFlags
    sequence_count: int
    data_length: int
    version: int = PACKET_VERSION

    def __post_init__(self) -> None:
        _check_field("version", self.version, 8)
        _check_field("packet_type", int(self.packet_type), 2)
        _check_field("apid", self.apid, MAX_APID + 1)
        _check_field("sequence_flags", int(self.sequence_flags), 4)
        _check_field("sequence_count", self.sequence_count, SEQUENCE_COUNT_MODULUS)
        _check_field("data_length", self.data_length, MAX_DATA_FIELD_LENGTH)

    @property
    def packet_length(self) -> int:
        """Total octets of the packet this header announces."""
        return PRIMARY_HEADER_LENGTH + self.data_length + 1

    def encode(self) -> bytes:
        return _HEADER.pack(
            (self.version << 13) | (int(self.packet_type) << 12) | (int(self.secondary_header_flag) << 11)
            | self.apid,
            (int(self.sequence_flags) << 14) | self.sequence_count,
            self.data_length,
        )

    @classmethod
    def decode(cls, buf: bytes | bytearray | memoryview) -> PrimaryHeader:
        """Decode the header at the start of ``buf`` (the packet data field may follow it)."""
        if len(buf) < PRIMARY_HEADER_LENGTH:
            raise DecodeError("truncated", f"{len(buf)} octets, a primary header needs 6", 0)
        word0, word1, data_length = _HEADER.unpack_from(buf)
        version = word0 >> 13
        if version != PACKET_VERSION:
            raise DecodeError("wrong_version", f"packet version number {version}, expected 0", 0)
        return cls(
            PacketType((word0 >> 12) & 1),
            bool(word0 & 0x0800),
            word0 & 0x07FF,
            SequenceFlags(word1 >> 14),
            word1 & 0x3FFF,
            data_length,
            version,
        )


def packet_length(header: bytes | bytearray | memoryview) -> int:
    """Total octets of the packet whose first six octets are ``header`` (longer buffers are fine)."""
    if len(header) < PRIMARY_HEADER_LENGTH:
        raise DecodeError("truncated", f"{len(header)} octets, a primary header needs 6", 0)
    if header[0] >> 5 != PACKET_VERSION:
        raise DecodeError("wrong_version", f"packet version number {header[0] >> 5}, expected 0", 0)
    return PRIMARY_HEADER_LENGTH + 1 + ((header[4] << 8) | header[5])


@dataclass(frozen=True)
class SpacePacket:
    """A whole Space Packet: primary header fields and the packet data field (secondary header included)."""

    packet_type: PacketType
    secondary_header_flag: bool
    apid: int
    sequence_flags: SequenceFlags
    sequence_count: int
    data: bytes
    version: int = PACKET_VERSION

    def __post_init__(self) -> None:
        if not 1 <= len(self.data) <= MAX_DATA_FIELD_LENGTH:
            raise EncodeError("out_of_range", f"packet data field of {len(self.data)} octets (1..65536)")
        # §4.1.3.3.3.4: idle packets carry no secondary header.
        if self.apid == IDLE_APID and self.secondary_header_flag:
            raise EncodeError("sec_header_flag", "an idle packet has no secondary header")
        self.header  # noqa: B018 — validates every header field

    @property
    def header(self) -> PrimaryHeader:
        return PrimaryHeader(
            self.packet_type,
            self.secondary_header_flag,
            self.apid,
            self.sequence_flags,
            self.sequence_count,
            len(self.data) - 1,
            self.version,
        )

    @property
    def is_idle(self) -> bool:
        return self.apid == IDLE_APID

    def __len__(self) -> int:
        return PRIMARY_HEADER_LENGTH + len(self.data)

    def encode(self) -> bytes:
        return self.header.encode() + self.data

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview) -> SpacePacket:
        """Decode exactly one packet; ``raw`` must hold the packet and nothing else."""
        header = PrimaryHeader.decode(raw)
        expected = header.packet_length
        if len(raw) < expected:
            raise DecodeError("truncated", f"{len(raw)} octets, the header announces {expected}", len(raw))
        if len(raw) > expected:
            raise DecodeError("trailing_bytes", f"{len(raw) - expected} octets after the packet", expected)
        return cls._from_header(header, bytes(raw[PRIMARY_HEADER_LENGTH:]))

    @classmethod
    def _from_header(cls, header: PrimaryHeader, data: bytes) -> SpacePacket:
        if header.apid == IDLE_APID and header.secondary_header_flag:
            raise DecodeError("sec_header_flag", "idle packet with the secondary header flag set", 0)
        return cls(
            header.packet_type,
            header.secondary_header_flag,
            header.apid,
            header.sequence_flags,
            header.sequence_count,
            data,
            header.version,
        )

    @classmethod
    def idle(
        cls,
        length: int,
        *,
        sequence_count: int = 0,
        packet_type: PacketType = PacketType.TM,
        fill: int = 0x00,
    ) -> SpacePacket:
        """An idle packet (APID 0x7FF, §4.1.3.3.4.4) of ``length`` octets in total, header included."""
        if not MIN_PACKET_LENGTH <= length <= MAX_PACKET_LENGTH:
            raise EncodeError("out_of_range", f"idle packet of {length} octets ({MIN_PACKET_LENGTH}..)")
        _check_field("fill", fill, 256)
        return cls(
            packet_type,
            False,
            IDLE_APID,
            SequenceFlags.UNSEGMENTED,
            sequence_count,
            bytes((fill,)) * (length - PRIMARY_HEADER_LENGTH),
        )


def iter_packets(buf: bytes | bytearray | memoryview) -> Iterator[SpacePacket]:
    """Split a concatenation of whole packets; a partial packet at the end raises ``truncated``."""
    view = memoryview(buf)
    offset = 0
    while offset < len(view):
        rest = view[offset:]
        try:
            header = PrimaryHeader.decode(rest)
        except DecodeError as exc:
            raise DecodeError(exc.reason, exc.detail, offset) from None
        end = offset + header.packet_length
        if end > len(view):
            raise DecodeError(
                "truncated", f"packet announces {header.packet_length} octets, {len(rest)} left", offset
            )
        try:
            yield SpacePacket._from_header(header, bytes(view[offset + PRIMARY_HEADER_LENGTH : end]))
        except DecodeError as exc:
            raise DecodeError(exc.reason, exc.detail, offset) from None
        offset = end


class SequenceCounter:
    """Per-APID packet sequence counts (§4.1.3.4.3.2): 14 bits, wrapping from 16383 to 0."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}

    def peek(self, apid: int) -> int:
        """The count the next packet of ``apid`` will carry."""
        _check_field("apid", apid, MAX_APID + 1)
        return self._next.get(apid, 0)

    def next(self, apid: int) -> int:
        """Take the count for the next packet of ``apid`` and advance it."""
        count = self.peek(apid)
        self._next[apid] = (count + 1) % SEQUENCE_COUNT_MODULUS
        return count

    def set(self, apid: int, count: int) -> None:
        _check_field("apid", apid, MAX_APID + 1)
        _check_field("sequence_count", count, SEQUENCE_COUNT_MODULUS)
        self._next[apid] = count

    def reset(self, apid: int | None = None) -> None:
        if apid is None:
            self._next.clear()
        else:
            self._next.pop(apid, None)


def sequence_gap(previous: int, current: int) -> int:
    """Packets missing between two received counts of one APID, modulo 16384 (0 when contiguous)."""
    return (current - previous - 1) % SEQUENCE_COUNT_MODULUS
