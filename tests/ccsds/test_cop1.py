"""COP-1 end to end: FOP-1 → lossy uplink → FARM-1 → CLCW → lossy downlink → FOP-1.

Seeded random channels lose, duplicate, corrupt and reorder uplink frames and lose or repeat CLCWs; the FARM's
upper layer consumes slowly so Wait is exercised; the sequence numbers start near 255 so they wrap. Every
run must end with every FDU delivered exactly once and in order, each positively confirmed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.farm import Farm1, FarmState, FrameAccepted
from flightsw.ccsds.fop import (
    Alert,
    AlertReason,
    DirectiveResponse,
    Fop1,
    FopState,
    InitiationMode,
    Outcome,
    RequestResponse,
    TransmitFrame,
)
from flightsw.ccsds.tc_frame import TcFrame
from flightsw.profile import DEFAULT_PROFILE

STEP = 0.05  # seconds of simulated time per step


@dataclass
class Uplink:
    rng: random.Random
    loss: float = 0.0
    duplicate: float = 0.0
    corrupt: float = 0.0
    reorder: float = 0.0
    held: list[bytes] = field(default_factory=list)

    def carry(self, raw: bytes) -> list[bytes]:
        out: list[bytes] = []
        if self.rng.random() < self.loss:
            return out
        if self.rng.random() < self.corrupt:
            i = self.rng.randrange(len(raw))
            raw = raw[:i] + bytes([raw[i] ^ (1 << self.rng.randrange(8))]) + raw[i + 1:]
        if not self.held and self.rng.random() < self.reorder:
            # Overtaken by the next frame. COP-1 expects an order-preserving link (232.1-B-2 §2); a frame
            # delayed beyond the negative window would rightly land in the lockout area.
            self.held.append(raw)
            return out
        out.append(raw)
        if self.rng.random() < self.duplicate:
            out.append(raw)
        out += self.held
        self.held.clear()
        return out


@dataclass
class Harness:
    seed: int
    loss: float = 0.0
    duplicate: float = 0.0
    corrupt: float = 0.0
    reorder: float = 0.0
    clcw_loss: float = 0.0
    buffer_capacity: int | None = None
    consume_probability: float = 1.0
    start: int = 250

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.uplink = Uplink(self.rng, self.loss, self.duplicate, self.corrupt, self.reorder)
        self.fop = Fop1(t1_initial=0.5, transmission_limit=40)
        self.farm = Farm1(buffer_capacity=self.buffer_capacity, initial_vr=self.rng.randrange(256))
        self.now = 0.0
        self.delivered: list[bytes] = []
        self.confirmed: set[int] = set()
        self.negative: list[int] = []
        self.alerts: list[Alert] = []
        self.directives: list[DirectiveResponse] = []
        self.transmitted = 0
        self.backlog: list[tuple[int, bytes]] = []
        self.last_clcw: Clcw | None = None

    def handle(self, events: Sequence[object]) -> None:
        for event in events:
            if isinstance(event, TransmitFrame):
                self.transmitted += 1
                for raw in self.uplink.carry(event.frame.encode()):
                    for farm_event in self.farm.receive_bytes(raw):
                        if isinstance(farm_event, FrameAccepted) and farm_event.frame_type == "AD":
                            self.delivered.append(farm_event.data)
            elif isinstance(event, RequestResponse):
                if event.outcome is Outcome.POSITIVE_CONFIRM:
                    self.confirmed.add(event.request_id)
                elif event.outcome is Outcome.NEGATIVE_CONFIRM:
                    self.negative.append(event.request_id)
                elif event.outcome is Outcome.REJECT:
                    raise AssertionError(f"request rejected: {event}")
            elif isinstance(event, Alert):
                self.alerts.append(event)
            elif isinstance(event, DirectiveResponse):
                self.directives.append(event)

    def step(self) -> None:
        self.now += STEP
        if self.backlog and self.fop.can_accept_ad:
            rid, data = self.backlog.pop(0)
            self.handle(self.fop.request_transmit(data, self.now, request_id=rid))
        if self.farm.buffered and self.rng.random() < self.consume_probability:
            self.farm.release_buffer()
        clcw = self.farm.clcw()
        self.last_clcw = clcw
        for _ in range(2 if self.rng.random() < 0.1 else 1):
            if self.rng.random() >= self.clcw_loss:
                self.handle(self.fop.receive_clcw(Clcw.decode(clcw.encode()), self.now))
        self.handle(self.fop.tick(self.now))

    def initiate(self, mode: InitiationMode, vr: int | None = None) -> None:
        self.handle(self.fop.initiate_ad(mode, self.now, vr=vr))
        for _ in range(2000):
            if self.fop.state is not FopState.INITIALISING_WITH_BC:
                break
            self.step()
        assert self.fop.state is FopState.ACTIVE, (self.fop.state, self.alerts)

    def run(self, payloads: list[bytes], max_steps: int = 40000) -> None:
        first = len(self.confirmed) + len(self.backlog) + 1000 * len(self.directives)
        self.backlog += [(first + i, p) for i, p in enumerate(payloads)]
        wanted = {rid for rid, _ in self.backlog}
        for _ in range(max_steps):
            if wanted <= self.confirmed:
                return
            assert not self.alerts, self.alerts
            self.step()
        raise AssertionError(f"not finished: {len(self.confirmed)} of {len(wanted)} confirmed")


def payloads(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed ^ 0x5A5A)
    return [bytes([0xC0]) + i.to_bytes(2, "big") + rng.randbytes(rng.randrange(1, 40)) for i in range(n)]


@pytest.mark.parametrize("seed", range(40))
def test_lossy_uplink_delivers_exactly_once_in_order(seed: int) -> None:
    h = Harness(seed, loss=0.2, duplicate=0.1, corrupt=0.05, reorder=0.1, clcw_loss=0.3,
                buffer_capacity=3, consume_probability=0.6)
    h.initiate(InitiationMode.WITH_SET_VR, vr=h.start)
    data = payloads(120, seed)  # 120 frames from 250: V(S) wraps through 255 → 0
    h.run(data)
    assert h.delivered == data
    assert not h.negative and not h.alerts
    assert h.fop.vs == (h.start + len(data)) % 256 == h.farm.vr
    assert h.transmitted > len(data)  # losses were repaired by retransmission


@pytest.mark.parametrize("seed", range(40, 48))
def test_clean_channel_needs_no_retransmission(seed: int) -> None:
    h = Harness(seed)
    h.initiate(InitiationMode.WITH_SET_VR, vr=h.start)
    data = payloads(30, seed)
    h.run(data)
    assert h.delivered == data and h.transmitted == len(data) + 1  # + the Set V(R) frame


@pytest.mark.parametrize("seed", range(48, 60))
def test_lockout_then_unlock_recovers(seed: int) -> None:
    h = Harness(seed, loss=0.1, clcw_loss=0.2)
    h.initiate(InitiationMode.WITH_SET_VR, vr=h.start)
    first = payloads(15, seed)
    h.run(first)
    # A rogue frame in the FARM's lockout area (232.1-B-2 §6.1.8.2, E5) locks the FARM out.
    rogue = TcFrame(DEFAULT_PROFILE.scid, DEFAULT_PROFILE.tc.vc_commands, (h.farm.vr + 128) % 256, b"\xc0!")
    h.farm.receive(rogue)
    assert h.farm.state is FarmState.LOCKOUT
    second = payloads(10, seed + 1000)
    h.backlog += [(5000 + i, p) for i, p in enumerate(second)]
    for _ in range(2000):
        if h.alerts:
            break
        h.step()
    assert [a.reason for a in h.alerts] == [AlertReason.LOCKOUT]
    assert h.fop.state is FopState.INITIAL and h.delivered == first
    # Recovery: resynchronise V(S) on the reported V(R), unlock, and resubmit what was purged.
    purged = sorted(set(h.negative))
    remaining = h.backlog
    by_id = dict(zip(range(5000, 5010), second, strict=True))
    h.backlog = [(rid, by_id[rid]) for rid in purged] + remaining
    h.alerts.clear()
    h.negative.clear()
    assert h.last_clcw is not None
    h.handle(h.fop.set_vs(h.last_clcw.report_value))
    h.initiate(InitiationMode.WITH_UNLOCK)
    assert h.farm.state is FarmState.OPEN
    h.run([])
    assert h.delivered == first + second


def test_transmission_limit_alerts_when_link_is_dead() -> None:
    h = Harness(99, loss=1.0, clcw_loss=1.0)
    h.handle(h.fop.initiate_ad(InitiationMode.WITHOUT_CLCW_CHECK, h.now))
    h.backlog = [(1, b"\xc0dead")]
    for _ in range(2000):
        if h.alerts:
            break
        h.step()
    assert [a.reason for a in h.alerts] == [AlertReason.T1]
    assert h.negative == [1]
    # transmission limit 40: one transmission plus 39 retransmissions on T1 expiry
    assert h.transmitted == h.fop.transmission_limit
