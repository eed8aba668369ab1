"""TM transfer frames (CCSDS 132.0-B-3).

A TM frame has the fixed length of its physical channel (profile ``tm.frame_length``): a 6-octet primary
header, an optional secondary header, the data field, an optional 4-octet operational control field (OCF, the
CLCW) and an optional 2-octet frame error control field (FECF). Which optional fields exist is fixed per
mission (§4.1.1, §4.1.2.4, §4.1.6), so encode and decode take the profile and reject frames that disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from struct import Struct
from struct import error as StructError
from typing import NamedTuple

from flightsw.ccsds.crc import CRC16_INIT, crc_hqx
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

# Frame identification (version, SCID, VCID, OCF flag), the two frame counts, the data field status (§4.1.2).
_PRIMARY = Struct(">HBBH")
_FECF = Struct(">H")
# Data field status of the usual frame: no secondary header, sync flag 0, packet order 0, segment length
# ID 11 (§4.1.2.7); the first header pointer is or-ed in.
_USUAL_STATUS = SEGMENT_LENGTH_ID_DEFAULT << 11
_new = object.__new__
_set_attribute = object.__setattr__
# The field dict of a usual frame, copied (never changed) by the decoder's fast path, which fills in the
# per-frame fields: copying a dict of the right size is cheaper than building one key by key.
_USUAL_FIELDS = {
    "scid": 0,
    "vcid": 0,
    "master_channel_frame_count": 0,
    "virtual_channel_frame_count": 0,
    "first_header_pointer": 0,
    "data": b"",
    "ocf": None,
    "secondary_header": None,
    "sync_flag": False,
    "packet_order": False,
    "segment_length_id": SEGMENT_LENGTH_ID_DEFAULT,
}


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


class _Layout(NamedTuple):
    """What a profile fixes about all its frames, worked out once per profile for the codec's fast paths."""

    profile: LinkProfile
    frame_length: int
    data_length: int  # of a frame without a secondary header
    ocf_present: bool
    fecf_present: bool
    secondary_header: bool
    identification: int  # version 00, the profile's SCID and OCF flag as the first 16 bits read (VCID 0)
    # Primary header, data field and OCF (empty when absent) of a frame without a secondary header.
    usual: Struct


def _layout_of(profile: LinkProfile) -> _Layout:
    tm = profile.tm
    data_length = data_field_length(profile)
    return _Layout(
        profile,
        tm.frame_length,
        data_length,
        tm.ocf_present,
        tm.fecf_present,
        tm.secondary_header,
        (TM_VERSION << 14) | (profile.scid << 4) | int(tm.ocf_present),
        Struct(f"{_PRIMARY.format}{data_length}s{OCF_LENGTH if tm.ocf_present else 0}s"),
    )


# The layout of the last profile used; profiles are frozen, so one compared by identity cannot go stale.
_last_layout = _layout_of(DEFAULT_PROFILE)


def _remember_layout(profile: LinkProfile) -> _Layout:
    global _last_layout
    _last_layout = _layout_of(profile)
    return _last_layout


