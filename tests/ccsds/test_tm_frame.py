"""TM transfer frames (CCSDS 132.0-B-3)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from crccheck.crc import Crc16CcittFalse
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.tm_frame import (
    FHP_IDLE,
    FHP_NO_PACKET_START,
    TmFrame,
    data_field_length,
)
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

P = DEFAULT_PROFILE
DATA_LENGTH = P.tm.frame_length - 6 - 4 - 2
CLCW = bytes.fromhex("01002a00")


def tm_profile(**changes: Any) -> LinkProfile:
    return dataclasses.replace(P, tm=dataclasses.replace(P.tm, **changes))


def hand_built(vcid: int, mc: int, vc: int, fhp: int, data: bytes, ocf: bytes) -> bytes:
    """The frame laid out from the field table of 132.0-B-3 §4.1.2 with crccheck's FECF."""
    bits = "00" + f"{P.scid:010b}" + f"{vcid:03b}" + "1" + f"{mc:08b}" + f"{vc:08b}"
    bits += "0" + "0" + "0" + "11" + f"{fhp:011b}"
    unit = int(bits, 2).to_bytes(6, "big") + data + ocf
    return unit + Crc16CcittFalse.calc(unit).to_bytes(2, "big")


def frame(**changes: Any) -> TmFrame:
    base = TmFrame(
        scid=P.scid,
        vcid=0,
        master_channel_frame_count=5,
        virtual_channel_frame_count=9,
        first_header_pointer=0,
        data=bytes(range(256))[:DATA_LENGTH],
        ocf=CLCW,
    )
    return dataclasses.replace(base, **changes)


def test_data_field_length_of_the_mission_profile() -> None:
    assert data_field_length(P) == DATA_LENGTH == 244


def test_encode_matches_the_field_layout() -> None:
    f = frame(vcid=7, first_header_pointer=FHP_IDLE, master_channel_frame_count=255)
    assert f.encode() == hand_built(7, 255, 9, FHP_IDLE, f.data, CLCW)
    assert f.is_idle
    assert len(f.encode()) == P.tm.frame_length


@settings(max_examples=80, deadline=None)
@given(
    vcid=st.integers(0, 7),
    mc=st.integers(0, 255),
    vc=st.integers(0, 255),
    fhp=st.one_of(st.integers(0, DATA_LENGTH - 1), st.sampled_from([FHP_IDLE, FHP_NO_PACKET_START])),
    data=st.binary(min_size=DATA_LENGTH, max_size=DATA_LENGTH),
    ocf=st.binary(min_size=4, max_size=4),
)
def test_round_trip(vcid: int, mc: int, vc: int, fhp: int, data: bytes, ocf: bytes) -> None:
    f = TmFrame(P.scid, vcid, mc, vc, fhp, data, ocf)
    raw = f.encode()
    assert raw == hand_built(vcid, mc, vc, fhp, data, ocf)
    assert TmFrame.decode(raw) == f


@settings(max_examples=40, deadline=None)
@given(sh=st.binary(min_size=1, max_size=20), ocf_present=st.booleans(), fecf=st.booleans())
def test_round_trip_other_profiles(sh: bytes, ocf_present: bool, fecf: bool) -> None:
    profile = tm_profile(secondary_header=True, ocf_present=ocf_present, fecf_present=fecf, frame_length=128)
    secondary = bytes((len(sh),)) + sh
    length = data_field_length(profile, len(secondary))
    f = TmFrame(P.scid, 3, 1, 2, 0, bytes(length), CLCW if ocf_present else None, secondary_header=secondary)
    raw = f.encode(profile)
    assert len(raw) == 128
    assert TmFrame.decode(raw, profile) == f


def _recrc(unit: bytes) -> bytes:
    return unit[:-2] + Crc16CcittFalse.calc(unit[:-2]).to_bytes(2, "big")


def _patch(raw: bytes, index: int, value: int) -> bytes:
    return _recrc(raw[:index] + bytes((value,)) + raw[index + 1 :])


