"""The flight and ground endpoints end to end in memory: commands up through CLTU/SDLS/FARM-1, telemetry down
through the VC multiplexer and ASM, COP-1 recovering over an impaired channel."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.cltu import encode_cltu
from flightsw.ccsds.endpoints import (
    Alert,
    ClcwReceived,
    CommandQueued,
    FarmNotice,
    FlightEndpoint,
    FramesLost,
    GroundEndpoint,
    Outcome,
    RequestResponse,
    TcPacketReceived,
    TmPacketReceived,
    UplinkRejected,
    flight_security,
    ground_security,
)
from flightsw.ccsds.fop import FopState
from flightsw.ccsds.pus import PusTc
from flightsw.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacket
from flightsw.ccsds.sync import StreamSynchroniser
from flightsw.ccsds.tc_frame import TcFrame, segment_header
from flightsw.ccsds.tm_frame import FHP_IDLE, TmFrame, data_field_length
from flightsw.link.impair import Impairment, ImpairmentConfig
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

P = DEFAULT_PROFILE
KEY = bytes(range(32))
SIM_VC = P.tc.vc_simulation


def tc_packet(index: int, size: int = 0, apid: int = P.apids.cdh) -> bytes:
    app_data = bytes((index + i) % 256 for i in range(size))
    return PusTc(apid, index % 16384, 0b1111, 17, 1, app_data=app_data).encode()


def tm_packet(index: int, size: int, apid: int = P.apids.cdh) -> bytes:
    body = bytes((index * 7 + i) % 256 for i in range(size - 6))
    return SpacePacket(PacketType.TM, False, apid, SequenceFlags.UNSEGMENTED, index % 16384, body).encode()


def chunks(data: bytes, rng: random.Random) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        n = rng.randint(1, 300)
        out.append(data[pos : pos + n])
        pos += n
    return out


def feed(endpoint: FlightEndpoint | GroundEndpoint, data: bytes, now: float, rng: random.Random) -> list:
    events: list = []
    for piece in chunks(data, rng):
        events += endpoint.receive(piece, now)
    return events


def up(ground: GroundEndpoint, flight: FlightEndpoint, now: float, rng: random.Random) -> list:
    return feed(flight, ground.transmit(now), now, rng)


def down(ground: GroundEndpoint, flight: FlightEndpoint, now: float, rng: random.Random) -> list:
    return feed(ground, flight.transmit(now), now, rng)


def packets_of(events: list) -> list[bytes]:
    return [e.packet for e in events if isinstance(e, TcPacketReceived | TmPacketReceived)]


def rejected(events: list) -> list[tuple[str, str]]:
    return [(e.layer, e.reason) for e in events if isinstance(e, UplinkRejected)]


def responses(events: list, outcome: Outcome) -> list[int]:
    return [e.request_id for e in events if isinstance(e, RequestResponse) and e.outcome is outcome]


def start(ground: GroundEndpoint, flight: FlightEndpoint, rng: random.Random, now: float = 0.0) -> None:
    events = ground.initiate(now, "unlock")
    events += up(ground, flight, now, rng)
    events += down(ground, flight, now, rng)
    assert ground.fop_state is FopState.ACTIVE, events


# ---- uplink ----


@pytest.mark.parametrize("secured", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_commands_arrive_in_order_once_and_are_confirmed(secured: bool, seed: int) -> None:
    rng = random.Random(seed)
    flight = FlightEndpoint(sdls=flight_security(KEY) if secured else None)
    ground = GroundEndpoint(sdls=ground_security(KEY) if secured else None)
    start(ground, flight, rng)
    sent = [tc_packet(i, rng.randint(0, 200)) for i in range(25)]
    queued: list[int] = []
    got: list = []
    confirmed: list[int] = []
    now = 0.0
    for packet in sent:
        now += 0.01
        events = ground.send(packet, now)
        queued += [e.request_id for e in events if isinstance(e, CommandQueued)]
        confirmed += responses(events, Outcome.POSITIVE_CONFIRM)
        got += up(ground, flight, now, rng)
        confirmed += responses(down(ground, flight, now, rng), Outcome.POSITIVE_CONFIRM)
    for _ in range(5):
        now += 0.01
        got += up(ground, flight, now, rng)
        confirmed += responses(down(ground, flight, now, rng), Outcome.POSITIVE_CONFIRM)
    assert packets_of(got) == sent
    assert all(isinstance(e, TcPacketReceived) and not e.bypass for e in got)
    assert sorted(confirmed) == sorted(queued) and len(queued) == len(sent)
    assert ground.pending == 0
    stats = flight.stats
    assert stats["farm_accepted_ad"] == len(sent) and stats["tc_packets"] == len(sent)
    assert stats.get("sdls_accepted", 0) == (len(sent) + 1 if secured else 0)  # the Unlock is secured too


def test_commands_beyond_the_window_are_queued_not_dropped() -> None:
    rng = random.Random(8)
    flight, ground = FlightEndpoint(), GroundEndpoint()
    start(ground, flight, rng)
    window = P.tc.farm_window // 2
    sent = [tc_packet(i) for i in range(window + 7)]
    for packet in sent:
        ground.send(packet, 0.0)
    first = up(ground, flight, 0.0, rng)
    assert packets_of(first) == sent[:window]  # FOP-1 keeps K = PW frames outstanding
    got = list(first)
    now = 0.0
    while ground.pending and now < 2.0:
        now += 0.01
        down(ground, flight, now, rng)
        got += up(ground, flight, now, rng)
    assert packets_of(got) == sent


def test_not_initiated_and_too_long_are_rejected_with_a_reason() -> None:
    ground = GroundEndpoint()
    events = ground.send(tc_packet(0), 0.0)
    queued = events[0]
    assert isinstance(queued, CommandQueued)
    assert RequestResponse(queued.request_id, Outcome.REJECT, "ad_service_not_initiated") in events
    flight = FlightEndpoint()
    start(ground, flight, random.Random(0))
    too_long = tc_packet(1, P.tc.max_frame_length)
    refused = ground.send(too_long, 0.0)
    assert any(isinstance(e, RequestResponse) and e.reason == "bad_length" for e in refused)
    fits = P.tc.max_frame_length - 5 - 2 - 1
    body = fits - len(tc_packet(0))
    assert not any(e.outcome is Outcome.REJECT for e in ground.send(tc_packet(2, body), 0.0)
                   if isinstance(e, RequestResponse))
    assert packets_of(up(ground, flight, 0.0, random.Random(0))) == [tc_packet(2, body)]


def test_bypass_commands_skip_farm_sequencing() -> None:
    rng = random.Random(3)
    flight, ground = FlightEndpoint(), GroundEndpoint()  # no initiation: BD needs none
    events = ground.send(tc_packet(5), 0.0, bypass=True)
    assert responses(events, Outcome.ACCEPT)
    got = up(ground, flight, 0.0, rng)
    assert got == [TcPacketReceived(P.tc.vc_commands, tc_packet(5), True)]
    assert flight.stats["farm_accepted_bd"] == 1


def test_simulation_vc_needs_simulation_mode() -> None:
    rng = random.Random(4)
    ground = GroundEndpoint()
    injected = tc_packet(9, 24, apid=P.apids.simulation)
    ground.send(injected, 0.0, vcid=SIM_VC)
    cltu = ground.transmit(0.0)
    refused = FlightEndpoint().receive(cltu, 0.0)
    assert refused == [UplinkRejected("vc", "simulation_disabled", f"VC {SIM_VC}")]
    sim = FlightEndpoint(simulation_mode=True)
    assert feed(sim, cltu, 0.0, rng) == [TcPacketReceived(SIM_VC, injected, True)]
    # Type-AD on the simulation VC is refused even in simulation mode.
    ad = TcFrame(P.scid, SIM_VC, 0, segment_header(P.tc.map_id) + injected).encode()
    events = sim.receive(encode_cltu(ad), 0.0)
    assert rejected(events) == [("vc", "type_bd_only")]


def test_simulation_vc_counts_sequence_gaps() -> None:
    ground, sim = GroundEndpoint(), FlightEndpoint(simulation_mode=True)
    cltus = []
    for i in range(4):
        ground.send(tc_packet(i, apid=P.apids.simulation), 0.0, vcid=SIM_VC)
        cltus.append(ground.transmit(0.0))
    for i in (0, 1, 3):  # the third one lost on the way
        sim.receive(cltus[i], 0.0)
    assert sim.stats["sim_sequence_gaps"] == 1
    assert sim.stats["sim_frames"] == 3


def test_sdls_refuses_plain_replayed_and_forged_frames() -> None:
    rng = random.Random(5)
    flight = FlightEndpoint(sdls=flight_security(KEY))
    ground = GroundEndpoint(sdls=ground_security(KEY))
    ground.send(tc_packet(1), 0.0, bypass=True)
    cltu = ground.transmit(0.0)
    assert packets_of(feed(flight, cltu, 0.0, rng)) == [tc_packet(1)]
    replayed = flight.receive(cltu, 0.1)
    assert rejected(replayed) == [("sdls", "replay")]
    plain = GroundEndpoint()
    plain.send(tc_packet(2), 0.0, bypass=True)
    assert [layer for layer, _ in rejected(flight.receive(plain.transmit(0.0), 0.2))] == ["sdls"]
    forger = GroundEndpoint(sdls=ground_security(bytes(32)))
    for _ in range(2):  # move its ARSN above the flight's last accepted one
        forger.send(tc_packet(3), 0.0, bypass=True)
    forger.transmit(0.0)
    forger.send(tc_packet(3), 0.0, bypass=True)
    assert rejected(flight.receive(forger.transmit(0.0), 0.3)) == [("sdls", "bad_mac")]
    stats = flight.stats
    assert stats["sdls_rejected_replay"] == 1 and stats["sdls_rejected_bad_mac"] == 1
    assert stats["tc_packets"] == 1


def test_bad_uplink_input_is_counted_never_raised() -> None:
    rng = random.Random(6)
    flight = FlightEndpoint()
    noise = bytes(rng.randrange(256) for _ in range(5000))
    flight.receive(noise, 0.0)
    # A CLTU whose frame fails its FECF.
    good = TcFrame(P.scid, 0, 0, segment_header(0) + tc_packet(0), bypass=True).encode()
    bad = good[:-1] + bytes((good[-1] ^ 0xFF,))
    events = flight.receive(encode_cltu(bad), 0.0)
    assert rejected(events) == [("cltu", "bad_crc")]
    # Another spacecraft's frame; an unknown VC; a segmented frame; a frame whose packet is cut short.
    other = TcFrame(P.scid + 1, 0, 0, segment_header(0) + tc_packet(0), bypass=True).encode()
    unknown_vc = TcFrame(P.scid, 5, 0, segment_header(0) + tc_packet(0), bypass=True).encode()
    segmented = TcFrame(P.scid, 0, 0, segment_header(0, 0b01) + tc_packet(0), bypass=True).encode()
    cut = TcFrame(P.scid, 0, 0, segment_header(0) + tc_packet(0)[:-3], bypass=True).encode()
    got = [pair for raw in (other, unknown_vc, segmented, cut)
           for pair in rejected(flight.receive(encode_cltu(raw), 0.0))]
    assert got == [("frame", "wrong_scid"), ("vc", "unknown_vc"), ("frame", "segmented_not_supported"),
                   ("packet", "truncated")]
    stats = flight.stats
    assert stats["cltu_rejected_bad_crc"] == 1 and stats["frame_rejected_wrong_scid"] == 1
    assert stats.get("tc_packets", 0) == 0


def test_two_packets_in_one_frame_are_both_delivered() -> None:
    flight = FlightEndpoint()
    raw = TcFrame(P.scid, 0, 0, segment_header(0) + tc_packet(1) + tc_packet(2, 5), bypass=True).encode()
    assert packets_of(flight.receive(encode_cltu(raw), 0.0)) == [tc_packet(1), tc_packet(2, 5)]


def test_lockout_is_reported_and_unlock_recovers() -> None:
    rng = random.Random(9)
    flight, ground = FlightEndpoint(), GroundEndpoint()
    start(ground, flight, rng)
    # A Type-AD frame far outside the FARM window (232.1-B-2 §6.1.8: the lockout area).
    stray = TcFrame(P.scid, 0, 128, segment_header(0) + tc_packet(0)).encode()
    events = flight.receive(encode_cltu(stray), 0.0)
    assert ("farm", "lockout_area") in rejected(events)
    # The notice carries N(S) of the offending frame, for the farm_lockout event.
    assert FarmNotice("state", True, "lockout", 128) in events
    assert Clcw.decode(flight.clcw).lockout
    ground.send(tc_packet(1), 0.1)
    events = up(ground, flight, 0.1, rng)
    assert not packets_of(events)
    alerts = [e for e in down(ground, flight, 0.2, rng) if isinstance(e, Alert)]
    assert alerts and alerts[0].reason.value == "lockout"
    assert ground.pending == 0  # the command was negatively confirmed, not forgotten
    start(ground, flight, rng, now=0.3)
    ground.send(tc_packet(2), 0.3)
    assert packets_of(up(ground, flight, 0.3, rng)) == [tc_packet(2)]
    assert flight.stats["farm_lockouts"] == 1


# ---- downlink ----


def test_tm_packets_spanning_frames_arrive_in_order_per_vc() -> None:
    rng = random.Random(10)
    flight, ground = FlightEndpoint(), GroundEndpoint()
    length = data_field_length(P)
    realtime = [tm_packet(i, rng.randint(7, 3 * length)) for i in range(30)]
    playback = [tm_packet(100 + i, rng.randint(7, 2 * length)) for i in range(10)]
    for i, packet in enumerate(realtime):
        flight.send_tm(packet)
        if i < len(playback):
            flight.send_tm(playback[i], P.tm.vc_playback)
    queued = flight.queued_octets
    assert queued == sum(map(len, realtime)) + sum(map(len, playback))
    stream = flight.transmit(0.0)
    assert flight.queued_octets == 0
    assert len(stream) % (len(P.tm.asm) + P.tm.frame_length) == 0
    events = feed(ground, stream, 0.0, rng)
    got_rt = [e.packet for e in events if isinstance(e, TmPacketReceived) and e.vcid == P.tm.vc_realtime]
    got_pb = [e.packet for e in events if isinstance(e, TmPacketReceived) and e.vcid == P.tm.vc_playback]
    assert got_rt == realtime and got_pb == playback
    assert not [e for e in events if isinstance(e, FramesLost)]


def test_transmit_is_empty_when_nothing_is_due_and_respects_max_octets() -> None:
    flight = FlightEndpoint()
    unit = len(P.tm.asm) + P.tm.frame_length
    assert len(flight.transmit(0.0)) == unit  # the first idle frame
    assert flight.transmit(0.5) == b""
    for i in range(20):
        flight.send_tm(tm_packet(i, 200))
    assert flight.transmit(0.6, max_octets=unit - 1) == b""
    out = flight.transmit(0.6, max_octets=3 * unit + 10)
    assert len(out) == 3 * unit
    total = sum(len(tm_packet(i, 200)) for i in range(20))
    assert flight.queued_octets == total - 3 * data_field_length(P)


def test_queued_octets_are_counted_per_virtual_channel() -> None:
    flight = FlightEndpoint()
    unit = len(P.tm.asm) + P.tm.frame_length
    realtime = [tm_packet(i, 200) for i in range(3)]
    playback = [tm_packet(50 + i, 300) for i in range(2)]
    for packet in realtime:
        flight.send_tm(packet)
    for packet in playback:
        flight.send_tm(packet, P.tm.vc_playback)
    assert flight.queued_octets_on(P.tm.vc_realtime) == 600
    assert flight.queued_octets_on(P.tm.vc_playback) == 600
    assert flight.queued_octets_on(P.tm.vc_idle) == 0
    flight.transmit(0.0, max_octets=unit)  # the first frame is the idle one
    while flight.queued_octets_on(P.tm.vc_playback) == 600:
        flight.transmit(0.0, max_octets=unit)
    # Each VC drains first in, first out by whole data fields.
    assert flight.queued_octets_on(P.tm.vc_playback) == 600 - data_field_length(P)
    assert flight.queued_octets == (flight.queued_octets_on(P.tm.vc_realtime)
                                    + flight.queued_octets_on(P.tm.vc_playback))


def idle_frames(stream: bytes, profile: LinkProfile = P) -> list[TmFrame]:
    sync = StreamSynchroniser(profile)
    frames = [TmFrame.decode(f, profile) for f in sync.feed(stream)]
    return [f for f in frames if f.vcid == profile.tm.vc_idle]


@pytest.mark.parametrize("loaded", [False, True])
def test_idle_frames_every_interval_carry_the_clcw(loaded: bool) -> None:
    profile = replace(P, tm=replace(P.tm, randomise=True))  # and through the randomiser
    flight = FlightEndpoint(profile)
    interval = profile.tm.idle_frame_interval_s
    step = interval / 8
    idle_times: list[float] = []
    unit = len(profile.tm.asm) + profile.tm.frame_length
    for k in range(81):
        now = k * step
        if loaded:
            while flight.queued_octets < 4 * unit:
                flight.send_tm(tm_packet(k, 500))
        stream = flight.transmit(now, max_octets=2 * unit)
        for frame in idle_frames(stream, profile):
            assert frame.first_header_pointer == FHP_IDLE
            assert frame.ocf == flight.clcw
            idle_times.append(now)
    assert idle_times[0] == 0.0
    gaps = [b - a for a, b in itertools.pairwise(idle_times)]
    assert len(idle_times) >= 10 and max(gaps) <= interval + 1e-9
    assert flight.stats["tm_idle_frames"] == len(idle_times)


def test_a_changed_clcw_goes_down_at_once() -> None:
    rng = random.Random(11)
    flight, ground = FlightEndpoint(), GroundEndpoint()
    flight.transmit(0.0)
    ground.initiate(0.01, "unlock")
    up(ground, flight, 0.01, rng)
    frames = idle_frames(flight.transmit(0.02))
    assert len(frames) == 1 and frames[0].ocf == flight.clcw
    assert flight.transmit(0.03) == b""


def test_ground_reports_clcw_and_lost_frames() -> None:
    rng = random.Random(12)
    flight, ground = FlightEndpoint(), GroundEndpoint()
    for i in range(6):
        flight.send_tm(tm_packet(i, 100))
    stream = flight.transmit(0.0)
    unit = len(P.tm.asm) + P.tm.frame_length
    events = feed(ground, stream[:unit] + stream[2 * unit :], 0.0, rng)
    clcws = [e.clcw for e in events if isinstance(e, ClcwReceived)]
    assert clcws and clcws[0] == Clcw.decode(flight.clcw)
    assert any(isinstance(e, FramesLost) and e.vcid is None for e in events)
    assert ground.stats["tm_frames_lost"] == 1


# ---- COP-1 over an impaired channel ----


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("secured", [False, True])
def test_fop_recovers_over_an_impaired_channel(seed: int, secured: bool) -> None:
    """Whole CLTUs and TM frames dropped, bit errors on both directions: every command still arrives
    exactly once and in order, and each is positively confirmed."""
    rng = random.Random(seed)
    flight = FlightEndpoint(sdls=flight_security(KEY) if secured else None)
    ground = GroundEndpoint(sdls=ground_security(KEY) if secured else None, t1_initial=0.4,
                            transmission_limit=100)
    uplink = Impairment(ImpairmentConfig(units="cltu", unit_drop_rate=0.25, unit_duplicate_rate=0.05,
                                         bit_error_rate=2e-4), seed=seed)
    downlink = Impairment(ImpairmentConfig(units="tm", unit_drop_rate=0.25, bit_error_rate=1e-4),
                          seed=seed + 1000)
    sent = [tc_packet(i, rng.randint(0, 60)) for i in range(40)]
    got: list[bytes] = []
    confirmed: set[int] = set()
    queued: list[int] = []
    now = 0.0
    events = ground.initiate(now, "unlock")
    next_send = 0
    for _ in range(20000):
        now += 0.02
        if ground.fop_state is FopState.ACTIVE and next_send < len(sent) and rng.random() < 0.5:
            events += ground.send(sent[next_send], now)
            next_send += 1
        events += ground.tick(now)
        up_bytes = uplink.process(ground.transmit(now), now)
        got += packets_of(flight.receive(up_bytes, now))
        down_bytes = downlink.process(flight.transmit(now), now)
        events += ground.receive(down_bytes, now)
        assert not [e for e in events if isinstance(e, Alert)], events
        queued += [e.request_id for e in events if isinstance(e, CommandQueued)]
        confirmed.update(responses(events, Outcome.POSITIVE_CONFIRM))
        events = []
        if next_send == len(sent) and ground.pending == 0:
            break
    assert got == sent
    assert confirmed >= set(queued) and len(queued) == len(sent)
    assert uplink.counters.units_dropped > 0 and downlink.counters.units_dropped > 0
    assert ground.stats["tc_retransmissions"] > 0
    assert flight.stats["farm_discarded"] > 0  # duplicates and gaps were seen and refused


def test_farm_wait_holds_commands_until_the_buffer_is_released() -> None:
    rng = random.Random(13)
    flight = FlightEndpoint(farm_buffer=2)
    ground = GroundEndpoint(t1_initial=0.5, transmission_limit=50)
    start(ground, flight, rng)
    sent = [tc_packet(i) for i in range(6)]
    for packet in sent:
        ground.send(packet, 0.0)
    got = packets_of(up(ground, flight, 0.0, rng))
    assert got == sent[:2]  # the third finds no buffer: FARM-1 enters Wait (232.1-B-2 §6, E2)
    assert Clcw.decode(flight.clcw).wait and flight.stats["farm_waits"] == 1
    now = 0.0
    consumed = 0
    while ground.pending and now < 20.0:
        now += 0.05
        down(ground, flight, now, rng)
        ground.tick(now)
        got += packets_of(up(ground, flight, now, rng))
        while consumed < len(got):  # the layer above takes each command, then signals it
            flight.release_farm_buffer()
            consumed += 1
    assert got == sent
    assert not Clcw.decode(flight.clcw).wait


def test_a_non_default_profile_end_to_end() -> None:
    """Randomised TC and TM, another SCID, SDLS with encryption: both ends follow the one profile."""
    profile = replace(P, scid=300, tc=replace(P.tc, randomise=True), tm=replace(P.tm, randomise=True),
                      sdls=replace(P.sdls, encrypt=True))
    rng = random.Random(14)
    flight = FlightEndpoint(profile, sdls=flight_security(KEY, profile))
    ground = GroundEndpoint(profile, sdls=ground_security(KEY, profile))
    start(ground, flight, rng)
    secret = tc_packet(1, 40)
    ground.send(secret, 0.0)
    uplink = ground.transmit(0.0)
    assert secret[6:] not in uplink  # encrypted, and randomised on top
    assert packets_of(feed(flight, uplink, 0.0, rng)) == [secret]
    flight.send_tm(tm_packet(1, 700))
    events = down(ground, flight, 0.1, rng)
    assert packets_of(events) == [tm_packet(1, 700)]
    assert responses(events, Outcome.POSITIVE_CONFIRM)
    # The default profile's ends understand none of it.
    assert not packets_of(FlightEndpoint().receive(uplink, 0.0))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.integers(0, 2**32 - 1))
def test_neither_end_raises_on_arbitrary_or_mangled_input(noise: bytes, seed: int) -> None:
    rng = random.Random(seed)
    flight = FlightEndpoint(sdls=flight_security(KEY), simulation_mode=bool(seed & 1))
    ground = GroundEndpoint(sdls=ground_security(KEY))
    ground.initiate(0.0, "unlock")
    ground.send(tc_packet(1, 30), 0.0, bypass=True)
    ground.send(tc_packet(2, 30), 0.0, vcid=SIM_VC)
    uplink = bytearray(ground.transmit(0.0))
    flight.send_tm(tm_packet(1, 600))
    downlink = bytearray(flight.transmit(0.0))
    for stream in (uplink, downlink):
        for _ in range(rng.randint(0, 5)):
            stream[rng.randrange(len(stream))] ^= 1 << rng.randrange(8)
        at = rng.randrange(len(stream))
        stream[at:at] = noise[: rng.randint(0, len(noise))]
    for piece in chunks(bytes(uplink) + noise, rng):
        for event in flight.receive(piece, 0.1):
            assert isinstance(event, TcPacketReceived | UplinkRejected | FarmNotice)
    for piece in chunks(bytes(downlink) + noise, rng):
        ground.receive(piece, 0.1)
    ground.tick(10.0)
