"""PUS-C telecommand and telemetry packets (ECSS-E-ST-70-41C §7.4) on CCSDS Space Packets.

A PUS TC carries a five-octet secondary header (PUS version 2, acknowledgement flags, service, subtype, source
id); a PUS TM carries a seven-octet header followed by the CUC time field whose length the mission fixes
(implicit P-field). Packet error control, when on, is CRC-16/CCITT-FALSE over the whole packet (§7.4.3.1 and
annex B); decoding verifies it by a zero CRC over data and checksum.

Decoding is on the hot path of every ground and flight loop, so the headers are read with one precompiled
``Struct`` and the decoded objects are filled without re-running field checks that the bit widths already
guarantee.
"""

from __future__ import annotations

from binascii import crc_hqx
from dataclasses import dataclass
from enum import Enum
from struct import Struct
from typing import Any

from flightsw.ccsds.spacepacket import (
    IDLE_APID,
    MAX_APID,
    MAX_DATA_FIELD_LENGTH,
    PRIMARY_HEADER_LENGTH,
    SEQUENCE_COUNT_MODULUS,
    PacketType,
    PrimaryHeader,
    SequenceFlags,
    SpacePacket,
)
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

PUS_VERSION = 2  # ECSS-E-ST-70-41C §7.4.3.1 / §7.4.4.1: PUS-C is version 2 ('0010')
TC_SECONDARY_HEADER_LENGTH = 5
TM_SECONDARY_HEADER_LENGTH = 7  # without the time field
PEC_LENGTH = 2
MESSAGE_TYPE_COUNTER_MODULUS = 1 << 16

_CRC_INIT = 0xFFFF
# Primary header (3 words) + TC secondary header: flags/version, service, subtype, source id.
_TC_HEAD = Struct(">HHHBBBH")
# Primary header (3 words) + TM secondary header up to the time field.
_TM_HEAD = Struct(">HHHBBBHH")
_TC_SEC = Struct(">BBBH")
_TM_SEC = Struct(">BBBHH")

_TC_WORD0_FIXED = 0x1800  # version 0, type TC, secondary header flag set
_TM_WORD0_FIXED = 0x0800  # version 0, type TM, secondary header flag set


def _check(name: str, value: int, limit: int) -> None:
    if not 0 <= value < limit:
        raise EncodeError("out_of_range", f"{name}={value} does not fit (0..{limit - 1})")


def _time_length(profile: LinkProfile) -> int:
    return profile.time.cuc_coarse_octets + profile.time.cuc_fine_octets


def _check_apid(apid: int) -> None:
    _check("apid", apid, MAX_APID + 1)
    if apid == IDLE_APID:
        raise EncodeError("out_of_range", "APID 0x7FF is reserved for idle packets")


@dataclass(frozen=True)
class TcSecondaryHeader:
    """PUS-C TC secondary header (§7.4.4.1): ack flags (LSB acceptance .. MSB completion), ids."""

    ack_flags: int
    service: int
    subtype: int
    source_id: int

    def __post_init__(self) -> None:
        _check("ack_flags", self.ack_flags, 16)
        _check("service", self.service, 256)
        _check("subtype", self.subtype, 256)
        _check("source_id", self.source_id, 1 << 16)

    def encode(self) -> bytes:
        return _TC_SEC.pack((PUS_VERSION << 4) | self.ack_flags, self.service, self.subtype, self.source_id)

    @classmethod
    def decode(cls, buf: bytes | bytearray | memoryview) -> TcSecondaryHeader:
        if len(buf) != TC_SECONDARY_HEADER_LENGTH:
            reason = "truncated" if len(buf) < TC_SECONDARY_HEADER_LENGTH else "trailing_bytes"
            raise DecodeError(reason, f"TC secondary header of {len(buf)} octets, expected 5", 0)
        first, service, subtype, source_id = _TC_SEC.unpack(buf)
        if first >> 4 != PUS_VERSION:
            raise DecodeError("unknown_pus_version", f"TC PUS version {first >> 4}, expected 2", 0)
        return cls(first & 0x0F, service, subtype, source_id)