GOOD = frame().encode()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (GOOD[:-1], "truncated"),
        (GOOD + b"\x00", "trailing_bytes"),
        (GOOD[:-1] + bytes((GOOD[-1] ^ 0x01,)), "bad_crc"),
        (GOOD[:100] + bytes((GOOD[100] ^ 0x80,)) + GOOD[101:], "bad_crc"),
        (_patch(GOOD, 0, GOOD[0] | 0x40), "wrong_version"),
        (_patch(GOOD, 1, GOOD[1] ^ 0x10), "wrong_scid"),
        (_patch(GOOD, 1, GOOD[1] & 0xFE), "ocf_mismatch"),
        (_patch(GOOD, 4, GOOD[4] | 0x80), "secondary_header_mismatch"),
        (_patch(GOOD, 4, GOOD[4] | 0x20), "inconsistent_flags"),
        (_patch(GOOD, 4, GOOD[4] & 0xE7), "inconsistent_flags"),
        (_patch(_patch(GOOD, 4, 0x18 | 0x00), 5, 244), "bad_first_header_pointer"),
        (_patch(_patch(GOOD, 4, 0x18 | 0x07), 5, 0xFD), "bad_first_header_pointer"),
    ],
)
def test_decode_is_strict(raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        TmFrame.decode(raw)
    assert info.value.reason == reason


def test_sync_flag_frames_skip_the_pointer_checks() -> None:
    raw = _patch(_patch(GOOD, 4, 0x40 | 0x20 | 0x07), 5, 0xFD)
    f = TmFrame.decode(raw)
    assert f.sync_flag and f.packet_order and f.first_header_pointer == 0x7FD
    assert f.encode() == raw


def test_bad_secondary_header_lengths() -> None:
    profile = tm_profile(secondary_header=True, frame_length=64)
    good = TmFrame(P.scid, 0, 0, 0, 0, bytes(data_field_length(profile, 3)), CLCW, b"\x02ab").encode(profile)
    with pytest.raises(DecodeError) as info:
        TmFrame.decode(_patch(good, 6, 0x40 | 2), profile)
    assert info.value.reason == "wrong_version"
    with pytest.raises(DecodeError) as info:
        TmFrame.decode(_patch(good, 6, 0x00), profile)
    assert info.value.reason == "length_mismatch"
    with pytest.raises(DecodeError) as info:
        TmFrame.decode(_patch(good, 6, 0x3F), profile)  # 64 octets of secondary header in a 64-octet frame
    assert info.value.reason == "length_mismatch"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"scid": 1024}, "out_of_range"),
        ({"vcid": 8}, "out_of_range"),
        ({"master_channel_frame_count": 256}, "out_of_range"),
        ({"virtual_channel_frame_count": -1}, "out_of_range"),
        ({"first_header_pointer": 0x800}, "out_of_range"),
        ({"first_header_pointer": DATA_LENGTH}, "bad_first_header_pointer"),
        ({"data": b"short"}, "length_mismatch"),
        ({"ocf": None}, "ocf_mismatch"),
        ({"ocf": b"\x00"}, "length_mismatch"),
        ({"secondary_header": b"\x01a"}, "secondary_header_mismatch"),
        ({"packet_order": True}, "inconsistent_flags"),
        ({"segment_length_id": 0}, "inconsistent_flags"),
    ],
)
def test_encode_rejects_values_that_do_not_fit(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(EncodeError) as info:
        frame(**changes).encode()
    assert info.value.reason == reason


def test_encode_checks_the_secondary_header_id() -> None:
    profile = tm_profile(secondary_header=True)
    for secondary, reason in ((b"\x05ab", "bad_secondary_header"), (b"\x00", "length_mismatch")):
        f = frame(secondary_header=secondary, data=bytes(data_field_length(profile, len(secondary))))
        with pytest.raises(EncodeError) as info:
            f.encode(profile)
        assert info.value.reason == reason


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=P.tm.frame_length - 2, max_size=P.tm.frame_length - 2), st.booleans(), st.booleans()
)
def test_decode_never_raises_anything_else(body: bytes, valid_crc: bool, plausible_header: bool) -> None:
    if plausible_header:  # version, SCID and OCF flag right, so the later checks are reached
        body = GOOD[:2] + body[2:]
    raw = body + (Crc16CcittFalse.calc(body).to_bytes(2, "big") if valid_crc else b"\x00\x00")
    try:
        f = TmFrame.decode(raw)
    except DecodeError:
        return
    assert f.encode() == raw
