"""Pseudo-randomisers: the TM randomiser of CCSDS 131.0-B-4 §10.4 and the TC randomiser of CCSDS 231.0-B-4 §6.

Both are additive: the same XOR with a fixed sequence randomises and derandomises. The sequences restart
from the all-ones seed at the start of each unit (the TM frame after its ASM; the TC frame at the start of
each CLTU), so they are generated once per length, cached, and applied with one big-integer XOR (C speed).
"""

from __future__ import annotations

from functools import lru_cache

# s[n + 8] = XOR of s[n + k] over the exponents k < 8 of h(x):
# TM h(x) = x^8 + x^7 + x^5 + x^3 + 1 (131.0-B-4 §10.4.1),
# TC h(x) = x^8 + x^6 + x^4 + x^3 + x^2 + x + 1 (231.0-B-4 §6.3).
_TM_TAPS = (0, 3, 5, 7)
_TC_TAPS = (0, 1, 2, 3, 4, 6)
SEQUENCE_PERIOD_BITS = 255


def _lfsr_period(taps: tuple[int, ...]) -> bytes:
    """255 octets = 8 periods of the 255-bit sequence, so any repetition of it stays octet aligned."""
    bits = [1] * 8  # all-ones seed
    while len(bits) < SEQUENCE_PERIOD_BITS * 8:
        n = len(bits) - 8
        bit = 0
        for k in taps:
            bit ^= bits[n + k]
        bits.append(bit)
    out = bytearray()
    for i in range(0, len(bits), 8):
        octet = 0
        for b in bits[i : i + 8]:
            octet = (octet << 1) | b
        out.append(octet)
    return bytes(out)


_TM_PERIOD = _lfsr_period(_TM_TAPS)
_TC_PERIOD = _lfsr_period(_TC_TAPS)


@lru_cache(maxsize=16)
def tm_sequence(length: int) -> bytes:
    """The first ``length`` octets of the TM pseudo-random sequence (starts ``FF 48 0E C0 9A``)."""
    return _repeat(_TM_PERIOD, length)


@lru_cache(maxsize=16)
def tc_sequence(length: int) -> bytes:
    """The first ``length`` octets of the TC pseudo-random sequence (starts ``FF 39 9E 5A 68``)."""
    return _repeat(_TC_PERIOD, length)


@lru_cache(maxsize=32)
def _as_int(sequence: bytes) -> int:
    return int.from_bytes(sequence, "big")


def _repeat(period: bytes, length: int) -> bytes:
    if length < 0:
        raise ValueError("length must not be negative")
    reps = -(-length // len(period))
    return (period * reps)[:length]


def _xor(data: bytes | bytearray | memoryview, sequence: bytes) -> bytes:
    n = len(data)
    if n == 0:
        return b""
    value = int.from_bytes(data, "big") ^ _as_int(sequence)
    return value.to_bytes(n, "big")


def tm_randomise(data: bytes | bytearray | memoryview) -> bytes:
    """XOR ``data`` (one TM frame, without the ASM) with the TM sequence; its own inverse."""
    return _xor(data, tm_sequence(len(data)))


def tc_randomise(data: bytes | bytearray | memoryview) -> bytes:
    """XOR ``data`` (the TC frame carried by one CLTU) with the TC sequence; its own inverse."""
    return _xor(data, tc_sequence(len(data)))


# The transforms are self-inverse; the names say which direction the caller means.
tm_derandomise = tm_randomise
tc_derandomise = tc_randomise
