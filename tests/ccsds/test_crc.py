"""CRC-16/CCITT-FALSE: the catalogue check value, equality with the crccheck reference, and unit checks."""

from __future__ import annotations

from crccheck.crc import Crc16CcittFalse
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.crc import CRC16_CHECK, crc16, crc16_bytes, crc16_ok


def test_check_value_of_the_crc_catalogue() -> None:
    # CRC-16/IBM-3740 (alias CCITT-FALSE) in the CRC RevEng catalogue: check=0x29b1.
    assert crc16(b"123456789") == 0x29B1
    assert CRC16_CHECK == 0x29B1


def test_empty_input_gives_the_initial_value() -> None:
    assert crc16(b"") == 0xFFFF


@settings(max_examples=200)
@given(st.binary(max_size=512))
def test_equals_crccheck_reference(data: bytes) -> None:
    assert crc16(data) == Crc16CcittFalse.calc(data)


@settings(max_examples=100)
@given(st.binary(max_size=256), st.binary(max_size=256))
def test_running_crc_equals_crc_of_concatenation(head: bytes, tail: bytes) -> None:
    assert crc16(tail, crc16(head)) == Crc16CcittFalse.calc(head + tail)


@settings(max_examples=100)
@given(st.binary(min_size=1, max_size=256))
def test_crc_bytes_are_big_endian_reference(data: bytes) -> None:
    assert crc16_bytes(data) == Crc16CcittFalse.calc(data).to_bytes(2, "big")


@settings(max_examples=100)
@given(st.binary(max_size=256), st.data())
def test_crc16_ok_accepts_good_units_and_rejects_single_bit_errors(data: bytes, draw: st.DataObject) -> None:
    unit = data + Crc16CcittFalse.calc(data).to_bytes(2, "big")
    assert crc16_ok(unit)
    bit = draw.draw(st.integers(0, len(unit) * 8 - 1))
    corrupted = bytearray(unit)
    corrupted[bit // 8] ^= 0x80 >> (bit % 8)
    assert not crc16_ok(bytes(corrupted))


def test_crc16_ok_rejects_units_too_short_to_hold_a_crc() -> None:
    assert not crc16_ok(b"")
    assert not crc16_ok(b"\x00")


def test_crc16_ok_accepts_memoryview_and_bytearray() -> None:
    unit = b"abc" + Crc16CcittFalse.calc(b"abc").to_bytes(2, "big")
    assert crc16_ok(memoryview(unit))
    assert crc16_ok(bytearray(unit))
