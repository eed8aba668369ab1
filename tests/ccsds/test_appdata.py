"""Typed application data (ECSS-E-ST-70-41C §7.3): known layouts, round trips, range and strictness checks."""

from __future__ import annotations

import contextlib
import math
import struct
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.appdata import (
    AbsoluteTime,
    Boolean,
    Enumerated,
    Field,
    Int,
    OctetString,
    Real,
    Record,
    Repeated,
    UInt,
    VarOctetString,
    decode,
    encode,
)
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.errors import DecodeError, EncodeError


class Mode(IntEnum):
    SAFE = 0
    NOMINAL = 1
    FINE_POINTING = 5


def test_known_layout_bit_by_bit() -> None:
    record = Record([
        Field("flag", Boolean()),
        Field("mode", Enumerated(7, Mode)),
        Field("u8", UInt(8)),
        Field("i16", Int(16)),
        Field("f32", Real(32)),
        Field("name", OctetString(2)),
        Field("blob", VarOctetString(8)),
    ])
    values = {"flag": True, "mode": Mode.FINE_POINTING, "u8": 0x12, "i16": -2, "f32": 1.0, "name": b"AB",
              "blob": b"\x07\x08\x09"}
    # 1 | 0000101, 0x12, two's complement -2, IEEE 754 1.0f = 3F800000, 'AB', length 3 then the octets.
    expected = bytes([0b1000_0101, 0x12, 0xFF, 0xFE, 0x3F, 0x80, 0x00, 0x00, 0x41, 0x42, 3, 7, 8, 9])
    assert record.encode(values) == expected
    assert record.decode(expected) == values
    assert isinstance(record.decode(expected)["mode"], Mode)


def test_sub_octet_fields_pack_contiguously_and_pad_at_the_end() -> None:
    fields = [Field("a", Enumerated(3)), Field("b", Boolean()), Field("c", Enumerated(2))]
    # 101 1 11 + two zero padding bits
    assert encode(fields, {"a": 5, "b": True, "c": 3}) == bytes([0b1011_1100])
    assert decode(fields, bytes([0b1011_1100])) == {"a": 5, "b": True, "c": 3}


def test_float64_and_wide_integers() -> None:
    fields = [Field("d", Real(64)), Field("u64", UInt(64)), Field("i64", Int(64)), Field("u32", UInt(32))]
    values = {"d": -2.5, "u64": 2**64 - 1, "i64": -(2**63), "u32": 0xDEADBEEF}
    raw = encode(fields, values)
    assert raw == struct.pack(">dQqI", -2.5, 2**64 - 1, -(2**63), 0xDEADBEEF)
    assert decode(fields, raw) == values


def test_absolute_time_is_the_profile_cuc_tfield() -> None:
    fields = [Field("t", AbsoluteTime())]
    assert encode(fields, {"t": Cuc(0x01020304, 0x0506)}) == bytes.fromhex("010203040506")
    assert decode(fields, bytes.fromhex("010203040506")) == {"t": Cuc(0x01020304, 0x0506)}
    with pytest.raises(EncodeError):
        encode(fields, {"t": Cuc(1, 0, CucFormat(4, 3))})


def test_repeated_groups() -> None:
    fields = [Field("sids", Repeated(UInt(8), (Field("sid", UInt(16)), Field("on", Boolean()))))]
    values = {"sids": [{"sid": 1, "on": True}, {"sid": 0x0203, "on": False}]}
    # count 2, then 0001 1, 0203 0 — bit-contiguous, padded at the end.
    raw = encode(fields, values)
    assert raw == bytes([2, 0x00, 0x01, 0x81, 0x01, 0x80])
    assert decode(fields, raw) == values


