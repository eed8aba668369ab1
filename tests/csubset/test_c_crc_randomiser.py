"""CRC-16/CCITT-FALSE and the TM/TC randomisers of the C subset against the Python stack."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.crc import CRC16_CHECK, crc16
from flightsw.ccsds.randomiser import tc_randomise, tm_randomise
from tests.csubset.cstack import CStack, CStatusError


def test_crc_check_value(cstack: CStack) -> None:
    # The catalogue check value of CRC-16/CCITT-FALSE.
    assert cstack.crc16(b"123456789") == CRC16_CHECK == 0x29B1


def test_crc_of_nothing_is_the_initial_value(cstack: CStack) -> None:
    assert cstack.crc16(b"") == 0xFFFF


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 0xFFFF))
def test_crc_agrees_with_python(cstack: CStack, data: bytes, init: int) -> None:
    assert cstack.crc16(data, init) == crc16(data, init)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crc_continues_a_running_value(cstack: CStack, first: bytes, second: bytes) -> None:
    assert cstack.crc16(second, cstack.crc16(first)) == crc16(first + second)


def test_null_output_is_an_error(cstack: CStack) -> None:
    assert cstack.reason(cstack.lib.ccsds_crc16(b"x", 1, 0xFFFF, cstack.ffi.NULL)) == "null_pointer"
    with pytest.raises(CStatusError, match="null_pointer"):
        cstack.check(cstack.lib.ccsds_tm_randomise(cstack.ffi.NULL, 3))


def test_randomiser_golden_prefixes(cstack: CStack) -> None:
    # 131.0-B-4 §10.4 and 231.0-B-4 §6 publish the first octets of each sequence.
    assert cstack.tm_randomise(bytes(5)) == bytes.fromhex("FF480EC09A")
    assert cstack.tc_randomise(bytes(5)) == bytes.fromhex("FF399E5A68")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=1100))
def test_randomisers_agree_with_python(cstack: CStack, data: bytes) -> None:
    assert cstack.tm_randomise(data) == tm_randomise(data)
    assert cstack.tc_randomise(data) == tc_randomise(data)
    assert cstack.tm_randomise(cstack.tm_randomise(data)) == data
