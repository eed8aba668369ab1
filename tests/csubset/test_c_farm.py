"""FARM-1 (232.1-B-2 §6) and the CLCW in C against flightsw.ccsds.farm: fed the same frame sequences, both
take the same accept/discard decisions (same Table 6-1 event and reason), pass the same data up, go through
the same states and produce identical CLCWs after every step."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.farm import (
    ControlCommandAccepted,
    Farm1,
    FarmEvent,
    FarmState,
    FrameAccepted,
    FrameDiscarded,
    StateChanged,
)
from flightsw.ccsds.tc_frame import UNLOCK, TcFrame, set_vr
from flightsw.errors import DecodeError
from flightsw.profile import DEFAULT_PROFILE
from tests.csubset.cstack import CFarm, CStack, CStatusError, FarmResult

SCID = DEFAULT_PROFILE.scid
VC = DEFAULT_PROFILE.tc.vc_commands
W = DEFAULT_PROFILE.tc.farm_window


def compare_step(
    c: FarmResult, events: list[FarmEvent], python: Farm1, c_farm: CFarm, old_state: int
) -> None:
    main = [e for e in events if not isinstance(e, StateChanged)]
    changes = [e for e in events if isinstance(e, StateChanged)]
    assert len(main) <= 1 and len(changes) <= 1
    if not main:
        assert c.outcome == "none"
    else:
        event = main[0]
        assert c.event == int(event.event[1:])
        if isinstance(event, FrameAccepted):
            assert c.outcome == f"accepted_{event.frame_type.lower()}"
            assert c.data == event.data
            assert c.status == "ok"
        elif isinstance(event, FrameDiscarded):
            assert c.outcome == "discarded"
            assert c.reason == event.reason == c.status
        else:
            assert isinstance(event, ControlCommandAccepted)
            assert c.outcome == ("control_executed" if event.executed else "control_not_executed")
            if event.vr is not None:
                assert c.vr == event.vr
    assert c.old_state == old_state
    assert c.new_state == python.state.value == c_farm.state
    if changes:
        assert (changes[0].old.value, changes[0].new.value) == (old_state, c.new_state)
        assert changes[0].event == f"E{c.event}"
    else:
        assert c.new_state == old_state
    assert c_farm.vr == python.vr
    assert c_farm.clcw() == python.clcw().encode()


def unlock() -> bytes:
    return TcFrame(SCID, VC, 0, UNLOCK, bypass=True, control_command=True).encode()


def random_input(rng: random.Random, vr: int, locked_out: bool) -> bytes | int:
    """A frame as octets, or a buffer release count (an int); Lockout is left often enough to see S1, S2."""
    if locked_out and rng.random() < 0.3:
        return unlock()
    kind = rng.random()
    if kind < 0.08:
        return rng.randint(0, 3)
    if kind < 0.55:
        # Type-AD near V(R): expected, gaps, duplicates; sometimes anywhere (lockout area).
        near = (vr + rng.choice([0, 0, 0, rng.randint(-W, W)])) % 256
        ns = near if rng.random() < 0.95 else rng.randrange(256)
        return TcFrame(SCID, VC, ns, bytes([0xC0, rng.randrange(256)])).encode()
    if kind < 0.65:
        return TcFrame(SCID, VC, rng.randrange(256), b"\xc0bd", bypass=True).encode()
    if kind < 0.8:
        command = rng.choice([UNLOCK, set_vr(rng.randrange(256)), set_vr(vr), b"\x82", b"\x00\x00", b"\x7e"])
        return TcFrame(SCID, VC, 0, command, bypass=True, control_command=True).encode()
    if kind < 0.88:
        frame = TcFrame(SCID, rng.choice([VC + 1, VC]), vr, b"\xc0x")
        scid = rng.choice([SCID, SCID + 1])
        return TcFrame(scid, frame.vcid, vr, b"\xc0x").encode()
    raw = bytearray(TcFrame(SCID, VC, vr, b"\xc0xyz").encode())
    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
    return bytes(raw)


def run_sequence(cstack: CStack, seed: int, steps: int, capacity: int | None, width: int) -> None:
    rng = random.Random(seed)
    initial_vr = rng.randrange(256)
    python = Farm1(VC, window_width=width, buffer_capacity=capacity, initial_vr=initial_vr)
    c_farm = cstack.farm(VC, width, capacity, initial_vr)
    assert c_farm.clcw() == python.clcw().encode()
    for _ in range(steps):
        item = random_input(rng, python.vr, python.state is FarmState.LOCKOUT)
        old_state = python.state.value
        if isinstance(item, int):
            compare_step(c_farm.release_buffer(item), python.release_buffer(item), python, c_farm, old_state)
        else:
            compare_step(c_farm.receive_bytes(item), python.receive_bytes(item), python, c_farm, old_state)


@pytest.mark.parametrize("capacity", [None, 1, 3])
@pytest.mark.parametrize("seed", range(8))
def test_random_sequences_agree(cstack: CStack, capacity: int | None, seed: int) -> None:
    run_sequence(cstack, seed, 300, capacity, W)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), width=st.integers(1, 127).map(lambda h: 2 * h),
       capacity=st.one_of(st.none(), st.integers(1, 4)))
def test_random_windows_agree(cstack: CStack, seed: int, width: int, capacity: int | None) -> None:
    run_sequence(cstack, seed, 120, capacity, width)


def test_lockout_then_unlock_then_set_vr(cstack: CStack) -> None:
    # A walk through the table written out by hand: E5 locks out, E7 unlocks, E8 sets V(R), E1 accepts.
    farm = cstack.farm(VC, W, None, 10)
    far = TcFrame(SCID, VC, 10 + 128, b"\xc0a").encode()
    r = farm.receive_bytes(far)
    assert (r.event, r.reason, r.new_state) == (5, "lockout_area", 3)
    assert Clcw.decode(farm.clcw()).lockout
    r = farm.receive_bytes(TcFrame(SCID, VC, 0, set_vr(50), bypass=True, control_command=True).encode())
    assert (r.event, r.outcome, r.new_state) == (8, "control_not_executed", 3)
    r = farm.receive_bytes(TcFrame(SCID, VC, 0, UNLOCK, bypass=True, control_command=True).encode())
    assert (r.event, r.outcome, r.new_state) == (7, "control_executed", 1)
    r = farm.receive_bytes(TcFrame(SCID, VC, 0, set_vr(50), bypass=True, control_command=True).encode())
    assert (r.event, r.outcome, r.vr) == (8, "control_executed", 50)
    r = farm.receive_bytes(TcFrame(SCID, VC, 50, b"\xc0go").encode())
    assert (r.event, r.outcome, r.data) == (1, "accepted_ad", b"\xc0go")
    clcw = Clcw.decode(farm.clcw())
    assert (clcw.report_value, clcw.lockout, clcw.farm_b_counter, clcw.vcid) == (51, False, 3, VC)


@pytest.mark.parametrize("width", [0, 1, 3, 255])
def test_bad_window_is_refused(cstack: CStack, width: int) -> None:
    with pytest.raises(CStatusError, match="bad_config"):
        cstack.farm(VC, width, None)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=4, max_size=4))
def test_clcw_decode_agrees(cstack: CStack, raw: bytes) -> None:
    try:
        expected: object = Clcw.decode(raw).encode()
    except DecodeError as exc:
        expected = exc.reason
    clcw = cstack.ffi.new("ccsds_clcw *")
    status = cstack.lib.ccsds_clcw_decode(raw, 4, clcw)
    if status != cstack.lib.CCSDS_OK:
        got: object = cstack.reason(status)
    else:
        out = cstack.ffi.new("uint8_t[4]")
        cstack.check(cstack.lib.ccsds_clcw_encode(clcw, out))
        got = bytes(out)
    assert got == expected
