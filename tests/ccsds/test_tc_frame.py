"""TC transfer frames (CCSDS 232.0-B-4), segment headers and COP-1 control commands (232.1-B-2 §5.2)."""

from __future__ import annotations

import pytest
from crccheck.crc import Crc16CcittFalse
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.tc_frame import (
    MAX_FRAME_LENGTH,
    SEQ_FIRST,
    SEQ_UNSEGMENTED,
    UNLOCK,
    ControlCommand,
    TcFrame,
    parse_control_command,
    parse_segment_header,
    segment_header,
    set_vr,
)
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE


def hand_built_frame(
    scid: int, vcid: int, seq: int, data: bytes, bypass: bool = False, control: bool = False
) -> bytes:
    """The frame laid out bit by bit from the field table of 232.0-B-4 §4.1.2, with crccheck's FECF."""
    total = 5 + len(data) + 2
    bits = "00" + str(int(bypass)) + str(int(control)) + "00" + f"{scid:010b}" + f"{vcid:06b}"
    bits += f"{total - 1:010b}" + f"{seq:08b}"
    head = int(bits, 2).to_bytes(5, "big")
    unit = head + data
    return unit + Crc16CcittFalse.calc(unit).to_bytes(2, "big")


def test_encode_matches_the_field_layout() -> None:
    data = segment_header(0) + b"\x18\x2a\xc0\x00\x00\x05\x11\x01"
    frame = TcFrame(scid=DEFAULT_PROFILE.scid, vcid=0, sequence_number=7, data=data)
    assert frame.encode() == hand_built_frame(DEFAULT_PROFILE.scid, 0, 7, data)
    bc = TcFrame(scid=0x3FF, vcid=0x3F, sequence_number=255, data=UNLOCK, bypass=True, control_command=True)
    assert bc.encode() == hand_built_frame(0x3FF, 0x3F, 255, UNLOCK, bypass=True, control=True)
    assert bc.frame_type == "BC"
    assert TcFrame(1, 1, 0, b"x", bypass=True).frame_type == "BD"
    assert frame.frame_type == "AD"


def test_published_frame_decodes() -> None:
    # A frame carried by an independently published CLTU (SCID 0x7B, VC 0, sequence 0x1F, 26 octets).
    raw = bytes.fromhex("007b00191fc01810c006000b100e0200000103190000bbe91546")
    frame = TcFrame.decode(raw)
    assert (frame.scid, frame.vcid, frame.sequence_number) == (0x7B, 0, 0x1F)
    assert parse_segment_header(frame.data) == (SEQ_UNSEGMENTED, 0)
    assert frame.encode() == raw


@settings(max_examples=80, deadline=None)
@given(
    scid=st.integers(0, 0x3FF),
    vcid=st.integers(0, 0x3F),
    seq=st.integers(0, 255),
    data=st.binary(min_size=1, max_size=MAX_FRAME_LENGTH - 7),
    kind=st.sampled_from(["AD", "BD", "BC"]),
    fecf=st.booleans(),
)
def test_round_trip(scid: int, vcid: int, seq: int, data: bytes, kind: str, fecf: bool) -> None:
    frame = TcFrame(scid, vcid, seq, data, bypass=kind != "AD", control_command=kind == "BC")
    raw = frame.encode(fecf=fecf)
    assert len(raw) == 5 + len(data) + (2 if fecf else 0)
    assert TcFrame.decode(raw, fecf=fecf) == frame


def _good() -> bytes:
    return TcFrame(42, 0, 3, segment_header(0) + b"payload").encode()


