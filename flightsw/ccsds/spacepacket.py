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
_new = object.__new__


class PacketType(IntEnum):
    TM = 0
    TC = 1


class SequenceFlags(IntEnum):
    CONTINUATION = 0
    FIRST = 1
    LAST = 2
    UNSEGMENTED = 3


# Field value -> enum member, so decoders index a tuple instead of calling the enum constructor.
_PACKET_TYPES = tuple(PacketType)
_SEQUENCE_FLAGS = tuple(SequenceFlags)


def _check_field(name: str, value: int, limit: int) -> None:
    if not 0 <= value < limit:
        raise EncodeError("out_of_range", f"{name}={value} does not fit (0..{limit - 1})")


def _check_header_fields(
    packet_type: int, apid: int, sequence_flags: int, sequence_count: int, data_length: int, version: int
) -> None:
    """Each header field in turn, so the error names the first one that does not fit."""
    _check_field("version", version, 8)
    _check_field("packet_type", int(packet_type), 2)
    _check_field("apid", apid, MAX_APID + 1)
    _check_field("sequence_flags", int(sequence_flags), 4)
    _check_field("sequence_count", sequence_count, SEQUENCE_COUNT_MODULUS)
    _check_field("data_length", data_length, MAX_DATA_FIELD_LENGTH)


def _check_packet_fields(
    packet_type: int,
    secondary_header_flag: bool,
    apid: int,
    sequence_flags: int,
    sequence_count: int,
    data_field_octets: int,
    version: int,
) -> None:
    """The checks of a whole packet, one by one: raises :class:`EncodeError` naming the first failure."""
    if not 1 <= data_field_octets <= MAX_DATA_FIELD_LENGTH:
        raise EncodeError("out_of_range", f"packet data field of {data_field_octets} octets (1..65536)")
    # §4.1.3.3.3.4: idle packets carry no secondary header.
    if apid == IDLE_APID and secondary_header_flag:
        raise EncodeError("sec_header_flag", "an idle packet has no secondary header")
    _check_header_fields(packet_type, apid, sequence_flags, sequence_count, data_field_octets - 1, version)


def _decoded_header(word0: int, word1: int, data_length: int) -> PrimaryHeader:
    """A header from words a decoder has read and whose version it has checked: every field fits by
    construction (masks of the right width), so the constructor's checks are skipped."""
    header = _new(PrimaryHeader)
    header.__dict__.update(
        packet_type=_PACKET_TYPES[(word0 >> 12) & 1],
        secondary_header_flag=word0 & 0x0800 != 0,
        apid=word0 & 0x07FF,
        sequence_flags=_SEQUENCE_FLAGS[word1 >> 14],
        sequence_count=word1 & 0x3FFF,
        data_length=data_length,
        version=PACKET_VERSION,
    )
    return header


