"""A real pty pair carrying endpoint traffic both ways through the real transports, and a device that
disappears and returns under a reconnecting transport."""

from __future__ import annotations

import os
import time

import pytest

from flightsw.ccsds.endpoints import (
    FlightEndpoint,
    GroundEndpoint,
    Outcome,
    RequestResponse,
    TcPacketReceived,
    TmPacketReceived,
)
from flightsw.ccsds.pus import PusTc
from flightsw.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacket
from flightsw.link import LinePacer, PtyPair, ReconnectingTransport, open_link
from flightsw.link.transport import Transport
from flightsw.profile import DEFAULT_PROFILE

P = DEFAULT_PROFILE
LIMIT_S = 20.0  # a hang guard, not a timing assertion


def read_exactly(transport: Transport, count: int) -> bytes:
    out = b""
    deadline = time.monotonic() + LIMIT_S
    while len(out) < count and time.monotonic() < deadline:
        out += transport.read(count - len(out), 0.2)
    return out


def test_pty_is_raw_both_ways_and_cleans_up() -> None:
    every_octet = bytes(range(256)) * 8  # CR, LF, ^C, ^D, ^S, DEL... must all cross unchanged
    with PtyPair() as pair:
        link_path = pair.link_path
        assert os.path.realpath(pair.path) == pair.slave_name
        with open_link(pair.path) as flight:
            ground = pair.master()
            assert ground.write(every_octet) == len(every_octet)
            assert read_exactly(flight, len(every_octet)) == every_octet
            assert ground.read(4096, 0.05) == b""  # no echo
            assert flight.write(every_octet) == len(every_octet)
            assert read_exactly(ground, len(every_octet)) == every_octet
    assert not link_path.is_symlink()
    assert not link_path.parent.exists()


def test_endpoints_over_a_pty_pair() -> None:
    commands = [PusTc(P.apids.cdh, i, 0b1111, 17, 1, app_data=bytes(range(i * 10))).encode()
                for i in range(12)]
    rt = SequenceFlags.UNSEGMENTED
    telemetry = [SpacePacket(PacketType.TM, False, P.apids.cdh, rt, i, bytes([i]) * (100 + 90 * i)).encode()
                 for i in range(12)]
    flight_end, ground_end = FlightEndpoint(), GroundEndpoint(t1_initial=1.0)
    received_tc: list[bytes] = []
    received_tm: list[bytes] = []
    confirmed: list[int] = []
    with PtyPair() as pair, open_link(pair.path) as flight_link:
        ground_link = pair.master()
        pacer = LinePacer(P.baud * 10, start=time.monotonic())  # paced, faster than a UART to keep it short
        ground_end.initiate(time.monotonic(), "unlock")
        for packet in telemetry:
            flight_end.send_tm(packet)
        sent = 0
        deadline = time.monotonic() + LIMIT_S
        while time.monotonic() < deadline:
            now = time.monotonic()
            if sent < len(commands) and ground_end.fop_state.name == "ACTIVE":
                ground_end.send(commands[sent], now)
                sent += 1
            ground_end.tick(now)
            ground_link.write(ground_end.transmit(now))
            for uplink_event in flight_end.receive(flight_link.read(4096, 0.01), now):
                if isinstance(uplink_event, TcPacketReceived):
                    received_tc.append(uplink_event.packet)
            out = flight_end.transmit(now, max_octets=pacer.allowance(now))
            pacer.consume(len(out))
            flight_link.write(out)
            for event in ground_end.receive(ground_link.read(65536, 0.01), now):
                if isinstance(event, TmPacketReceived):
                    received_tm.append(event.packet)
                elif isinstance(event, RequestResponse) and event.outcome is Outcome.POSITIVE_CONFIRM:
                    confirmed.append(event.request_id)
            if len(received_tm) == len(telemetry) and sent == len(commands) and ground_end.pending == 0:
                break
    assert received_tc == commands
    assert received_tm == telemetry
    assert len(confirmed) == len(commands)


def test_reconnecting_transport_survives_the_device_disappearing() -> None:
    with PtyPair() as pair:
        link = ReconnectingTransport(pair.path, retry_interval_s=0.05)
        assert link.is_up and link.take_events() == []
        ground = pair.master()
        ground.write(b"before")
        assert read_exactly(link, 6) == b"before"

        pair.disappear()  # unplugged
        with pytest.raises(OSError):
            ground.write(b"x")
        assert link.read(100, 0.1) == b""  # no exception into the caller
        assert link.write(b"lost") == 0
        events = link.take_events()
        assert [e.kind for e in events] == ["down"]
        assert not link.is_up
        for _ in range(5):  # retries keep failing quietly while the device is absent
            assert link.read(100, 0.06) == b""
        assert link.stats["open_failures"] >= 1 and link.take_events() == []

        pair.reappear()  # plugged back in, same path
        deadline = time.monotonic() + LIMIT_S
        while not link.is_up and time.monotonic() < deadline:
            link.read(100, 0.05)
        assert [e.kind for e in link.take_events()] == ["up"]
        ground = pair.master()
        ground.write(b"after")
        assert read_exactly(link, 5) == b"after"
        assert link.write(b"reply") == 5
        assert read_exactly(ground, 5) == b"reply"
        link.close()
        assert link.read(10, 0.0) == b"" and not link.is_up


def test_reconnecting_transport_starts_down_when_the_device_is_absent(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "absent")
    seen: list[str] = []
    link = ReconnectingTransport(path, retry_interval_s=0.05, on_event=lambda e: seen.append(e.kind))
    assert not link.is_up and seen == ["down"]
    with PtyPair(path) as pair:
        deadline = time.monotonic() + LIMIT_S
        while not link.is_up and time.monotonic() < deadline:
            link.read(10, 0.05)
        assert seen == ["down", "up"]
        pair.master().write(b"hello")
        assert read_exactly(link, 5) == b"hello"
        link.close()


def test_a_write_nobody_drains_is_short_not_stuck() -> None:
    with PtyPair() as pair:
        link = ReconnectingTransport(pair.path, retry_interval_s=0.05, write_timeout_s=0.05)
        big = bytes(1 << 20)
        written = link.write(big)  # the pty buffer fills; the master is never read
        assert 0 < written < len(big)
        assert link.is_up and link.take_events() == []
        assert read_exactly(pair.master(), written) == big[:written]
        link.close()


def test_a_following_master_is_the_far_end_of_an_unplugged_cable() -> None:
    with PtyPair() as pair:
        plain, follower = pair.master(), pair.master(follow=True)
        link = ReconnectingTransport(pair.path, retry_interval_s=0.05)
        pair.disappear()
        assert follower.read(10, 0.01) == b"" and follower.write(b"into the void") == 0
        with pytest.raises(OSError):
            plain.read(10, 0.0)
        assert link.read(10, 0.0) == b"" and not link.is_up
        pair.reappear()
        with pytest.raises(OSError):  # a plain transport belongs to the pair it was made on
            plain.write(b"x")
        deadline = time.monotonic() + LIMIT_S
        while not link.is_up and time.monotonic() < deadline:
            link.read(10, 0.05)  # (opening the port flushes what came before, as pyserial does)
        assert follower.write(b"same cable") == 10
        assert read_exactly(link, 10) == b"same cable"
        link.write(b"back")
        assert read_exactly(follower, 4) == b"back"
        link.close()
