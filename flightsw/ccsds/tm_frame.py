"""TM transfer frames (CCSDS 132.0-B-3).

A TM frame has the fixed length of its physical channel (profile ``tm.frame_length``): a 6-octet primary
header, an optional secondary header, the data field, an optional 4-octet operational control field (OCF, the
CLCW) and an optional 2-octet frame error control field (FECF). Which optional fields exist is fixed per
mission (§4.1.1, §4.1.2.4, §4.1.6), so encode and decode take the profile and reject frames that disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from flightsw.ccsds.crc import crc16, crc16_bytes
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

PRIMARY_HEADER_LENGTH = 6
OCF_LENGTH = 4
FECF_LENGTH = 2
TM_VERSION = 0  # "00" = version-1 transfer frame, §4.1.2.2.2
SEGMENT_LENGTH_ID_DEFAULT = 0b11  # the only value allowed when the sync flag is 0, §4.1.2.7.5
MAX_SECONDARY_HEADER_LENGTH = 64  # 6-bit length field holds length - 1, §4.1.3.2.3

# First header pointer values with a special meaning (CCSDS 132.0-B-3 §4.1.2.7.6 and §4.1.2.7.7).
FHP_NO_PACKET_START = 0x7FF  # no packet starts in this frame's data field
FHP_IDLE = 0x7FE  # only idle data in the data field


def data_field_length(profile: LinkProfile = DEFAULT_PROFILE, secondary_header_length: int = 0) -> int:
    """Octets of the frame data field for this profile (and a secondary header of the given total length)."""
    tm = profile.tm
    return (
        tm.frame_length
        - PRIMARY_HEADER_LENGTH
        - secondary_header_length
        - (OCF_LENGTH if tm.ocf_present else 0)
        - (FECF_LENGTH if tm.fecf_present else 0)
    )


@dataclass(frozen=True)
class TmFrame:
    """One TM transfer frame. ``secondary_header`` is the whole secondary header (its ID octet included)."""

    scid: int
    vcid: int
    master_channel_frame_count: int
    virtual_channel_frame_count: int
    first_header_pointer: int
    data: bytes
    ocf: bytes | None = None
    secondary_header: bytes | None = None
    sync_flag: bool = False
    packet_order: bool = False
    segment_length_id: int = SEGMENT_LENGTH_ID_DEFAULT

    @property
    def secondary_header_flag(self) -> bool:
        return self.secondary_header is not None

    @property
    def is_idle(self) -> bool:
        """True for an only-idle-data frame."""
        return not self.sync_flag and self.first_header_pointer == FHP_IDLE

    def encode(self, profile: LinkProfile = DEFAULT_PROFILE) -> bytes:
        tm = profile.tm
        _fit("scid", self.scid, 10)
        _fit("vcid", self.vcid, 3)
        _fit("master_channel_frame_count", self.master_channel_frame_count, 8)
        _fit("virtual_channel_frame_count", self.virtual_channel_frame_count, 8)
        _fit("first_header_pointer", self.first_header_pointer, 11)
        _fit("segment_length_id", self.segment_length_id, 2)
        if (self.ocf is not None) != tm.ocf_present:
            raise EncodeError("ocf_mismatch", f"profile says OCF present={tm.ocf_present}")
        if self.ocf is not None and len(self.ocf) != OCF_LENGTH:
            raise EncodeError("length_mismatch", f"OCF is {len(self.ocf)} octets, must be {OCF_LENGTH}")
        if (self.secondary_header is not None) != tm.secondary_header:
            raise EncodeError("secondary_header_mismatch", f"profile says present={tm.secondary_header}")
        sh = self.secondary_header or b""
        if self.secondary_header is not None:
            if not 2 <= len(sh) <= MAX_SECONDARY_HEADER_LENGTH:
                raise EncodeError("length_mismatch", f"secondary header of {len(sh)} octets")
            if sh[0] != len(sh) - 1:  # version 00 and length - 1, §4.1.3.2
                raise EncodeError("bad_secondary_header", "ID octet must be version 0 and length - 1")
        # Packets are octet-synchronised and forward-ordered (§4.1.2.7.3-5).
        if not self.sync_flag and (self.packet_order or self.segment_length_id != SEGMENT_LENGTH_ID_DEFAULT):
            raise EncodeError("inconsistent_flags", "sync flag 0 needs packet order 0 and segment id 11")
        expected = data_field_length(profile, len(sh))
        if len(self.data) != expected:
            raise EncodeError("length_mismatch", f"data field is {len(self.data)} octets, must be {expected}")
        if not self.sync_flag:
            _check_fhp(self.first_header_pointer, expected, EncodeError)
        word = (TM_VERSION << 14) | (self.scid << 4) | (self.vcid << 1) | int(self.ocf is not None)
        status = (
            (int(self.secondary_header is not None) << 15)
            | (int(self.sync_flag) << 14)
            | (int(self.packet_order) << 13)
            | (self.segment_length_id << 11)
            | self.first_header_pointer
        )
        unit = b"".join(
            (
                bytes(
                    (
                        word >> 8,
                        word & 0xFF,
                        self.master_channel_frame_count,
                        self.virtual_channel_frame_count,
                        status >> 8,
                        status & 0xFF,
                    )
                ),
                sh,
                bytes(self.data),
                self.ocf or b"",
            )
        )
        return unit + crc16_bytes(unit) if tm.fecf_present else unit

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview, profile: LinkProfile = DEFAULT_PROFILE) -> TmFrame:
        """Decode one frame of exactly the profile's length; any inconsistency raises :class:`DecodeError`."""
        tm = profile.tm
        raw = bytes(raw)
        if len(raw) < tm.frame_length:
            raise DecodeError("truncated", f"{len(raw)} octets, frame is {tm.frame_length}")
        if len(raw) > tm.frame_length:
            raise DecodeError("trailing_bytes", f"{len(raw) - tm.frame_length} extra octets", tm.frame_length)
        if tm.fecf_present and crc16(raw) != 0:
            raise DecodeError("bad_crc", "frame error control field does not match", tm.frame_length - 2)
        version = raw[0] >> 6
        if version != TM_VERSION:
            raise DecodeError("wrong_version", f"transfer frame version {version}", offset=0)
        scid = ((raw[0] & 0x3F) << 4) | (raw[1] >> 4)
        if scid != profile.scid:
            raise DecodeError("wrong_scid", f"SCID {scid}, expected {profile.scid}", offset=0)
        vcid = (raw[1] >> 1) & 0x07
        if bool(raw[1] & 0x01) != tm.ocf_present:
            raise DecodeError("ocf_mismatch", f"OCF flag disagrees with the profile ({tm.ocf_present})", 1)
        status = (raw[4] << 8) | raw[5]
        sh_flag = bool(status & 0x8000)
        sync_flag = bool(status & 0x4000)
        packet_order = bool(status & 0x2000)
        segment_length_id = (status >> 11) & 0x03
        fhp = status & 0x07FF
        if sh_flag != tm.secondary_header:
            raise DecodeError("secondary_header_mismatch", f"profile says present={tm.secondary_header}", 4)
        if not sync_flag and (packet_order or segment_length_id != SEGMENT_LENGTH_ID_DEFAULT):
            raise DecodeError("inconsistent_flags", "sync flag 0 needs packet order 0 and segment id 11", 4)
        pos = PRIMARY_HEADER_LENGTH
        secondary: bytes | None = None
        if sh_flag:
            if raw[pos] >> 6 != 0:
                raise DecodeError("wrong_version", "secondary header version must be 0", pos)
            sh_len = (raw[pos] & 0x3F) + 1
            if sh_len < 2:
                raise DecodeError("length_mismatch", "secondary header with no data field", pos)
            secondary = raw[pos : pos + sh_len]
            pos += sh_len
        length = data_field_length(profile, pos - PRIMARY_HEADER_LENGTH)
        if length < 1:
            raise DecodeError("length_mismatch", "no room left for a data field", PRIMARY_HEADER_LENGTH)
        if not sync_flag:
            _check_fhp(fhp, length, DecodeError)
        data = raw[pos : pos + length]
        pos += length
        ocf = raw[pos : pos + OCF_LENGTH] if tm.ocf_present else None
        return cls(
            scid=scid,
            vcid=vcid,
            master_channel_frame_count=raw[2],
            virtual_channel_frame_count=raw[3],
            first_header_pointer=fhp,
            data=data,
            ocf=ocf,
            secondary_header=secondary,
            sync_flag=sync_flag,
            packet_order=packet_order,
            segment_length_id=segment_length_id,
        )


def _check_fhp(fhp: int, data_length: int, error: type[DecodeError] | type[EncodeError]) -> None:
    if fhp in (FHP_NO_PACKET_START, FHP_IDLE):
        return
    if fhp >= data_length:
        raise error("bad_first_header_pointer", f"{fhp} is beyond the {data_length}-octet data field", 4)


def _fit(name: str, value: int, bits: int) -> None:
    if not 0 <= value < (1 << bits):
        raise EncodeError("out_of_range", f"{name}={value} does not fit {bits} bits")
