"""Space Packets, the CUC time field and PUS-C TC/TM packets in C against flightsw.ccsds.spacepacket,
timecode and pus: byte-identical building, equal parsing, the same rejection reasons, the same counters."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.pus import MessageTypeCounter, PusTc, PusTm
from flightsw.ccsds.spacepacket import PrimaryHeader, SequenceCounter, SequenceFlags, SpacePacket
from flightsw.ccsds.timecode import Cuc
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE
from tests.csubset.cstack import CStack, CStatusError
from tests.csubset.damage import damage

TIME_LENGTH = DEFAULT_PROFILE.time.cuc_coarse_octets + DEFAULT_PROFILE.time.cuc_fine_octets

pus_tcs = st.builds(
    PusTc,
    apid=st.integers(0, 0x7FE),
    sequence_count=st.integers(0, 0x3FFF),
    ack_flags=st.integers(0, 15),
    service=st.integers(0, 255),
    subtype=st.integers(0, 255),
    source_id=st.integers(0, 0xFFFF),
    app_data=st.binary(max_size=200),
    sequence_flags=st.sampled_from(SequenceFlags),
)

pus_tms = st.builds(
    PusTm,
    apid=st.integers(0, 0x7FE),
    sequence_count=st.integers(0, 0x3FFF),
    service=st.integers(0, 255),
    subtype=st.integers(0, 255),
    message_type_counter=st.integers(0, 0xFFFF),
    destination_id=st.integers(0, 0xFFFF),
    time=st.binary(min_size=TIME_LENGTH, max_size=TIME_LENGTH),
    source_data=st.binary(max_size=200),
    spacecraft_time_reference_status=st.integers(0, 15),
    sequence_flags=st.sampled_from(SequenceFlags),
)


def outcome(call: Callable[..., object], *args: object) -> object:
    try:
        return call(*args)
    except (DecodeError, CStatusError) as exc:
        return exc.reason


@settings(max_examples=200, deadline=None)
@given(tc=pus_tcs, pec=st.booleans())
def test_tc_build_and_parse_agree(cstack: CStack, tc: PusTc, pec: bool) -> None:
    raw = tc.encode(pec)
    assert cstack.pus_tc_encode(tc, pec) == raw
    assert cstack.pus_tc_decode(raw, pec) == tc


@settings(max_examples=200, deadline=None)
@given(tm=pus_tms, pec=st.booleans())
def test_tm_build_and_parse_agree(cstack: CStack, tm: PusTm, pec: bool) -> None:
    raw = tm.encode(pec)
    assert cstack.pus_tm_encode(tm, pec) == raw
    assert cstack.pus_tm_decode(raw, pec) == tm


@settings(max_examples=300, deadline=None)
@given(packet=st.one_of(pus_tcs.map(PusTc.encode), pus_tms.map(PusTm.encode)), pec=st.booleans(),
       data=st.data())
def test_parse_of_damaged_packets_agrees(
    cstack: CStack, packet: bytes, pec: bool, data: st.DataObject
) -> None:
    raw = damage(packet, data, header_length=13, max_extension=3)
    assert outcome(cstack.pus_tc_decode, raw, pec) == outcome(PusTc.decode, raw, pec)
    assert outcome(cstack.pus_tm_decode, raw, pec) == outcome(PusTm.decode, raw, pec)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=30), pec=st.booleans())
def test_parse_of_random_octets_agrees(cstack: CStack, raw: bytes, pec: bool) -> None:
    assert outcome(cstack.pus_tc_decode, raw, pec) == outcome(PusTc.decode, raw, pec)
    assert outcome(cstack.pus_tm_decode, raw, pec) == outcome(PusTm.decode, raw, pec)


def test_idle_apid_is_refused_when_building(cstack: CStack) -> None:
    with pytest.raises(EncodeError) as python:
        PusTc(apid=0x7FF, sequence_count=0, ack_flags=0, service=17, subtype=1)
    c_tc = cstack.ffi.new("ccsds_pus_tc *", {"apid": 0x7FF, "service": 17, "subtype": 1})
    out = cstack.ffi.new("uint8_t[64]")
    length = cstack.ffi.new("size_t *")
    assert cstack.reason(cstack.lib.ccsds_pus_tc_encode(c_tc, True, out, 64, length)) == python.value.reason
    c_tm = cstack.ffi.new("ccsds_pus_tm *", {"apid": 0x10, "time_reference_status": 16})
    assert cstack.reason(cstack.lib.ccsds_pus_tm_encode(c_tm, True, out, 64, length)) == "out_of_range"
    c_tm.time_reference_status = 0
    assert cstack.reason(cstack.lib.ccsds_pus_tm_encode(c_tm, True, out, 10, length)) == "buffer_too_small"


@settings(max_examples=200, deadline=None)
@given(coarse=st.integers(0, 2**32 - 1), fine=st.integers(0, 2**16 - 1))
def test_cuc_agrees(cstack: CStack, coarse: int, fine: int) -> None:
    raw = cstack.cuc_encode(coarse, fine)
    assert raw == Cuc(coarse, fine).encode()
    assert cstack.cuc_decode(raw) == (coarse, fine)


def test_cuc_out_of_range(cstack: CStack) -> None:
    for coarse, fine in ((2**32, 0), (0, 2**16)):
        with pytest.raises(EncodeError) as python:
            Cuc(coarse, fine)
        with pytest.raises(CStatusError) as c:
            cstack.cuc_encode(coarse, fine)
        assert c.value.reason == python.value.reason
    with pytest.raises(CStatusError, match="truncated"):
        cstack.cuc_decode(bytes(TIME_LENGTH - 1))


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=6, max_size=6))
def test_primary_header_agrees(cstack: CStack, raw: bytes) -> None:
    header = cstack.ffi.new("ccsds_packet_header *")
    status = cstack.lib.ccsds_packet_header_decode(raw, 6, header)
    try:
        expected = PrimaryHeader.decode(raw)
    except DecodeError as exc:
        assert cstack.reason(status) == exc.reason
        return
    cstack.check(status)
    got = (header.packet_type, bool(header.secondary_header_flag), header.apid, header.sequence_flags,
           header.sequence_count, header.data_length)
    assert got == (int(expected.packet_type), expected.secondary_header_flag, expected.apid,
                   int(expected.sequence_flags), expected.sequence_count, expected.data_length)
    out = cstack.ffi.new("uint8_t[6]")
    cstack.check(cstack.lib.ccsds_packet_header_encode(header, out))
    assert bytes(out) == expected.encode() == raw


@settings(max_examples=100, deadline=None)
@given(length=st.integers(7, 400), count=st.integers(0, 0x3FFF), fill=st.integers(0, 255))
def test_idle_packet_is_byte_identical(cstack: CStack, length: int, count: int, fill: int) -> None:
    out = cstack.ffi.new("uint8_t[]", length)
    cstack.check(cstack.lib.ccsds_idle_packet(length, count, fill, out, length))
    assert bytes(out) == SpacePacket.idle(length, sequence_count=count, fill=fill).encode()


def test_idle_packet_shorter_than_seven_octets_is_refused(cstack: CStack) -> None:
    out = cstack.ffi.new("uint8_t[8]")
    assert cstack.reason(cstack.lib.ccsds_idle_packet(6, 0, 0, out, 8)) == "out_of_range"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=200))
def test_message_type_counters_agree(cstack: CStack, types: list[tuple[int, int]]) -> None:
    python = MessageTypeCounter()
    counter = cstack.ffi.new("ccsds_message_type_counter *")
    cstack.check(cstack.lib.ccsds_message_type_counter_init(counter))
    value = cstack.ffi.new("uint16_t *")
    for service, subtype in types:
        cstack.check(cstack.lib.ccsds_message_type_counter_next(counter, service, subtype, value))
        assert value[0] == python.next(service, subtype)


def test_message_type_counter_wraps_at_16_bits(cstack: CStack) -> None:
    counter = cstack.ffi.new("ccsds_message_type_counter *")
    cstack.check(cstack.lib.ccsds_message_type_counter_init(counter))
    value = cstack.ffi.new("uint16_t *")
    seen = []
    for _ in range(2**16 + 2):
        cstack.check(cstack.lib.ccsds_message_type_counter_next(counter, 3, 25, value))
        seen.append(value[0])
    assert seen[-3:] == [0xFFFF, 0, 1]


def test_message_type_counter_table_full(cstack: CStack) -> None:
    counter = cstack.ffi.new("ccsds_message_type_counter *")
    cstack.check(cstack.lib.ccsds_message_type_counter_init(counter))
    value = cstack.ffi.new("uint16_t *")
    for subtype in range(cstack.lib.CCSDS_MESSAGE_TYPE_SLOTS):
        cstack.check(cstack.lib.ccsds_message_type_counter_next(counter, 1, subtype, value))
    status = cstack.lib.ccsds_message_type_counter_next(counter, 1, 255, value)
    assert cstack.reason(status) == "no_space"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from([0x010, 0x020, 0x030, 0x7FF]), max_size=100), st.integers(0, 0x3FFF))
def test_sequence_counters_agree(cstack: CStack, apids: list[int], start: int) -> None:
    python = SequenceCounter()
    counter = cstack.ffi.new("ccsds_sequence_counter *")
    cstack.check(cstack.lib.ccsds_sequence_counter_init(counter))
    value = cstack.ffi.new("uint16_t *")
    # Start one APID near the wrap on both sides.
    python.set(0x010, start)
    counter.used = 1
    counter.apid[0] = 0x010
    counter.next[0] = start
    for apid in [*apids, *[0x010] * 3]:
        cstack.check(cstack.lib.ccsds_sequence_counter_next(counter, apid, value))
        assert value[0] == python.next(apid)


@pytest.mark.parametrize("fix_crc", [False, True])
@pytest.mark.parametrize("kind", ["tc", "tm"])
def test_wrong_pus_version_and_crc_are_checked_in_the_same_order(cstack: CStack, kind: str,
                                                                 fix_crc: bool) -> None:
    from flightsw.ccsds.crc import crc16_bytes

    c_decode: Callable[..., object]
    py_decode: Callable[..., object]
    if kind == "tc":
        raw = bytearray(PusTc(0x20, 1, 1, 17, 1, app_data=b"ab").encode())
        c_decode, py_decode = cstack.pus_tc_decode, PusTc.decode
    else:
        raw = bytearray(PusTm(0x20, 1, 3, 25, source_data=b"ab").encode())
        c_decode, py_decode = cstack.pus_tm_decode, PusTm.decode
    raw[6] = (1 << 4) | (raw[6] & 0x0F)  # PUS-A version number
    if fix_crc:
        raw[-2:] = crc16_bytes(bytes(raw[:-2]))
    expected = "unknown_pus_version" if fix_crc else "bad_crc"
    assert outcome(py_decode, bytes(raw)) == expected
    assert outcome(c_decode, bytes(raw)) == expected