def _decoded_packet(word0: int, word1: int, data: bytes, offset: int) -> SpacePacket:
    """A packet from checked header words (version 0, length agreeing with ``data``): only the idle-packet
    rule is left to check; the fields fit by construction, so the constructor's checks are skipped."""
    apid = word0 & 0x07FF
    secondary_header_flag = word0 & 0x0800 != 0
    if secondary_header_flag and apid == IDLE_APID:  # §4.1.3.3.3.4
        raise DecodeError("sec_header_flag", "idle packet with the secondary header flag set", offset)
    packet = _new(SpacePacket)
    packet.__dict__.update(
        packet_type=_PACKET_TYPES[(word0 >> 12) & 1],
        secondary_header_flag=secondary_header_flag,
        apid=apid,
        sequence_flags=_SEQUENCE_FLAGS[word1 >> 14],
        sequence_count=word1 & 0x3FFF,
        data=data,
        version=PACKET_VERSION,
    )
    return packet


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
        fits = (
            0 <= self.apid <= MAX_APID and 0 <= self.sequence_count < SEQUENCE_COUNT_MODULUS
            and 0 <= self.data_length < MAX_DATA_FIELD_LENGTH and 0 <= self.sequence_flags < 4
            and 0 <= self.packet_type < 2 and 0 <= self.version < 8
        )
        if not fits:  # one chained test on the common path; name the culprit only when something is wrong
            _check_header_fields(
                self.packet_type, self.apid, self.sequence_flags, self.sequence_count, self.data_length,
                self.version,
            )

    @property
    def packet_length(self) -> int:
        """Total octets of the packet this header announces."""
        return PRIMARY_HEADER_LENGTH + self.data_length + 1

    def encode(self) -> bytes:
        return _HEADER.pack(
            (self.version << 13) | (self.packet_type << 12) | (0x0800 if self.secondary_header_flag else 0)
            | self.apid,
            (self.sequence_flags << 14) | self.sequence_count,
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
        if cls is not PrimaryHeader:
            return cls(
                _PACKET_TYPES[(word0 >> 12) & 1], word0 & 0x0800 != 0, word0 & 0x07FF,
                _SEQUENCE_FLAGS[word1 >> 14], word1 & 0x3FFF, data_length, version,
            )
        return _decoded_header(word0, word1, data_length)


def packet_length(header: bytes | bytearray | memoryview) -> int:
    """Total octets of the packet whose first six octets are ``header`` (longer buffers are fine)."""
    if len(header) < PRIMARY_HEADER_LENGTH:
        raise DecodeError("truncated", f"{len(header)} octets, a primary header needs 6", 0)
    if header[0] >> 5 != PACKET_VERSION:
        raise DecodeError("wrong_version", f"packet version number {header[0] >> 5}, expected 0", 0)
    return PRIMARY_HEADER_LENGTH + 1 + ((header[4] << 8) | header[5])


@dataclass(frozen=True, init=False)
class SpacePacket:
    """A whole Space Packet: primary header fields and the packet data field (secondary header included).

    The constructor checks every field (:class:`EncodeError` otherwise), so an instance always encodes.
    """

    packet_type: PacketType
    secondary_header_flag: bool
    apid: int
    sequence_flags: SequenceFlags
    sequence_count: int
    data: bytes
    version: int = PACKET_VERSION

    # Written out rather than generated: a frozen dataclass's generated __init__ sets each field through
    # object.__setattr__, which dominates the cost of building a packet; this one fills the instance dict.
    def __init__(
        self,
        packet_type: PacketType,
        secondary_header_flag: bool,
        apid: int,
        sequence_flags: SequenceFlags,
        sequence_count: int,
        data: bytes,
        version: int = PACKET_VERSION,
    ) -> None:
        size = len(data)
        fits = (
            1 <= size <= MAX_DATA_FIELD_LENGTH and 0 <= sequence_count < SEQUENCE_COUNT_MODULUS
            and (0 <= apid < IDLE_APID or (apid == IDLE_APID and not secondary_header_flag))
            and 0 <= sequence_flags < 4 and 0 <= packet_type < 2 and 0 <= version < 8
        )
        if not fits:  # one chained test on the common path; name the culprit only when something is wrong
            _check_packet_fields(
                packet_type, secondary_header_flag, apid, sequence_flags, sequence_count, size, version
            )
        self.__dict__.update(
            packet_type=packet_type,
            secondary_header_flag=secondary_header_flag,
            apid=apid,
            sequence_flags=sequence_flags,
            sequence_count=sequence_count,
            data=data,
            version=version,
        )

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
        data = self.data
        return _HEADER.pack(
            (self.version << 13) | (self.packet_type << 12) | (0x0800 if self.secondary_header_flag else 0)
            | self.apid,
            (self.sequence_flags << 14) | self.sequence_count,
            len(data) - 1,
        ) + data

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview) -> SpacePacket:
        """Decode exactly one packet; ``raw`` must hold the packet and nothing else."""
        size = len(raw)
        if size < PRIMARY_HEADER_LENGTH:
            raise DecodeError("truncated", f"{size} octets, a primary header needs 6", 0)
        word0, word1, data_length = _HEADER.unpack_from(raw)
        version = word0 >> 13
        if version != PACKET_VERSION:
            raise DecodeError("wrong_version", f"packet version number {version}, expected 0", 0)
        expected = PRIMARY_HEADER_LENGTH + 1 + data_length
        if size != expected:
            if size < expected:
                raise DecodeError("truncated", f"{size} octets, the header announces {expected}", size)
            raise DecodeError("trailing_bytes", f"{size - expected} octets after the packet", expected)
        packet = _decoded_packet(word0, word1, bytes(raw[PRIMARY_HEADER_LENGTH:]), 0)
        if cls is not SpacePacket:
            return cls(**packet.__dict__)
        return packet

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
    size = len(view)
    offset = 0
    while offset < size:
        left = size - offset
        if left < PRIMARY_HEADER_LENGTH:
            raise DecodeError("truncated", f"{left} octets, a primary header needs 6", offset)
        word0, word1, data_length = _HEADER.unpack_from(view, offset)
        version = word0 >> 13
        if version != PACKET_VERSION:
            raise DecodeError("wrong_version", f"packet version number {version}, expected 0", offset)
        length = PRIMARY_HEADER_LENGTH + 1 + data_length
        end = offset + length
        if end > size:
            raise DecodeError("truncated", f"packet announces {length} octets, {left} left", offset)
        yield _decoded_packet(word0, word1, bytes(view[offset + PRIMARY_HEADER_LENGTH : end]), offset)
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