def test_ptc_pfc_codes() -> None:
    assert (Boolean().ptc, Boolean().pfc) == (1, 0)
    assert (Enumerated(8).ptc, Enumerated(8).pfc) == (2, 8)
    assert [UInt(b).pfc for b in (8, 16, 32, 64)] == [4, 12, 14, 16]
    assert [Int(b).ptc for b in (8, 16)] == [4, 4]
    assert [(Real(b).ptc, Real(b).pfc) for b in (32, 64)] == [(5, 1), (5, 2)]
    assert (OctetString(4).ptc, OctetString(4).pfc, VarOctetString().pfc) == (7, 4, 0)
    assert AbsoluteTime().ptc == 9


@st.composite
def records_with_values(draw: st.DrawFn) -> tuple[Record, dict[str, Any]]:
    kinds = draw(st.lists(st.integers(0, 9), min_size=1, max_size=8))
    fields: list[Field] = []
    values: dict[str, Any] = {}
    for index, kind in enumerate(kinds):
        name = f"f{index}"
        if kind == 0:
            ftype: Any = Boolean()
            value: Any = draw(st.booleans())
        elif kind == 1:
            bits = draw(st.sampled_from([*range(1, 25), 32]))
            ftype, value = Enumerated(bits), draw(st.integers(0, (1 << bits) - 1))
        elif kind == 2:
            bits = draw(st.sampled_from([8, 16, 32, 64]))
            ftype, value = UInt(bits), draw(st.integers(0, (1 << bits) - 1))
        elif kind == 3:
            bits = draw(st.sampled_from([8, 16, 32, 64]))
            ftype, value = Int(bits), draw(st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1))
        elif kind == 4:
            ftype, value = Real(32), draw(st.floats(width=32, allow_nan=False))
        elif kind == 5:
            ftype, value = Real(64), draw(st.floats(allow_nan=False))
        elif kind == 6:
            length = draw(st.integers(1, 8))
            ftype, value = OctetString(length), draw(st.binary(min_size=length, max_size=length))
        elif kind == 7:
            ftype, value = VarOctetString(draw(st.sampled_from([8, 16, 32]))), draw(st.binary(max_size=20))
        elif kind == 8:
            ftype, value = AbsoluteTime(), Cuc(draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 65535)))
        else:
            ftype = Repeated(UInt(8), (Field("x", Int(16)), Field("b", Boolean())))
            group = st.fixed_dictionaries({"x": st.integers(-32768, 32767), "b": st.booleans()})
            value = draw(st.lists(group, max_size=4))
        fields.append(Field(name, ftype))
        values[name] = value
    return Record(fields), values


@settings(max_examples=150)
@given(records_with_values())
def test_round_trip(record_and_values: tuple[Record, dict[str, Any]]) -> None:
    record, values = record_and_values
    assert record.decode(record.encode(values)) == values


@pytest.mark.parametrize(
    ("ftype", "value"),
    [
        (UInt(8), 256), (UInt(16), -1), (UInt(32), 2**32), (UInt(64), 2**64),
        (Int(8), 128), (Int(8), -129), (Int(64), 2**63),
        (Enumerated(3), 8), (Enumerated(8, Mode), 2), (Enumerated(4, frozenset({1, 2})), 3),
        (Real(32), 1e39), (Real(32), -1e39), (Real(64), 10**400),
        (OctetString(2), b"abc"), (VarOctetString(8), bytes(256)),
        (VarOctetString(16, max_length=4), bytes(5)),
        (Repeated(UInt(8), (Field("x", UInt(8)),), max_count=1), [{"x": 1}, {"x": 2}]),
    ],
)
def test_out_of_range_values_are_refused(ftype: Any, value: Any) -> None:
    with pytest.raises(EncodeError) as err:
        encode([Field("v", ftype)], {"v": value})
    assert err.value.reason == "out_of_range"


@pytest.mark.parametrize(
    ("ftype", "value"),
    [(UInt(8), True), (UInt(8), 1.0), (Boolean(), 1), (Real(32), "1"), (OctetString(1), "a"),
     (AbsoluteTime(), 5), (Repeated(UInt(8), (Field("x", UInt(8)),)), b"ab")],
)
def test_wrong_types_are_refused(ftype: Any, value: Any) -> None:
    with pytest.raises(EncodeError) as err:
        encode([Field("v", ftype)], {"v": value})
    assert err.value.reason == "wrong_type"


