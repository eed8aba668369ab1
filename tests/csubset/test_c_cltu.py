"""CLTUs (231.0-B-4) in C against flightsw.ccsds.cltu: encoding byte for byte, codeblock decoding, and the
byte-at-a-time stream decoder against CltuDecoder on the same streams, valid, corrupted and random."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.cltu import CltuDecoder, decode_codeblock, encode_cltu, encode_codeblock
from flightsw.ccsds.tc_frame import TcFrame
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile, profile_from_dict
from tests.csubset.cstack import CStack, CStatusError

SCID = DEFAULT_PROFILE.scid
RANDOMISED = profile_from_dict({"tc": {"randomise": True}})
PROFILES = {False: DEFAULT_PROFILE, True: RANDOMISED}


def tc_frame(data: bytes, ns: int = 0, vcid: int = 0) -> bytes:
    return TcFrame(SCID, vcid, ns, data).encode(fecf=DEFAULT_PROFILE.tc.fecf_present)


frame_data = st.binary(min_size=1, max_size=DEFAULT_PROFILE.tc.max_frame_length - 7)


@pytest.mark.parametrize("randomise", [False, True])
@settings(max_examples=80, deadline=None)
@given(data=frame_data, ns=st.integers(0, 255))
def test_encode_is_byte_identical(cstack: CStack, randomise: bool, data: bytes, ns: int) -> None:
    frame = tc_frame(data, ns)
    assert cstack.cltu_encode(frame, randomise) == encode_cltu(frame, PROFILES[randomise])


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=1024))
def test_encode_of_any_octets_is_byte_identical(cstack: CStack, raw: bytes) -> None:
    assert cstack.cltu_encode(raw) == encode_cltu(raw)


@pytest.mark.parametrize("raw", [b"", bytes(1025)])
def test_encode_rejections_match(cstack: CStack, raw: bytes) -> None:
    with pytest.raises(EncodeError) as python:
        encode_cltu(raw)
    with pytest.raises(CStatusError) as c:
        cstack.cltu_encode(raw)
    assert c.value.reason == python.value.reason


def test_encode_reports_a_small_output_buffer(cstack: CStack) -> None:
    frame = tc_frame(b"\x00abc")
    out = cstack.ffi.new("uint8_t[]", 8)
    length = cstack.ffi.new("size_t *")
    status = cstack.lib.ccsds_cltu_encode(frame, len(frame), False, out, 8, length)
    assert cstack.reason(status) == "buffer_too_small"


@settings(max_examples=200, deadline=None)
@given(info=st.binary(min_size=7, max_size=7), flips=st.lists(st.integers(0, 63), max_size=3),
       correct=st.booleans())
def test_codeblock_decode_agrees(cstack: CStack, info: bytes, flips: list[int], correct: bool) -> None:
    block = bytearray(cstack.bch_encode(info))
    assert bytes(block) == encode_codeblock(info)
    for bit in flips:
        block[bit // 8] ^= 0x80 >> (bit % 8)
    try:
        expected: tuple[bytes, bool] | str = decode_codeblock(bytes(block), correct=correct)
    except DecodeError as exc:
        expected = exc.reason
    try:
        got: tuple[bytes, bool] | str = cstack.bch_decode(bytes(block), correct)
    except CStatusError as exc:
        got = exc.reason
    assert got == expected


def test_every_single_bit_error_is_corrected(cstack: CStack) -> None:
    info = bytes.fromhex("0123456789ABCD")
    block = encode_codeblock(info)
    for bit in range(63):  # the 64th bit is the filler, outside the code
        damaged = bytearray(block)
        damaged[bit // 8] ^= 0x80 >> (bit % 8)
        assert cstack.bch_decode(bytes(damaged)) == (info, True), bit
    filler = bytearray(block)
    filler[7] ^= 0x01
    assert cstack.bch_decode(bytes(filler)) == (info, False)


def run_both(cstack: CStack, stream: bytes, profile: LinkProfile, correct: bool, seed: int) -> None:
    """Feed `stream` to CltuDecoder in random chunks and to the C decoder octet by octet; compare."""
    python = CltuDecoder(profile, correct_single_bit=correct)
    rng = random.Random(seed)
    py_frames: list[bytes] = []
    pos = 0
    while pos < len(stream):
        step = rng.randint(1, 40)
        py_frames += python.feed(stream[pos : pos + step])
        pos += step
    c = cstack.cltu_decoder(randomised=profile.tc.randomise, correct=correct, fecf=profile.tc.fecf_present)
    result = c.feed(stream)
    assert result.frames == py_frames
    assert Counter(result.rejections) == python.counters.rejections
    counters = c.counters
    assert counters.cltus == python.counters.cltus
    assert counters.frames == python.counters.frames
    assert counters.corrected_codeblocks == python.counters.corrected_codeblocks
    assert counters.bytes_discarded == python.counters.bytes_discarded
    assert counters.ended_without_tail == sum(python.counters.ended_without_tail.values())
    assert counters.rejected == sum(python.counters.rejections.values())


def corrupt(rng: random.Random, cltu: bytes) -> bytes:
    """One impairment of a serial line: bit flips, a dropped or inserted octet, or a cut."""
    kind = rng.choice(["flip1", "flip2", "flips", "drop", "insert", "cut", "none"])
    raw = bytearray(cltu)
    if kind in ("flip1", "flip2", "flips"):
        for _ in range({"flip1": 1, "flip2": 2, "flips": rng.randint(3, 12)}[kind]):
            bit = rng.randrange(len(raw) * 8)
            raw[bit // 8] ^= 0x80 >> (bit % 8)
    elif kind == "drop":
        del raw[rng.randrange(len(raw))]
    elif kind == "insert":
        raw.insert(rng.randrange(len(raw) + 1), rng.randrange(256))
    elif kind == "cut":
        raw = raw[: rng.randrange(len(raw))]
    return bytes(raw)


def build_stream(rng: random.Random, profile: LinkProfile, units: int) -> bytes:
    parts: list[bytes] = []
    for _ in range(units):
        kind = rng.random()
        if kind < 0.15:
            parts.append(bytes(rng.randrange(256) for _ in range(rng.randint(0, 30))))
            continue
        length = rng.choice([1, 2, 6, 7, 8, 13, 14, 15, rng.randint(1, 200), rng.randint(1, 1017)])
        data = bytes(rng.randrange(256) for _ in range(length))
        # Below 0.25 the octets are not a TC frame at all: the frame checks must reject them the same way.
        frame = data if kind < 0.25 else tc_frame(data, rng.randrange(256), rng.choice([0, 1]))
        cltu = encode_cltu(frame, profile)
        parts.append(corrupt(rng, cltu) if rng.random() < 0.5 else cltu)
    return b"".join(parts)


@pytest.mark.parametrize("randomise", [False, True])
@pytest.mark.parametrize("correct", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_stream_decode_agrees_on_impaired_streams(cstack: CStack, randomise: bool, correct: bool,
                                                  seed: int) -> None:
    rng = random.Random(seed * 4 + randomise * 2 + correct)
    profile = PROFILES[randomise]
    run_both(cstack, build_stream(rng, profile, 25), profile, correct, seed)


@settings(max_examples=120, deadline=None)
@given(st.binary(max_size=400), st.integers(0, 2**32))
def test_stream_decode_agrees_on_random_octets(cstack: CStack, noise: bytes, seed: int) -> None:
    # Random octets salted with start sequences so that CLTUs begin and die in odd places.
    start = DEFAULT_PROFILE.tc.cltu_start
    rng = random.Random(seed)
    pieces = [noise[i : i + rng.randint(1, 30)] for i in range(0, len(noise), 30)]
    stream = start.join(pieces)
    run_both(cstack, stream, DEFAULT_PROFILE, True, seed)


def test_clean_stream_yields_every_frame(cstack: CStack) -> None:
    frames = [tc_frame(bytes([i]) * (i * 7 % 300 + 1), ns=i) for i in range(20)]
    stream = b"\x00\xff".join(encode_cltu(f) for f in frames)
    result = cstack.cltu_decoder().feed(stream)
    assert result.frames == frames
    assert result.rejections == []


def test_single_bit_errors_in_every_codeblock_are_corrected(cstack: CStack) -> None:
    frame = tc_frame(bytes(range(100)))
    cltu = bytearray(encode_cltu(frame))
    start = len(DEFAULT_PROFILE.tc.cltu_start)
    blocks = (len(cltu) - start - len(DEFAULT_PROFILE.tc.cltu_tail)) // 8
    for b in range(blocks):
        cltu[start + 8 * b + b % 8] ^= 0x10
    decoder = cstack.cltu_decoder()
    assert decoder.feed(bytes(cltu)).frames == [frame]
    assert decoder.counters.corrected_codeblocks == blocks


@pytest.mark.parametrize("frame_length", [14, 21, 70])
@pytest.mark.parametrize("extra", [b"\x55" * 7, b"\x55" * 6 + b"\x00", b"\x55" * 14])
def test_whole_codeblocks_after_the_frame_are_rejected_alike(cstack: CStack, frame_length: int,
                                                             extra: bytes) -> None:
    # A frame filling its codeblocks exactly, then whole codeblocks more: rejected whatever they hold.
    frame = tc_frame(bytes(frame_length - 7))
    assert len(frame) == frame_length
    cltu = encode_cltu(frame + extra)
    python = CltuDecoder()
    assert python.feed(cltu) == []
    result = cstack.cltu_decoder().feed(cltu)
    assert result.frames == []
    assert Counter(result.rejections) == python.counters.rejections == Counter(["trailing_codeblocks"])
