"""The link impairment: seeded, counted, unit-aware; and its pump between two real pty pairs."""

from __future__ import annotations

import random
import time

import pytest

from flightsw.ccsds.cltu import CltuDecoder
from flightsw.ccsds.endpoints import FlightEndpoint, GroundEndpoint
from flightsw.ccsds.pus import PusTc
from flightsw.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacket
from flightsw.ccsds.sync import StreamSynchroniser
from flightsw.errors import ConfigError
from flightsw.link import Impairment, ImpairmentConfig, ImpairmentProxy, PtyPair, open_link
from flightsw.link.impair import UnitKind
from flightsw.profile import DEFAULT_PROFILE

P = DEFAULT_PROFILE
UNIT = len(P.tm.asm) + P.tm.frame_length
LIMIT_S = 20.0  # a hang guard, not a timing assertion


def tm_stream(frames: int) -> bytes:
    flight = FlightEndpoint()
    for i in range(frames):
        body = bytes((i + k) % 256 for k in range(200))
        packet = SpacePacket(PacketType.TM, False, P.apids.cdh, SequenceFlags.UNSEGMENTED, i, body)
        flight.send_tm(packet.encode())
    return flight.transmit(0.0)  # an idle frame, then the packets' frames


def cltu_stream(count: int) -> bytes:
    ground = GroundEndpoint()
    for i in range(count):
        ground.send(PusTc(P.apids.cdh, i, 0b1111, 17, 1, app_data=bytes(range(i * 7 % 90))).encode(), 0.0,
                    bypass=True)
    return ground.transmit(0.0)


def bit_distance(a: bytes, b: bytes) -> int:
    return sum(bin(x ^ y).count("1") for x, y in zip(a, b, strict=True))


def test_a_clear_channel_passes_everything_in_any_chunking() -> None:
    data = tm_stream(20)
    kinds: tuple[UnitKind, ...] = ("none", "tm", "cltu")
    for units in kinds:
        channel = Impairment(ImpairmentConfig(units=units))
        rng = random.Random(1)
        out, pos = b"", 0
        while pos < len(data):
            n = rng.randint(1, 700)
            out += channel.process(data[pos : pos + n], 0.0)
            pos += n
        out += channel.flush()
        assert out == data
        assert channel.counters.octets_in == channel.counters.octets_out == len(data)


def test_bit_errors_are_counted_exactly_and_seeded() -> None:
    data = bytes(200_000)
    config = ImpairmentConfig(bit_error_rate=1e-3)
    out = Impairment(config, seed=3).process(data, 0.0)
    channel = Impairment(config, seed=3)
    again = channel.process(data, 0.0)
    assert out == again  # same seed, same channel
    flipped = bit_distance(data, out)
    assert flipped == channel.counters.bits_flipped
    expected = len(data) * 8 * 1e-3
    assert abs(flipped - expected) < 6 * expected**0.5  # binomial, six standard deviations
    assert Impairment(config, seed=4).process(data, 0.0) != out


def test_octet_drops_and_duplicates_are_counted() -> None:
    data = bytes(range(256)) * 200
    channel = Impairment(ImpairmentConfig(byte_drop_rate=0.01, byte_duplicate_rate=0.02), seed=5)
    out = channel.process(data, 0.0)
    c = channel.counters
    assert c.bytes_dropped > 0 and c.bytes_duplicated > 0
    assert len(out) == len(data) - c.bytes_dropped + c.bytes_duplicated
    assert c.octets_out == len(out)


def test_tm_units_are_dropped_and_duplicated_whole() -> None:
    data = tm_stream(60)
    frames_in = len(data) // UNIT
    channel = Impairment(ImpairmentConfig(units="tm", unit_drop_rate=0.2, unit_duplicate_rate=0.1), seed=6)
    out = channel.process(data, 0.0)
    c = channel.counters
    assert c.units_seen == frames_in and c.units_dropped > 0 and c.units_duplicated > 0
    assert len(out) == UNIT * (frames_in - c.units_dropped + c.units_duplicated)
    sync = StreamSynchroniser()
    frames = sync.feed(out)
    assert len(frames) == frames_in - c.units_dropped + c.units_duplicated
    assert sync.counters.crc_errors == 0 and sync.counters.bytes_discarded == 0  # whole units only


def test_cltu_units_are_found_and_dropped_whole() -> None:
    data = cltu_stream(40)
    channel = Impairment(ImpairmentConfig(units="cltu", unit_drop_rate=0.3), seed=7)
    out = b""
    for i in range(0, len(data), 33):
        out += channel.process(data[i : i + 33], 0.0)
    c = channel.counters
    assert c.units_seen == 40 and 0 < c.units_dropped < 40
    decoder = CltuDecoder()
    assert len(decoder.feed(out)) == 40 - c.units_dropped
    assert not decoder.counters.rejections


def test_delayed_units_come_later_and_are_overtaken() -> None:
    data = tm_stream(30)
    channel = Impairment(ImpairmentConfig(units="tm", unit_delay_rate=0.3, delay_s=0.5), seed=8)
    first = channel.process(data, 10.0)
    delayed = channel.counters.units_delayed
    assert delayed > 0 and len(first) == len(data) - delayed * UNIT
    assert channel.held_octets == delayed * UNIT
    assert channel.process(b"", 10.4) == b""
    late = channel.process(b"", 10.5)
    assert len(late) == delayed * UNIT and channel.held_octets == 0
    units = [data[i : i + UNIT] for i in range(0, len(data), UNIT)]
    received = [(first + late)[i : i + UNIT] for i in range(0, len(first + late), UNIT)]
    assert sorted(received) == sorted(units) and received != units


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(ConfigError):
        ImpairmentConfig(bit_error_rate=1.5)
    with pytest.raises(ConfigError):
        ImpairmentConfig(delay_s=-1)
    with pytest.raises(ConfigError):
        ImpairmentConfig(units="frames")  # type: ignore[arg-type]


def test_proxy_pumps_between_two_pty_pairs() -> None:
    data = tm_stream(40)
    frames_in = len(data) // UNIT
    with PtyPair() as a, PtyPair() as b, open_link(a.path) as sender, open_link(b.path) as receiver:
        forward = Impairment(ImpairmentConfig(units="tm", unit_drop_rate=0.25), seed=9)
        backward = Impairment(ImpairmentConfig(bit_error_rate=0.0), seed=10)
        with ImpairmentProxy(a.master(), b.master(), forward, backward) as proxy:
            assert sender.write(data) == len(data)
            assert receiver.write(b"ack") == 3
            got, back = b"", b""
            deadline = time.monotonic() + LIMIT_S
            while time.monotonic() < deadline:
                got += receiver.read(65536, 0.05)
                back += sender.read(100, 0.0)
                if forward.counters.units_seen == frames_in and len(got) == forward.counters.octets_out \
                            and back == b"ack":
                    break
        assert not proxy.errors
    assert forward.counters.units_dropped > 0
    assert len(got) == (frames_in - forward.counters.units_dropped) * UNIT
    assert back == b"ack"
    assert len(StreamSynchroniser().feed(got)) == frames_in - forward.counters.units_dropped
