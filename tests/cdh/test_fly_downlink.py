"""The flight loop's downlink against a transport that takes only part of each write (a slow ground reader):
every TM frame reaches the ground whole and in order, and a stalled reader backs TM up on board instead of
losing it."""

from __future__ import annotations

from pathlib import Path

from flightsw.ccsds.endpoints import FrameRejected, FramesLost, GroundEndpoint, TmPacketReceived
from flightsw.ccsds.pus import PusTm
from flightsw.cdh.config import FlightConfig
from flightsw.cdh.fly import MAX_UNSENT_OCTETS, FlightSoftware
from flightsw.cdh.scheduler import SimulatedClock
from flightsw.profile import DEFAULT_PROFILE

PINGS = 300
PAYLOAD = bytes(range(100))  # 300 of these fill more than the endpoint's frame queue


class SlowReaderTransport:
    """A byte link whose far end takes at most ``per_write`` octets per write (0: it reads nothing)."""

    def __init__(self, per_write: int) -> None:
        self.per_write = per_write
        self.delivered = bytearray()
        self.writes = 0

    def read(self, max_octets: int, timeout: float) -> bytes:
        return b""

    def write(self, data: bytes) -> int:
        self.writes += 1
        taken = data[:self.per_write]
        self.delivered += taken
        return len(taken)

    def close(self) -> None:
        """Nothing to release."""


def fly(tmp_path: Path, transport: SlowReaderTransport) -> tuple[FlightSoftware, SimulatedClock]:
    clock = SimulatedClock()
    software = FlightSoftware(FlightConfig(state_dir=tmp_path / "state"), transport, simulation=False,
                              baud=DEFAULT_PROFILE.baud, clock=clock)
    return software, clock


def ground_packets(stream: bytes | bytearray) -> tuple[list[PusTm], list[FramesLost | FrameRejected]]:
    """The TM packets a ground endpoint decodes from ``stream``, and its frame loss or rejection events."""
    ground = GroundEndpoint(DEFAULT_PROFILE)
    packets: list[PusTm] = []
    problems: list[FramesLost | FrameRejected] = []
    for event in ground.receive(bytes(stream), 0.0):
        if isinstance(event, TmPacketReceived):
            packets.append(PusTm.decode(event.packet, profile=DEFAULT_PROFILE))
        elif isinstance(event, FramesLost | FrameRejected):
            problems.append(event)
    return packets, problems


def pings_received(packets: list[PusTm]) -> list[int]:
    pings = [tm for tm in packets if (tm.service, tm.subtype) == (17, 2)]
    assert all(tm.source_data == PAYLOAD for tm in pings)
    return [tm.sequence_count for tm in pings]


def test_short_writes_lose_no_frame(tmp_path: Path) -> None:
    transport = SlowReaderTransport(per_write=97)  # not a multiple of anything in a frame
    software, _ = fly(tmp_path, transport)
    try:
        sent = [software.executive.emit_tm(17, 2, PAYLOAD).sequence_count for _ in range(PINGS)]
        software.scheduler.run(frames=1500)  # 15 s: 97 octets every 10 ms is about 9.7 kB/s
        packets, problems = ground_packets(transport.delivered)
        assert problems == []
        assert pings_received(packets) == sent
        assert software.link_stats["short_writes"] > 0
        assert software.executive.stats["tm_lost"] == 0
    finally:
        software.shutdown()


def test_a_stalled_reader_backs_tm_up_on_board_and_gets_it_later(tmp_path: Path) -> None:
    transport = SlowReaderTransport(per_write=0)
    software, _ = fly(tmp_path, transport)
    try:
        sent = [software.executive.emit_tm(17, 2, PAYLOAD).sequence_count for _ in range(PINGS)]
        software.scheduler.run(frames=300)
        # Bounded: what was taken from the endpoint and not written stays within the bound.
        assert 0 < software.unsent_octets <= MAX_UNSENT_OCTETS
        assert len(software.executive.outbox) > 0  # the rest waits on board
        transport.per_write = 4096  # the reader wakes up
        software.scheduler.run(frames=1500)
        packets, problems = ground_packets(transport.delivered)
        assert problems == []
        assert pings_received(packets) == sent
        assert software.executive.stats["tm_lost"] == 0
    finally:
        software.shutdown()


def test_storage_forgets_played_back_tm_only_once_the_transport_took_it(tmp_path: Path) -> None:
    transport = SlowReaderTransport(per_write=97)
    software, _ = fly(tmp_path, transport)
    executive = software.executive
    ground = GroundEndpoint(DEFAULT_PROFILE)
    try:
        executive.set_link_up(False)  # TM goes to storage ...
        stored = [executive.emit_tm(17, 2, PAYLOAD).sequence_count for _ in range(PINGS)]
        assert len(executive.spool) >= PINGS
        executive.set_link_up(True)  # ... and is played back on VC1 once the link is back
        played: list[int] = []
        delivered = 0
        for _ in range(1500):
            software.scheduler.run(frames=1)
            for event in ground.receive(bytes(transport.delivered[delivered:]), 0.0):
                assert not isinstance(event, FramesLost | FrameRejected)
                if isinstance(event, TmPacketReceived) and event.vcid == DEFAULT_PROFILE.tm.vc_playback:
                    tm = PusTm.decode(event.packet, profile=DEFAULT_PROFILE)
                    if (tm.service, tm.subtype) == (17, 2):
                        played.append(tm.sequence_count)
            delivered = len(transport.delivered)
            forgotten = PINGS - len(executive.spool)
            # Never forgotten before the ground could have it whole.
            assert forgotten <= len(played)
        assert played == stored
        assert len(executive.spool) == 0
    finally:
        software.shutdown()