def _with_crc(unit: bytes) -> bytes:
    return unit + Crc16CcittFalse.calc(unit).to_bytes(2, "big")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda r: r[:4], "truncated"),
        (lambda r: r[:-1], "truncated"),
        (lambda r: r + b"\x00", "trailing_bytes"),
        (lambda r: r[:-1] + bytes((r[-1] ^ 1,)), "bad_crc"),
        (lambda r: _with_crc(bytes((r[0] | 0x40,)) + r[1:-2]), "wrong_version"),
        (lambda r: _with_crc(bytes((r[0] | 0x04,)) + r[1:-2]), "bad_spare"),
        (lambda r: _with_crc(bytes((r[0] | 0x10,)) + r[1:-2]), "inconsistent_flags"),
        (lambda r: _with_crc(r[:3] + b"\x05" + r[4:-2]), "length_mismatch"),
        (lambda r: _with_crc(r[:3] + bytes((r[3] + 1,)) + r[4:-2]), "truncated"),
        (lambda r: _with_crc(r[:3] + bytes((r[3] - 1,)) + r[4:-2]), "trailing_bytes"),
    ],
)
def test_decode_is_strict(mutate: object, reason: str) -> None:
    raw = mutate(_good())  # type: ignore[operator]
    with pytest.raises(DecodeError) as info:
        TcFrame.decode(raw)
    assert info.value.reason == reason


def test_decode_without_fecf_and_wrong_expectation() -> None:
    plain = TcFrame(42, 1, 0, b"abc").encode(fecf=False)
    assert TcFrame.decode(plain, fecf=False).data == b"abc"
    with pytest.raises(DecodeError):
        TcFrame.decode(plain, fecf=True)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (TcFrame(1024, 0, 0, b"x"), "out_of_range"),
        (TcFrame(1, 64, 0, b"x"), "out_of_range"),
        (TcFrame(1, 0, 256, b"x"), "out_of_range"),
        (TcFrame(1, 0, -1, b"x"), "out_of_range"),
        (TcFrame(1, 0, 0, b"x", version=4), "out_of_range"),
        (TcFrame(1, 0, 0, b""), "empty_data"),
        (TcFrame(1, 0, 0, bytes(MAX_FRAME_LENGTH - 6)), "too_long"),
        (TcFrame(1, 0, 0, b"x", control_command=True), "inconsistent_flags"),
    ],
)
def test_encode_rejects_values_that_do_not_fit(frame: TcFrame, reason: str) -> None:
    with pytest.raises(EncodeError) as info:
        frame.encode()
    assert info.value.reason == reason


def test_longest_frame_fits() -> None:
    frame = TcFrame(1, 0, 0, bytes(MAX_FRAME_LENGTH - 7))
    assert len(frame.encode()) == MAX_FRAME_LENGTH
    assert TcFrame.decode(frame.encode()) == frame


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_decode_never_raises_anything_else(raw: bytes) -> None:
    try:
        frame = TcFrame.decode(raw)
    except DecodeError:
        return
    assert frame.encode() == raw


def test_segment_header() -> None:
    assert segment_header(0) == b"\xc0"
    assert segment_header(0x3F, SEQ_FIRST) == b"\x7f"
    assert parse_segment_header(b"\x7fxyz") == (SEQ_FIRST, 0x3F)
    with pytest.raises(EncodeError):
        segment_header(64)
    with pytest.raises(EncodeError):
        segment_header(0, 4)
    with pytest.raises(DecodeError):
        parse_segment_header(b"")


def test_control_commands() -> None:
    assert UNLOCK == b"\x00"
    assert set_vr(0xA5) == b"\x82\x00\xa5"
    assert parse_control_command(UNLOCK) == ControlCommand("unlock")
    assert parse_control_command(set_vr(17)) == ControlCommand("set_vr", 17)
    with pytest.raises(EncodeError):
        set_vr(256)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "truncated"),
        (b"\x82\x00", "truncated"),
        (b"\x00\x00", "trailing_bytes"),
        (b"\x82\x00\x01\x02", "trailing_bytes"),
        (b"\x82\x01\x05", "unknown_control_command"),
        (b"\x01", "unknown_control_command"),
    ],
)
def test_bad_control_commands(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_control_command(data)
    assert info.value.reason == reason
