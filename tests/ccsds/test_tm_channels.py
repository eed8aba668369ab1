"""Virtual channel multiplexing and demultiplexing of Space Packets in TM frames (132.0-B-3 §4.1.2.7)."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.spacepacket import IDLE_APID, PacketType, SequenceFlags, SpacePacket
from flightsw.ccsds.tm_channels import (
    ClcwReceived,
    FragmentDiscarded,
    FrameRejected,
    FramesLost,
    PacketReceived,
    VcDemultiplexer,
    VcMultiplexer,
)
from flightsw.ccsds.tm_frame import FHP_IDLE, FHP_NO_PACKET_START, TmFrame, data_field_length
from flightsw.errors import EncodeError
from flightsw.profile import DEFAULT_PROFILE

P = DEFAULT_PROFILE
L = data_field_length(P)
CLCW = bytes.fromhex("01002a00")
RT, PB, IDLE_VC = P.tm.vc_realtime, P.tm.vc_playback, P.tm.vc_idle


def packet(index: int, size: int, apid: int = P.apids.cdh) -> bytes:
    body = bytes((index + i) % 256 for i in range(size - 6))
    return SpacePacket(PacketType.TM, False, apid, SequenceFlags.UNSEGMENTED, index % 16384, body).encode()


def drain(mux: VcMultiplexer, clcw: bytes = CLCW) -> list[bytes]:
    frames = []
    while mux.queued_octets():
        frames.append(mux.next_frame(clcw))
    return frames


def packets_of(events: list[object]) -> list[bytes]:
    return [e.packet for e in events if isinstance(e, PacketReceived)]


def demux_all(frames: list[bytes]) -> tuple[VcDemultiplexer, list[object]]:
    demux = VcDemultiplexer()
    events: list[object] = []
    for f in frames:
        events += demux.feed(f)
    return demux, events


def expected_pointers(sizes: list[int], frame_count: int) -> list[int]:
    """First header pointers worked out from the packet sizes alone: packet starts at cumulative offsets,
    plus the idle packet that pads the last frame when it is not full."""
    starts = list(itertools.accumulate([0, *sizes[:-1]]))
    total = sum(sizes)
    if total % L:
        starts.append(total)
    pointers = []
    for k in range(frame_count):
        inside = [s - k * L for s in starts if k * L <= s < (k + 1) * L]
        pointers.append(inside[0] if inside else FHP_NO_PACKET_START)
    return pointers


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(7, 700), min_size=1, max_size=25))
def test_packets_span_frames_with_correct_pointers(sizes: list[int]) -> None:
    packets = [packet(i, s) for i, s in enumerate(sizes)]
    mux = VcMultiplexer()
    for p in packets:
        mux.submit(RT, p)
    assert mux.queued_octets() == mux.queued_octets(RT) == sum(sizes)
    frames = drain(mux)
    assert len(frames) == -(-sum(sizes) // L)
    decoded = [TmFrame.decode(f) for f in frames]
    assert [d.first_header_pointer for d in decoded] == expected_pointers(sizes, len(frames))
    assert [d.virtual_channel_frame_count for d in decoded] == list(range(len(frames)))
    assert all(d.vcid == RT and d.ocf == CLCW for d in decoded)
    demux, events = demux_all(frames)
    assert packets_of(events) == packets
    assert not [e for e in events if isinstance(e, FramesLost | FragmentDiscarded | FrameRejected)]
    # 1..6 free octets take a 7-octet idle packet whose tail waits for the VC's next frame.
    free = -sum(sizes) % L
    assert demux.counters.idle_packets == (1 if free >= 7 else 0)


def test_partial_frame_is_padded_with_an_idle_packet_of_the_right_size() -> None:
    mux = VcMultiplexer()
    mux.submit(RT, packet(0, 100))
    frame = TmFrame.decode(mux.next_frame(CLCW))
    assert frame.first_header_pointer == 0
    idle = SpacePacket.decode(frame.data[100:])
    assert idle.apid == IDLE_APID and len(idle) == L - 100


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lost=st.integers(1, 6))
def test_frame_loss_is_detected_and_the_stream_recovers(seed: int, lost: int) -> None:
    rng = random.Random(seed)
    sizes = [rng.randint(7, 400) for _ in range(40)]
    packets = [packet(i, s) for i, s in enumerate(sizes)]
    mux = VcMultiplexer()
    for p in packets:
        mux.submit(RT, p)
    frames = drain(mux)
    assert len(frames) > lost + 1
    demux, events = demux_all(frames[:lost] + frames[lost + 1 :])
    gaps = [e for e in events if isinstance(e, FramesLost)]
    assert [(g.vcid, g.missing) for g in gaps] == [(None, 1), (RT, 1)]
    assert demux.counters.frames_lost == 1
    # Exactly the packets that touch the lost frame are gone; nothing damaged is delivered.
    starts = list(itertools.accumulate([0, *sizes[:-1]]))
    survivors = [
        p for p, s, n in zip(packets, starts, sizes, strict=True) if s + n <= lost * L or s >= (lost + 1) * L
    ]
    assert packets_of(events) == survivors


def test_idle_frames_carry_the_clcw() -> None:
    mux = VcMultiplexer()
    raw = mux.next_frame(CLCW)
    frame = TmFrame.decode(raw)
    assert frame.vcid == IDLE_VC and frame.first_header_pointer == FHP_IDLE and frame.is_idle
    assert frame.ocf == CLCW
    demux = VcDemultiplexer()
    assert demux.feed(raw) == [ClcwReceived(IDLE_VC, CLCW)]
    assert demux.counters.idle_frames == 1
    with pytest.raises(EncodeError):
        mux.next_frame(b"\x00")
    with pytest.raises(EncodeError):
        mux.next_frame(None)


def test_counters_wrap_at_256_without_false_gaps() -> None:
    mux = VcMultiplexer()
    demux = VcDemultiplexer()
    big = packet(1, 65000)
    masters, vc_counts = [], []
    for i in range(600):
        if i % 3 == 0 and mux.queued_octets() < L:
            mux.submit(RT, big)
        raw = mux.next_frame(CLCW) if i % 7 else mux.next_frame(CLCW, now=float(i))
        frame = TmFrame.decode(raw)
        masters.append(frame.master_channel_frame_count)
        if frame.vcid == RT:
            vc_counts.append(frame.virtual_channel_frame_count)
        assert not [e for e in demux.feed(raw) if isinstance(e, FramesLost)]
    assert masters == [i % 256 for i in range(600)]
    assert vc_counts == [i % 256 for i in range(len(vc_counts))]
    assert len(vc_counts) > 256
    assert mux.master_frame_count == 600 % 256


def test_priorities() -> None:
    mux = VcMultiplexer()
    mux.submit(PB, packet(0, 50))
    mux.submit(RT, packet(1, 50))
    assert [TmFrame.decode(mux.next_frame(CLCW)).vcid for _ in range(3)] == [RT, PB, IDLE_VC]
    reversed_mux = VcMultiplexer(priorities={RT: 5, PB: 0})
    reversed_mux.submit(RT, packet(0, 50))
    reversed_mux.submit(PB, packet(1, 50))
    assert TmFrame.decode(reversed_mux.next_frame(CLCW)).vcid == PB


def test_one_idle_frame_per_interval_even_under_load() -> None:
    mux = VcMultiplexer()
    mux.submit(RT, packet(0, 60000))
    vcids = [TmFrame.decode(mux.next_frame(CLCW, now=t)).vcid for t in (0.0, 0.3, 0.6, 0.99, 1.0, 1.5)]
    assert vcids == [IDLE_VC, RT, RT, RT, IDLE_VC, RT]


def test_fewer_than_seven_free_octets_are_held_then_spilled() -> None:
    mux = VcMultiplexer(hold_s=0.1)
    mux.next_frame(CLCW, now=0.0)  # the first idle frame of the interval
    first = packet(0, L - 3)  # would leave 3 octets: too few for an idle packet
    mux.submit(RT, first)
    held = TmFrame.decode(mux.next_frame(CLCW, now=0.01))
    assert held.vcid == IDLE_VC
    assert TmFrame.decode(mux.next_frame(CLCW, now=0.05)).vcid == IDLE_VC
    spilled = mux.next_frame(CLCW, now=0.2)  # hold expired: close with a 7-octet idle packet
    frame = TmFrame.decode(spilled)
    assert frame.vcid == RT and frame.data[: L - 3] == first
    assert mux.queued_octets() == 0
    second = packet(1, 30)
    mux.submit(RT, second)
    follow = mux.next_frame(CLCW, now=0.3)
    assert TmFrame.decode(follow).first_header_pointer == 4  # the idle packet's last 4 octets come first
    demux, events = demux_all([spilled, follow])
    assert packets_of(events) == [first, second]
    assert demux.counters.idle_packets == 2


def test_more_data_during_a_hold_fills_the_frame() -> None:
    mux = VcMultiplexer(hold_s=0.1)
    mux.next_frame(CLCW, now=0.0)
    mux.submit(RT, packet(0, L - 3))
    assert TmFrame.decode(mux.next_frame(CLCW, now=0.01)).vcid == IDLE_VC
    mux.submit(RT, packet(1, 50))
    frame = TmFrame.decode(mux.next_frame(CLCW, now=0.02))
    assert frame.vcid == RT and frame.first_header_pointer == 0
    assert mux.queued_octets() == 50 - 3


def test_submit_checks_the_packet_and_the_channel() -> None:
    mux = VcMultiplexer()
    for vcid in (IDLE_VC, 8, -1):
        with pytest.raises(EncodeError):
            mux.submit(vcid, packet(0, 20))
    with pytest.raises(EncodeError) as info:
        mux.submit(RT, packet(0, 20)[:-1])
    assert info.value.reason == "length_mismatch"
    with pytest.raises(EncodeError) as info:
        mux.submit(RT, b"\xe0" + packet(0, 20)[1:])
    assert info.value.reason == "wrong_version"
    with pytest.raises(EncodeError):
        mux.submit(RT, b"\x00\x01")
    assert mux.queued_octets() == 0


def test_demux_rejects_bad_frames_and_keeps_going() -> None:
    mux = VcMultiplexer()
    mux.submit(RT, packet(0, 100))
    raw = bytearray(mux.next_frame(CLCW))
    raw[20] ^= 0x01
    demux = VcDemultiplexer()
    assert demux.feed(bytes(raw))[0] == FrameRejected("bad_crc", "frame error control field does not match")
    assert demux.counters.rejected["bad_crc"] == 1
    assert demux.feed(b"short")[0].reason == "truncated"  # type: ignore[union-attr]


def test_demux_trusts_the_first_header_pointer_over_a_broken_fragment() -> None:
    def data_frame(vc_count: int, fhp: int, data: bytes) -> bytes:
        return TmFrame(P.scid, RT, vc_count, vc_count, fhp, data, CLCW).encode()

    good = packet(7, 40)
    # Frame 0: a packet announcing 300 octets starts at 0; frame 1 claims a new packet starts at 10 — the
    # fragment cannot be complete there, so it is dropped and the packet at the pointer is delivered.
    long_start = packet(8, 300)[:L]
    frame1 = bytes(10) + good + SpacePacket.idle(L - 50).encode()
    demux, events = demux_all([data_frame(0, 0, long_start), data_frame(1, 10, frame1)])
    assert packets_of(events) == [good]
    discarded = [e for e in events if isinstance(e, FragmentDiscarded)]
    assert discarded == [FragmentDiscarded(RT, L + 10, "first_header_pointer_mismatch")]
    # A continuation-only frame with nothing to continue is dropped and counted.
    demux, events = demux_all([data_frame(5, FHP_NO_PACKET_START, bytes(L))])
    assert demux.counters.octets_discarded == L
    assert next(e for e in events if isinstance(e, FragmentDiscarded)).reason == "no_packet_start"
    # A packet header with a wrong version loses the VC until the next pointer.
    broken = data_frame(0, 0, b"\xff" * L)
    _, events = demux_all([broken, data_frame(1, 0, good + frame1[50:] + bytes(10))])
    assert [e.reason for e in events if isinstance(e, FragmentDiscarded)] == ["wrong_version"]
    assert packets_of(events)[0] == good
