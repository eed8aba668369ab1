"""FARM-1 (CCSDS 232.1-B-2 §6): one test per cell of Table 6-1 (events E1..E10 in states S1..S3).

The expected flags and states are those written in Table 6-1 of the standard, restated here by hand.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.farm import (
    ControlCommandAccepted,
    Farm1,
    FarmState,
    FrameAccepted,
    FrameDiscarded,
    StateChanged,
)
from flightsw.ccsds.tc_frame import UNLOCK, TcFrame, set_vr
from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE

SCID = DEFAULT_PROFILE.scid
VC = DEFAULT_PROFILE.tc.vc_commands
W = DEFAULT_PROFILE.tc.farm_window
PW = NW = W // 2
START = 250  # near the wrap so every window straddles 255 → 0


def ad(ns: int, data: bytes = b"\xc0x") -> TcFrame:
    return TcFrame(SCID, VC, ns % 256, data)


def bd(data: bytes = b"\xc0bd") -> TcFrame:
    return TcFrame(SCID, VC, 0, data, bypass=True)


def bc(command: bytes) -> TcFrame:
    return TcFrame(SCID, VC, 0, command, bypass=True, control_command=True)


def farm_in(state: FarmState) -> Farm1:
    """A FARM at V(R)=START in the requested state, reached through the table itself."""
    farm = Farm1(buffer_capacity=1, initial_vr=START - 1)
    assert isinstance(farm.receive(ad(START - 1))[0], FrameAccepted)  # buffer now full, V(R)=START
    if state is FarmState.OPEN:
        farm.release_buffer()
    elif state is FarmState.WAIT:
        farm.receive(ad(START))
    else:
        farm.release_buffer()
        farm.receive(ad(START + 128))
    assert farm.state is state and farm.vr == START % 256
    return farm


def flags(farm: Farm1) -> tuple[bool, bool, bool]:
    return farm.lockout, farm.wait, farm.retransmit


def test_profile_window() -> None:
    farm = Farm1()
    assert farm.window_width == W and farm.positive_window == PW and farm.negative_window == NW
    assert farm.state is FarmState.OPEN and flags(farm) == (False, False, False)


@pytest.mark.parametrize("width", [0, 1, 3, 256])
def test_bad_window(width: int) -> None:
    with pytest.raises(ConfigError):
        Farm1(window_width=width)


# ---- E1: AD frame, N(S) = V(R), buffer available -----------------------------------------------------

def test_e1_open_accepts_and_clears_retransmit() -> None:
    farm = farm_in(FarmState.OPEN)
    farm.receive(ad(START + 1))  # E3 sets Retransmit first
    assert farm.retransmit
    events = farm.receive(ad(START, b"\xc0payload"))
    assert events == [FrameAccepted("E1", "AD", START, b"\xc0payload")]
    assert farm.vr == START + 1 and flags(farm) == (False, False, False)
    assert farm.state is FarmState.OPEN


def test_e1_lockout_discards() -> None:
    farm = farm_in(FarmState.LOCKOUT)
    events = farm.receive(ad(START))
    assert [type(e) for e in events] == [FrameDiscarded]
    assert farm.vr == START and farm.state is FarmState.LOCKOUT


# ---- E2: AD frame, N(S) = V(R), no buffer ------------------------------------------------------------

def test_e2_open_goes_wait() -> None:
    farm = Farm1(buffer_capacity=1, initial_vr=START)
    farm.receive(ad(START))
    events = farm.receive(ad(START + 1))
    assert events[0] == FrameDiscarded("E2", "AD", "no_buffer", (START + 1) % 256)
    assert events[1] == StateChanged("E2", FarmState.OPEN, FarmState.WAIT)
    assert flags(farm) == (False, True, True) and farm.vr == (START + 1) % 256


def test_e2_wait_stays() -> None:
    farm = farm_in(FarmState.WAIT)
    events = farm.receive(ad(START))
    assert events == [FrameDiscarded("E2", "AD", "no_buffer", START)]
    assert farm.state is FarmState.WAIT and flags(farm) == (False, True, True)


def test_e2_lockout_discards() -> None:
    farm = farm_in(FarmState.LOCKOUT)
    farm.receive(ad(START - 1))  # E4, no effect
    farm.buffered = 1  # the layer above is full again
    events = farm.receive(ad(START))
    assert len(events) == 1 and isinstance(events[0], FrameDiscarded)
    assert farm.state is FarmState.LOCKOUT and farm.vr == START


# ---- E3: positive window, N(S) > V(R) ----------------------------------------------------------------

@pytest.mark.parametrize("ahead", [1, PW - 1])
def test_e3_open_sets_retransmit(ahead: int) -> None:
    farm = farm_in(FarmState.OPEN)
    events = farm.receive(ad(START + ahead))
    assert events == [FrameDiscarded("E3", "AD", "sequence_gap", (START + ahead) % 256)]
    assert farm.state is FarmState.OPEN and flags(farm) == (False, False, True) and farm.vr == START


def test_e3_wait_discards() -> None:
    farm = farm_in(FarmState.WAIT)
    events = farm.receive(ad(START + 1))
    assert len(events) == 1 and events[0].event == "E3"
    assert farm.state is FarmState.WAIT and flags(farm) == (False, True, True)


def test_e3_lockout_discards() -> None:
    farm = farm_in(FarmState.LOCKOUT)
    events = farm.receive(ad(START + 1))
    assert len(events) == 1 and events[0].event == "E3"
    assert farm.state is FarmState.LOCKOUT and flags(farm) == (True, False, False)


# ---- E4: negative window, N(S) < V(R) ----------------------------------------------------------------

@pytest.mark.parametrize("state", list(FarmState))
@pytest.mark.parametrize("behind", [1, NW])
def test_e4_discards_without_change(state: FarmState, behind: int) -> None:
    farm = farm_in(state)
    before = flags(farm)
    events = farm.receive(ad(START - behind))
    assert len(events) == 1 and isinstance(events[0], FrameDiscarded) and events[0].event == "E4"
    assert farm.state is state and flags(farm) == before and farm.vr == START


# ---- E5: lockout area --------------------------------------------------------------------------------

@pytest.mark.parametrize("state", [FarmState.OPEN, FarmState.WAIT])
@pytest.mark.parametrize("offset", [PW, 128, 256 - NW - 1])
def test_e5_enters_lockout(state: FarmState, offset: int) -> None:
    farm = farm_in(state)
    wait_before = farm.wait
    events = farm.receive(ad(START + offset))
    assert events[0] == FrameDiscarded("E5", "AD", "lockout_area", (START + offset) % 256)
    assert events[1] == StateChanged("E5", state, FarmState.LOCKOUT)
    assert farm.lockout and farm.wait == wait_before and farm.vr == START


def test_e5_in_lockout_stays() -> None:
    farm = farm_in(FarmState.LOCKOUT)
    events = farm.receive(ad(START + 100))
    assert len(events) == 1 and events[0].event == "E5" and farm.state is FarmState.LOCKOUT


# ---- E6: Type-BD -------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", list(FarmState))
def test_e6_bd_accepted_in_every_state(state: FarmState) -> None:
    farm = farm_in(state)
    before = (flags(farm), farm.vr)
    counts = []
    for _ in range(5):
        events = farm.receive(bd(b"\xc0urgent"))
        assert events == [FrameAccepted("E6", "BD", 0, b"\xc0urgent")]
        counts.append(farm.clcw().farm_b_counter)
    assert counts == [1, 2, 3, 0, 1]  # two-bit counter in the CLCW
    assert (flags(farm), farm.vr) == before and farm.state is state


# ---- E7: Unlock --------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", list(FarmState))
def test_e7_unlock(state: FarmState) -> None:
    farm = farm_in(state)
    counter = farm.farm_b_counter
    events = farm.receive(bc(UNLOCK))
    assert events[0] == ControlCommandAccepted("E7", "unlock", True)
    assert farm.state is FarmState.OPEN and flags(farm) == (False, False, False)
    assert farm.farm_b_counter == (counter + 1) % 4 and farm.vr == START
    assert (len(events) == 2) == (state is not FarmState.OPEN)


# ---- E8: Set V(R) ------------------------------------------------------------------------------------

@pytest.mark.parametrize("state", [FarmState.OPEN, FarmState.WAIT])
def test_e8_set_vr(state: FarmState) -> None:
    farm = farm_in(state)
    counter = farm.farm_b_counter
    events = farm.receive(bc(set_vr(7)))
    assert events[0] == ControlCommandAccepted("E8", "set_vr", True, 7)
    assert farm.vr == 7 and farm.state is FarmState.OPEN and flags(farm) == (False, False, False)
    assert farm.farm_b_counter == (counter + 1) % 4


def test_e8_in_lockout_counted_not_executed() -> None:
    farm = farm_in(FarmState.LOCKOUT)
    events = farm.receive(bc(set_vr(7)))
    assert events == [ControlCommandAccepted("E8", "set_vr", False, 7)]
    assert farm.vr == START and farm.state is FarmState.LOCKOUT and farm.farm_b_counter == 1


# ---- E9: invalid frame -------------------------------------------------------------------------------

@pytest.mark.parametrize("state", list(FarmState))
def test_e9_invalid_frames(state: FarmState) -> None:
    farm = farm_in(state)
    before = (flags(farm), farm.vr, farm.farm_b_counter)
    good = ad(START).encode()
    bad_crc = good[:-1] + bytes([good[-1] ^ 1])
    cases = [
        farm.receive_bytes(bad_crc),
        farm.receive_bytes(good[:3]),
        farm.receive(bc(b"\x55")),
        farm.receive(bc(b"\x82\x00")),
        farm.receive(TcFrame(SCID + 1, VC, START, b"x")),
        farm.receive(TcFrame(SCID, VC + 1, START, b"x")),
    ]
    reasons = []
    for events in cases:
        assert len(events) == 1 and isinstance(events[0], FrameDiscarded) and events[0].event == "E9"
        reasons.append(events[0].reason)
    assert reasons == ["bad_crc", "truncated", "unknown_control_command", "truncated", "wrong_scid",
                       "wrong_vcid"]
    assert (flags(farm), farm.vr, farm.farm_b_counter) == before and farm.state is state


def test_receive_bytes_accepts_a_good_frame() -> None:
    farm = Farm1(initial_vr=3)
    assert farm.receive_bytes(ad(3, b"\xc0ok").encode()) == [FrameAccepted("E1", "AD", 3, b"\xc0ok")]


# ---- E10: buffer release -----------------------------------------------------------------------------

def test_e10_wait_back_to_open() -> None:
    farm = farm_in(FarmState.WAIT)
    events = farm.release_buffer()
    assert events == [StateChanged("E10", FarmState.WAIT, FarmState.OPEN)]
    assert farm.state is FarmState.OPEN and not farm.wait
    assert farm.retransmit  # only a new acceptance (E1) or a control command clears it
    assert farm.receive(ad(START)) == [FrameAccepted("E1", "AD", START, b"\xc0x")]


def test_e10_lockout_clears_wait_only() -> None:
    farm = farm_in(FarmState.WAIT)
    farm.receive(ad(START + 100))
    assert farm.state is FarmState.LOCKOUT and flags(farm) == (True, True, True)
    assert farm.release_buffer() == []
    assert farm.state is FarmState.LOCKOUT and flags(farm) == (True, False, True)


def test_e10_open_no_change() -> None:
    farm = farm_in(FarmState.OPEN)
    assert farm.release_buffer() == [] and farm.state is FarmState.OPEN


def test_clcw_reflects_state() -> None:
    farm = farm_in(FarmState.WAIT)
    clcw = farm.clcw()
    assert clcw == Clcw(vcid=VC, report_value=START, wait=True, retransmit=True)
    assert Clcw.decode(clcw.encode()) == clcw


@settings(max_examples=100)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 255)), max_size=60))
def test_random_traffic_keeps_invariants(steps: list[tuple[int, int]]) -> None:
    """Whatever arrives, V(R) advances only by accepting N(S)=V(R), and flags match the state."""
    farm = Farm1(buffer_capacity=2)
    for kind, value in steps:
        vr = farm.vr
        if kind == 0:
            events = farm.receive(ad(value))
            accepted = [e for e in events if isinstance(e, FrameAccepted)]
            assert farm.vr == ((vr + 1) % 256 if accepted else vr)
            assert all(e.sequence_number == vr for e in accepted)
        elif kind == 1:
            farm.receive(bc(UNLOCK if value % 2 else set_vr(value)))
        elif kind == 2:
            farm.release_buffer()
        else:
            farm.receive_bytes(bytes([value]) * (value % 9))
        assert farm.lockout == (farm.state is FarmState.LOCKOUT)
        if farm.state is FarmState.WAIT:
            assert farm.wait and farm.retransmit
