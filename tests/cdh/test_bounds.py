"""Bounds of arguments that arrive as binary32 against binary64 bounds."""

from __future__ import annotations

import math
import struct

import pytest

from flightsw.cdh.bounds import argument_type, within_bounds
from flightsw.dictionary import Dictionary
from flightsw.dictionary.model import DataType

FLOAT32 = DataType("float32", "float", 32)
FLOAT64 = DataType("float64", "float", 64)


def as_float32(value: float) -> float:
    return float(struct.unpack(">f", struct.pack(">f", value))[0])


def next_float32_up(value: float) -> float:
    bits = struct.unpack(">I", struct.pack(">f", value))[0]
    return float(struct.unpack(">f", struct.pack(">I", bits + 1))[0])


def test_a_float32_sent_at_the_bound_is_within_it() -> None:
    assert as_float32(0.05) > 0.05 and as_float32(0.01) < 0.01  # why a plain comparison fails
    assert within_bounds(as_float32(0.05), FLOAT32, high=0.05)
    assert within_bounds(as_float32(0.01), FLOAT32, low=0.01)
    assert within_bounds(as_float32(0.1), FLOAT32, low=0.1, high=0.1)


def test_the_next_float32_beyond_the_bound_is_refused() -> None:
    assert not within_bounds(next_float32_up(as_float32(0.05)), FLOAT32, high=0.05)
    below = as_float32(0.01)
    bits = struct.unpack(">I", struct.pack(">f", below))[0]
    just_below = float(struct.unpack(">f", struct.pack(">I", bits - 1))[0])
    assert not within_bounds(just_below, FLOAT32, low=0.01)


def test_float64_arguments_are_compared_exactly() -> None:
    assert not within_bounds(as_float32(0.05), FLOAT64, high=0.05)
    assert within_bounds(0.05, FLOAT64, high=0.05)


def test_nan_is_never_within_bounds() -> None:
    assert not within_bounds(math.nan, FLOAT32, low=0.0)
    assert not within_bounds(math.nan, FLOAT32, high=1.0)


def test_argument_type_follows_groups(dictionary: Dictionary) -> None:
    assert argument_type(dictionary.command_by_name["adcs_slew"], "rate").bits == 32
    assert argument_type(dictionary.command_by_name["hk_change_period"], "structures", "period").bits == 32
    with pytest.raises(KeyError):
        argument_type(dictionary.command_by_name["adcs_slew"], "speed")
