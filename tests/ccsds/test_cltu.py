"""BCH(63,56) codeblocks and CLTUs (CCSDS 231.0-B-4 §3.3, §5, §6)."""

from __future__ import annotations

import dataclasses
import itertools
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.cltu import (
    CODEBLOCK_OCTETS,
    CltuDecoder,
    CltuEnded,
    CodeblockError,
    decode_codeblock,
    encode_cltu,
    encode_codeblock,
    frame_in_cltu,
)
from flightsw.ccsds.tc_frame import TcFrame, segment_header
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

TAIL = DEFAULT_PROFILE.tc.cltu_tail
START = DEFAULT_PROFILE.tc.cltu_start

# Independently published CLTUs: one randomised without FECF (SCID 123, VC 1, sequence 0, data 01..0A) and
# one plain with FECF.
PUBLISHED_RANDOMISED = bytes.fromhex(
    "EB90FF429A5468E804BEF6688C29A63957C20255555555555556C5C5C5C5C5C5C579"
)
PUBLISHED_PLAIN = bytes.fromhex(
    "eb90007b00191fc0186410c006000b100e16020000010319008800bbe915465555d2c5c5c5c5c5c5c579"
)


def tc_profile(**changes: Any) -> LinkProfile:
    return dataclasses.replace(DEFAULT_PROFILE, tc=dataclasses.replace(DEFAULT_PROFILE.tc, **changes))


def reference_codeblock(info: bytes) -> bytes:
    """Bit-serial encoder straight from §3.3: divide i(x)·x^7 by g(x) = x^7 + x^6 + x^2 + 1 one bit at a time,
    complement the 7 parity bits and append the filler bit 0."""
    generator = [1, 1, 0, 0, 0, 1, 0, 1]  # coefficients of x^7 .. x^0
    bits = [(octet >> (7 - i)) & 1 for octet in info for i in range(8)] + [0] * 7
    for i in range(56):
        if bits[i]:
            for j, g in enumerate(generator):
                bits[i + j] ^= g
    parity = [1 - b for b in bits[56:]]
    last = int("".join(map(str, [*parity, 0])), 2)
    return info + bytes((last,))


def frame(data: bytes = b"command", seq: int = 0) -> bytes:
    return TcFrame(DEFAULT_PROFILE.scid, 0, seq, segment_header(0) + data).encode()


def test_all_zero_information_gives_inverted_zero_parity() -> None:
    assert encode_codeblock(bytes(7)) == bytes(7) + b"\xfe"


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=7, max_size=7))
def test_codeblock_matches_the_bit_serial_reference(info: bytes) -> None:
    assert encode_codeblock(info) == reference_codeblock(info)
    assert decode_codeblock(encode_codeblock(info)) == (info, False)


def test_published_cltus_are_reproduced_and_decoded() -> None:
    randomised = tc_profile(randomise=True, fecf_present=False)
    published_frame = TcFrame(123, 1, 0, bytes(range(1, 11))).encode(fecf=False)
    assert encode_cltu(published_frame, randomised) == PUBLISHED_RANDOMISED
    decoder = CltuDecoder(randomised)
    assert decoder.feed(PUBLISHED_RANDOMISED) == [published_frame]

    decoder = CltuDecoder(DEFAULT_PROFILE)
    (plain,) = decoder.feed(PUBLISHED_PLAIN)
    assert TcFrame.decode(plain).sequence_number == 0x1F
    assert encode_cltu(plain) == PUBLISHED_PLAIN


