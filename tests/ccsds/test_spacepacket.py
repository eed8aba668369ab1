"""Space Packets (CCSDS 133.0-B-2): layout, round trips, strictness, counters, and the spacepackets peer."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable

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
    _check_header_fields,
    _check_packet_fields,
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


# ---- the fast paths against the checked ones ---------------------------------------------------------
# The constructor tests all fields in one chained comparison and only names the culprit when that fails;
# the decoders build packets without calling the constructor. These tests hold both to the field-by-field
# rules on random inputs, in and out of range.

wide_ints = st.integers(-3, 70000)


def _outcome(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except EncodeError as exc:
        return (exc.reason, exc.detail)


@settings(max_examples=400)
@given(
    st.one_of(st.sampled_from(PacketType), st.integers(-1, 3)), st.booleans(),
    st.one_of(st.integers(0, IDLE_APID), st.sampled_from([IDLE_APID, -1, IDLE_APID + 1, 4096])),
    st.one_of(st.sampled_from(SequenceFlags), st.integers(-1, 5)),
    st.one_of(counts, st.sampled_from([-1, 16384, 20000])),
    st.integers(0, 3), st.integers(-1, 9),
)
def test_packet_constructor_accepts_and_refuses_as_the_field_checks_do(
    ptype: int, sec: bool, apid: int, seq_flags: int, count: int, size: int, version: int
) -> None:
    data = bytes(size)
    checked = _outcome(lambda: _check_packet_fields(ptype, sec, apid, seq_flags, count, size, version))
    built = _outcome(lambda: SpacePacket(ptype, sec, apid, seq_flags, count, data, version))  # type: ignore[arg-type]
    if checked is None:
        assert isinstance(built, SpacePacket)
        assert (built.packet_type, built.secondary_header_flag, built.apid, built.sequence_flags,
                built.sequence_count, built.data, built.version) == (ptype, sec, apid, seq_flags, count, data,
                                                                     version)
    else:
        assert built == checked


@settings(max_examples=300)
@given(st.integers(-1, 3), st.integers(-1, 2049), st.integers(-1, 5), st.integers(-1, 16385),
       st.sampled_from([-1, 0, 1, 65535, 65536]), st.integers(-1, 9))
def test_header_constructor_accepts_and_refuses_as_the_field_checks_do(
    ptype: int, apid: int, seq_flags: int, count: int, length: int, version: int
) -> None:
    checked = _outcome(lambda: _check_header_fields(ptype, apid, seq_flags, count, length, version))
    built = _outcome(lambda: PrimaryHeader(ptype, False, apid, seq_flags, count, length, version))  # type: ignore[arg-type]
    assert isinstance(built, PrimaryHeader) if checked is None else built == checked


def reference_decode(raw: bytes) -> SpacePacket | str:
    """The packet read field by field from the table of 133.0-B-2 §4.1.3 and built through the checked
    constructor, or the reason the decoder must give."""
    if len(raw) < 6:
        return "truncated"
    bits = "".join(f"{octet:08b}" for octet in raw[:6])
    version, ptype, sec, apid = int(bits[0:3], 2), int(bits[3], 2), bits[4] == "1", int(bits[5:16], 2)
    seq_flags, count, length = int(bits[16:18], 2), int(bits[18:32], 2), int(bits[32:48], 2)
    if version != 0:
        return "wrong_version"
    if len(raw) != 6 + length + 1:
        return "truncated" if len(raw) < 6 + length + 1 else "trailing_bytes"
    if apid == IDLE_APID and sec:
        return "sec_header_flag"
    return SpacePacket(PacketType(ptype), sec, apid, SequenceFlags(seq_flags), count, raw[6:])


def _decoded(raw: bytes) -> SpacePacket | str:
    try:
        return SpacePacket.decode(raw)
    except DecodeError as exc:
        return exc.reason


def _same_packet(fast: SpacePacket, checked: SpacePacket) -> None:
    assert fast == checked and hash(fast) == hash(checked) and repr(fast) == repr(checked)
    assert type(fast.packet_type) is PacketType and type(fast.sequence_flags) is SequenceFlags
    assert type(fast.secondary_header_flag) is bool and type(fast.data) is bytes


@st.composite
def packet_octets(draw: st.DrawFn) -> bytes:
    """Mostly well-formed packets with some header bits flipped, or the length cut or grown."""
    raw = bytearray(draw(space_packets()).encode())
    if draw(st.booleans()):
        raw[0] = draw(st.sampled_from([0x0F, 0x1F, 0x07, 0x08, 0x2F, raw[0]]))
        raw[1] = draw(st.sampled_from([0xFF, raw[1]]))
    cut = draw(st.integers(-2, 2))
    return bytes(raw[: len(raw) + cut]) if cut < 0 else bytes(raw) + bytes(cut)


@settings(max_examples=400)
@given(st.one_of(packet_octets(), st.binary(max_size=40)))
def test_decoder_agrees_with_the_field_table_reading(raw: bytes) -> None:
    expected = reference_decode(raw)
    for got in (_decoded(raw), _decoded(bytearray(raw)), _decoded(memoryview(raw))):  # type: ignore[arg-type]
        if isinstance(expected, str):
            assert got == expected
        else:
            assert isinstance(got, SpacePacket)
            _same_packet(got, expected)
            assert got.encode() == raw


@settings(max_examples=100)
@given(st.lists(packet_octets(), max_size=5))
def test_iter_packets_agrees_with_decoding_one_by_one(units: list[bytes]) -> None:
    stream = b"".join(units)
    expected: list[SpacePacket] = []
    failure: tuple[str, int] | None = None
    offset = 0
    while offset < len(stream):  # split by the length field, as a receiver of the stream must
        rest = stream[offset:]
        size = 7 + int.from_bytes(rest[4:6], "big") if len(rest) >= 6 else len(rest)
        got = reference_decode(rest[:size])
        if isinstance(got, str):
            failure = (got, offset)
            break
        expected.append(got)
        offset += size
    packets: list[SpacePacket] = []
    try:
        packets.extend(iter_packets(stream))
        assert failure is None
    except DecodeError as exc:
        assert (exc.reason, exc.offset) == failure
    assert len(packets) == len(expected)
    for fast, checked in zip(packets, expected, strict=True):
        _same_packet(fast, checked)


@settings(max_examples=100)
@given(st.binary(min_size=6, max_size=6))
def test_header_decoder_agrees_with_the_checked_constructor(raw: bytes) -> None:
    try:
        header = PrimaryHeader.decode(raw)
    except DecodeError as exc:
        assert exc.reason == "wrong_version" and raw[0] >> 5 != 0
        return
    word0, word1, length = (int.from_bytes(raw[i : i + 2], "big") for i in (0, 2, 4))
    checked = PrimaryHeader(PacketType(word0 >> 12 & 1), bool(word0 & 0x800), word0 & 0x7FF,
                            SequenceFlags(word1 >> 14), word1 & 0x3FFF, length)
    assert header == checked and hash(header) == hash(checked) and repr(header) == repr(checked)
    assert header.encode() == raw


def test_decoded_packet_is_frozen_and_replace_checks_again() -> None:
    packet = SpacePacket.decode(SpacePacket(PacketType.TM, True, 5, SequenceFlags.FIRST, 3, b"xyz").encode())
    with pytest.raises(dataclasses.FrozenInstanceError):
        packet.apid = 6  # type: ignore[misc]
    assert dataclasses.replace(packet, apid=6).encode()[1] == 6
    with pytest.raises(EncodeError) as err:
        dataclasses.replace(packet, apid=IDLE_APID)
    assert err.value.reason == "sec_header_flag"
    with pytest.raises(EncodeError) as err:
        dataclasses.replace(packet, sequence_count=16384)
    assert err.value.reason == "out_of_range" and "sequence_count" in err.value.detail


def test_packet_from_a_buffer_encodes_like_bytes() -> None:
    for data in (bytearray(b"abc"), memoryview(b"abc")):
        packet = SpacePacket(PacketType.TM, False, 9, SequenceFlags.UNSEGMENTED, 1, data)  # type: ignore[arg-type]
        assert packet.encode() == bytes.fromhex("0009c0010002") + b"abc"