def test_missing_unknown_and_duplicate_fields() -> None:
    fields = [Field("a", UInt(8)), Field("b", UInt(8))]
    with pytest.raises(EncodeError, match="missing_field"):
        encode(fields, {"a": 1})
    with pytest.raises(EncodeError, match="unknown_field"):
        encode(fields, {"a": 1, "b": 2, "c": 3})
    with pytest.raises(EncodeError, match="duplicate_field"):
        Record([Field("a", UInt(8)), Field("a", UInt(8))])


def test_bad_type_parameters_are_refused() -> None:
    for bad in (lambda: UInt(112), lambda: Int(0), lambda: Enumerated(25), lambda: Real(16),
                lambda: OctetString(0), lambda: VarOctetString(12),
                lambda: VarOctetString(8, max_length=256), lambda: Repeated(UInt(8), ())):
        with pytest.raises(EncodeError):
            bad()


def test_nan_and_infinity_are_valid_ieee_values() -> None:
    fields = [Field("x", Real(32)), Field("y", Real(64))]
    decoded = decode(fields, encode(fields, {"x": math.inf, "y": math.nan}))
    assert decoded["x"] == math.inf and math.isnan(decoded["y"])


@pytest.mark.parametrize(
    ("fields", "raw", "reason"),
    [
        ([Field("a", UInt(16))], b"\x01", "truncated"),
        ([Field("a", UInt(8))], b"\x01\x02", "trailing_bytes"),
        ([Field("a", Enumerated(4))], b"\x11", "bad_padding"),
        ([Field("a", Enumerated(4, frozenset({1})))], b"\x20", "unknown_enum"),
        ([Field("a", Enumerated(8, Mode))], b"\x02", "unknown_enum"),
        ([Field("a", VarOctetString(8))], b"\x03\x01\x02", "truncated"),
        ([Field("a", VarOctetString(8, max_length=2))], b"\x03\x01\x02\x03", "length_mismatch"),
        ([Field("a", Repeated(UInt(8), (Field("x", UInt(8)),), max_count=1))], b"\x02\x01\x02",
         "out_of_range"),
        ([Field("a", Repeated(UInt(8), (Field("x", UInt(8)),)))], b"\x03\x01\x02", "truncated"),
        ([Field("a", Real(64))], bytes(7), "truncated"),
    ],
)
def test_decode_strictness(fields: list[Field], raw: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as err:
        decode(fields, raw)
    assert err.value.reason == reason


FUZZ_RECORD = Record([
    Field("b", Boolean()), Field("e", Enumerated(5, frozenset({0, 1, 2}))), Field("s", VarOctetString(8)),
    Field("r", Repeated(UInt(8), (Field("x", Int(16)), Field("o", OctetString(1))), max_count=10)),
    Field("f", Real(32)), Field("t", AbsoluteTime()),
])


@settings(max_examples=300)
@given(st.binary(max_size=48))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        FUZZ_RECORD.decode(data)


@settings(max_examples=100)
@given(st.lists(st.sampled_from([*range(1, 25), 32]).flatmap(
    lambda bits: st.tuples(st.just(bits), st.integers(0, (1 << bits) - 1))), min_size=1, max_size=12))
def test_bit_packing_matches_a_bit_string_reference(items: list[tuple[int, int]]) -> None:
    fields = [Field(f"e{index}", Enumerated(bits)) for index, (bits, _) in enumerate(items)]
    values = {f"e{index}": value for index, (_, value) in enumerate(items)}
    bit_string = "".join(format(value, f"0{bits}b") for bits, value in items)
    bit_string += "0" * (-len(bit_string) % 8)
    expected = bytes(int(bit_string[i : i + 8], 2) for i in range(0, len(bit_string), 8))
    assert encode(fields, values) == expected
    assert decode(fields, expected) == values
