"""FARM-1, the receiving end of COP-1 (CCSDS 232.1-B-2 §6), sans-IO.

:class:`Farm1` takes TC frames of one virtual channel (already validated by the frame layer, or raw bytes it
decodes itself) and returns events: data accepted for the layer above, frames discarded with a reason,
control commands executed, state changes. It produces the CLCW (§4.2) at any time. Each transition follows
Table 6-1 of 232.1-B-2; the event identifiers ``E1``..``E10`` below are those of that table.

Buffer model: the layer above holds at most ``buffer_capacity`` accepted Type-AD frame data units (``None``
for a consumer that never backs up). It signals consumption with :meth:`Farm1.release_buffer`, which is the
"Buffer Release Signal" (E10). Type-BD data bypass this flow control: the Wait concept does not apply to
them (232.1-B-2 §6).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.tc_frame import TcFrame, parse_control_command
from flightsw.errors import ConfigError, DecodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile


class FarmState(Enum):
    OPEN = 1  # S1
    WAIT = 2  # S2
    LOCKOUT = 3  # S3


class TransferFrameLike(Protocol):
    """The frame attributes FARM-1 needs (a decoded :class:`TcFrame` has them)."""

    @property
    def scid(self) -> int: ...
    @property
    def vcid(self) -> int: ...
    @property
    def sequence_number(self) -> int: ...
    @property
    def data(self) -> bytes: ...
    @property
    def bypass(self) -> bool: ...
    @property
    def control_command(self) -> bool: ...


@dataclass(frozen=True)
class FrameAccepted:
    """A frame data unit passed to the layer above (Type-AD or Type-BD)."""

    event: str  # "E1" or "E6"
    frame_type: str  # "AD" or "BD"
    sequence_number: int
    data: bytes


@dataclass(frozen=True)
class FrameDiscarded:
    event: str
    frame_type: str  # "AD", "BD", "BC" or "" when the frame could not be decoded
    reason: str
    sequence_number: int | None = None


@dataclass(frozen=True)
class ControlCommandAccepted:
    """An Unlock (E7) or Set V(R) (E8) was accepted; ``executed`` is False for E8 in Lockout."""

    event: str
    command: str  # "unlock" or "set_vr"
    executed: bool
    vr: int | None = None


@dataclass(frozen=True)
class StateChanged:
    event: str
    old: FarmState
    new: FarmState


FarmEvent = FrameAccepted | FrameDiscarded | ControlCommandAccepted | StateChanged


class Farm1:
    """Frame Acceptance and Reporting Mechanism for one TC virtual channel."""

    def __init__(
        self,
        vcid: int | None = None,
        *,
        profile: LinkProfile = DEFAULT_PROFILE,
        window_width: int | None = None,
        buffer_capacity: int | None = None,
        initial_vr: int = 0,
    ) -> None:
        self.scid = profile.scid
        self.vcid = profile.tc.vc_commands if vcid is None else vcid
        width = profile.tc.farm_window if window_width is None else window_width
        # §6.1.8.2: W is even, 2..254; the positive and negative window widths are W/2 each.
        if not (2 <= width <= 254 and width % 2 == 0):
            raise ConfigError("bad_window", f"FARM-1 sliding window width {width}: even, 2..254")
        if buffer_capacity is not None and buffer_capacity < 1:
            raise ConfigError("bad_buffer", "buffer capacity must be at least 1")
        if not 0 <= initial_vr <= 255:
            raise ConfigError("bad_vr", f"V(R)={initial_vr}")
        self.window_width = width
        self.positive_window = width // 2
        self.negative_window = width // 2
        self.buffer_capacity = buffer_capacity
        self.buffered = 0  # Type-AD units accepted and not yet released by the layer above
        self.state = FarmState.OPEN
        self.vr = initial_vr
        self.lockout = False
        self.wait = False
        self.retransmit = False
        self.farm_b_counter = 0
        self.no_rf_available = False
        self.no_bit_lock = False
        self.status_field = 0

    # -- reporting -----------------------------------------------------------------------------------

    def clcw(self) -> Clcw:
        """The CLCW reflecting the current FARM-1 state (232.1-B-2 §6 and §4.2)."""
        return Clcw(
            vcid=self.vcid,
            report_value=self.vr,
            lockout=self.lockout,
            wait=self.wait,
            retransmit=self.retransmit,
            farm_b_counter=self.farm_b_counter % 4,
            no_rf_available=self.no_rf_available,
            no_bit_lock=self.no_bit_lock,
            status=self.status_field,
        )

    # -- inputs --------------------------------------------------------------------------------------

    def receive_bytes(self, raw: bytes | bytearray | memoryview, *, fecf: bool = True) -> list[FarmEvent]:
        """Decode one frame and process it; a frame that fails validation is E9 (invalid frame)."""
        try:
            frame = TcFrame.decode(raw, fecf=fecf)
        except DecodeError as exc:
            return self.receive_invalid(exc.reason)
        return self.receive(frame)

    def receive_invalid(self, reason: str) -> list[FarmEvent]:
        """E9: an invalid frame arrives; discarded in every state with no change of state."""
        return [FrameDiscarded("E9", "", reason)]

    def receive(self, frame: TransferFrameLike) -> list[FarmEvent]:
        """Process one valid frame of this virtual channel per Table 6-1."""
        if frame.scid != self.scid:
            return self.receive_invalid("wrong_scid")
        if frame.vcid != self.vcid:
            return self.receive_invalid("wrong_vcid")
        if frame.control_command and not frame.bypass:
            return self.receive_invalid("inconsistent_flags")
        if not frame.bypass:
            return self._type_ad(frame.sequence_number, bytes(frame.data))
        if not frame.control_command:
            return self._type_bd(frame.sequence_number, bytes(frame.data))
        # The control command must be found legal before Table 6-1 applies (232.1-B-2 §6).
        try:
            command = parse_control_command(frame.data)
        except DecodeError as exc:
            return [FrameDiscarded("E9", "BC", exc.reason, frame.sequence_number)]
        if command.kind == "unlock":
            return self._unlock()
        assert command.vr is not None
        return self._set_vr(command.vr)

    def release_buffer(self, count: int = 1) -> list[FarmEvent]:
        """E10, the Buffer Release Signal: the layer above consumed ``count`` accepted Type-AD units."""
        if count < 0:
            raise ValueError("count must not be negative")
        self.buffered = max(0, self.buffered - count)
        if not self.wait:
            return []
        if not self._buffer_available():
            return []
        self.wait = False
        if self.state is FarmState.WAIT:
            return self._go(FarmState.OPEN, "E10")
        return []  # S3: Wait_Flag cleared, Lockout remains

    # -- Table 6-1 -----------------------------------------------------------------------------------

    def _buffer_available(self) -> bool:
        return self.buffer_capacity is None or self.buffered < self.buffer_capacity

    def _type_ad(self, ns: int, data: bytes) -> list[FarmEvent]:
        offset = (ns - self.vr) % 256
        if offset == 0:
            if self.state is FarmState.LOCKOUT:
                return [FrameDiscarded("E1" if self._buffer_available() else "E2", "AD", "lockout", ns)]
            if self._buffer_available() and self.state is FarmState.OPEN:
                # E1 in S1: accept, V(R) := V(R)+1, Retransmit_Flag := 0.
                self.vr = (self.vr + 1) % 256
                self.retransmit = False
                if self.buffer_capacity is not None:
                    self.buffered += 1
                return [FrameAccepted("E1", "AD", ns, data)]
            # E2 (no buffer space). S2 holds only while the buffer is full, so E1 cannot arise there:
            # a Wait state with space found again is treated as E2 until the release signal (E10) arrives.
            self.retransmit = True
            events: list[FarmEvent] = [FrameDiscarded("E2", "AD", "no_buffer", ns)]
            if self.state is FarmState.OPEN:
                self.wait = True
                events += self._go(FarmState.WAIT, "E2")
            return events
        if offset <= self.positive_window - 1:
            # E3: inside the positive window but not the expected frame: a gap, ask for retransmission.
            if self.state is FarmState.OPEN:
                self.retransmit = True
            reason = "lockout" if self.state is FarmState.LOCKOUT else "sequence_gap"
            return [FrameDiscarded("E3", "AD", reason, ns)]
        if offset >= 256 - self.negative_window:
            # E4: negative window, a frame already accepted (duplicate); discarded in every state.
            reason = "lockout" if self.state is FarmState.LOCKOUT else "duplicate"
            return [FrameDiscarded("E4", "AD", reason, ns)]
        # E5: lockout area.
        if self.state is FarmState.LOCKOUT:
            return [FrameDiscarded("E5", "AD", "lockout", ns)]
        self.lockout = True
        return [FrameDiscarded("E5", "AD", "lockout_area", ns), *self._go(FarmState.LOCKOUT, "E5")]

    def _type_bd(self, ns: int, data: bytes) -> list[FarmEvent]:
        # E6: Type-BD frames are accepted in every state; FARM-B counter counts them (mod 4 in the CLCW).
        self.farm_b_counter = (self.farm_b_counter + 1) % 4
        return [FrameAccepted("E6", "BD", ns, data)]

    def _unlock(self) -> list[FarmEvent]:
        # E7 in every state: FARM-B counter +1, Retransmit := 0; Wait := 0 and Lockout := 0 where set; → S1.
        self.farm_b_counter = (self.farm_b_counter + 1) % 4
        self.retransmit = False
        self.wait = False
        self.lockout = False
        return [ControlCommandAccepted("E7", "unlock", True), *self._go(FarmState.OPEN, "E7")]

    def _set_vr(self, vr: int) -> list[FarmEvent]:
        self.farm_b_counter = (self.farm_b_counter + 1) % 4
        if self.state is FarmState.LOCKOUT:
            # E8 in S3: the command is legal and counted but not executed; Unlock must come first.
            return [ControlCommandAccepted("E8", "set_vr", False, vr)]
        self.retransmit = False
        self.wait = False
        self.vr = vr
        return [ControlCommandAccepted("E8", "set_vr", True, vr), *self._go(FarmState.OPEN, "E8")]

    def _go(self, new: FarmState, event: str) -> list[FarmEvent]:
        old, self.state = self.state, new
        return [] if old is new else [StateChanged(event, old, new)]