def test_tail_sequence_is_uncorrectable_even_with_one_bit_wrong() -> None:
    for correct in (True, False):
        with pytest.raises(CodeblockError):
            decode_codeblock(TAIL, correct=correct)
    # Its syndrome has even weight, so one more error cannot turn it into a correctable pattern (§5.2.4).
    for bit in range(63):
        damaged = bytearray(TAIL)
        damaged[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(CodeblockError):
            decode_codeblock(bytes(damaged))


def test_every_single_error_is_corrected_and_every_double_error_detected() -> None:
    info = bytes.fromhex("123456789abcde")
    good = encode_codeblock(info)

    def flip(block: bytes, *bits: int) -> bytes:
        out = bytearray(block)
        for bit in bits:
            out[bit // 8] ^= 0x80 >> (bit % 8)
        return bytes(out)

    for bit in range(63):
        assert decode_codeblock(flip(good, bit)) == (info, True)
        with pytest.raises(CodeblockError):
            decode_codeblock(flip(good, bit), correct=False)
    # The filler bit is outside the code and ignored.
    assert decode_codeblock(flip(good, 63)) == (info, False)
    for a, b in itertools.combinations(range(63), 2):
        with pytest.raises(CodeblockError):
            decode_codeblock(flip(good, a, b))


def test_codeblock_length_checks() -> None:
    with pytest.raises(EncodeError):
        encode_codeblock(b"123456")
    with pytest.raises(DecodeError):
        decode_codeblock(b"1234567")


def test_cltu_layout() -> None:
    raw = frame(b"abcdefgh")  # 5 + 9 + 2 = 16 octets: 3 codeblocks, 5 fill octets
    cltu = encode_cltu(raw)
    assert cltu.startswith(START) and cltu.endswith(TAIL)
    body = cltu[len(START) : -len(TAIL)]
    assert len(body) == 3 * CODEBLOCK_OCTETS
    info = b"".join(body[i : i + 7] for i in range(0, len(body), 8))
    assert info == raw + b"\x55" * 5
    with pytest.raises(EncodeError):
        encode_cltu(b"")
    with pytest.raises(EncodeError):
        encode_cltu(bytes(1025))


@settings(max_examples=40, deadline=None)
@given(
    payloads=st.lists(st.binary(min_size=1, max_size=300), min_size=1, max_size=5),
    randomise=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_stream_of_cltus_in_random_chunks(payloads: list[bytes], randomise: bool, seed: int) -> None:
    profile = tc_profile(randomise=randomise)
    rng = random.Random(seed)
    frames = [frame(p, i) for i, p in enumerate(payloads)]
    # Idle bits between CLTUs (a start sequence split across chunks must still be found).
    stream = b"".join(b"\x55\xaa" * rng.randint(0, 3) + encode_cltu(f, profile) for f in frames)
    decoder = CltuDecoder(profile)
    out: list[bytes] = []
    pos = 0
    while pos < len(stream):
        step = rng.randint(1, 40)
        out += decoder.feed(stream[pos : pos + step])
        pos += step
    assert out == frames
    assert decoder.counters.frames == len(frames)
    assert not decoder.counters.rejections


def test_single_bit_errors_are_corrected_or_rejected_by_mode() -> None:
    raw = frame(b"a longer command with several codeblocks")
    cltu = bytearray(encode_cltu(raw))
    for block in range(3):
        cltu[2 + block * 8 + 3] ^= 0x10
    decoder = CltuDecoder(DEFAULT_PROFILE, correct_single_bit=True)
    assert decoder.feed(bytes(cltu)) == [raw]
    assert decoder.counters.corrected_codeblocks == 3

    strict = CltuDecoder(DEFAULT_PROFILE, correct_single_bit=False)
    assert strict.feed(bytes(cltu)) == []
    assert strict.counters.rejections["empty_cltu"] == 1
    assert strict.counters.ended_without_tail["codeblock_error"] == 1


def test_error_in_a_later_codeblock_truncates_the_frame() -> None:
    raw = frame(b"x" * 40)
    cltu = bytearray(encode_cltu(raw))
    cltu[2 + 2 * 8] ^= 0x81  # two errors in the third codeblock: uncorrectable
    decoder = CltuDecoder()
    assert decoder.feed(bytes(cltu)) == []
    assert decoder.counters.rejections["truncated"] == 1
    # The decoder is back in search and takes the next CLTU.
    assert decoder.feed(encode_cltu(raw)) == [raw]


def _cltu_of_info(info: bytes) -> bytes:
    blocks = b"".join(encode_codeblock(info[i : i + 7]) for i in range(0, len(info), 7))
    return START + blocks + TAIL


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        (frame(b"abcdefg")[:-1] + b"\x00" + b"\x55" * 6, "bad_crc"),  # damaged FECF, 21 octets
        (frame(b"abcdefg") + b"\x55" * 6 + b"\x55" * 7, "trailing_codeblocks"),
        (frame(b"abcdefg") + b"\x55" * 6 + b"\x56" * 7, "trailing_codeblocks"),
        (frame(b"abcdefgh") + b"\x55" * 4 + b"\x00", "bad_fill"),
        (b"\x40" + frame(b"abcdefg")[1:] + b"\x55" * 6, "wrong_version"),
    ],
)
def test_rejections_have_reasons(info: bytes, reason: str) -> None:
    assert len(info) % 7 == 0
    decoder = CltuDecoder()
    assert decoder.feed(_cltu_of_info(info)) == []
    assert decoder.counters.rejections[reason] == 1


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        (b"", "empty_cltu"),
        (frame(b"abcdefg") + b"\x55" * 6 + b"\x55" * 7, "trailing_codeblocks"),
        (frame(b"abcdefgh") + b"\x55" * 4 + b"\x00", "bad_fill"),
        (frame(b"abcdefg")[:14], "truncated"),  # the length field announces 21 octets
    ],
)
def test_frame_in_cltu_names_what_is_wrong(info: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as caught:
        frame_in_cltu(info, DEFAULT_PROFILE)
    assert caught.value.reason == reason


def test_frame_in_cltu_strips_the_fill_only() -> None:
    raw = frame(b"abcdefg")
    assert len(raw) == 15
    assert frame_in_cltu(raw + b"\x55" * 6, DEFAULT_PROFILE) == raw


def test_recorded_ends_locate_each_cltu_in_the_whole_input() -> None:
    good = frame(b"abcdefg")  # 15 octets: 3 codeblocks, the last with 6 fill octets
    junk = b"\x00" * 5
    first = encode_cltu(good)
    second = _cltu_of_info(good + b"\x55" * 6 + b"\x55" * 7)  # a whole codeblock of fill
    stream = junk + first + second
    decoder = CltuDecoder(record_ends=True)
    # Fed in small pieces: offsets count from the first octet ever fed, not from the chunk.
    frames = [f for i in range(0, len(stream), 3) for f in decoder.feed(stream[i : i + 3])]
    assert frames == [good]
    cltu_length = len(START) + 3 * CODEBLOCK_OCTETS + len(TAIL)
    second_start = len(junk) + cltu_length
    assert decoder.ends[0] == CltuEnded(
        start=5, end=5 + cltu_length, resume=5 + cltu_length, codeblocks=3, corrected_codeblocks=0,
        ended_by="tail", frame=good, rejection=None,
    )
    second_end = decoder.ends[1]
    assert (second_end.start, second_end.end, second_end.codeblocks) == (
        second_start, second_start + cltu_length + CODEBLOCK_OCTETS, 4
    )
    assert second_end.frame is None and second_end.rejection is not None
    assert second_end.rejection.reason == "trailing_codeblocks"
    assert decoder.open_cltu is None


def test_an_open_cltu_says_where_it_started() -> None:
    decoder = CltuDecoder()
    decoder.feed(b"\x11" * 4 + START + encode_codeblock(b"\x01" * 7) * 2)
    assert decoder.open_cltu == (4, 2)
    assert decoder.ends == []  # not recorded unless asked for


def test_empty_and_overlong_cltus_are_rejected() -> None:
    decoder = CltuDecoder()
    assert decoder.feed(START + TAIL) == []
    assert decoder.counters.rejections["empty_cltu"] == 1
    endless = START + encode_codeblock(b"\x01" * 7) * 200
    assert decoder.feed(endless) == []
    assert decoder.counters.rejections["too_long"] == 1
    assert decoder.feed(encode_cltu(frame())) == [frame()]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_never_breaks_the_decoder(noise: bytes) -> None:
    decoder = CltuDecoder()
    for out in decoder.feed(START + noise + TAIL):
        TcFrame.decode(out)  # anything emitted is a whole, checked frame
    # A misaligned tail can leave the decoder inside a runaway CLTU (about half of random codeblocks are
    # "correctable"); eight octets of the 0x55 acquisition pattern are uncorrectable at any alignment and
    # end it, as the acquisition sequence before each CLTU does on a real link.
    assert decoder.feed(b"\x55" * 16 + encode_cltu(frame())) == [frame()]
