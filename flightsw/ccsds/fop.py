"""FOP-1, the sending end of COP-1 (CCSDS 232.1-B-2 §5), sans-IO.

:class:`Fop1` takes service requests (Type-AD and Type-BD frame data units), management directives, CLCWs
and the current time, and returns a list of events: frames to transmit (:class:`TransmitFrame`), responses
to requests and directives (accept, reject, positive and negative confirm), alerts and suspensions. Time is
never read from a clock: each call that may start timer T1 takes ``now`` (seconds, any monotonic origin) and
:meth:`Fop1.tick` reports T1 expiry.

The transitions follow the FOP-1 state table (232.1-B-2 Table 5-1); the event identifiers (E1..E40,
E101..E104) are those of the table. The lower procedures are taken as always ready (a returned frame is handed
over the moment it is returned), so the AD_Out/BD_Out/BC_Out flags stay "ready" and the events that signal a
change of these flags (E22, E26, E28, E41..E46) do not arise; "Look for FDU" sends every frame it may at once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum, IntEnum

from flightsw.ccsds.clcw import COP_1, Clcw
from flightsw.ccsds.tc_frame import (
    FECF_LENGTH,
    PRIMARY_HEADER_LENGTH,
    UNLOCK,
    TcFrame,
    set_vr,
)
from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile


class FopState(IntEnum):
    ACTIVE = 1  # S1
    RETRANSMIT_WITHOUT_WAIT = 2  # S2
    RETRANSMIT_WITH_WAIT = 3  # S3
    INITIALISING_WITHOUT_BC = 4  # S4
    INITIALISING_WITH_BC = 5  # S5
    INITIAL = 6  # S6


class Outcome(Enum):
    ACCEPT = "accept"
    REJECT = "reject"
    POSITIVE_CONFIRM = "positive_confirm"
    NEGATIVE_CONFIRM = "negative_confirm"


class AlertReason(Enum):
    """Alert codes of 232.1-B-2 §5 (the "Alert" notification to the user)."""

    LIMIT = "limit"  # transmission limit reached on a retransmission request
    T1 = "t1"  # timer expired with the transmission limit reached
    LOCKOUT = "lockout"  # the FARM reports Lockout
    SYNCH = "synch"  # CLCW inconsistent with the FOP's view (lost synchronisation)
    NN_R = "nn_r"  # N(R) outside NN(R)..V(S)
    CLCW = "clcw"  # CLCW with Wait set but Retransmit clear
    LLIF = "llif"  # lower layer interface failure
    TERM = "term"  # AD service terminated by directive


class InitiationMode(Enum):
    WITHOUT_CLCW_CHECK = "without_clcw_check"  # E23
    WITH_CLCW_CHECK = "with_clcw_check"  # E24
    WITH_UNLOCK = "with_unlock"  # E25
    WITH_SET_VR = "with_set_vr"  # E27


@dataclass(frozen=True)
class TransmitFrame:
    frame: TcFrame
    retransmission: bool = False


@dataclass(frozen=True)
class RequestResponse:
    """Response to a request to transfer an FDU (Type-AD or Type-BD)."""

    request_id: int
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class DirectiveResponse:
    directive: str
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class Alert:
    reason: AlertReason
    event: str


@dataclass(frozen=True)
class Suspended:
    suspend_state: int
    event: str


FopEvent = TransmitFrame | RequestResponse | DirectiveResponse | Alert | Suspended


@dataclass
class _SentFrame:
    frame: TcFrame
    request_id: int | None  # None for the Type-BC frame of an initiation directive
    to_be_retransmitted: bool = False


class Fop1:
    """Frame Operation Procedure for one TC virtual channel."""

    def __init__(
        self,
        vcid: int | None = None,
        *,
        profile: LinkProfile = DEFAULT_PROFILE,
        sliding_window: int | None = None,
        t1_initial: float = 5.0,
        transmission_limit: int = 5,
        timeout_type: int = 0,
        initial_vs: int = 0,
    ) -> None:
        self.scid = profile.scid
        self.vcid = profile.tc.vc_commands if vcid is None else vcid
        # Outstanding frames must stay inside the FARM's positive window PW = W/2 (§6.1.8.2): a frame sent
        # K-1 ahead of an unacknowledged one lands in the lockout area unless K <= PW. Default K = PW.
        self.sliding_window = profile.tc.farm_window // 2 if sliding_window is None else sliding_window
        self.max_data_length = profile.tc.max_frame_length - PRIMARY_HEADER_LENGTH - (
            FECF_LENGTH if profile.tc.fecf_present else 0
        )
        for name, ok in (
            ("sliding_window", 1 <= self.sliding_window <= 255),
            ("t1_initial", t1_initial > 0),
            ("transmission_limit", transmission_limit >= 1),
            ("timeout_type", timeout_type in (0, 1)),
            ("initial_vs", 0 <= initial_vs <= 255),
        ):
            if not ok:
                raise ConfigError("bad_fop_parameter", name)
        self.t1_initial = t1_initial
        self.transmission_limit = transmission_limit
        self.timeout_type = timeout_type
        self.state = FopState.INITIAL
        self.vs = initial_vs
        self.nn_r = initial_vs
        self.transmission_count = 0
        self.suspend_state = 0
        self.sent_queue: deque[_SentFrame] = deque()
        self.wait_queue: deque[tuple[int, bytes]] = deque()  # capacity one (232.1-B-2 §5)
        self.t1_deadline: float | None = None
        self._pending: str | None = None  # initiation directive awaiting its confirm
        self._next_request_id = 0
        self.last_event = ""

    # -- service requests ----------------------------------------------------------------------------

    def new_request_id(self) -> int:
        self._next_request_id += 1
        return self._next_request_id

    @property
    def can_accept_ad(self) -> bool:
        """True when a Type-AD request would be taken (not rejected) now."""
        return not self.wait_queue and self.state in (
            FopState.ACTIVE, FopState.RETRANSMIT_WITHOUT_WAIT, FopState.RETRANSMIT_WITH_WAIT)

    def request_transmit(self, data: bytes, now: float, *, request_id: int | None = None) -> list[FopEvent]:
        """Request to transfer an FDU with the sequence-controlled (AD) service: E19 or E20.

        The request is accepted when its frame is transmitted (maybe later, when the window opens) and
        positively confirmed when the FARM acknowledges it.
        """
        rid = self.new_request_id() if request_id is None else request_id
        if not 1 <= len(data) <= self.max_data_length:
            return [RequestResponse(rid, Outcome.REJECT, "bad_length")]
        events: list[FopEvent] = []
        if self.wait_queue:  # E20
            self.last_event = "E20"
            return [RequestResponse(rid, Outcome.REJECT, "wait_queue_full")]
        self.last_event = "E19"
        if self.state in (FopState.ACTIVE, FopState.RETRANSMIT_WITHOUT_WAIT):
            self.wait_queue.append((rid, bytes(data)))
            self._look_for_fdu(now, events)
        elif self.state is FopState.RETRANSMIT_WITH_WAIT:
            self.wait_queue.append((rid, bytes(data)))
        else:
            events.append(RequestResponse(rid, Outcome.REJECT, f"state_{self.state.name.lower()}"))
        return events

    def request_bypass(self, data: bytes, *, request_id: int | None = None) -> list[FopEvent]:
        """Request to transfer an FDU with the expedited (BD) service: E21, accepted in every state."""
        rid = self.new_request_id() if request_id is None else request_id
        if not 1 <= len(data) <= self.max_data_length:
            return [RequestResponse(rid, Outcome.REJECT, "bad_length")]
        self.last_event = "E21"
        frame = TcFrame(self.scid, self.vcid, 0, bytes(data), bypass=True)
        return [RequestResponse(rid, Outcome.ACCEPT), TransmitFrame(frame)]

    # -- directives ----------------------------------------------------------------------------------

    def initiate_ad(self, mode: InitiationMode, now: float, *, vr: int | None = None) -> list[FopEvent]:
        """Initiate AD service (E23, E24, E25, E27); only from the Initial state (S6)."""
        name = f"initiate_{mode.value}"
        if self.state is not FopState.INITIAL:
            return [DirectiveResponse(name, Outcome.REJECT, "not_initial")]
        if mode is InitiationMode.WITH_SET_VR and (vr is None or not 0 <= vr <= 255):
            return [DirectiveResponse(name, Outcome.REJECT, "bad_vr")]  # E40, invalid directive
        events: list[FopEvent] = [DirectiveResponse(name, Outcome.ACCEPT)]
        self._initialise(events)
        if mode is InitiationMode.WITHOUT_CLCW_CHECK:
            self.last_event = "E23"
            events.append(DirectiveResponse(name, Outcome.POSITIVE_CONFIRM))
            self.state = FopState.ACTIVE
        elif mode is InitiationMode.WITH_CLCW_CHECK:
            self.last_event = "E24"
            self._pending = name
            self._start_timer(now)
            self.state = FopState.INITIALISING_WITHOUT_BC
        else:
            if mode is InitiationMode.WITH_UNLOCK:
                self.last_event = "E25"
                command = UNLOCK
            else:
                assert vr is not None
                self.last_event = "E27"
                self.vs = self.nn_r = vr
                command = set_vr(vr)
            self._pending = name
            self._transmit_bc(command, now, events)
            self.state = FopState.INITIALISING_WITH_BC
        return events

    def terminate_ad(self) -> list[FopEvent]:
        """E29: terminate AD service; Alert(TERM) unless already in S6."""
        self.last_event = "E29"
        events: list[FopEvent] = [DirectiveResponse("terminate", Outcome.ACCEPT)]
        if self.state is not FopState.INITIAL:
            self._alert(AlertReason.TERM, events)
        events.append(DirectiveResponse("terminate", Outcome.POSITIVE_CONFIRM))
        return events

    def resume_ad(self, now: float) -> list[FopEvent]:
        """E30..E34: resume after a suspension, back to the state recorded in Suspend_State."""
        if self.state is not FopState.INITIAL or self.suspend_state == 0:
            self.last_event = "E30" if self.suspend_state == 0 else f"E{30 + self.suspend_state}"
            return [DirectiveResponse("resume", Outcome.REJECT, "not_suspended")]
        self.last_event = f"E{30 + self.suspend_state}"
        self.state = FopState(self.suspend_state)
        self.suspend_state = 0
        self._start_timer(now)
        return _accepted_and_confirmed("resume")

    def set_vs(self, vs: int) -> list[FopEvent]:
        """E35: set V(S) (and NN(R)) to V*(S); only in S6 and not suspended."""
        self.last_event = "E35"
        if self.state is not FopState.INITIAL or self.suspend_state != 0 or not 0 <= vs <= 255:
            return [DirectiveResponse("set_vs", Outcome.REJECT, "not_allowed")]
        self.vs = self.nn_r = vs
        return _accepted_and_confirmed("set_vs")

    def set_sliding_window(self, width: int) -> list[FopEvent]:
        """E36."""
        return self._set("set_sliding_window", "E36", "sliding_window", width, 1 <= width <= 255)

    def set_t1_initial(self, seconds: float) -> list[FopEvent]:
        """E37."""
        return self._set("set_t1_initial", "E37", "t1_initial", seconds, seconds > 0)

    def set_transmission_limit(self, limit: int) -> list[FopEvent]:
        """E38."""
        return self._set("set_transmission_limit", "E38", "transmission_limit", limit, limit >= 1)

    def set_timeout_type(self, timeout_type: int) -> list[FopEvent]:
        """E39."""
        return self._set("set_timeout_type", "E39", "timeout_type", timeout_type, timeout_type in (0, 1))

    def _set(self, name: str, event: str, attr: str, value: float, ok: bool) -> list[FopEvent]:
        if not ok:
            self.last_event = "E40"  # invalid directive
            return [DirectiveResponse(name, Outcome.REJECT, "bad_value")]
        self.last_event = event
        setattr(self, attr, value)
        return _accepted_and_confirmed(name)

    # -- timer ---------------------------------------------------------------------------------------

    def tick(self, now: float) -> list[FopEvent]:
        """Report T1 expiry if it is due (E16, E104, E17, E18)."""
        if self.t1_deadline is None or now < self.t1_deadline:
            return []
        self.t1_deadline = None
        events: list[FopEvent] = []
        s = self.state
        if self.transmission_count < self.transmission_limit:
            self.last_event = "E16" if self.timeout_type == 0 else "E104"
            if s in (FopState.ACTIVE, FopState.RETRANSMIT_WITHOUT_WAIT):
                self._initiate_ad_retransmission(now)
                self._look_for_fdu(now, events)
            elif s is FopState.INITIALISING_WITHOUT_BC:
                if self.timeout_type == 0:
                    self._alert(AlertReason.T1, events)
                else:
                    self._suspend(events)
            elif s is FopState.INITIALISING_WITH_BC:
                self._initiate_bc_retransmission(now)
                self._look_for_directive(events)
            # S3: ignore, the FARM asked to wait; S6: the timer is not running.
        else:
            self.last_event = "E17" if self.timeout_type == 0 else "E18"
            if s is FopState.INITIAL:
                return events
            if self.timeout_type == 0 or s is FopState.INITIALISING_WITH_BC:
                self._alert(AlertReason.T1, events)
            else:
                self._suspend(events)
        return events

    @property
    def next_deadline(self) -> float | None:
        return self.t1_deadline

    # -- CLCW ----------------------------------------------------------------------------------------

    def receive_clcw(self, clcw: Clcw, now: float) -> list[FopEvent]:
        """Process one CLCW of this virtual channel (E1..E14, E101..E103)."""
        if clcw.cop_in_effect != COP_1 or clcw.vcid != self.vcid:
            return []  # not a report on this FOP's channel
        events: list[FopEvent] = []
        nr, s = clcw.report_value, self.state
        if s is FopState.INITIAL:
            # S6 ignores every CLCW (the last column of Table 5-1 holds no action).
            self.last_event = "S6"
            return events
        if clcw.lockout:
            self.last_event = "E14"
            if s is not FopState.INITIALISING_WITH_BC:
                self._alert(AlertReason.LOCKOUT, events)
            return events
        outstanding = (self.vs - self.nn_r) % 256
        if nr == self.vs:
            if clcw.retransmit:
                self.last_event = "E4"
                if s is not FopState.INITIALISING_WITH_BC:
                    self._alert(AlertReason.SYNCH, events)
            elif clcw.wait:
                self.last_event = "E3"
                self._alert(AlertReason.CLCW, events)
            elif nr == self.nn_r or s in (FopState.INITIALISING_WITHOUT_BC, FopState.INITIALISING_WITH_BC):
                # E1. In S4/S5 the Sent_Queue holds no Type-AD frame, so E2 does not apply there and
                # N(R) = V(S) is the confirmation the initiation waits for.
                self.last_event = "E1"
                if s is FopState.ACTIVE:
                    pass
                elif s in (FopState.RETRANSMIT_WITHOUT_WAIT, FopState.RETRANSMIT_WITH_WAIT):
                    self._alert(AlertReason.SYNCH, events)
                else:
                    if s is FopState.INITIALISING_WITH_BC:
                        self.sent_queue.clear()  # release the copy of the Type-BC frame
                    self.nn_r = nr
                    self._cancel_timer()
                    self._confirm_pending(events)
                    self.state = FopState.ACTIVE
            else:
                self.last_event = "E2"
                self._remove_acknowledged(nr, events)
                self._cancel_timer()
                self.state = FopState.ACTIVE
                self._look_for_fdu(now, events)
        elif (nr - self.nn_r) % 256 < outstanding:
            if s in (FopState.INITIALISING_WITHOUT_BC, FopState.INITIALISING_WITH_BC):
                # E5..E12 are "not applicable" in S4/S5 (no Type-AD frame outstanding).
                self.last_event = "N/A"
                return events
            self._clcw_in_window(clcw, nr, now, events)
        else:
            self.last_event = "E13"
            if s is not FopState.INITIALISING_WITH_BC:
                self._alert(AlertReason.NN_R, events)
        return events

    def _clcw_in_window(self, clcw: Clcw, nr: int, now: float, events: list[FopEvent]) -> None:
        s = self.state
        acknowledges = nr != self.nn_r
        if not clcw.retransmit:
            if clcw.wait:
                self.last_event = "E7"
                self._alert(AlertReason.CLCW, events)
            elif not acknowledges:
                self.last_event = "E5"
                if s is not FopState.ACTIVE:
                    self._alert(AlertReason.SYNCH, events)
            else:
                self.last_event = "E6"
                self._remove_acknowledged(nr, events)
                self.state = FopState.ACTIVE
                self._look_for_fdu(now, events)
            return
        if self.transmission_limit == 1:
            # E101 / E102: no retransmission is allowed at all.
            self.last_event = "E101" if acknowledges else "E102"
            if acknowledges:
                self._remove_acknowledged(nr, events)
            self._alert(AlertReason.LIMIT, events)
            return
        if acknowledges:
            self._remove_acknowledged(nr, events)
            if not clcw.wait:
                self.last_event = "E8"
                self._initiate_ad_retransmission(now)
                self.state = FopState.RETRANSMIT_WITHOUT_WAIT
                self._look_for_fdu(now, events)
            else:
                self.last_event = "E9"
                self.state = FopState.RETRANSMIT_WITH_WAIT
            return
        if self.transmission_count < self.transmission_limit:
            if not clcw.wait:
                self.last_event = "E10"
                if s is not FopState.RETRANSMIT_WITHOUT_WAIT:
                    self._initiate_ad_retransmission(now)
                    self.state = FopState.RETRANSMIT_WITHOUT_WAIT
                    self._look_for_fdu(now, events)
            else:
                self.last_event = "E11"
                self.state = FopState.RETRANSMIT_WITH_WAIT
        else:
            # Limit reached: wait for T1 to expire (E17/E18) rather than retransmit again.
            self.last_event = "E12" if not clcw.wait else "E103"
            self.state = FopState.RETRANSMIT_WITHOUT_WAIT if not clcw.wait else FopState.RETRANSMIT_WITH_WAIT

    # -- procedures of 232.1-B-2 §5 ------------------------------------------------------------------------

    def _look_for_fdu(self, now: float, events: list[FopEvent]) -> None:
        # Go-back-N: every frame marked for retransmission goes first, in sequence order.
        for entry in self.sent_queue:
            if entry.to_be_retransmitted:
                entry.to_be_retransmitted = False
                events.append(TransmitFrame(entry.frame, retransmission=True))
        while self.wait_queue and (self.vs - self.nn_r) % 256 < self.sliding_window:
            rid, data = self.wait_queue.popleft()
            if not self.sent_queue:
                self.transmission_count = 1
            frame = TcFrame(self.scid, self.vcid, self.vs, data)
            self.sent_queue.append(_SentFrame(frame, rid))
            self.vs = (self.vs + 1) % 256
            self._start_timer(now)
            events.append(RequestResponse(rid, Outcome.ACCEPT))
            events.append(TransmitFrame(frame))

    def _look_for_directive(self, events: list[FopEvent]) -> None:
        for entry in self.sent_queue:
            if entry.to_be_retransmitted:
                entry.to_be_retransmitted = False
                events.append(TransmitFrame(entry.frame, retransmission=True))

    def _transmit_bc(self, command: bytes, now: float, events: list[FopEvent]) -> None:
        frame = TcFrame(self.scid, self.vcid, 0, command, bypass=True, control_command=True)
        self.transmission_count = 1
        self.sent_queue.append(_SentFrame(frame, None))
        self._start_timer(now)
        events.append(TransmitFrame(frame))

    def _remove_acknowledged(self, nr: int, events: list[FopEvent]) -> None:
        while self.sent_queue and (self.sent_queue[0].frame.sequence_number - self.nn_r) % 256 < (
            nr - self.nn_r
        ) % 256:
            entry = self.sent_queue.popleft()
            if entry.request_id is not None:
                events.append(RequestResponse(entry.request_id, Outcome.POSITIVE_CONFIRM))
        self.nn_r = nr
        self.transmission_count = 1

    def _initiate_ad_retransmission(self, now: float) -> None:
        self.transmission_count += 1
        self._start_timer(now)
        for entry in self.sent_queue:
            entry.to_be_retransmitted = True

    def _initiate_bc_retransmission(self, now: float) -> None:
        self._initiate_ad_retransmission(now)

    def _initialise(self, events: list[FopEvent]) -> None:
        self._purge(events)
        self.transmission_count = 1
        self.suspend_state = 0

    def _purge(self, events: list[FopEvent]) -> None:
        for entry in self.sent_queue:
            if entry.request_id is not None:
                events.append(RequestResponse(entry.request_id, Outcome.NEGATIVE_CONFIRM, "purged"))
        self.sent_queue.clear()
        for rid, _ in self.wait_queue:
            events.append(RequestResponse(rid, Outcome.NEGATIVE_CONFIRM, "purged"))
        self.wait_queue.clear()

    def _alert(self, reason: AlertReason, events: list[FopEvent]) -> None:
        self._cancel_timer()
        self._purge(events)
        if self._pending is not None:
            events.append(DirectiveResponse(self._pending, Outcome.NEGATIVE_CONFIRM, reason.value))
            self._pending = None
        events.append(Alert(reason, self.last_event))
        self.state = FopState.INITIAL

    def _suspend(self, events: list[FopEvent]) -> None:
        self.suspend_state = int(self.state)
        self.state = FopState.INITIAL
        events.append(Suspended(self.suspend_state, self.last_event))

    def _confirm_pending(self, events: list[FopEvent]) -> None:
        if self._pending is not None:
            events.append(DirectiveResponse(self._pending, Outcome.POSITIVE_CONFIRM))
            self._pending = None

    def _start_timer(self, now: float) -> None:
        self.t1_deadline = now + self.t1_initial

    def _cancel_timer(self) -> None:
        self.t1_deadline = None


def _accepted_and_confirmed(directive: str) -> list[FopEvent]:
    return [
        DirectiveResponse(directive, Outcome.ACCEPT),
        DirectiveResponse(directive, Outcome.POSITIVE_CONFIRM),
    ]
