"""pyserial URL transports (loop://, socket:// with TCP_NODELAY), reconnection over a socket, the pacer."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from flightsw.ccsds.endpoints import FlightEndpoint, GroundEndpoint, TcPacketReceived
from flightsw.ccsds.pus import PusTc
from flightsw.errors import ConfigError
from flightsw.link import LinePacer, LinkError, ReconnectingTransport, open_link
from flightsw.link.transport import BITS_PER_OCTET_8N1, SerialTransport
from flightsw.profile import DEFAULT_PROFILE

P = DEFAULT_PROFILE
LIMIT_S = 20.0  # a hang guard, not a timing assertion


def read_exactly(transport: SerialTransport | ReconnectingTransport, count: int) -> bytes:
    out = b""
    deadline = time.monotonic() + LIMIT_S
    while len(out) < count and time.monotonic() < deadline:
        out += transport.read(count - len(out), 0.2)
    return out


def test_loop_url_carries_a_cltu_to_the_flight_endpoint() -> None:
    ground = GroundEndpoint()
    packet = PusTc(P.apids.cdh, 1, 0b1111, 17, 1).encode()
    ground.send(packet, 0.0, bypass=True)
    cltu = ground.transmit(0.0)
    with open_link("loop://") as link:
        assert link.read(100, 0.01) == b""
        assert link.write(cltu) == len(cltu)
        data = read_exactly(link, len(cltu))
    assert FlightEndpoint().receive(data, 0.0) == [TcPacketReceived(P.tc.vc_commands, packet, True)]


class Server:
    """A local TCP server on a free port that accepts one client at a time, as QEMU's chardev does."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self.client: socket.socket | None = None
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.client, _ = self.listener.accept()

    def connected(self) -> socket.socket:
        self._thread.join(LIMIT_S)
        assert self.client is not None
        return self.client

    def accept_again(self) -> None:
        self.client = None
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        self.listener.close()
        self._thread.join(LIMIT_S)


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


def test_socket_url_sets_nodelay_and_carries_bytes(server: Server) -> None:
    with open_link(server.url) as link:
        peer = server.connected()
        assert link.nodelay
        assert link.write(b"\x1a\xcf\xfc\x1d" * 100) == 400
        got = b""
        while len(got) < 400:
            got += peer.recv(4096)
        assert got == b"\x1a\xcf\xfc\x1d" * 100
        peer.sendall(bytes(range(256)))
        assert read_exactly(link, 256) == bytes(range(256))


def test_reconnecting_transport_over_a_socket(server: Server) -> None:
    link = ReconnectingTransport(server.url, retry_interval_s=0.05)
    peer = server.connected()
    assert link.is_up
    server.accept_again()
    peer.close()  # the other end goes away (QEMU stopped, cable gone)
    deadline = time.monotonic() + LIMIT_S
    while link.is_up and time.monotonic() < deadline:
        assert link.read(100, 0.05) == b""
    events = link.take_events()
    assert [e.kind for e in events[:1]] == ["down"]
    while not link.is_up and time.monotonic() < deadline:
        link.read(100, 0.05)
    assert [e.kind for e in link.take_events()] == ["up"]
    peer = server.connected()
    peer.sendall(b"back")
    assert read_exactly(link, 4) == b"back"
    link.close()


def test_open_link_errors_are_one_clear_error() -> None:
    with pytest.raises(LinkError) as bad:
        open_link("nosuchscheme://x")
    assert bad.value.reason == "bad_spec"
    with pytest.raises(LinkError) as absent:
        open_link("/nonexistent/dir/ttyUSB9")
    assert absent.value.reason == "open_failed" and "ttyUSB9" in str(absent.value)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens on that port now
    with pytest.raises(LinkError) as refused:
        open_link(f"socket://127.0.0.1:{port}")
    assert refused.value.reason == "open_failed"


def test_pacer_arithmetic() -> None:
    baud = 115200
    pacer = LinePacer(baud, burst_octets=5000, start=10.0)
    octets_per_s = baud / BITS_PER_OCTET_8N1
    assert BITS_PER_OCTET_8N1 == 1 + 8 + 1  # start, 8 data bits, stop
    assert octets_per_s == 11520.0
    assert pacer.allowance(10.0) == 0
    assert pacer.allowance(10.125) == 1440  # 0.125 s of line time
    pacer.consume(1000)
    assert pacer.allowance(10.125) == 440
    assert pacer.allowance(20.0) == 5000  # capped at the burst
    pacer.consume(6000)  # over-spending is paid back by waiting
    assert pacer.allowance(20.0) == -1000
    assert pacer.delay_until(1000, 20.0) == pytest.approx(2000 / 11520)
    assert pacer.allowance(10.0) == -1000  # time going backwards earns nothing
    assert pacer.line_time(11520) == pytest.approx(1.0)
    assert LinePacer(9600).burst_octets == 2048  # enough for a maximum CLTU by default
    with pytest.raises(ConfigError):
        LinePacer(0)


def test_pacer_meters_a_long_run_to_the_line_rate() -> None:
    pacer = LinePacer(115200, burst_octets=1200)
    sent = 0
    unit = 260
    for k in range(1, 10001):
        now = k * 0.001
        allowed = pacer.allowance(now)
        while allowed >= unit:
            pacer.consume(unit)
            sent += unit
            allowed -= unit
    # Ten simulated seconds: 115200 octets at most, less than one unit short of it.
    assert 115200 - unit <= sent <= 115200
