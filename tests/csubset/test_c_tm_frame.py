"""TM frames (132.0-B-3) built by the C VC frame builder against flightsw.ccsds.tm_channels: for the same
packets the frames are byte-identical to VcMultiplexer's, and TmFrame.decode, StreamSynchroniser and
VcDemultiplexer give back the same packets; the C frame decoder agrees with TmFrame.decode."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.pus import PusTm
from flightsw.ccsds.sync import StreamSynchroniser, frame_with_asm
from flightsw.ccsds.tm_channels import PacketReceived, VcDemultiplexer, VcMultiplexer
from flightsw.ccsds.tm_frame import TmFrame, data_field_length
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, profile_from_dict
from tests.csubset.cstack import CStack, CStatusError

DATA_LENGTH = data_field_length(DEFAULT_PROFILE)
VC_REALTIME = DEFAULT_PROFILE.tm.vc_realtime
VC_PLAYBACK = DEFAULT_PROFILE.tm.vc_playback
VC_IDLE = DEFAULT_PROFILE.tm.vc_idle
CLCW = bytes.fromhex("01000000")


def packet(rng: random.Random, length: int) -> bytes:
    """A PUS TM of exactly `length` octets (at least the 21 of an empty one)."""
    empty = len(PusTm(0x20, 0, 3, 25).encode())
    source = bytes(rng.randrange(256) for _ in range(max(0, length - empty)))
    return PusTm(0x20, rng.randrange(0x4000), 3, 25, rng.randrange(0x10000), source_data=source).encode()


def packet_lengths(rng: random.Random) -> list[int]:
    # Lengths that leave 0..7 octets free in a frame (the idle-spill cases), plus small and spanning packets.
    choices = [DATA_LENGTH - k for k in range(0, 9)] + [21, 22, 40, 100, 300, 700, rng.randint(21, 600)]
    return [rng.choice(choices) for _ in range(rng.randint(1, 5))]


def run_batches(cstack: CStack, seed: int, with_asm: bool = False, randomise: bool = False) -> None:
    rng = random.Random(seed)
    profile = profile_from_dict({"tm": {"randomise": randomise}})
    mux = VcMultiplexer(profile)
    c = cstack.tm_channel(with_asm=with_asm, randomise=randomise)
    py_frames: list[bytes] = []
    c_units: list[bytes] = []
    sent: dict[int, list[bytes]] = {VC_REALTIME: [], VC_PLAYBACK: []}
    for _ in range(12):
        vcid = rng.choice([VC_REALTIME, VC_PLAYBACK])
        clcw = bytes([0x01, 0x00, rng.randrange(256), rng.randrange(256)])
        if rng.random() < 0.2:
            py_frames.append(mux.next_frame(clcw))
            c_units.append(c.idle_frame(clcw))
            continue
        for length in packet_lengths(rng):
            pkt = packet(rng, length)
            sent[vcid].append(pkt)
            mux.submit(vcid, pkt)
            c_units += c.add_packet(vcid, pkt, clcw)
        while mux.queued_octets():
            py_frames.append(mux.next_frame(clcw))
        c_units += c.flush(vcid, clcw)
    if with_asm:
        assert c_units == [frame_with_asm(f, profile) for f in py_frames]
        stream = b"".join(c_units)
        assert StreamSynchroniser(profile).feed(stream) == py_frames
    else:
        assert c_units == py_frames
    demux = VcDemultiplexer(profile)
    got: dict[int, list[bytes]] = {VC_REALTIME: [], VC_PLAYBACK: []}
    for frame in py_frames:
        TmFrame.decode(frame, profile)
        for event in demux.feed(frame):
            if isinstance(event, PacketReceived):
                got[event.vcid].append(event.packet)
    assert got == sent
    assert demux.counters.frames_lost == 0 and demux.counters.fragments_discarded == 0


@pytest.mark.parametrize("seed", range(12))
def test_frames_are_byte_identical_to_the_multiplexer(cstack: CStack, seed: int) -> None:
    run_batches(cstack, seed)


@pytest.mark.parametrize("randomise", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_cadus_synchronise_and_demultiplex(cstack: CStack, seed: int, randomise: bool) -> None:
    run_batches(cstack, 100 + seed, with_asm=True, randomise=randomise)


def test_only_idle_data_frame_on_the_idle_vc(cstack: CStack) -> None:
    c = cstack.tm_channel()
    frames = [TmFrame.decode(c.idle_frame(CLCW)) for _ in range(3)]
    assert [f.vcid for f in frames] == [VC_IDLE] * 3
    assert all(f.is_idle and f.ocf == CLCW for f in frames)
    assert [f.virtual_channel_frame_count for f in frames] == [0, 1, 2]
    assert [f.master_channel_frame_count for f in frames] == [0, 1, 2]


def test_a_small_output_buffer_leaves_the_vc_unchanged(cstack: CStack) -> None:
    rng = random.Random(5)
    big = packet(rng, 3 * DATA_LENGTH)
    c = cstack.tm_channel()
    with pytest.raises(CStatusError, match="buffer_too_small"):
        c.add_packet(VC_REALTIME, big, CLCW, capacity=2 * c.unit)
    frames = c.add_packet(VC_REALTIME, big, CLCW, capacity=3 * c.unit)
    mux = VcMultiplexer()
    mux.submit(VC_REALTIME, big)
    assert frames == [mux.next_frame(CLCW) for _ in range(3)]


def test_packet_checks_match_the_multiplexer(cstack: CStack) -> None:
    good = packet(random.Random(1), 30)
    bad_length = good + b"\x00"
    bad_version = bytes([good[0] | 0x20]) + good[1:]
    for raw in (bad_length, bad_version, good[:5]):
        with pytest.raises(EncodeError) as python:
            VcMultiplexer().submit(VC_REALTIME, raw)
        with pytest.raises(CStatusError) as c:
            cstack.tm_channel().add_packet(VC_REALTIME, raw, CLCW)
        assert c.value.reason == python.value.reason


def test_the_idle_vc_carries_no_packets(cstack: CStack) -> None:
    with pytest.raises(CStatusError, match="bad_config"):
        cstack.tm_channel().add_packet(VC_IDLE, packet(random.Random(2), 30), CLCW)


def c_decode(cstack: CStack, raw: bytes) -> tuple[int, ...] | str:
    frame = cstack.ffi.new("ccsds_tm_frame *")
    status = cstack.lib.ccsds_tm_frame_decode(raw, len(raw), frame)
    if status != cstack.lib.CCSDS_OK:
        return cstack.reason(status)
    data = bytes(cstack.ffi.buffer(frame.data, DATA_LENGTH))
    ocf = bytes(cstack.ffi.buffer(frame.ocf, 4))
    return (frame.vcid, frame.master_channel_frame_count, frame.virtual_channel_frame_count,
            frame.first_header_pointer, int(frame.sync_flag), hash(data), hash(ocf))


def py_decode(raw: bytes) -> tuple[int, ...] | str:
    try:
        f = TmFrame.decode(raw)
    except DecodeError as exc:
        return exc.reason
    return (f.vcid, f.master_channel_frame_count, f.virtual_channel_frame_count, f.first_header_pointer,
            int(f.sync_flag), hash(f.data), hash(f.ocf))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32), data=st.data())
def test_frame_decode_agrees_on_damaged_frames(cstack: CStack, seed: int, data: st.DataObject) -> None:
    from flightsw.ccsds.crc import crc16_bytes

    rng = random.Random(seed)
    c = cstack.tm_channel()
    frames = c.add_packet(VC_REALTIME, packet(rng, DATA_LENGTH + 50), CLCW) + c.flush(VC_REALTIME, CLCW)
    raw = bytearray(rng.choice(frames))
    kind = data.draw(st.sampled_from(["header", "header_recrc", "cut", "extend", "flip"]))
    if kind.startswith("header"):
        raw[data.draw(st.integers(0, 5))] = data.draw(st.integers(0, 255))
        if kind == "header_recrc":  # a consistent FECF, so the header checks themselves are reached
            raw[-2:] = crc16_bytes(bytes(raw[:-2]))
    elif kind == "cut":
        del raw[data.draw(st.integers(0, len(raw) - 1)) :]
    elif kind == "extend":
        raw += b"\x00"
    else:
        bit = data.draw(st.integers(0, len(raw) * 8 - 1))
        raw[bit // 8] ^= 0x80 >> (bit % 8)
    assert c_decode(cstack, bytes(raw)) == py_decode(bytes(raw))