@dataclass(frozen=True)
class TmSecondaryHeader:
    """PUS-C TM secondary header (§7.4.3.1): version, time reference status, ids, counter and time field."""

    service: int
    subtype: int
    message_type_counter: int
    destination_id: int
    time: bytes
    spacecraft_time_reference_status: int = 0

    def __post_init__(self) -> None:
        _check("service", self.service, 256)
        _check("subtype", self.subtype, 256)
        _check("message_type_counter", self.message_type_counter, MESSAGE_TYPE_COUNTER_MODULUS)
        _check("destination_id", self.destination_id, 1 << 16)
        _check("spacecraft_time_reference_status", self.spacecraft_time_reference_status, 16)

    def encode(self) -> bytes:
        return (
            _TM_SEC.pack(
                (PUS_VERSION << 4) | self.spacecraft_time_reference_status,
                self.service,
                self.subtype,
                self.message_type_counter,
                self.destination_id,
            )
            + self.time
        )

    @classmethod
    def decode(
        cls, buf: bytes | bytearray | memoryview, *, time_length: int | None = None,
        profile: LinkProfile = DEFAULT_PROFILE,
    ) -> TmSecondaryHeader:
        length = TM_SECONDARY_HEADER_LENGTH + (_time_length(profile) if time_length is None else time_length)
        if len(buf) != length:
            reason = "truncated" if len(buf) < length else "trailing_bytes"
            raise DecodeError(reason, f"TM secondary header of {len(buf)} octets, expected {length}", 0)
        first, service, subtype, counter, destination = _TM_SEC.unpack_from(buf)
        if first >> 4 != PUS_VERSION:
            raise DecodeError("unknown_pus_version", f"TM PUS version {first >> 4}, expected 2", 0)
        time = bytes(buf[TM_SECONDARY_HEADER_LENGTH:])
        return cls(service, subtype, counter, destination, time, first & 0x0F)


_new = object.__new__
_SEQUENCE_FLAGS = tuple(SequenceFlags)


@dataclass(frozen=True)
class PusTc:
    """A PUS-C telecommand packet. ``source_id`` defaults to the ground id of the default profile."""

    apid: int
    sequence_count: int
    ack_flags: int
    service: int
    subtype: int
    source_id: int = DEFAULT_PROFILE.pus.ground_id
    app_data: bytes = b""
    sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED

    def __post_init__(self) -> None:
        fits = (
            0 <= self.apid < IDLE_APID and 0 <= self.sequence_count < SEQUENCE_COUNT_MODULUS
            and 0 <= self.ack_flags < 16 and 0 <= self.service < 256 and 0 <= self.subtype < 256
            and 0 <= self.source_id < 0x10000 and 0 <= self.sequence_flags < 4
        )
        if not fits:  # one chained test on the common path; name the culprit only when something is wrong
            _check_packet_fields(self.apid, self.sequence_count, self.sequence_flags)
            TcSecondaryHeader(self.ack_flags, self.service, self.subtype, self.source_id)
        data_field = TC_SECONDARY_HEADER_LENGTH + len(self.app_data) + PEC_LENGTH
        if data_field > MAX_DATA_FIELD_LENGTH:
            raise EncodeError("out_of_range", f"application data of {len(self.app_data)} octets is too long")

    @property
    def secondary_header(self) -> TcSecondaryHeader:
        return TcSecondaryHeader(self.ack_flags, self.service, self.subtype, self.source_id)

    @property
    def request_id(self) -> bytes:
        """The PUS 1 request ID: the first four octets (version, type, flags, APID, sequence control)."""
        return self.encode(pec=False)[:4]

    def primary_header(
        self, pec: bool | None = None, *, profile: LinkProfile = DEFAULT_PROFILE
    ) -> PrimaryHeader:
        return PrimaryHeader(
            PacketType.TC,
            True,
            self.apid,
            self.sequence_flags,
            self.sequence_count,
            TC_SECONDARY_HEADER_LENGTH + len(self.app_data) + _pec_length(pec, profile) - 1,
        )

    def encode(self, pec: bool | None = None, *, profile: LinkProfile = DEFAULT_PROFILE) -> bytes:
        """The packet octets; ``pec`` (default: the profile's) appends the CRC-16 packet error control."""
        pec_length = _pec_length(pec, profile)
        data_length = TC_SECONDARY_HEADER_LENGTH + len(self.app_data) + pec_length - 1
        return _seal(
            _TC_HEAD.pack(
                _TC_WORD0_FIXED | self.apid,
                (int(self.sequence_flags) << 14) | self.sequence_count,
                data_length,
                (PUS_VERSION << 4) | self.ack_flags,
                self.service,
                self.subtype,
                self.source_id,
            )
            + self.app_data,
            pec_length,
        )

    def to_space_packet(
        self, pec: bool | None = None, *, profile: LinkProfile = DEFAULT_PROFILE
    ) -> SpacePacket:
        return SpacePacket.decode(self.encode(pec, profile=profile))

    @classmethod
    def decode(
        cls, raw: bytes | bytearray | memoryview, pec: bool | None = None, *,
        profile: LinkProfile = DEFAULT_PROFILE,
    ) -> PusTc:
        """Decode exactly one PUS-C TC packet, checking version, type, flags, length, PUS version and CRC."""
        word0, word1, data_end = _open(raw, _pec_length(pec, profile), True, TC_SECONDARY_HEADER_LENGTH)
        _, _, _, first, service, subtype, source_id = _TC_HEAD.unpack_from(raw)
        tc = _new(cls)
        tc.__dict__.update(
            apid=word0 & 0x07FF,
            sequence_count=word1 & 0x3FFF,
            ack_flags=first & 0x0F,
            service=service,
            subtype=subtype,
            source_id=source_id,
            app_data=bytes(raw[PRIMARY_HEADER_LENGTH + TC_SECONDARY_HEADER_LENGTH : data_end]),
            sequence_flags=_SEQUENCE_FLAGS[word1 >> 14],
        )
        return tc


