"""FOP-1 (CCSDS 232.1-B-2 §5): transitions of the state table (Table 5-1), driven one event at a time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.fop import (
    Alert,
    AlertReason,
    DirectiveResponse,
    Fop1,
    FopEvent,
    FopState,
    InitiationMode,
    Outcome,
    RequestResponse,
    Suspended,
    TransmitFrame,
)
from flightsw.ccsds.tc_frame import UNLOCK, TcFrame, set_vr
from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE

VC = DEFAULT_PROFILE.tc.vc_commands
T1 = 2.0


def clcw(nr: int, *, retransmit: bool = False, wait: bool = False, lockout: bool = False) -> Clcw:
    return Clcw(vcid=VC, report_value=nr % 256, retransmit=retransmit, wait=wait, lockout=lockout)


def frames(events: list[FopEvent]) -> list[TcFrame]:
    return [e.frame for e in events if isinstance(e, TransmitFrame)]


def responses(events: list[FopEvent], outcome: Outcome) -> list[int]:
    return [e.request_id for e in events if isinstance(e, RequestResponse) and e.outcome is outcome]


def outcomes(events: list[FopEvent]) -> list[Outcome]:
    return [e.outcome for e in events if isinstance(e, RequestResponse | DirectiveResponse)]


def alerts(events: list[FopEvent]) -> list[AlertReason]:
    return [e.reason for e in events if isinstance(e, Alert)]


def active(vs: int = 250, **kwargs: object) -> Fop1:
    fop = Fop1(initial_vs=vs, t1_initial=T1, **kwargs)  # type: ignore[arg-type]
    events = fop.initiate_ad(InitiationMode.WITHOUT_CLCW_CHECK, 0.0)
    assert [e.outcome for e in events if isinstance(e, DirectiveResponse)] == [
        Outcome.ACCEPT, Outcome.POSITIVE_CONFIRM]
    assert fop.state is FopState.ACTIVE
    return fop


def send(fop: Fop1, count: int, now: float = 0.0) -> list[TcFrame]:
    out: list[TcFrame] = []
    for i in range(count):
        out += frames(fop.request_transmit(b"\xc0" + bytes([i]), now))
    return out


def test_defaults_come_from_the_profile() -> None:
    fop = Fop1()
    assert fop.state is FopState.INITIAL
    assert fop.sliding_window == DEFAULT_PROFILE.tc.farm_window // 2
    assert fop.vcid == VC and fop.scid == DEFAULT_PROFILE.scid
    with pytest.raises(ConfigError):
        Fop1(transmission_limit=0)


# ---- requests ------------------------------------------------------------------------------------

def test_e19_rejected_outside_active_states() -> None:
    fop = Fop1()
    events = fop.request_transmit(b"x", 0.0, request_id=5)
    assert events == [RequestResponse(5, Outcome.REJECT, "state_initial")]


def test_e19_transmits_within_window_then_e20() -> None:
    fop = active(vs=253)
    sent = send(fop, fop.sliding_window)
    assert [f.sequence_number for f in sent] == [253, 254, 255, 0, 1]
    assert all(not f.bypass and not f.control_command for f in sent)
    # The window is full: the next request waits (no response yet), the one after is rejected (E20).
    assert fop.request_transmit(b"w", 0.0, request_id=100) == []
    assert fop.request_transmit(b"r", 0.0, request_id=101) == [
        RequestResponse(101, Outcome.REJECT, "wait_queue_full")]
    assert not fop.can_accept_ad
    # E2: all acknowledged → positive confirms, and the waiting FDU goes out.
    events = fop.receive_clcw(clcw(2), 1.0)
    assert fop.last_event == "E2"
    assert len(responses(events, Outcome.POSITIVE_CONFIRM)) == 5
    assert responses(events, Outcome.ACCEPT) == [100]
    assert [f.sequence_number for f in frames(events)] == [2]
    assert fop.nn_r == 2 and fop.vs == 3 and fop.t1_deadline == 1.0 + T1


def test_e21_bypass_in_every_state() -> None:
    fop = Fop1()
    events = fop.request_bypass(b"\xc0urgent", request_id=9)
    assert events[0] == RequestResponse(9, Outcome.ACCEPT)
    (frame,) = frames(events)
    assert frame.bypass and not frame.control_command and frame.data == b"\xc0urgent"
    assert fop.state is FopState.INITIAL


def test_bad_length_rejected() -> None:
    fop = active()
    assert responses(fop.request_transmit(b"", 0.0), Outcome.REJECT)
    assert responses(fop.request_transmit(bytes(fop.max_data_length + 1), 0.0), Outcome.REJECT)
    assert frames(fop.request_transmit(bytes(fop.max_data_length), 0.0))


# ---- CLCW events ---------------------------------------------------------------------------------

def test_e1_active_no_action() -> None:
    fop = active()
    assert fop.receive_clcw(clcw(250), 0.5) == [] and fop.last_event == "E1"


def test_e6_partial_acknowledgement() -> None:
    fop = active()
    send(fop, 4)
    events = fop.receive_clcw(clcw(252), 0.5)
    assert fop.last_event == "E6" and len(responses(events, Outcome.POSITIVE_CONFIRM)) == 2
    assert [f.frame.sequence_number for f in fop.sent_queue] == [252, 253]
    assert fop.state is FopState.ACTIVE


def test_e8_go_back_n() -> None:
    fop = active()
    send(fop, 4)
    events = fop.receive_clcw(clcw(251, retransmit=True), 0.5)
    assert fop.last_event == "E8" and fop.state is FopState.RETRANSMIT_WITHOUT_WAIT
    assert len(responses(events, Outcome.POSITIVE_CONFIRM)) == 1
    assert [f.sequence_number for f in frames(events)] == [251, 252, 253]
    assert all(e.retransmission for e in events if isinstance(e, TransmitFrame))
    assert fop.transmission_count == 2 and fop.t1_deadline == 0.5 + T1


def test_e10_retransmits_once_then_ignores_in_s2() -> None:
    fop = active()
    send(fop, 3)
    events = fop.receive_clcw(clcw(250, retransmit=True), 0.5)
    assert fop.last_event == "E10" and len(frames(events)) == 3
    assert fop.state is FopState.RETRANSMIT_WITHOUT_WAIT
    assert fop.receive_clcw(clcw(250, retransmit=True), 0.6) == []  # E10 in S2: ignore
    # Recovery: the FARM accepted everything (E2) → back to Active.
    events = fop.receive_clcw(clcw(253), 0.7)
    assert fop.last_event == "E2" and fop.state is FopState.ACTIVE and fop.t1_deadline is None


def test_e11_wait_then_resume_on_buffer_release() -> None:
    fop = active()
    send(fop, 3)
    fop.receive_clcw(clcw(251, retransmit=True, wait=True), 0.5)
    assert fop.last_event == "E9" and fop.state is FopState.RETRANSMIT_WITH_WAIT
    assert fop.receive_clcw(clcw(251, retransmit=True, wait=True), 0.6) == []
    assert fop.last_event == "E11"
    assert fop.request_transmit(b"q", 0.7, request_id=50) == []  # S3: queued, not sent
    assert fop.tick(100.0) == []  # E16 in S3: ignore
    events = fop.receive_clcw(clcw(251, retransmit=True), 101.0)  # wait released
    assert fop.last_event == "E10" and fop.state is FopState.RETRANSMIT_WITHOUT_WAIT
    assert [f.sequence_number for f in frames(events)] == [251, 252, 253]
    assert responses(events, Outcome.ACCEPT) == [50]


def test_e12_limit_reached_waits_for_t1_then_alert() -> None:
    fop = active(transmission_limit=2)
    send(fop, 2)
    fop.receive_clcw(clcw(250, retransmit=True), 0.5)  # E10: retransmission, count 2
    fop.receive_clcw(clcw(250, retransmit=True, wait=True), 0.6)  # E103/E11 → S3
    assert fop.last_event == "E103" and fop.state is FopState.RETRANSMIT_WITH_WAIT
    fop.receive_clcw(clcw(250, retransmit=True), 0.7)
    assert fop.last_event == "E12" and fop.state is FopState.RETRANSMIT_WITHOUT_WAIT
    events = fop.tick(0.5 + T1)
    assert fop.last_event == "E17" and alerts(events) == [AlertReason.T1]
    assert sorted(responses(events, Outcome.NEGATIVE_CONFIRM)) == [1, 2]
    assert fop.state is FopState.INITIAL and not fop.sent_queue


@pytest.mark.parametrize(("nr", "event"), [(251, "E101"), (250, "E102")])
def test_e101_e102_limit_one(nr: int, event: str) -> None:
    fop = active(transmission_limit=1)
    send(fop, 2)
    events = fop.receive_clcw(clcw(nr, retransmit=True), 0.5)
    assert fop.last_event == event and alerts(events) == [AlertReason.LIMIT]
    assert len(responses(events, Outcome.POSITIVE_CONFIRM)) == nr - 250


@pytest.mark.parametrize(
    ("report", "event", "reason"),
    [
        (clcw(253, wait=True), "E3", AlertReason.CLCW),
        (clcw(253, retransmit=True), "E4", AlertReason.SYNCH),
        (clcw(251, wait=True), "E7", AlertReason.CLCW),
        (clcw(249), "E13", AlertReason.NN_R),
        (clcw(254), "E13", AlertReason.NN_R),
        (clcw(250, lockout=True), "E14", AlertReason.LOCKOUT),
    ],
)
def test_alerting_clcws(report: Clcw, event: str, reason: AlertReason) -> None:
    fop = active()
    send(fop, 3)  # V(S) = 253, NN(R) = 250
    events = fop.receive_clcw(report, 0.5)
    assert fop.last_event == event and alerts(events) == [reason]
    assert fop.state is FopState.INITIAL and fop.t1_deadline is None
    assert len(responses(events, Outcome.NEGATIVE_CONFIRM)) == 3


def test_e5_in_retransmit_state_is_synch_alert() -> None:
    fop = active()
    send(fop, 3)
    fop.receive_clcw(clcw(250, retransmit=True), 0.5)
    events = fop.receive_clcw(clcw(250), 0.6)
    assert fop.last_event == "E5" and alerts(events) == [AlertReason.SYNCH]


def test_clcw_of_another_channel_ignored() -> None:
    fop = active()
    send(fop, 2)
    assert fop.receive_clcw(Clcw(vcid=VC + 1, report_value=0, lockout=True), 0.5) == []
    assert fop.state is FopState.ACTIVE


def test_initial_state_ignores_clcws() -> None:
    fop = Fop1()
    assert fop.receive_clcw(clcw(0, lockout=True), 0.0) == []


# ---- timer ---------------------------------------------------------------------------------------

def test_e16_t1_expiry_retransmits_everything() -> None:
    fop = active()
    send(fop, 3, now=1.0)
    assert fop.tick(1.0 + T1 - 0.01) == []
    events = fop.tick(1.0 + T1)
    assert fop.last_event == "E16" and [f.sequence_number for f in frames(events)] == [250, 251, 252]
    assert fop.transmission_count == 2 and fop.t1_deadline == 1.0 + 2 * T1
    assert fop.state is FopState.ACTIVE


@pytest.mark.parametrize("retransmit_first", [False, True])
def test_e18_suspend_and_resume(retransmit_first: bool) -> None:
    fop = active(transmission_limit=2, timeout_type=1)
    send(fop, 2)
    if retransmit_first:
        fop.receive_clcw(clcw(250, retransmit=True), 0.0)
        expected = FopState.RETRANSMIT_WITHOUT_WAIT
    else:
        fop.tick(T1)  # E104: first retransmission
        expected = FopState.ACTIVE
    events = fop.tick(10 * T1)
    assert fop.last_event == "E18" and events == [Suspended(int(expected), "E18")]
    assert fop.state is FopState.INITIAL and fop.suspend_state == int(expected)
    assert len(fop.sent_queue) == 2  # suspension keeps the queues
    assert outcomes(fop.request_transmit(b"x", 0.0))[0] is Outcome.REJECT
    events = fop.resume_ad(50.0)
    assert fop.state is expected and fop.suspend_state == 0 and fop.t1_deadline == 50.0 + T1
    assert fop.resume_ad(50.0)[0] == DirectiveResponse("resume", Outcome.REJECT, "not_suspended")


# ---- initiation, termination, management directives ---------------------------------------------

def test_e24_with_clcw_check() -> None:
    fop = Fop1(initial_vs=17, t1_initial=T1)
    events = fop.initiate_ad(InitiationMode.WITH_CLCW_CHECK, 0.0)
    assert fop.state is FopState.INITIALISING_WITHOUT_BC and fop.t1_deadline == T1
    assert [e.outcome for e in events if isinstance(e, DirectiveResponse)] == [Outcome.ACCEPT]
    assert fop.receive_clcw(clcw(17, retransmit=True), 0.1)  # E4 in S4: alert SYNCH
    fop.initiate_ad(InitiationMode.WITH_CLCW_CHECK, 0.2)
    events = fop.receive_clcw(clcw(17), 0.3)
    assert fop.last_event == "E1" and fop.state is FopState.ACTIVE and fop.t1_deadline is None
    assert events == [DirectiveResponse("initiate_with_clcw_check", Outcome.POSITIVE_CONFIRM)]


@pytest.mark.parametrize(("timeout_type", "expected"), [(0, "alert"), (1, "suspend")])
def test_e24_no_clcw_times_out(timeout_type: int, expected: str) -> None:
    fop = Fop1(t1_initial=T1, timeout_type=timeout_type)
    fop.initiate_ad(InitiationMode.WITH_CLCW_CHECK, 0.0)
    events = fop.tick(T1)
    if expected == "alert":
        assert alerts(events) == [AlertReason.T1]
        assert DirectiveResponse("initiate_with_clcw_check", Outcome.NEGATIVE_CONFIRM, "t1") in events
    else:
        assert events == [Suspended(4, "E104")]
        fop.resume_ad(1.0)
        assert fop.state is FopState.INITIALISING_WITHOUT_BC


def test_e25_with_unlock_and_bc_retransmission() -> None:
    fop = Fop1(initial_vs=40, t1_initial=T1, transmission_limit=3)
    events = fop.initiate_ad(InitiationMode.WITH_UNLOCK, 0.0)
    (bc,) = frames(events)
    assert bc.bypass and bc.control_command and bc.data == UNLOCK
    assert fop.state is FopState.INITIALISING_WITH_BC
    assert fop.receive_clcw(clcw(40, lockout=True), 0.1) == []  # E14 in S5: still locked, ignore
    retransmitted = frames(fop.tick(T1))
    assert retransmitted == [bc] and fop.transmission_count == 2
    events = fop.receive_clcw(clcw(40), T1 + 0.1)
    assert events == [DirectiveResponse("initiate_with_unlock", Outcome.POSITIVE_CONFIRM)]
    assert fop.state is FopState.ACTIVE and not fop.sent_queue


def test_e27_with_set_vr_and_limit() -> None:
    fop = Fop1(initial_vs=3, t1_initial=T1, transmission_limit=2)
    events = fop.initiate_ad(InitiationMode.WITH_SET_VR, 0.0, vr=200)
    (bc,) = frames(events)
    assert bc.data == set_vr(200) and fop.vs == fop.nn_r == 200
    assert frames(fop.tick(T1)) == [bc]
    events = fop.tick(2 * T1)
    assert fop.last_event == "E17" and alerts(events) == [AlertReason.T1]
    assert DirectiveResponse("initiate_with_set_vr", Outcome.NEGATIVE_CONFIRM, "t1") in events
    rejected = fop.initiate_ad(InitiationMode.WITH_SET_VR, 0.0, vr=300)
    assert rejected == [DirectiveResponse("initiate_with_set_vr", Outcome.REJECT, "bad_vr")]


def test_initiation_rejected_unless_initial() -> None:
    fop = active()
    events = fop.initiate_ad(InitiationMode.WITH_UNLOCK, 0.0)
    assert events == [DirectiveResponse("initiate_with_unlock", Outcome.REJECT, "not_initial")]


def test_e29_terminate() -> None:
    fop = active()
    send(fop, 2)
    events = fop.terminate_ad()
    assert alerts(events) == [AlertReason.TERM] and fop.state is FopState.INITIAL
    assert len(responses(events, Outcome.NEGATIVE_CONFIRM)) == 2
    assert fop.terminate_ad() == [DirectiveResponse("terminate", Outcome.ACCEPT),
                                  DirectiveResponse("terminate", Outcome.POSITIVE_CONFIRM)]


def test_e35_set_vs_only_in_initial() -> None:
    fop = active()
    assert outcomes(fop.set_vs(9))[0] is Outcome.REJECT
    fop.terminate_ad()
    assert outcomes(fop.set_vs(9))[-1] is Outcome.POSITIVE_CONFIRM
    assert fop.vs == fop.nn_r == 9


def test_e36_to_e40_management() -> None:
    fop = active()
    assert outcomes(fop.set_sliding_window(3))[-1] is Outcome.POSITIVE_CONFIRM
    assert len(send(fop, 5)) == 3
    assert outcomes(fop.set_t1_initial(7.5))[-1] is Outcome.POSITIVE_CONFIRM and fop.t1_initial == 7.5
    assert outcomes(fop.set_transmission_limit(9))[-1] is Outcome.POSITIVE_CONFIRM
    assert outcomes(fop.set_timeout_type(1))[-1] is Outcome.POSITIVE_CONFIRM and fop.timeout_type == 1
    for bad in (fop.set_sliding_window(0), fop.set_t1_initial(0), fop.set_transmission_limit(0),
                fop.set_timeout_type(2)):
        assert outcomes(bad)[0] is Outcome.REJECT and fop.last_event == "E40"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 255), st.integers(0, 7)), max_size=80))
def test_any_event_sequence_keeps_invariants(steps: list[tuple[int, int, int]]) -> None:
    """Whatever CLCWs, requests, directives and ticks arrive, the queues stay consistent with V(S), NN(R)."""
    fop = Fop1(initial_vs=250, t1_initial=T1, transmission_limit=3)
    now = 0.0
    answered: dict[int, list[Outcome]] = {}
    for kind, value, bits in steps:
        now += 0.5
        if kind == 0:
            events = fop.request_transmit(b"\xc0" + bytes([value]), now)
        elif kind == 1:
            events = fop.receive_clcw(
                clcw(value, retransmit=bool(bits & 1), wait=bool(bits & 2), lockout=bits == 7), now)
        elif kind == 2:
            events = fop.receive_clcw(clcw(fop.vs - (value % 3), retransmit=bool(bits & 1)), now)
        elif kind == 3:
            events = fop.tick(now + value / 50)
        elif kind == 4:
            events = fop.initiate_ad(list(InitiationMode)[bits % 4], now, vr=value)
        elif kind == 5:
            events = fop.resume_ad(now) if bits & 1 else fop.terminate_ad()
        else:
            events = fop.request_bypass(b"\xc0bd")
        for event in events:
            if isinstance(event, RequestResponse):
                answered.setdefault(event.request_id, []).append(event.outcome)
        outstanding = (fop.vs - fop.nn_r) % 256
        ad_frames = [e for e in fop.sent_queue if not e.frame.control_command]
        assert len(ad_frames) <= outstanding <= fop.sliding_window
        assert len(fop.wait_queue) <= 1
        assert [e.frame.sequence_number for e in ad_frames] == [
            (fop.vs - len(ad_frames) + i) % 256 for i in range(len(ad_frames))]
        if fop.state is FopState.INITIAL and fop.suspend_state == 0:
            assert fop.t1_deadline is None and not fop.sent_queue and not fop.wait_queue
    for outcomes_of_request in answered.values():
        # A request ends at most once: one positive or negative confirm, or one reject.
        final = [o for o in outcomes_of_request if o is not Outcome.ACCEPT]
        assert len(final) <= 1
