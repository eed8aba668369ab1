"""Space Packets (CCSDS 133.0-B-2): layout, round trips, strictness, counters, and the spacepackets peer."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ccsds.spacepacket import PacketType as PeerPacketType
from spacepackets.ccsds.spacepacket import SequenceFlags as PeerSequenceFlags
from spacepackets.ccsds.spacepacket import SpacePacketHeader

from flightsw.ccsds.spacepacket import (
    IDLE_APID,
    PRIMARY_HEADER_LENGTH,
    PacketType,
    PrimaryHeader,
    SequenceCounter,
    SequenceFlags,
    SpacePacket,
    iter_packets,
    packet_length,
    sequence_gap,
)
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE

packet_types = st.sampled_from(PacketType)
flags = st.sampled_from(SequenceFlags)
apids = st.integers(0, IDLE_APID - 1)
counts = st.integers(0, 16383)


@st.composite
def space_packets(draw: st.DrawFn) -> SpacePacket:
    return SpacePacket(
        draw(packet_types), draw(st.booleans()), draw(apids), draw(flags), draw(counts),
        draw(st.binary(min_size=1, max_size=300)),
    )


def test_header_layout_bit_by_bit() -> None:
    # §4.1.3: version 000, type 1, sec. header flag 1, APID 0x073 | flags 11, count 25 | length field 4.
    header = PrimaryHeader(PacketType.TC, True, 0x073, SequenceFlags.UNSEGMENTED, 25, 4)
    assert header.encode() == bytes([0b0001_1000, 0x73, 0b1100_0000, 25, 0x00, 0x04])
    assert header.packet_length == PRIMARY_HEADER_LENGTH + 5


def test_data_length_field_is_octets_minus_one() -> None:
    packet = SpacePacket(PacketType.TM, False, 0x10, SequenceFlags.UNSEGMENTED, 0, b"\xAA")
    raw = packet.encode()
    assert raw[4:6] == b"\x00\x00"
    assert len(raw) == 7 == packet_length(raw)


@settings(max_examples=100)
@given(packet_types, st.booleans(), st.integers(0, IDLE_APID), flags, counts, st.integers(0, 65535))
def test_primary_header_round_trip_and_peer(
    ptype: PacketType, sec: bool, apid: int, seq_flags: SequenceFlags, count: int, length: int
) -> None:
    header = PrimaryHeader(ptype, sec, apid, seq_flags, count, length)
    raw = header.encode()
    assert PrimaryHeader.decode(raw) == header
    peer = SpacePacketHeader(
        packet_type=PeerPacketType(int(ptype)), apid=apid, seq_count=count, data_len=length,
        sec_header_flag=sec, seq_flags=PeerSequenceFlags(int(seq_flags)),
    )
    assert peer.pack() == raw
    back = SpacePacketHeader.unpack(raw)
    assert (back.apid, back.seq_count, back.data_len, back.sec_header_flag) == (apid, count, length, sec)


@settings(max_examples=100)
@given(space_packets())
def test_space_packet_round_trip(packet: SpacePacket) -> None:
    raw = packet.encode()
    assert len(raw) == len(packet) == packet_length(raw)
    assert SpacePacket.decode(raw) == packet
    assert SpacePacket.decode(memoryview(raw)) == packet


@settings(max_examples=50)
@given(st.lists(space_packets(), max_size=6))
def test_iter_packets_splits_a_concatenation(packets: list[SpacePacket]) -> None:
    stream = b"".join(p.encode() for p in packets)
    assert list(iter_packets(stream)) == packets


def test_iter_packets_rejects_a_partial_last_packet_with_its_offset() -> None:
    first = SpacePacket(PacketType.TM, False, 1, SequenceFlags.UNSEGMENTED, 0, b"abc").encode()
    second = SpacePacket(PacketType.TM, False, 2, SequenceFlags.UNSEGMENTED, 1, b"defg").encode()
    packets = iter_packets(first + second[:-1])
    assert next(packets).apid == 1
    with pytest.raises(DecodeError) as err:
        next(packets)
    assert err.value.reason == "truncated"
    assert err.value.offset == len(first)


def test_iter_packets_rejects_a_partial_header() -> None:
    first = SpacePacket(PacketType.TM, False, 1, SequenceFlags.UNSEGMENTED, 0, b"abc").encode()
    with pytest.raises(DecodeError) as err:
        list(iter_packets(first + b"\x08\x01"))
    assert (err.value.reason, err.value.offset) == ("truncated", len(first))


def test_iter_packets_of_nothing_is_empty() -> None:
    assert list(iter_packets(b"")) == []


@pytest.mark.parametrize("version", [1, 2, 7])
def test_wrong_version_is_rejected(version: int) -> None:
    raw = bytearray(SpacePacket(PacketType.TM, False, 5, SequenceFlags.UNSEGMENTED, 0, b"x").encode())
    raw[0] |= version << 5
    for decoder in (SpacePacket.decode, PrimaryHeader.decode, packet_length):
        with pytest.raises(DecodeError) as err:
            decoder(bytes(raw))
        assert err.value.reason == "wrong_version"


def test_truncated_header_and_data_are_rejected() -> None:
    raw = SpacePacket(PacketType.TC, True, 5, SequenceFlags.FIRST, 9, b"hello").encode()
    for cut in range(len(raw)):
        with pytest.raises(DecodeError) as err:
            SpacePacket.decode(raw[:cut])
        assert err.value.reason == "truncated"
    with pytest.raises(DecodeError, match="truncated"):
        packet_length(raw[:5])


def test_trailing_bytes_are_rejected() -> None:
    raw = SpacePacket(PacketType.TC, True, 5, SequenceFlags.FIRST, 9, b"hello").encode()
    with pytest.raises(DecodeError) as err:
        SpacePacket.decode(raw + b"\x00")
    assert err.value.reason == "trailing_bytes"
    assert err.value.offset == len(raw)


def test_idle_packet_with_secondary_header_flag_is_inconsistent() -> None:
    # §4.1.3.3.3.4: idle packets have no secondary header.
    raw = bytes([0b0000_1111, 0xFF, 0xC0, 0x00, 0x00, 0x00, 0x00])
    with pytest.raises(DecodeError) as err:
        SpacePacket.decode(raw)
    assert err.value.reason == "sec_header_flag"
    with pytest.raises(EncodeError):
        SpacePacket(PacketType.TM, True, IDLE_APID, SequenceFlags.UNSEGMENTED, 0, b"\x00")


@pytest.mark.parametrize(
    ("field", "value"),
    [("apid", 2048), ("apid", -1), ("sequence_count", 16384), ("sequence_count", -1),
     ("sequence_flags", 4), ("data_length", 65536), ("version", 8)],
)
def test_header_encoder_refuses_values_that_do_not_fit(field: str, value: int) -> None:
    fields = {"packet_type": PacketType.TM, "secondary_header_flag": False, "apid": 1,
              "sequence_flags": SequenceFlags.UNSEGMENTED, "sequence_count": 0, "data_length": 0}
    fields[field] = value
    with pytest.raises(EncodeError) as err:
        PrimaryHeader(**fields)  # type: ignore[arg-type]
    assert err.value.reason == "out_of_range"


@pytest.mark.parametrize("size", [0, 65537])
def test_packet_data_field_must_hold_1_to_65536_octets(size: int) -> None:
    with pytest.raises(EncodeError):
        SpacePacket(PacketType.TM, False, 1, SequenceFlags.UNSEGMENTED, 0, bytes(size))


def test_largest_packet_round_trips() -> None:
    packet = SpacePacket(PacketType.TM, False, 1, SequenceFlags.UNSEGMENTED, 0, bytes(65536))
    raw = packet.encode()
    assert raw[4:6] == b"\xFF\xFF"
    assert SpacePacket.decode(raw) == packet


@pytest.mark.parametrize("length", [7, 8, 100, 249])
def test_idle_packet_fills_exactly(length: int) -> None:
    idle = SpacePacket.idle(length, sequence_count=3, fill=0x55)
    raw = idle.encode()
    assert len(raw) == length
    assert idle.apid == DEFAULT_PROFILE.apids.idle
    assert idle.is_idle and not idle.secondary_header_flag
    assert raw[PRIMARY_HEADER_LENGTH:] == b"\x55" * (length - PRIMARY_HEADER_LENGTH)
    assert SpacePacket.decode(raw) == idle


@pytest.mark.parametrize("length", [0, 6, 65543])
def test_idle_packet_length_out_of_range(length: int) -> None:
    with pytest.raises(EncodeError):
        SpacePacket.idle(length)


def test_sequence_counter_is_per_apid_and_wraps_at_16384() -> None:
    counter = SequenceCounter()
    assert [counter.next(0x10) for _ in range(3)] == [0, 1, 2]
    assert counter.next(0x20) == 0
    counter.set(0x10, 16383)
    assert counter.next(0x10) == 16383
    assert counter.next(0x10) == 0
    assert counter.peek(0x20) == 1
    counter.reset(0x20)
    assert counter.peek(0x20) == 0
    with pytest.raises(EncodeError):
        counter.next(2048)
    with pytest.raises(EncodeError):
        counter.set(1, 16384)


def test_sequence_gap_counts_missing_packets_across_the_wrap() -> None:
    assert sequence_gap(5, 6) == 0
    assert sequence_gap(5, 8) == 2
    assert sequence_gap(16383, 0) == 0
    assert sequence_gap(16382, 1) == 2


@settings(max_examples=300)
@given(st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for decoder in (SpacePacket.decode, PrimaryHeader.decode, packet_length,
                    lambda raw: list(iter_packets(raw))):
        with contextlib.suppress(DecodeError):
            decoder(data)
