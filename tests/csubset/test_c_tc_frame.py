"""TC transfer frames, segment headers and control commands (232.0-B-4, 232.1-B-2 §5.2) in C against
flightsw.ccsds.tc_frame: byte-identical encoding, the same decode results and the same rejection reasons."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.tc_frame import (
    UNLOCK,
    TcFrame,
    parse_control_command,
    parse_segment_header,
    segment_header,
    set_vr,
)
from flightsw.errors import DecodeError, EncodeError
from tests.csubset.cstack import CStack, CStatusError
from tests.csubset.damage import damage


@st.composite
def tc_frames(draw: st.DrawFn) -> TcFrame:
    bypass = draw(st.booleans())
    return TcFrame(
        scid=draw(st.integers(0, 0x3FF)),
        vcid=draw(st.integers(0, 0x3F)),
        sequence_number=draw(st.integers(0, 255)),
        data=draw(st.binary(min_size=1, max_size=300)),
        bypass=bypass,
        control_command=bypass and draw(st.booleans()),
    )


def python_decode(raw: bytes, fecf: bool) -> TcFrame | str:
    try:
        return TcFrame.decode(raw, fecf=fecf)
    except DecodeError as exc:
        return exc.reason


def c_decode(cstack: CStack, raw: bytes, fecf: bool) -> TcFrame | str:
    try:
        return cstack.tc_frame_decode(raw, fecf)
    except CStatusError as exc:
        return exc.reason


@settings(max_examples=200, deadline=None)
@given(frame=tc_frames(), fecf=st.booleans())
def test_encode_is_byte_identical_and_decodes_back(cstack: CStack, frame: TcFrame, fecf: bool) -> None:
    raw = frame.encode(fecf=fecf)
    assert cstack.tc_frame_encode(frame, fecf) == raw
    assert cstack.tc_frame_decode(raw, fecf) == frame


@settings(max_examples=300, deadline=None)
@given(frame=tc_frames(), fecf=st.booleans(), data=st.data())
def test_decode_of_damaged_frames_agrees(
    cstack: CStack, frame: TcFrame, fecf: bool, data: st.DataObject
) -> None:
    raw = damage(frame.encode(fecf=fecf), data, header_length=5, max_extension=4)
    assert c_decode(cstack, raw, fecf) == python_decode(raw, fecf)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=40), fecf=st.booleans())
def test_decode_of_random_octets_agrees(cstack: CStack, raw: bytes, fecf: bool) -> None:
    assert c_decode(cstack, raw, fecf) == python_decode(raw, fecf)


@pytest.mark.parametrize(
    "frame",
    [
        TcFrame(1, 0, 0, b"x", bypass=False, control_command=True),
        TcFrame(1, 0, 0, b""),
        TcFrame(1, 0, 0, bytes(1018)),
        TcFrame(1, 64, 0, b"x"),
        TcFrame(1024, 0, 0, b"x"),
        TcFrame(1, 0, 0, b"x", version=4),
    ],
    ids=["bc_without_bypass", "empty", "too_long", "vcid", "scid", "version"],
)
def test_encode_rejections_match(cstack: CStack, frame: TcFrame) -> None:
    with pytest.raises(EncodeError) as python:
        frame.encode()
    with pytest.raises(CStatusError) as c:
        cstack.tc_frame_encode(frame)
    assert c.value.reason == python.value.reason


def test_peek_length_reads_the_length_field(cstack: CStack) -> None:
    raw = TcFrame(42, 0, 0, bytes(100)).encode()
    length = cstack.ffi.new("size_t *")
    cstack.check(cstack.lib.ccsds_tc_frame_peek_length(raw, 4, length))
    assert length[0] == len(raw)
    assert cstack.reason(cstack.lib.ccsds_tc_frame_peek_length(raw, 3, length)) == "truncated"


@settings(max_examples=100, deadline=None)
@given(flags=st.integers(0, 3), map_id=st.integers(0, 63))
def test_segment_header_agrees(cstack: CStack, flags: int, map_id: int) -> None:
    out = cstack.ffi.new("uint8_t[1]")
    cstack.check(cstack.lib.ccsds_tc_segment_header_encode(flags, map_id, out))
    assert bytes(out) == segment_header(map_id, flags)
    got_flags = cstack.ffi.new("uint8_t *")
    got_map = cstack.ffi.new("uint8_t *")
    cstack.check(cstack.lib.ccsds_tc_segment_header_decode(bytes(out), 1, got_flags, got_map))
    assert (got_flags[0], got_map[0]) == parse_segment_header(bytes(out)) == (flags, map_id)


def test_segment_header_rejects_out_of_range(cstack: CStack) -> None:
    out = cstack.ffi.new("uint8_t[1]")
    assert cstack.reason(cstack.lib.ccsds_tc_segment_header_encode(4, 0, out)) == "out_of_range"
    assert cstack.reason(cstack.lib.ccsds_tc_segment_header_encode(0, 64, out)) == "out_of_range"


def test_control_command_builders_are_byte_identical(cstack: CStack) -> None:
    assert cstack.control_unlock() == UNLOCK
    for vr in (0, 1, 127, 255):
        assert cstack.control_set_vr(vr) == set_vr(vr)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=5),
        st.builds(lambda tail: b"\x82\x00" + tail, st.binary(max_size=3)),
        st.builds(lambda tail: b"\x00" + tail, st.binary(max_size=2)),
    )
)
def test_control_command_parse_agrees(cstack: CStack, data: bytes) -> None:
    try:
        expected: object = parse_control_command(data)
    except DecodeError as exc:
        expected = exc.reason
    try:
        got: object = cstack.control_parse(data)
    except CStatusError as exc:
        got = exc.reason
    assert got == expected
