"""TC transfer frames (CCSDS 232.0-B-4), the MAP segment header and the COP-1 control commands.

A TC frame is a 5-octet primary header, a frame data field of 1..1019 octets and, when the mission uses it,
a 2-octet frame error control field (FECF, CRC-16/CCITT-FALSE, §4.1.4). The frame length field holds the
total length in octets minus one (§4.1.2.7); the whole frame is at most 1024 octets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from flightsw.ccsds.crc import crc16, crc16_bytes
from flightsw.errors import DecodeError, EncodeError

PRIMARY_HEADER_LENGTH = 5
FECF_LENGTH = 2
MAX_FRAME_LENGTH = 1024  # CCSDS 232.0-B-4 §4.1.2.7.2
TC_VERSION = 0  # "00" = version-1 transfer frame, §4.1.2.2.2
SEGMENT_HEADER_LENGTH = 1

# Sequence flags of the segment header (CCSDS 232.0-B-4 §4.1.3.2.2 with the MAP service).
SEQ_CONTINUATION = 0b00
SEQ_FIRST = 0b01
SEQ_LAST = 0b10
SEQ_UNSEGMENTED = 0b11

# Control commands carried by Type-BC frames (CCSDS 232.1-B-2 §5.2).
UNLOCK = b"\x00"
_SET_VR_PREFIX = b"\x82\x00"


@dataclass(frozen=True)
class TcFrame:
    """One TC transfer frame; ``data`` is the whole frame data field (segment header included when used)."""

    scid: int
    vcid: int
    sequence_number: int
    data: bytes
    bypass: bool = False
    control_command: bool = False
    version: int = TC_VERSION

    @property
    def frame_type(self) -> str:
        """``"AD"``, ``"BD"`` or ``"BC"`` (CCSDS 232.0-B-4 §4.1.2.3)."""
        if self.control_command:
            return "BC"
        return "BD" if self.bypass else "AD"

    def encode(self, *, fecf: bool = True) -> bytes:
        _fit("version", self.version, 2)
        _fit("scid", self.scid, 10)
        _fit("vcid", self.vcid, 6)
        _fit("sequence_number", self.sequence_number, 8)
        if self.control_command and not self.bypass:
            # Bypass 0 with control command 1 is not a valid combination (§4.1.2.3.3).
            raise EncodeError("inconsistent_flags", "a control command frame must have the bypass flag set")
        if not self.data:
            raise EncodeError("empty_data", "the frame data field needs at least one octet")
        total = PRIMARY_HEADER_LENGTH + len(self.data) + (FECF_LENGTH if fecf else 0)
        if total > MAX_FRAME_LENGTH:
            raise EncodeError("too_long", f"{total} octets > {MAX_FRAME_LENGTH}")
        word0 = (
            (self.version << 14)
            | (int(self.bypass) << 13)
            | (int(self.control_command) << 12)
            | self.scid
        )
        word1 = (self.vcid << 10) | (total - 1)
        head = bytes(
            (word0 >> 8, word0 & 0xFF, word1 >> 8, word1 & 0xFF, self.sequence_number)
        )
        unit = head + bytes(self.data)
        return unit + crc16_bytes(unit) if fecf else unit

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview, *, fecf: bool = True) -> TcFrame:
        """Decode exactly one frame; every inconsistency raises :class:`DecodeError`."""
        raw = bytes(raw)
        minimum = PRIMARY_HEADER_LENGTH + 1 + (FECF_LENGTH if fecf else 0)
        if len(raw) < PRIMARY_HEADER_LENGTH:
            raise DecodeError("truncated", f"{len(raw)} octets, header needs {PRIMARY_HEADER_LENGTH}")
        version = raw[0] >> 6
        if version != TC_VERSION:
            raise DecodeError("wrong_version", f"transfer frame version {version}", offset=0)
        bypass = bool(raw[0] & 0x20)
        control = bool(raw[0] & 0x10)
        if raw[0] & 0x0C:
            raise DecodeError("bad_spare", "spare bits of the primary header must be zero", offset=0)
        if control and not bypass:
            raise DecodeError("inconsistent_flags", "control command flag set without bypass", offset=0)
        scid = ((raw[0] & 0x03) << 8) | raw[1]
        vcid = raw[2] >> 2
        declared = (((raw[2] & 0x03) << 8) | raw[3]) + 1
        if declared < minimum:
            raise DecodeError("length_mismatch", f"frame length field says {declared} < {minimum}", offset=2)
        if len(raw) < declared:
            raise DecodeError("truncated", f"{len(raw)} octets, frame length field says {declared}")
        if len(raw) > declared:
            raise DecodeError("trailing_bytes", f"{len(raw) - declared} octets after the frame", declared)
        if fecf and crc16(raw) != 0:
            raise DecodeError("bad_crc", "frame error control field does not match", declared - 2)
        end = declared - (FECF_LENGTH if fecf else 0)
        return cls(
            scid=scid,
            vcid=vcid,
            sequence_number=raw[4],
            data=raw[PRIMARY_HEADER_LENGTH:end],
            bypass=bypass,
            control_command=control,
            version=version,
        )


def peek_frame_length(header: bytes | bytearray | memoryview) -> int:
    """Total frame length in octets from the first four header octets (no other checks)."""
    if len(header) < 4:
        raise DecodeError("truncated", "frame length field needs 4 octets")
    return (((header[2] & 0x03) << 8) | header[3]) + 1


def segment_header(map_id: int, sequence_flags: int = SEQ_UNSEGMENTED) -> bytes:
    """The one-octet segment header: sequence flags (2 bits) and MAP identifier (6 bits)."""
    _fit("sequence_flags", sequence_flags, 2)
    _fit("map_id", map_id, 6)
    return bytes(((sequence_flags << 6) | map_id,))


def parse_segment_header(data: bytes | bytearray | memoryview) -> tuple[int, int]:
    """``(sequence_flags, map_id)`` from the first octet of a frame data field."""
    if len(data) < SEGMENT_HEADER_LENGTH:
        raise DecodeError("truncated", "no segment header")
    return data[0] >> 6, data[0] & 0x3F


class ControlCommand(NamedTuple):
    """A decoded COP-1 control command: ``kind`` is ``"unlock"`` or ``"set_vr"`` (then ``vr`` is set)."""

    kind: str
    vr: int | None = None


def set_vr(vr: int) -> bytes:
    """The Set V(R) control command (CCSDS 232.1-B-2 §5.2.3): ``82 00`` then the new V(R)."""
    _fit("vr", vr, 8)
    return _SET_VR_PREFIX + bytes((vr,))


def parse_control_command(data: bytes | bytearray | memoryview) -> ControlCommand:
    """Decode the data field of a Type-BC frame; anything but Unlock or Set V(R) is rejected."""
    data = bytes(data)
    if data == UNLOCK:
        return ControlCommand("unlock")
    if len(data) == 3 and data[:2] == _SET_VR_PREFIX:
        return ControlCommand("set_vr", data[2])
    if not data:
        raise DecodeError("truncated", "empty control command")
    if data[:1] == UNLOCK:
        raise DecodeError("trailing_bytes", "Unlock is a single octet", 1)
    if data[:2] == _SET_VR_PREFIX:
        if len(data) < 3:
            raise DecodeError("truncated", "Set V(R) needs three octets")
        raise DecodeError("trailing_bytes", "Set V(R) is three octets", 3)
    raise DecodeError("unknown_control_command", data.hex())


def _fit(name: str, value: int, bits: int) -> None:
    if not 0 <= value < (1 << bits):
        raise EncodeError("out_of_range", f"{name}={value} does not fit {bits} bits")