@dataclass(frozen=True)
class PusTm:
    """A PUS-C telemetry packet. ``time`` is the raw CUC time field (implicit P-field, per the profile)."""

    apid: int
    sequence_count: int
    service: int
    subtype: int
    message_type_counter: int = 0
    destination_id: int = DEFAULT_PROFILE.pus.ground_id
    time: bytes = bytes(_time_length(DEFAULT_PROFILE))
    source_data: bytes = b""
    spacecraft_time_reference_status: int = 0
    sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED

    def __post_init__(self) -> None:
        fits = (
            0 <= self.apid < IDLE_APID and 0 <= self.sequence_count < SEQUENCE_COUNT_MODULUS
            and 0 <= self.service < 256 and 0 <= self.subtype < 256
            and 0 <= self.message_type_counter < MESSAGE_TYPE_COUNTER_MODULUS
            and 0 <= self.destination_id < 0x10000 and 0 <= self.spacecraft_time_reference_status < 16
            and 0 <= self.sequence_flags < 4
        )
        if not fits:  # one chained test on the common path; name the culprit only when something is wrong
            _check_packet_fields(self.apid, self.sequence_count, self.sequence_flags)
            self.secondary_header  # noqa: B018 — constructing the secondary header checks its fields
        data_field = TM_SECONDARY_HEADER_LENGTH + len(self.time) + len(self.source_data) + PEC_LENGTH
        if data_field > MAX_DATA_FIELD_LENGTH:
            raise EncodeError("out_of_range", f"source data of {len(self.source_data)} octets is too long")

    @property
    def secondary_header(self) -> TmSecondaryHeader:
        return TmSecondaryHeader(
            self.service,
            self.subtype,
            self.message_type_counter,
            self.destination_id,
            self.time,
            self.spacecraft_time_reference_status,
        )

    def encode(self, pec: bool | None = None, *, profile: LinkProfile = DEFAULT_PROFILE) -> bytes:
        """The packet octets; ``pec`` (default: the profile's) appends the CRC-16 packet error control."""
        pec_length = _pec_length(pec, profile)
        data_length = TM_SECONDARY_HEADER_LENGTH + len(self.time) + len(self.source_data) + pec_length - 1
        return _seal(
            _TM_HEAD.pack(
                _TM_WORD0_FIXED | self.apid,
                (int(self.sequence_flags) << 14) | self.sequence_count,
                data_length,
                (PUS_VERSION << 4) | self.spacecraft_time_reference_status,
                self.service,
                self.subtype,
                self.message_type_counter,
                self.destination_id,
            )
            + self.time
            + self.source_data,
            pec_length,
        )

    def to_space_packet(
        self, pec: bool | None = None, *, profile: LinkProfile = DEFAULT_PROFILE
    ) -> SpacePacket:
        return SpacePacket.decode(self.encode(pec, profile=profile))

    @classmethod
    def decode(
        cls, raw: bytes | bytearray | memoryview, pec: bool | None = None, *,
        time_length: int | None = None, profile: LinkProfile = DEFAULT_PROFILE,
    ) -> PusTm:
        """Decode exactly one PUS-C TM packet; ``time_length`` defaults to the profile's CUC length."""
        if time_length is None:
            time_length = _time_length(profile)
        word0, word1, data_end = _open(
            raw, _pec_length(pec, profile), False, TM_SECONDARY_HEADER_LENGTH + time_length
        )
        time_start = PRIMARY_HEADER_LENGTH + TM_SECONDARY_HEADER_LENGTH
        data_start = time_start + time_length
        _, _, _, first, service, subtype, counter, destination = _TM_HEAD.unpack_from(raw)
        tm = _new(cls)
        tm.__dict__.update(
            apid=word0 & 0x07FF,
            sequence_count=word1 & 0x3FFF,
            service=service,
            subtype=subtype,
            message_type_counter=counter,
            destination_id=destination,
            time=bytes(raw[time_start:data_start]),
            source_data=bytes(raw[data_start:data_end]),
            spacecraft_time_reference_status=first & 0x0F,
            sequence_flags=_SEQUENCE_FLAGS[word1 >> 14],
        )
        return tm


def _pec_length(pec: bool | None, profile: LinkProfile) -> int:
    """Octets of packet error control: ``pec`` when given, else the profile's choice."""
    with_pec = profile.pus.packet_error_control if pec is None else pec
    return PEC_LENGTH if with_pec else 0