@dataclass(frozen=True, init=False)
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

    # Written out rather than generated: a frozen dataclass's generated __init__ sets each of the eleven
    # fields through object.__setattr__, which costs as much as encoding the frame; this fills the dict.
    # The fields are checked against the profile by encode.
    def __init__(
        self,
        scid: int,
        vcid: int,
        master_channel_frame_count: int,
        virtual_channel_frame_count: int,
        first_header_pointer: int,
        data: bytes,
        ocf: bytes | None = None,
        secondary_header: bytes | None = None,
        sync_flag: bool = False,
        packet_order: bool = False,
        segment_length_id: int = SEGMENT_LENGTH_ID_DEFAULT,
    ) -> None:
        self.__dict__.update(
            scid=scid,
            vcid=vcid,
            master_channel_frame_count=master_channel_frame_count,
            virtual_channel_frame_count=virtual_channel_frame_count,
            first_header_pointer=first_header_pointer,
            data=data,
            ocf=ocf,
            secondary_header=secondary_header,
            sync_flag=sync_flag,
            packet_order=packet_order,
            segment_length_id=segment_length_id,
        )

    @property
    def secondary_header_flag(self) -> bool:
        return self.secondary_header is not None

    @property
    def is_idle(self) -> bool:
        """True for an only-idle-data frame."""
        return not self.sync_flag and self.first_header_pointer == FHP_IDLE

    def _check_encodable(self, profile: LinkProfile) -> None:
        """Every encoder check in turn, so the error names the first field that does not fit the profile."""
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

    def encode(self, profile: LinkProfile = DEFAULT_PROFILE) -> bytes:
        layout = _last_layout
        if layout[0] is not profile:
            layout = _remember_layout(profile)
        _, _, data_length, ocf_present, fecf_present, secondary_header_present, _, usual = layout
        scid, vcid, ocf, data = self.scid, self.vcid, self.ocf, self.data
        master_count, virtual_count = self.master_channel_frame_count, self.virtual_channel_frame_count
        fhp = self.first_header_pointer
        # One chained test passes the usual frame (no secondary header, sync flag 0, fields in range) and
        # lays it out in one pack; any other goes through the checks one by one, so an error names its
        # culprit. The lengths are checked here because a struct "s" field pads or cuts silently.
        if (
            self.secondary_header is None and not secondary_header_present and len(data) == data_length
            and ((ocf is not None and len(ocf) == OCF_LENGTH) if ocf_present else ocf is None)
            and self.sync_flag is False and self.packet_order is False
            and self.segment_length_id == SEGMENT_LENGTH_ID_DEFAULT
            and (0 <= fhp < data_length or fhp in (FHP_IDLE, FHP_NO_PACKET_START))
            and 0 <= scid < 0x400 and 0 <= vcid < 8
            and 0 <= master_count < 0x100 and 0 <= virtual_count < 0x100
        ):
            try:
                unit = usual.pack(
                    (TM_VERSION << 14) | (scid << 4) | (vcid << 1) | ocf_present,
                    master_count,
                    virtual_count,
                    _USUAL_STATUS | fhp,
                    data,
                    b"" if ocf is None else ocf,
                )
            except StructError:  # a struct takes bytes, not any buffer: the general layout below does
                pass
            else:
                return unit + _FECF.pack(crc_hqx(unit, CRC16_INIT)) if fecf_present else unit
        self._check_encodable(profile)
        secondary = self.secondary_header
        unit = _PRIMARY.pack(
            (TM_VERSION << 14) | (scid << 4) | (vcid << 1) | (ocf is not None),
            master_count,
            virtual_count,
            (0x8000 if secondary is not None else 0)
            | (0x4000 if self.sync_flag else 0)
            | (0x2000 if self.packet_order else 0)
            | (self.segment_length_id << 11)
            | fhp,
        )
        if secondary is not None:
            unit += secondary
        unit += data
        if ocf is not None:
            unit += ocf
        return unit + _FECF.pack(crc_hqx(unit, CRC16_INIT)) if fecf_present else unit

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview, profile: LinkProfile = DEFAULT_PROFILE) -> TmFrame:
        """Decode one frame of exactly the profile's length; any inconsistency raises :class:`DecodeError`."""
        if type(raw) is not bytes:
            raw = bytes(raw)
        layout = _last_layout
        if layout[0] is not profile:
            layout = _remember_layout(profile)
        _, frame_length, data_length, ocf_present, fecf_present, secondary_header_present, usual_id, usual = (
            layout
        )
        if (
            cls is TmFrame and len(raw) == frame_length and not secondary_header_present
            and (not fecf_present or crc_hqx(raw, CRC16_INIT) == 0)
        ):
            identification, master_count, virtual_count, status, data, ocf = usual.unpack_from(raw)
            fhp = status & 0x07FF
            # The usual frame in three comparisons: version 00, the profile's SCID and OCF flag (any VCID);
            # no secondary header, sync flag 0, packet order 0, segment length ID 11; a first header
            # pointer inside the data field or one of the two special values (§4.1.2.2-4.1.2.7).
            if (
                identification & 0xFFF1 == usual_id
                and status & 0xF800 == _USUAL_STATUS
                and (fhp < data_length or fhp >= FHP_IDLE)
            ):
                # Every field is read through a mask of its width and was checked: no constructor work left.
                fields = _USUAL_FIELDS.copy()
                fields["scid"] = (identification >> 4) & 0x3FF
                fields["vcid"] = (identification >> 1) & 0x07
                fields["master_channel_frame_count"] = master_count
                fields["virtual_channel_frame_count"] = virtual_count
                fields["first_header_pointer"] = fhp
                fields["data"] = data
                if ocf_present:
                    fields["ocf"] = ocf
                frame = _new(TmFrame)
                _set_attribute(frame, "__dict__", fields)
                return frame
        return cls._decode_checked(raw, profile)

    @classmethod
    def _decode_checked(cls, raw: bytes, profile: LinkProfile) -> TmFrame:
        """Every decoder check in turn, so the error names the first inconsistency; also decodes the frames
        :meth:`decode` does not take in one pass (secondary header, sync flag 1)."""
        tm = profile.tm
        if len(raw) < tm.frame_length:
            raise DecodeError("truncated", f"{len(raw)} octets, frame is {tm.frame_length}")
        if len(raw) > tm.frame_length:
            raise DecodeError("trailing_bytes", f"{len(raw) - tm.frame_length} extra octets", tm.frame_length)
        if tm.fecf_present and crc_hqx(raw, CRC16_INIT) != 0:
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
