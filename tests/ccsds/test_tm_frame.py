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


# ---- the fast paths against the checked ones ---------------------------------------------------------
# encode lays the usual frame out in one pack after one chained test, and decode reads it in one unpack;
# the field-by-field checks run only for other frames. These tests hold the fast paths to the checked
# ones (TmFrame._check_encodable, TmFrame._decode_checked) and to the field table, on random inputs.

PROFILES = [
    P,
    tm_profile(ocf_present=False),
    tm_profile(fecf_present=False),
    tm_profile(ocf_present=False, fecf_present=False, frame_length=64),
    tm_profile(secondary_header=True, frame_length=100),
]


def _reason(fn: Any) -> object:
    try:
        return fn()
    except (DecodeError, EncodeError) as exc:
        return exc.reason


def reference_encode(f: TmFrame, profile: LinkProfile) -> bytes:
    """The frame laid out bit by bit from the field table of 132.0-B-3 §4.1.2, FECF from crccheck."""
    bits = "00" + f"{f.scid:010b}" + f"{f.vcid:03b}" + ("1" if f.ocf is not None else "0")
    bits += f"{f.master_channel_frame_count:08b}" + f"{f.virtual_channel_frame_count:08b}"
    bits += "1" if f.secondary_header is not None else "0"
    bits += ("1" if f.sync_flag else "0") + ("1" if f.packet_order else "0")
    bits += f"{f.segment_length_id:02b}" + f"{f.first_header_pointer:011b}"
    unit = int(bits, 2).to_bytes(6, "big") + (f.secondary_header or b"") + bytes(f.data) + (f.ocf or b"")
    return unit + Crc16CcittFalse.calc(unit).to_bytes(2, "big") if profile.tm.fecf_present else unit


@st.composite
def frames_for(draw: st.DrawFn, profile: LinkProfile) -> TmFrame:
    """Frames whose fields are mostly right for ``profile``, each sometimes out of range or inconsistent."""
    secondary = None
    if profile.tm.secondary_header != (draw(st.integers(0, 9)) == 0):  # a wrong choice one time in ten
        secondary = draw(st.sampled_from([b"\x01a", b"\x02ab", b"\x05ab", b"\x00"]))
    length = data_field_length(profile, len(secondary or b""))
    odd = st.integers(0, 7).map(lambda n: n == 0)  # true one time in eight
    return TmFrame(
        scid=P.scid if not draw(odd) else draw(st.sampled_from([0, 1023, 1024, -1])),
        vcid=draw(st.integers(0, 7)) if not draw(odd) else draw(st.sampled_from([8, -1])),
        master_channel_frame_count=draw(st.integers(0, 255)) if not draw(odd) else 256,
        virtual_channel_frame_count=draw(st.integers(0, 255)) if not draw(odd) else -1,
        first_header_pointer=draw(
            st.one_of(
                st.integers(0, length + 1), st.sampled_from([FHP_IDLE, FHP_NO_PACKET_START, 0x7FD, 0x800])
            )
        ),
        data=bytes(length if not draw(odd) else length + draw(st.sampled_from([-1, 1]))),
        ocf=(
            draw(st.sampled_from([CLCW, None, b"\x00"])) if draw(odd)
            else CLCW if profile.tm.ocf_present else None
        ),
        secondary_header=secondary,
        sync_flag=draw(odd),
        packet_order=draw(odd),
        segment_length_id=draw(st.integers(0, 3)) if draw(odd) else 3,
    )


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PROFILES).flatmap(lambda profile: st.tuples(st.just(profile), frames_for(profile))))
def test_encode_agrees_with_the_checks_and_the_field_table(case: tuple[LinkProfile, TmFrame]) -> None:
    profile, f = case
    checked = _reason(lambda: f._check_encodable(profile))
    got = _reason(lambda: f.encode(profile))
    if checked is None:
        assert got == reference_encode(f, profile)
        if f.scid == profile.scid:
            assert TmFrame.decode(got, profile) == f
    else:
        assert got == checked


def _mutation(raw: bytes, data: st.DataObject) -> bytes:
    """``raw`` with one header octet (or the first after the header) replaced or one bit of it flipped."""
    unit = bytearray(raw)
    index = data.draw(st.sampled_from([0, 1, 4, 5, 6]))
    unit[index] = data.draw(st.one_of(st.integers(0, 255), st.just(unit[index] ^ 0x01)))
    return bytes(unit)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_decode_agrees_with_the_checked_decoder(data: st.DataObject) -> None:
    profile = data.draw(st.sampled_from(PROFILES))
    f = data.draw(frames_for(profile))
    raw = _reason(lambda: f.encode(profile))
    if not isinstance(raw, bytes):
        return
    if data.draw(st.booleans()):
        raw = _mutation(raw, data)
        if profile.tm.fecf_present and data.draw(st.booleans()):
            raw = _recrc(raw)
    if data.draw(st.integers(0, 9)) == 0:
        raw = raw[: data.draw(st.integers(0, len(raw) - 1))] if data.draw(st.booleans()) else raw + b"\x00"
    checked = _reason(lambda: TmFrame._decode_checked(raw, profile))
    for unit in (raw, bytearray(raw), memoryview(raw)):
        got = _reason(lambda unit=unit: TmFrame.decode(unit, profile))
        if isinstance(checked, TmFrame):
            assert isinstance(got, TmFrame)
            assert got == checked and hash(got) == hash(checked) and repr(got) == repr(checked)
            assert type(got.data) is bytes and type(got.sync_flag) is bool
            assert got.encode(profile) == raw
        else:
            assert got == checked


def test_alternating_profiles_use_each_its_own_layout() -> None:
    # encode and decode remember the last profile's layout; a switch must never reuse a stale one.
    plain, no_ocf = P, tm_profile(ocf_present=False)
    with_ocf = frame()
    without_ocf = frame(ocf=None, data=bytes(data_field_length(no_ocf)))
    for _ in range(2):
        raw_plain, raw_no_ocf = with_ocf.encode(plain), without_ocf.encode(no_ocf)
        assert TmFrame.decode(raw_plain, plain) == with_ocf
        assert TmFrame.decode(raw_no_ocf, no_ocf) == without_ocf
        with pytest.raises(DecodeError):
            TmFrame.decode(raw_plain, no_ocf)
        with pytest.raises(EncodeError):
            with_ocf.encode(no_ocf)
    other_scid = dataclasses.replace(P, scid=P.scid + 1)
    with pytest.raises(DecodeError) as info:
        TmFrame.decode(GOOD, other_scid)
    assert info.value.reason == "wrong_scid"
    assert TmFrame.decode(GOOD, P) == frame()


def test_buffers_encode_like_bytes() -> None:
    f = frame()
    assert frame(data=memoryview(f.data), ocf=memoryview(CLCW)).encode() == f.encode()
    assert frame(data=bytearray(f.data)).encode() == f.encode()


def test_decoded_frame_is_frozen_and_compares_as_built() -> None:
    decoded = TmFrame.decode(GOOD)
    assert decoded == frame() and hash(decoded) == hash(frame())
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoded.vcid = 1  # type: ignore[misc]
    assert dataclasses.replace(decoded, vcid=3).encode()[1] & 0x0E == 3 << 1
