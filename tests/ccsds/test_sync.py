"""ASM framing and the stream synchroniser (CCSDS 131.0-B-4 §9, §10)."""

from __future__ import annotations

import dataclasses
import random

from crccheck.crc import Crc16CcittFalse
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.randomiser import tm_sequence
from flightsw.ccsds.sync import ASM, StreamSynchroniser, frame_with_asm
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

P = DEFAULT_PROFILE
N = P.tm.frame_length


def randomised_profile() -> LinkProfile:
    return dataclasses.replace(P, tm=dataclasses.replace(P.tm, randomise=True))


def make_frames(count: int, rng: random.Random, with_asm_inside: bool = False) -> list[bytes]:
    frames = []
    for _ in range(count):
        body = bytearray(rng.randbytes(N - 2))
        if with_asm_inside:  # a false marker inside the data must not confuse the search
            at = rng.randrange(0, N - 2 - len(ASM))
            body[at : at + len(ASM)] = ASM
        frames.append(bytes(body) + Crc16CcittFalse.calc(body).to_bytes(2, "big"))
    return frames


def feed_in_chunks(sync: StreamSynchroniser, stream: bytes, rng: random.Random, largest: int) -> list[bytes]:
    out: list[bytes] = []
    pos = 0
    while pos < len(stream):
        step = rng.randint(1, largest)
        out += sync.feed(stream[pos : pos + step])
        pos += step
    return out


def test_asm_is_the_standard_marker() -> None:
    assert bytes.fromhex("1ACFFC1D") == ASM
    assert frame_with_asm(b"\x01\x02") == bytes.fromhex("1ACFFC1D0102")


def test_randomised_cadu_xors_only_the_frame() -> None:
    frame = bytes(N)
    cadu = frame_with_asm(frame, randomised_profile())
    assert cadu[:4] == ASM
    assert cadu[4:] == tm_sequence(N)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), randomise=st.booleans(), largest=st.sampled_from([1, 7, 300, 5000]))
def test_clean_stream_in_random_chunks(seed: int, randomise: bool, largest: int) -> None:
    rng = random.Random(seed)
    profile = randomised_profile() if randomise else P
    frames = make_frames(12, rng, with_asm_inside=True)
    stream = rng.randbytes(rng.randint(0, 50)) + b"".join(frame_with_asm(f, profile) for f in frames)
    sync = StreamSynchroniser(profile)
    assert feed_in_chunks(sync, stream, rng, largest) == frames
    assert sync.counters.frames_ok == 12
    assert sync.counters.resyncs == 0
    assert sync.locked


def _corrupt(stream: bytearray, kind: str, at: int, rng: random.Random) -> bytearray:
    if kind == "flip":
        stream[at] ^= 1 << rng.randrange(8)
    elif kind == "burst":
        for i in range(at, at + 20):
            stream[i] = rng.randrange(256)
    elif kind == "insert":
        stream[at:at] = rng.randbytes(rng.randint(1, 9))
    elif kind == "delete":
        del stream[at : at + rng.randint(1, 9)]
    return stream


# Derandomised: a damaged frame slips past CRC-16 with probability 2^-16, so the examples are fixed ones
# (checked to be caught) rather than fresh draws that could, once in a long while, hit such a collision.
@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["flip", "burst", "insert", "delete"]),
    victim=st.integers(1, 8),
    randomise=st.booleans(),
)
def test_resynchronises_within_one_frame(seed: int, kind: str, victim: int, randomise: bool) -> None:
    """Damage inside frame ``victim`` (or its ASM) loses that frame only; nothing corrupted is accepted."""
    rng = random.Random(seed)
    profile = randomised_profile() if randomise else P
    frames = make_frames(10, rng)
    unit = len(ASM) + N
    stream = bytearray(b"".join(frame_with_asm(f, profile) for f in frames))
    at = victim * unit + rng.randrange(1, unit - 20)  # offset 0 would insert between two frames
    stream = _corrupt(stream, kind, at, rng)
    sync = StreamSynchroniser(profile)
    out = feed_in_chunks(sync, bytes(stream), rng, 600)
    assert out == frames[:victim] + frames[victim + 1 :]
    assert sync.counters.frames_ok == 9
    assert sync.counters.bytes_discarded > 0


def test_garbage_between_frames_and_counters() -> None:
    rng = random.Random(5)
    frames = make_frames(4, rng)
    junk = b"\x00" * 13
    stream = frame_with_asm(frames[0]) + junk + frame_with_asm(frames[1]) + frame_with_asm(frames[2])
    sync = StreamSynchroniser()
    assert sync.feed(stream) == frames[:3]
    assert sync.counters.bytes_discarded == len(junk)
    assert sync.counters.resyncs == 1
    assert sync.counters.crc_errors == 0
    # A frame whose CRC fails is counted and skipped.
    bad = bytearray(frame_with_asm(frames[3]))
    bad[50] ^= 0xFF
    assert sync.feed(bytes(bad) + frame_with_asm(frames[0])) == [frames[0]]
    assert sync.counters.crc_errors == 1
    assert sync.buffered_octets() == 0


def test_asm_split_across_chunks_and_partial_frames_wait() -> None:
    frames = make_frames(2, random.Random(1))
    stream = b"\x55\x55" + frame_with_asm(frames[0]) + frame_with_asm(frames[1])
    sync = StreamSynchroniser()
    assert sync.feed(stream[:4]) == []
    assert sync.feed(stream[4:100]) == []
    assert sync.buffered_octets() == 98
    assert sync.feed(stream[100:]) == frames
    assert sync.feed(b"") == []


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000))
def test_noise_is_never_accepted(noise: bytes) -> None:
    sync = StreamSynchroniser()
    # Noise made to look like a stream of markers: any "frame" taken must still pass its CRC.
    stream = noise.replace(b"\x00", ASM)
    accepted = sync.feed(stream)
    for out in accepted:
        assert Crc16CcittFalse.calc(out[:-2]).to_bytes(2, "big") == out[-2:]
    # Every octet is accounted for: in an accepted unit, discarded, or still buffered.
    used = len(accepted) * (len(ASM) + N)
    assert used + sync.counters.bytes_discarded + sync.buffered_octets() == len(stream)


def test_without_fecf_the_marker_alone_locks() -> None:
    profile = dataclasses.replace(P, tm=dataclasses.replace(P.tm, fecf_present=False))
    frames = [bytes([i]) * N for i in range(3)]
    sync = StreamSynchroniser(profile)
    assert sync.feed(b"\x00\x01" + b"".join(frame_with_asm(f, profile) for f in frames)) == frames
    assert sync.counters.bytes_discarded == 2
