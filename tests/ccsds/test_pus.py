"""PUS-C TC and TM packets (ECSS-E-ST-70-41C §7.4): layout, round trips, strictness, spacepackets peer."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable

import pytest
from crccheck.crc import Crc16CcittFalse
from hypothesis import given, settings
from hypothesis import strategies as st
from spacepackets.ecss import PusTc as PeerTc
from spacepackets.ecss import PusTm as PeerTm

from flightsw.ccsds.pus import (
    CounterScope,
    MessageTypeCounter,
    PusTc,
    PusTm,
    TcSecondaryHeader,
    TmSecondaryHeader,
)
from flightsw.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacket
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile, PusProfile, TimeProfile

Decoder = Callable[..., object]
Maker = Callable[[], bytes]
TIME_LENGTH = DEFAULT_PROFILE.time.cuc_coarse_octets + DEFAULT_PROFILE.time.cuc_fine_octets
apids = st.integers(0, 0x7FE)
octet = st.integers(0, 255)
word = st.integers(0, 0xFFFF)


@st.composite
def pus_tcs(draw: st.DrawFn) -> PusTc:
    return PusTc(
        draw(apids), draw(st.integers(0, 16383)), draw(st.integers(0, 15)), draw(octet), draw(octet),
        draw(word), draw(st.binary(max_size=200)), draw(st.sampled_from(SequenceFlags)),
    )


@st.composite
def pus_tms(draw: st.DrawFn) -> PusTm:
    return PusTm(
        draw(apids), draw(st.integers(0, 16383)), draw(octet), draw(octet), draw(word), draw(word),
        draw(st.binary(min_size=TIME_LENGTH, max_size=TIME_LENGTH)), draw(st.binary(max_size=200)),
        draw(st.integers(0, 15)), draw(st.sampled_from(SequenceFlags)),
    )


def _with_crc(body: bytes) -> bytes:
    return body + Crc16CcittFalse.calc(body).to_bytes(2, "big")


def test_tc_layout_against_a_hand_built_vector() -> None:
    # §7.4.4.1: '0010' PUS version then ack flags 1111; service 17, subtype 1, source id 1; CRC annex B.
    body = bytes([0x18, 0x10, 0xC0, 0x03, 0x00, 0x07, 0x2F, 17, 1, 0x00, 0x01, 0xAB])
    tc = PusTc(0x010, 3, 0b1111, 17, 1, 1, b"\xAB")
    assert tc.encode() == _with_crc(body)
    assert PusTc.decode(_with_crc(body)) == tc


def test_tc_against_the_peer_documentation_vector() -> None:
    # The ping TC printed in spacepackets' PusTc documentation (an independent implementation).
    raw = bytes.fromhex("1801c01600062f11010000ab62")
    tc = PusTc(apid=0x01, sequence_count=22, ack_flags=0b1111, service=17, subtype=1, source_id=0)
    assert tc.encode() == raw
    assert PusTc.decode(raw) == tc


def test_tm_layout_against_a_hand_built_vector() -> None:
    time = bytes.fromhex("0102030405AA")
    header = bytes([0x08, 0x20, 0xC0, 0x07, 0x00, 0x10, 0x20, 3, 25, 0x00, 0x09, 0x00, 0x01])
    body = header + time + b"\x11\x22"
    tm = PusTm(0x020, 7, 3, 25, 9, 1, time, b"\x11\x22")
    assert tm.encode() == _with_crc(body)
    assert PusTm.decode(_with_crc(body)) == tm


def test_ack_flags_follow_the_profile_bit_order() -> None:
    pus = DEFAULT_PROFILE.pus
    tc = PusTc(0x10, 0, pus.ack_acceptance | pus.ack_completion, 17, 1)
    assert tc.encode()[6] & 0x0F == 0b1001
    assert tc.encode()[6] >> 4 == 2


@settings(max_examples=100)
@given(pus_tcs(), st.booleans())
def test_tc_round_trip(tc: PusTc, pec: bool) -> None:
    raw = tc.encode(pec)
    assert PusTc.decode(raw, pec) == tc
    assert PusTc.decode(memoryview(raw), pec) == PusTc.decode(bytearray(raw), pec) == tc
    assert tc.primary_header(pec).encode() == raw[:6]
    packet = SpacePacket.decode(raw)
    assert packet.packet_type is PacketType.TC and packet.secondary_header_flag


@settings(max_examples=100)
@given(pus_tms(), st.booleans())
def test_tm_round_trip(tm: PusTm, pec: bool) -> None:
    raw = tm.encode(pec)
    assert PusTm.decode(raw, pec) == tm
    assert PusTm.decode(memoryview(raw), pec) == PusTm.decode(bytearray(raw), pec) == tm
    assert tm.to_space_packet(pec).encode() == raw


@settings(max_examples=100)
@given(pus_tcs())
def test_tc_decodes_identically_with_spacepackets(tc: PusTc) -> None:
    peer = PeerTc.unpack(tc.encode())
    assert (peer.apid, peer.seq_count, peer.service, peer.message_subtype, peer.source_id) == (
        tc.apid, tc.sequence_count, tc.service, tc.subtype, tc.source_id)
    assert peer.pus_tc_sec_header.ack_flags == tc.ack_flags
    assert peer.app_data == tc.app_data


@settings(max_examples=100)
@given(apids, st.integers(0, 16383), octet, octet, word, st.binary(max_size=100))
def test_spacepackets_tc_decodes_identically_with_ours(
    apid: int, count: int, service: int, subtype: int, source: int, data: bytes
) -> None:
    raw = bytes(PeerTc(service=service, message_subtype=subtype, apid=apid, seq_count=count, app_data=data,
                       source_id=source, ack_flags=0b0101).pack())
    assert PusTc.decode(raw) == PusTc(apid, count, 0b0101, service, subtype, source, data)


@settings(max_examples=100)
@given(pus_tms())
def test_tm_decodes_identically_with_spacepackets(tm: PusTm) -> None:
    peer = PeerTm.unpack(tm.encode(), timestamp_len=TIME_LENGTH)
    header = peer.pus_tm_sec_header
    assert (peer.apid, peer.seq_count, peer.service, peer.message_subtype) == (
        tm.apid, tm.sequence_count, tm.service, tm.subtype)
    assert (header.message_counter, header.dest_id, header.spacecraft_time_ref) == (
        tm.message_type_counter, tm.destination_id, tm.spacecraft_time_reference_status)
    assert (peer.timestamp, peer.source_data) == (tm.time, tm.source_data)


@settings(max_examples=100)
@given(apids, st.integers(0, 16383), octet, octet, word, word, st.binary(min_size=6, max_size=6),
       st.binary(max_size=100))
def test_spacepackets_tm_decodes_identically_with_ours(
    apid: int, count: int, service: int, subtype: int, counter: int, dest: int, time: bytes, data: bytes
) -> None:
    raw = bytes(PeerTm(service=service, message_subtype=subtype, timestamp=time, source_data=data, apid=apid,
                       seq_count=count, message_counter=counter, destination_id=dest).pack())
    assert PusTm.decode(raw) == PusTm(apid, count, service, subtype, counter, dest, time, data)


def _tc_raw() -> bytes:
    return PusTc(0x10, 1, 0b1111, 8, 1, app_data=b"\x01\x02").encode()


def _tm_raw() -> bytes:
    return PusTm(0x10, 1, 3, 25, source_data=b"\x01\x02").encode()


def _recrc(raw: bytearray) -> bytes:
    return _with_crc(bytes(raw[:-2]))


@pytest.mark.parametrize(("decoder", "make"), [(PusTc.decode, _tc_raw), (PusTm.decode, _tm_raw)])
def test_wrong_version(decoder: Decoder, make: Maker) -> None:
    raw = bytearray(make())
    raw[0] |= 0b001 << 5
    with pytest.raises(DecodeError) as err:
        decoder(_recrc(raw))
    assert err.value.reason == "wrong_version"


def test_wrong_type_both_ways() -> None:
    with pytest.raises(DecodeError) as err:
        PusTm.decode(_tc_raw())
    assert err.value.reason == "wrong_type"
    with pytest.raises(DecodeError) as err:
        PusTc.decode(_tm_raw())
    assert err.value.reason == "wrong_type"


@pytest.mark.parametrize(("decoder", "make"), [(PusTc.decode, _tc_raw), (PusTm.decode, _tm_raw)])
def test_secondary_header_flag_must_be_set(decoder: Decoder, make: Maker) -> None:
    raw = bytearray(make())
    raw[0] &= ~0x08
    with pytest.raises(DecodeError) as err:
        decoder(_recrc(raw))
    assert err.value.reason == "sec_header_flag"


@pytest.mark.parametrize(("decoder", "make"), [(PusTc.decode, _tc_raw), (PusTm.decode, _tm_raw)])
def test_truncated_and_trailing(decoder: Decoder, make: Maker) -> None:
    raw = make()
    for cut in range(len(raw)):
        with pytest.raises(DecodeError) as err:
            decoder(raw[:cut])
        assert err.value.reason == "truncated"
    with pytest.raises(DecodeError) as err:
        decoder(raw + b"\x00")
    assert err.value.reason == "trailing_bytes"


@pytest.mark.parametrize(("decoder", "minimum"), [(PusTc.decode, 6 + 5 + 2), (PusTm.decode, 6 + 7 + 6 + 2)])
def test_length_field_too_short_for_the_secondary_header(decoder: Decoder, minimum: int) -> None:
    for total in range(7, minimum):
        ptype = 0x18 if decoder == PusTc.decode else 0x08
        raw = bytes([ptype, 0x10, 0xC0, 0x00]) + (total - 7).to_bytes(2, "big") + bytes(total - 6)
        with pytest.raises(DecodeError) as err:
            decoder(raw)
        assert err.value.reason == "length_mismatch"


@pytest.mark.parametrize(("decoder", "make"), [(PusTc.decode, _tc_raw), (PusTm.decode, _tm_raw)])
def test_bad_crc_any_octet(decoder: Decoder, make: Maker) -> None:
    raw = make()
    for index in range(6, len(raw)):
        corrupted = bytearray(raw)
        corrupted[index] ^= 0x01
        with pytest.raises(DecodeError) as err:
            decoder(bytes(corrupted))
        assert err.value.reason == "bad_crc"


@pytest.mark.parametrize(("decoder", "make"), [(PusTc.decode, _tc_raw), (PusTm.decode, _tm_raw)])
@pytest.mark.parametrize("version", [0, 1, 3, 15])
def test_unknown_pus_version(decoder: Decoder, make: Maker, version: int) -> None:
    raw = bytearray(make())
    raw[6] = (version << 4) | (raw[6] & 0x0F)
    with pytest.raises(DecodeError) as err:
        decoder(_recrc(raw))
    assert err.value.reason == "unknown_pus_version"


def test_idle_apid_is_not_a_pus_packet() -> None:
    raw = bytearray(_tm_raw())
    raw[0] |= 0x07
    raw[1] = 0xFF
    with pytest.raises(DecodeError) as err:
        PusTm.decode(_recrc(raw))
    assert err.value.reason == "idle_packet"


def test_pec_off_by_argument_and_by_profile() -> None:
    tc = PusTc(0x10, 1, 0b1111, 17, 1)
    assert len(tc.encode(pec=False)) == len(tc.encode()) - 2
    no_pec = dataclasses.replace(DEFAULT_PROFILE, pus=PusProfile(packet_error_control=False))
    assert tc.encode(profile=no_pec) == tc.encode(pec=False)
    assert PusTc.decode(tc.encode(pec=False), profile=no_pec) == tc


def test_tm_time_length_from_profile_or_argument() -> None:
    tm = PusTm(0x10, 1, 3, 25, time=b"\x01\x02\x03\x04\x05\x06\x07", source_data=b"ab")
    raw = tm.encode()
    assert PusTm.decode(raw, time_length=7) == tm
    seven = LinkProfile(time=TimeProfile(cuc_coarse_octets=4, cuc_fine_octets=3, cuc_pfield=0x1F))
    assert PusTm.decode(raw, profile=seven) == tm
    assert PusTm.decode(raw).source_data != tm.source_data  # the default 6-octet time shifts the data


def test_default_ids_come_from_the_profile() -> None:
    assert PusTc(0x10, 0, 0, 17, 1).source_id == DEFAULT_PROFILE.pus.ground_id
    tm = PusTm(0x10, 0, 17, 2)
    assert tm.destination_id == DEFAULT_PROFILE.pus.ground_id
    assert len(tm.time) == TIME_LENGTH


@pytest.mark.parametrize(
    ("field", "value"),
    [("apid", 2048), ("apid", 0x7FF), ("sequence_count", 16384), ("ack_flags", 16), ("service", 256),
     ("subtype", -1), ("source_id", 65536)],
)
def test_tc_encoder_refuses_values_that_do_not_fit(field: str, value: int) -> None:
    fields = {"apid": 1, "sequence_count": 0, "ack_flags": 0, "service": 17, "subtype": 1, "source_id": 1}
    fields[field] = value
    with pytest.raises(EncodeError):
        PusTc(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [("apid", 4096), ("sequence_count", -1), ("service", 300), ("message_type_counter", 65536),
     ("destination_id", 70000), ("spacecraft_time_reference_status", 16)],
)
def test_tm_encoder_refuses_values_that_do_not_fit(field: str, value: int) -> None:
    fields = {"apid": 1, "sequence_count": 0, "service": 3, "subtype": 25}
    fields[field] = value
    with pytest.raises(EncodeError):
        PusTm(**fields)  # type: ignore[arg-type]


def test_oversized_application_data_is_refused() -> None:
    with pytest.raises(EncodeError):
        PusTc(0x10, 0, 0, 20, 1, app_data=bytes(65536 - 5 - 1))


@settings(max_examples=100)
@given(st.integers(0, 15), octet, octet, word)
def test_tc_secondary_header_round_trip(ack: int, service: int, subtype: int, source: int) -> None:
    header = TcSecondaryHeader(ack, service, subtype, source)
    raw = header.encode()
    assert raw[0] == 0x20 | ack and len(raw) == 5
    assert TcSecondaryHeader.decode(raw) == header


@settings(max_examples=100)
@given(octet, octet, word, word, st.binary(min_size=0, max_size=12), st.integers(0, 15))
def test_tm_secondary_header_round_trip(
    service: int, subtype: int, counter: int, dest: int, time: bytes, status: int
) -> None:
    header = TmSecondaryHeader(service, subtype, counter, dest, time, status)
    raw = header.encode()
    assert raw[0] == 0x20 | status and len(raw) == 7 + len(time)
    assert TmSecondaryHeader.decode(raw, time_length=len(time)) == header


def test_secondary_headers_round_trip_and_are_strict() -> None:
    tc_header = TcSecondaryHeader(0b1010, 17, 1, 300)
    assert TcSecondaryHeader.decode(tc_header.encode()) == tc_header
    tm_header = TmSecondaryHeader(3, 25, 65535, 2, bytes(6), 5)
    assert TmSecondaryHeader.decode(tm_header.encode()) == tm_header
    with pytest.raises(DecodeError, match="truncated"):
        TcSecondaryHeader.decode(tc_header.encode()[:-1])
    with pytest.raises(DecodeError, match="trailing_bytes"):
        TmSecondaryHeader.decode(tm_header.encode() + b"\x00")
    with pytest.raises(DecodeError, match="unknown_pus_version"):
        TcSecondaryHeader.decode(b"\x1f\x11\x01\x00\x01")


def test_request_id_is_the_first_four_octets() -> None:
    tc = PusTc(0x10, 77, 0b1111, 17, 1)
    assert tc.request_id == tc.encode()[:4]


def test_message_type_counter_per_type_wraps() -> None:
    counter = MessageTypeCounter()
    assert [counter.next(3, 25) for _ in range(3)] == [0, 1, 2]
    assert counter.next(3, 26) == 0
    assert counter.next(3, 25, destination_id=9) == 3
    for _ in range(65535 - 4):  # takes 4 .. 65534
        counter.next(3, 25)
    assert counter.next(3, 25) == 65535
    assert counter.next(3, 25) == 0


def test_message_type_counter_per_destination() -> None:
    counter = MessageTypeCounter(CounterScope.PER_DESTINATION)
    assert counter.next(3, 25, 1) == 0
    assert counter.next(5, 1, 1) == 1
    assert counter.next(3, 25, 2) == 0
    assert counter.peek(1, 1, 1) == 2
    counter.reset()
    assert counter.peek(1, 1, 1) == 0


@settings(max_examples=300)
@given(st.binary(max_size=64), st.booleans())
def test_random_bytes_raise_only_decode_error(data: bytes, pec: bool) -> None:
    for decoder in (PusTc.decode, PusTm.decode):
        with contextlib.suppress(DecodeError):
            decoder(data, pec)
    for header in (TcSecondaryHeader.decode, TmSecondaryHeader.decode):
        with contextlib.suppress(DecodeError):
            header(data)


@settings(max_examples=200)
@given(pus_tms(), st.data())
def test_mutated_tm_raises_only_decode_error(tm: PusTm, data: st.DataObject) -> None:
    raw = bytearray(tm.encode())
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] = data.draw(octet)
    with contextlib.suppress(DecodeError):
        PusTm.decode(bytes(raw))