def _check_packet_fields(apid: int, sequence_count: int, sequence_flags: SequenceFlags) -> None:
    """Name the primary-header field of a PUS TC or TM that does not fit."""
    _check_apid(apid)
    _check("sequence_count", sequence_count, SEQUENCE_COUNT_MODULUS)
    _check("sequence_flags", int(sequence_flags), 4)


def _seal(packet: bytes, pec_length: int) -> bytes:
    """Append the packet error control (CRC-16/CCITT-FALSE over the whole packet, §7.4.3.1) when on."""
    if pec_length:
        return packet + crc_hqx(packet, _CRC_INIT).to_bytes(2, "big")
    return packet


def _open(raw: Any, pec_length: int, telecommand: bool, secondary_length: int) -> tuple[int, int, int]:
    """Check everything a PUS TC and TM share, in this order: the primary header, the packet type, the
    secondary header flag, room for the secondary header (``secondary_length`` octets, TM time field
    included) and the packet error control, the CRC, the PUS version. Returns the first two header words
    and the end of the application (TC) or source (TM) data."""
    kind, other = ("TC", "TM") if telecommand else ("TM", "TC")
    size = len(raw)
    word0, word1, total = _primary(raw, size)
    if bool(word0 & 0x1000) != telecommand:
        raise DecodeError("wrong_type", f"a {other} packet where a {kind} was expected", 0)
    if word0 & 0x0800 == 0:
        raise DecodeError("sec_header_flag", f"a PUS {kind} has a secondary header", 0)
    minimum = PRIMARY_HEADER_LENGTH + secondary_length + pec_length
    if total < minimum:
        raise DecodeError("length_mismatch", f"packet of {total} octets, a PUS {kind} needs {minimum}", 4)
    if pec_length and crc_hqx(raw, _CRC_INIT):
        raise DecodeError("bad_crc", "packet error control does not match", size - PEC_LENGTH)
    version = raw[PRIMARY_HEADER_LENGTH] >> 4
    if version != PUS_VERSION:
        raise DecodeError("unknown_pus_version", f"{kind} PUS version {version}, expected 2", 6)
    return word0, word1, size - pec_length


def _primary(raw: Any, size: int) -> tuple[int, int, int]:
    """Check the primary header of a PUS packet: version, length agreement, not idle."""
    if size < PRIMARY_HEADER_LENGTH:
        raise DecodeError("truncated", f"{size} octets, a primary header needs 6", 0)
    word0 = (raw[0] << 8) | raw[1]
    if word0 >> 13:
        raise DecodeError("wrong_version", f"packet version number {word0 >> 13}, expected 0", 0)
    length_field = (raw[4] << 8) | raw[5]
    total = PRIMARY_HEADER_LENGTH + 1 + length_field
    if size != total:
        if size < total:
            raise DecodeError("truncated", f"{size} octets, the header announces {total}", size)
        raise DecodeError("trailing_bytes", f"{size - total} octets after the packet", total)
    if word0 & 0x07FF == IDLE_APID:
        raise DecodeError("idle_packet", "APID 0x7FF is an idle packet, not a PUS packet", 0)
    return word0, (raw[2] << 8) | raw[3], total


class CounterScope(Enum):
    """What a PUS TM message type counter counts (§7.4.3.1 note, §5.4.2.1)."""

    PER_MESSAGE_TYPE = "per_message_type"  # one counter per (service, subtype)
    PER_DESTINATION = "per_destination"  # one counter per destination id


class MessageTypeCounter:
    """The message type counters of one application process, 16 bits wrapping to 0."""

    def __init__(self, scope: CounterScope = CounterScope.PER_MESSAGE_TYPE) -> None:
        self.scope = scope
        self._next: dict[tuple[int, ...], int] = {}

    def _key(self, service: int, subtype: int, destination_id: int) -> tuple[int, ...]:
        _check("service", service, 256)
        _check("subtype", subtype, 256)
        _check("destination_id", destination_id, 1 << 16)
        if self.scope is CounterScope.PER_DESTINATION:
            return (destination_id,)
        return (service, subtype)

    def peek(self, service: int, subtype: int, destination_id: int = DEFAULT_PROFILE.pus.ground_id) -> int:
        return self._next.get(self._key(service, subtype, destination_id), 0)

    def next(self, service: int, subtype: int, destination_id: int = DEFAULT_PROFILE.pus.ground_id) -> int:
        """Take the counter value for the next TM of this type (or destination) and advance it."""
        key = self._key(service, subtype, destination_id)
        value = self._next.get(key, 0)
        self._next[key] = (value + 1) % MESSAGE_TYPE_COUNTER_MODULUS
        return value

    def reset(self) -> None:
        self._next.clear()
