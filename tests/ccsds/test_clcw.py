"""CLCW (CCSDS 232.0-B-4 §4.2) encode/decode against hand-assembled bit patterns."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.clcw import Clcw
from flightsw.errors import DecodeError, EncodeError


def test_field_positions_hand_assembled() -> None:
    # 0 | 00 | 101 | 01 | 000111 | 00 || 1 | 0 | 1 | 0 | 1 | 10 | 0 || 0x5A
    # type=0 version=0 status=5 cop=1 vcid=7 spare, noRF=1 nobitlock=0 lockout=1 wait=0 retransmit=1 farmB=2
    bits = "0" "00" "101" "01" "000111" "00" "1" "0" "1" "0" "1" "10" "0" "01011010"
    expected = int(bits, 2).to_bytes(4, "big")
    clcw = Clcw(vcid=7, report_value=0x5A, lockout=True, retransmit=True, farm_b_counter=2,
                no_rf_available=True, status=5)
    assert clcw.encode() == expected
    assert Clcw.decode(expected) == clcw


def test_each_flag_is_its_own_bit() -> None:
    base = Clcw(vcid=0, report_value=0).encode()
    assert base == bytes([0x01, 0x00, 0x00, 0x00])
    flags = {"no_rf_available": 0x80, "no_bit_lock": 0x40, "lockout": 0x20, "wait": 0x10, "retransmit": 0x08}
    for name, mask in flags.items():
        raw = Clcw(vcid=0, report_value=0, **{name: True}).encode()
        assert raw == bytes([0x01, 0x00, mask, 0x00]), name


@settings(max_examples=200)
@given(
    vcid=st.integers(0, 63), rv=st.integers(0, 255), status=st.integers(0, 7), farm_b=st.integers(0, 3),
    flags=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_round_trip(vcid: int, rv: int, status: int, farm_b: int, flags: list[bool]) -> None:
    clcw = Clcw(vcid=vcid, report_value=rv, status=status, farm_b_counter=farm_b, lockout=flags[0],
                wait=flags[1], retransmit=flags[2], no_rf_available=flags[3], no_bit_lock=flags[4])
    assert Clcw.decode(clcw.encode()) == clcw


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x01\x00\x00", "truncated"),
        (b"\x01\x00\x00\x00\x00", "trailing_bytes"),
        (b"\x81\x00\x00\x00", "wrong_type"),
        (b"\x21\x00\x00\x00", "wrong_version"),
        (b"\x02\x00\x00\x00", "unsupported_cop"),
        (b"\x00\x00\x00\x00", "unsupported_cop"),
        (b"\x01\x01\x00\x00", "bad_spare"),
        (b"\x01\x00\x01\x00", "bad_spare"),
    ],
)
def test_strict_decode(raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        Clcw.decode(raw)
    assert info.value.reason == reason


@given(st.binary(max_size=8))
@settings(max_examples=300)
def test_any_bytes_decode_or_decode_error(raw: bytes) -> None:
    with contextlib.suppress(DecodeError):
        Clcw.decode(raw)


@pytest.mark.parametrize(
    "kwargs", [{"vcid": 64}, {"report_value": 256}, {"farm_b_counter": 4}, {"status": 8}]
)
def test_encode_out_of_range(kwargs: dict[str, int]) -> None:
    args = {"vcid": 0, "report_value": 0, **kwargs}
    with pytest.raises(EncodeError):
        Clcw(**args).encode()  # type: ignore[arg-type]
