"""Pseudo-randomisers against the sequences published in CCSDS 131.0-B-4 §10.4 and 231.0-B-4 §6."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.randomiser import (
    tc_derandomise,
    tc_randomise,
    tc_sequence,
    tm_derandomise,
    tm_randomise,
    tm_sequence,
)

# CCSDS 131.0-B-4 §10.4 (figure 10-2 and annex): the first 32 octets and the last of the 255-octet period.
TM_PUBLISHED_HEAD = bytes.fromhex(
    "FF480EC09A0D70BC8E2C93ADA7B746CE5A977DCC32A2BF3E0A10F18894CDEAB1"
)
TM_PUBLISHED_LAST = 0x58
# CCSDS 231.0-B-4 §6.3: the TC sequence starts FF 39 9E 5A 68.
TC_PUBLISHED_HEAD = bytes.fromhex("FF399E5A68")


def reference_sequence(polynomial_exponents: tuple[int, ...], octets: int) -> bytes:
    """A bit-serial reference: an 8-stage Fibonacci shift register written out state by state.

    ``polynomial_exponents`` are the exponents below 8 of h(x). The register holds the next 8 output bits;
    each step outputs its first bit and appends the XOR of the stages named by the exponents."""
    state = [1] * 8
    out = bytearray()
    for _ in range(octets):
        octet = 0
        for _ in range(8):
            new_bit = 0
            for k in polynomial_exponents:
                new_bit ^= state[k]
            octet = (octet << 1) | state[0]
            state = [*state[1:], new_bit]
        out.append(octet)
    return bytes(out)


def test_tm_sequence_matches_the_published_one() -> None:
    seq = tm_sequence(255)
    assert seq[:32] == TM_PUBLISHED_HEAD
    assert seq[254] == TM_PUBLISHED_LAST


def test_tc_sequence_matches_the_published_one() -> None:
    assert tc_sequence(5) == TC_PUBLISHED_HEAD


def test_sequences_match_a_bit_serial_reference() -> None:
    # h(x) = x^8 + x^7 + x^5 + x^3 + 1 and x^8 + x^6 + x^4 + x^3 + x^2 + x + 1
    assert tm_sequence(600) == reference_sequence((0, 3, 5, 7), 600)
    assert tc_sequence(600) == reference_sequence((0, 1, 2, 3, 4, 6), 600)


def _bits(data: bytes) -> list[int]:
    return [(octet >> (7 - i)) & 1 for octet in data for i in range(8)]


def test_sequences_have_the_maximal_period_of_255_bits() -> None:
    for sequence in (tm_sequence(96), tc_sequence(96)):
        bits = _bits(sequence)
        assert all(bits[i] == bits[i + 255] for i in range(len(bits) - 255))
        for divisor in (3, 5, 15, 17, 51, 85):
            assert any(bits[i] != bits[i + divisor] for i in range(255))


def test_randomising_zeros_gives_the_sequence() -> None:
    assert tm_randomise(bytes(300)) == tm_sequence(300)
    assert tc_randomise(bytes(300)) == tc_sequence(300)
    assert tm_randomise(b"") == b""


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=1200))
def test_randomiser_is_its_own_inverse_and_prefix_consistent(data: bytes) -> None:
    for randomise, derandomise, sequence in (
        (tm_randomise, tm_derandomise, tm_sequence),
        (tc_randomise, tc_derandomise, tc_sequence),
    ):
        scrambled = randomise(data)
        assert len(scrambled) == len(data)
        assert derandomise(scrambled) == data
        # The sequence restarts at each unit: it is the same XOR whatever the length.
        assert scrambled == bytes(a ^ b for a, b in zip(data, sequence(len(data)), strict=True))
