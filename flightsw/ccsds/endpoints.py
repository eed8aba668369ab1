"""The two ends of the space link, composed from the stack's sans-IO layers: bytes and ``now`` in, bytes and
events out. Neither end reads a clock or touches a device; ``flightsw/link`` moves their bytes.

Flight (:class:`FlightEndpoint`), per DESIGN.md:

* uplink: CLTU (231.0) → TC frame (232.0) → SDLS (355.0, on the command VC when configured) → FARM-1
  (232.1) → Space Packets (133.0), each reported as :class:`TcPacketReceived`; anything refused is one
  :class:`UplinkRejected` naming the layer and the reason, and is counted in ``stats``;
* downlink: Space Packets → :class:`~flightsw.ccsds.tm_channels.VcMultiplexer` → TM frames (132.0) whose OCF
  is the current CLCW of FARM-1 → ASM and optional randomiser (131.0) → bytes.

Ground (:class:`GroundEndpoint`): the mirror image, with FOP-1 sequencing Type-AD commands on the command VC.

Sequencing of the simulation VC (``profile.tc.vc_simulation``): Type-BD only. Injected sensor samples are
latest-value data, superseded before a go-back-N retransmission could deliver them, so COP-1 would only add
latency; the sender numbers its Type-BD frames with a rolling N(S) (232.0-B-4 §4.1.2.8: the FARM does not
check it for Type-B frames) and the flight side counts gaps in ``stats["sim_sequence_gaps"]`` without refusing
anything.
Type-AD and control frames on that VC are refused (``reason="type_bd_only"``), and the whole VC is refused
(``reason="simulation_disabled"``) unless the flight end was started in simulation mode.

When SDLS is configured every frame of the command VC is secured, Type-BC control commands included: an
unauthenticated Unlock or Set V(R) could otherwise reset the FARM (355.0-B-2: security is a property of
the virtual channel). Security is applied per transmission, below FOP-1, so a retransmission carries a new
anti-replay sequence number.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Literal

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.cltu import CltuDecoder, encode_cltu
from flightsw.ccsds.farm import (
    ControlCommandAccepted,
    Farm1,
    FarmState,
    FrameAccepted,
    FrameDiscarded,
    StateChanged,
)
from flightsw.ccsds.fop import (
    Alert,
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
from flightsw.ccsds.sdls import (
    KeyStore,
    SdlsReceiver,
    SecurityAssociation,
    apply_security,
)
from flightsw.ccsds.spacepacket import packet_length
from flightsw.ccsds.sync import StreamSynchroniser, frame_with_asm
from flightsw.ccsds.tc_frame import (
    FECF_LENGTH,
    PRIMARY_HEADER_LENGTH,
    SEGMENT_HEADER_LENGTH,
    SEQ_UNSEGMENTED,
    TcFrame,
    parse_segment_header,
    segment_header,
)
from flightsw.ccsds.tm_channels import ClcwReceived as _DemuxClcw
from flightsw.ccsds.tm_channels import (
    FragmentDiscarded,
    FrameRejected,
    FramesLost,
    PacketReceived,
    VcDemultiplexer,
    VcMultiplexer,
)
from flightsw.errors import ConfigError, DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

__all__ = [
    "Alert",
    "ClcwReceived",
    "CommandQueued",
    "DirectiveResponse",
    "FarmNotice",
    "FlightEndpoint",
    "FragmentDiscarded",
    "FrameRejected",
    "FramesLost",
    "GroundEndpoint",
    "Outcome",
    "RequestResponse",
    "Suspended",
    "TcPacketReceived",
    "TmPacketReceived",
    "TransmitFailed",
    "UplinkRejected",
    "flight_security",
    "ground_security",
]

UplinkLayer = Literal["cltu", "frame", "sdls", "farm", "packet", "vc"]


# ---- flight-side events ----


@dataclass(frozen=True)
class TcPacketReceived:
    """One Space Packet of an accepted TC frame, for the router."""

    vcid: int
    packet: bytes
    bypass: bool


@dataclass(frozen=True)
class UplinkRejected:
    """Something the uplink refused: ``layer`` says where, ``reason`` is the machine-readable why."""

    layer: UplinkLayer
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class FarmNotice:
    """A FARM-1 happening worth an onboard event: ``kind`` is ``"unlock"``, ``"set_vr"`` (``executed`` is
    False for a Set V(R) received in Lockout) or ``"state"`` (then ``detail`` names the new state).
    ``sequence_number`` is N(S) of the frame that caused it (for Lockout: the frame in the lockout area,
    CCSDS 232.1-B-2 §6.1.8, event E5), None when no frame number applies."""

    kind: str
    executed: bool = True
    detail: str = ""
    sequence_number: int | None = None


UplinkEvent = TcPacketReceived | UplinkRejected | FarmNotice


# ---- ground-side events ----


@dataclass(frozen=True)
class TmPacketReceived:
    vcid: int
    packet: bytes


@dataclass(frozen=True)
class ClcwReceived:
    """The CLCW carried by a received TM frame, decoded."""

    clcw: Clcw


@dataclass(frozen=True)
class CommandQueued:
    """``send`` took the packet; later events about it carry ``request_id``."""

    request_id: int
    vcid: int
    bypass: bool


@dataclass(frozen=True)
class TransmitFailed:
    """A frame could not be put on the link (e.g. the SDLS association cannot secure it)."""

    reason: str
    detail: str = ""


DownlinkEvent = TmPacketReceived | ClcwReceived | FramesLost | FrameRejected | FragmentDiscarded
GroundEvent = (
    DownlinkEvent | CommandQueued | TransmitFailed | RequestResponse | DirectiveResponse | Alert | Suspended
)


# ---- SDLS set-up helpers ----


def _operational_sa(key: bytes, profile: LinkProfile, key_id: int) -> SecurityAssociation:
    keys = KeyStore(profile.sdls.key_bits)
    keys.add(key_id, key)
    keys.activate(key_id)
    sa = SecurityAssociation.from_profile(profile)
    sa.rekey(keys, key_id)
    sa.start()
    return sa


def flight_security(key: bytes, profile: LinkProfile = DEFAULT_PROFILE, *, key_id: int = 1) -> SdlsReceiver:
    """The receiving end of the profile's security association on the command VC, keyed and operational."""
    return SdlsReceiver(
        [_operational_sa(key, profile, key_id)],
        fecf=profile.tc.fecf_present,
        segment_header=profile.tc.segment_header,
    )


def ground_security(
    key: bytes, profile: LinkProfile = DEFAULT_PROFILE, *, key_id: int = 1
) -> SecurityAssociation:
    """The sending end of the profile's security association on the command VC, keyed and operational."""
    return _operational_sa(key, profile, key_id)


def _tm_unit_length(profile: LinkProfile) -> int:
    return len(profile.tm.asm) + profile.tm.frame_length


# ---- flight ----


class FlightEndpoint:
    """The spacecraft end of the link.

    ``farm_buffer`` bounds the Type-AD units the layer above may hold before FARM-1 enters Wait; then call
    :meth:`release_farm_buffer` after each command is consumed. ``None`` (the default) never waits.
    """

    def __init__(
        self,
        profile: LinkProfile = DEFAULT_PROFILE,
        *,
        sdls: SdlsReceiver | None = None,
        simulation_mode: bool = False,
        farm_buffer: int | None = None,
    ) -> None:
        tc = profile.tc
        if sdls is not None and (sdls.fecf, sdls.segment_header) != (tc.fecf_present, tc.segment_header):
            raise ConfigError("bad_sdls", "SDLS receiver and profile disagree on FECF or segment header")
        self.profile = profile
        self.simulation_mode = simulation_mode
        self._sdls = sdls
        self._cltu = CltuDecoder(profile)
        self._farm = Farm1(profile=profile, buffer_capacity=farm_buffer)
        self._mux = VcMultiplexer(profile)
        self._unit = _tm_unit_length(profile)
        self._last_idle_at: float | None = None
        self._last_ocf: bytes | None = None
        self._sim_next_ns: int | None = None
        self._counts: Counter[str] = Counter()

    # -- uplink ---------------------------------------------------------------------------------------

    def receive(self, data: bytes | bytearray | memoryview, now: float) -> list[UplinkEvent]:
        """Feed uplink bytes as they came off the line (any chunking); ``now`` is kept for symmetry."""
        events: list[UplinkEvent] = []
        before = Counter(self._cltu.counters.rejections)
        frames = self._cltu.feed(data)
        for reason, count in (self._cltu.counters.rejections - before).items():
            self._counts[f"cltu_rejected_{reason}"] += count
            events.extend(UplinkRejected("cltu", reason) for _ in range(count))
        for raw in frames:
            self._counts["cltu_ok"] += 1
            self._frame(raw, events)
        return events

    def _reject(self, events: list[UplinkEvent], layer: UplinkLayer, reason: str, detail: str = "") -> None:
        self._counts[f"{layer}_rejected_{reason}"] += 1
        events.append(UplinkRejected(layer, reason, detail))

    def _frame(self, raw: bytes, events: list[UplinkEvent]) -> None:
        tc = self.profile.tc
        try:
            frame = TcFrame.decode(raw, fecf=tc.fecf_present)
        except DecodeError as exc:  # the CLTU decoder checked it already; kept so no input can escape
            self._reject(events, "frame", exc.reason, exc.detail)
            return
        self._counts["frames_in"] += 1
        if frame.scid != self.profile.scid:
            self._reject(events, "frame", "wrong_scid", f"SCID {frame.scid}")
        elif frame.vcid == tc.vc_commands:
            self._command_frame(frame, events)
        elif frame.vcid == tc.vc_simulation:
            self._simulation_frame(frame, events)
        else:
            self._reject(events, "vc", "unknown_vc", f"VC {frame.vcid}")

    def _command_frame(self, frame: TcFrame, events: list[UplinkEvent]) -> None:
        if self._sdls is not None:
            try:
                plain = self._sdls.process(frame)
            except DecodeError as exc:
                self._reject(events, "sdls", exc.reason, exc.detail)
                return
            assert isinstance(plain, TcFrame)
            frame = plain
            self._counts["sdls_accepted"] += 1
        for event in self._farm.receive(frame):
            if isinstance(event, FrameAccepted):
                self._counts[f"farm_accepted_{event.frame_type.lower()}"] += 1
                self._deliver(frame.vcid, event.data, event.frame_type == "BD", events)
            elif isinstance(event, FrameDiscarded):
                self._counts["farm_discarded"] += 1
                detail = f"{event.event} type {event.frame_type or '?'} N(S)={event.sequence_number}"
                self._reject(events, "farm", event.reason, detail)
            elif isinstance(event, ControlCommandAccepted):
                self._counts[f"farm_{event.command}"] += 1
                vr = "" if event.vr is None else f"V(R)={event.vr}"
                events.append(FarmNotice(event.command, event.executed, vr))
            elif isinstance(event, StateChanged):
                if event.new is FarmState.LOCKOUT:
                    self._counts["farm_lockouts"] += 1
                elif event.new is FarmState.WAIT:
                    self._counts["farm_waits"] += 1
                events.append(FarmNotice("state", True, event.new.name.lower(), frame.sequence_number))

    def _simulation_frame(self, frame: TcFrame, events: list[UplinkEvent]) -> None:
        if not self.simulation_mode:
            self._reject(events, "vc", "simulation_disabled", f"VC {frame.vcid}")
            return
        if not frame.bypass or frame.control_command:
            self._reject(events, "vc", "type_bd_only", f"type {frame.frame_type} on VC {frame.vcid}")
            return
        if self._sim_next_ns is not None and frame.sequence_number != self._sim_next_ns:
            self._counts["sim_sequence_gaps"] += 1
        self._sim_next_ns = (frame.sequence_number + 1) % 256
        self._counts["sim_frames"] += 1
        self._deliver(frame.vcid, frame.data, True, events)

    def _deliver(self, vcid: int, data: bytes, bypass: bool, events: list[UplinkEvent]) -> None:
        tc = self.profile.tc
        if tc.segment_header:
            try:
                flags, map_id = parse_segment_header(data)
            except DecodeError as exc:
                self._reject(events, "frame", exc.reason, exc.detail)
                return
            if flags != SEQ_UNSEGMENTED:
                # The mission sends whole packets only (DESIGN.md: MAP 0, unsegmented).
                self._reject(events, "frame", "segmented_not_supported", f"sequence flags {flags:02b}")
                return
            if map_id != tc.map_id:
                self._reject(events, "frame", "unknown_map", f"MAP {map_id}")
                return
            data = data[SEGMENT_HEADER_LENGTH:]
        offset = 0
        while offset < len(data):
            try:
                length = packet_length(data[offset:])
            except DecodeError as exc:
                self._reject(events, "packet", exc.reason, f"at octet {offset} of the frame data")
                return
            if offset + length > len(data):
                self._reject(events, "packet", "truncated", f"packet of {length} octets at octet {offset}")
                return
            self._counts["tc_packets"] += 1
            events.append(TcPacketReceived(vcid, bytes(data[offset : offset + length]), bypass))
            offset += length

    def release_farm_buffer(self) -> None:
        """The layer above consumed one accepted Type-AD unit (FARM-1 Buffer Release Signal, E10)."""
        self._farm.release_buffer()

    @property
    def clcw(self) -> bytes:
        """The current CLCW of FARM-1, encoded (what the next TM frame's OCF carries)."""
        return self._farm.clcw().encode()

    @property
    def farm_state(self) -> FarmState:
        return self._farm.state

    # -- downlink -------------------------------------------------------------------------------------

    def send_tm(self, packet: bytes, vcid: int | None = None) -> None:
        """Queue one whole TM Space Packet, on the real-time VC unless ``vcid`` says otherwise (playback for
        dumps). Raises :class:`EncodeError` for something that is not one whole packet or a VC that carries
        no packets (the caller built it; link input never reaches here)."""
        self._mux.submit(self.profile.tm.vc_realtime if vcid is None else vcid, packet)
        self._counts["tm_packets"] += 1

    @property
    def queued_octets(self) -> int:
        return self._mux.queued_octets()

    def queued_octets_on(self, vcid: int) -> int:
        """Octets of packets queued on one VC and not yet in a transmitted frame (each VC is first in, first
        out, so this tells how much of what was sent on it has gone out)."""
        return self._mux.queued_octets(vcid)

    def transmit(self, now: float, max_octets: int | None = None) -> bytes:
        """ASM+frame units due now, at most ``max_octets`` octets of whole units; ``b""`` when none is due.

        Due are: an only-idle-data frame when ``profile.tm.idle_frame_interval_s`` has elapsed since the
        last one (even under load, so the CLCW keeps flowing), frames carrying queued packets, and one idle
        frame whenever the CLCW has changed since the last frame sent, so that FOP-1 hears of acceptances at
        once rather than at the next idle interval. A frame is never held back waiting for more packets:
        one that the queue cannot fill is closed with an idle packet (APID 0x7FF, 133.0-B-2 §4.1.3.3.4.4), so
        what was queued goes out as soon as the line allows."""
        tm = self.profile.tm
        out = bytearray()
        budget = self._unit * 1_000_000 if max_octets is None else max_octets
        while budget - len(out) >= self._unit:
            clcw = self.clcw if tm.ocf_present else None
            if self._last_idle_at is None or now - self._last_idle_at >= tm.idle_frame_interval_s:
                # The multiplexer keeps the same idle clock: it is given ``now`` only here.
                frame = self._mux.next_frame(clcw, now)
                self._last_idle_at = now
            elif self._mux.queued_octets() or (clcw is not None and clcw != self._last_ocf):
                frame = self._mux.next_frame(clcw)
            else:
                break
            self._last_ocf = clcw
            vcid = (frame[1] >> 1) & 0x07
            self._counts["tm_frames"] += 1
            if vcid == tm.vc_idle:
                self._counts["tm_idle_frames"] += 1
            out += frame_with_asm(frame, self.profile)
        self._counts["tm_octets"] += len(out)
        return bytes(out)

    # -- statistics -----------------------------------------------------------------------------------

    @property
    def stats(self) -> dict[str, int]:
        """Counters of both directions; rejection counters are ``<layer>_rejected_<reason>``."""
        out = dict(self._counts)
        cltu = self._cltu.counters
        out["cltus"] = cltu.cltus
        out["cltu_corrected_codeblocks"] = cltu.corrected_codeblocks
        out["cltu_bytes_discarded"] = cltu.bytes_discarded
        out["tm_queued_octets"] = self._mux.queued_octets()
        if self._sdls is not None:
            for reason, count in self._sdls.rejections.items():
                out[f"sdls_rejected_{reason}"] = count
        return out


# ---- ground ----

InitiateMode = Literal["unlock", "set_vr", "no_clcw_check", "clcw_check"]
_INITIATION = {
    "unlock": InitiationMode.WITH_UNLOCK,
    "set_vr": InitiationMode.WITH_SET_VR,
    "no_clcw_check": InitiationMode.WITHOUT_CLCW_CHECK,
    "clcw_check": InitiationMode.WITH_CLCW_CHECK,
}


class GroundEndpoint:
    """The ground end of the link: commands out as CLTUs, telemetry in from the ASM-framed stream.

    Type-AD commands on the command VC go through FOP-1; when its window or wait queue is full they wait
    here, in order, and every one ends with a :class:`RequestResponse` (positive confirm, or negative confirm
    / reject with a reason): none is dropped silently. ``t1_initial`` and ``transmission_limit`` are FOP-1's
    (232.1-B-2 §5.1.5)."""

    def __init__(
        self,
        profile: LinkProfile = DEFAULT_PROFILE,
        *,
        sdls: SecurityAssociation | None = None,
        t1_initial: float = 5.0,
        transmission_limit: int = 5,
        sliding_window: int | None = None,
    ) -> None:
        if sdls is not None and sdls.vcid != profile.tc.vc_commands:
            raise ConfigError("bad_sdls", f"the association protects VC {sdls.vcid}, commands use "
                                          f"VC {profile.tc.vc_commands}")
        self.profile = profile
        self._sdls = sdls
        self._fop = Fop1(
            profile=profile,
            t1_initial=t1_initial,
            transmission_limit=transmission_limit,
            sliding_window=sliding_window,
        )
        self._sync = StreamSynchroniser(profile)
        self._demux = VcDemultiplexer(profile)
        self._backlog: deque[tuple[int, bytes]] = deque()
        self._cltus: deque[bytes] = deque()
        self._sim_ns = 0
        self._last_nr: int | None = None  # N(R) of the last CLCW of the command VC
        self._counts: Counter[str] = Counter()
        tc = profile.tc
        overhead = PRIMARY_HEADER_LENGTH + (FECF_LENGTH if tc.fecf_present else 0)
        overhead += SEGMENT_HEADER_LENGTH if tc.segment_header else 0
        self._max_packet = tc.max_frame_length - overhead
        self._max_secured_packet = self._max_packet - (
            sdls.header_length + sdls.mac_length if sdls is not None else 0
        )

    # -- COP-1 directives -----------------------------------------------------------------------------

    def initiate(
        self, now: float, mode: InitiateMode = "unlock", *, vr: int | None = None
    ) -> list[GroundEvent]:
        """Initiate the AD service (232.1-B-2 §5, E23..E27): ``"unlock"`` sends Unlock, ``"set_vr"`` sends
        Set V(R) (to ``vr``, by default the current V(S)), ``"clcw_check"`` waits for a matching CLCW,
        ``"no_clcw_check"`` starts at once. Except with ``"set_vr"``, V(S) first takes the N(R) of the
        last CLCW heard, so the service can be restarted after an alert."""
        choice = _INITIATION.get(mode)
        if choice is None:
            raise ConfigError("bad_mode", f"initiation mode {mode!r}; one of {', '.join(_INITIATION)}")
        events: list[GroundEvent] = []
        if choice is InitiationMode.WITH_SET_VR:
            vr = self._fop.vs if vr is None else vr
        elif self._last_nr is not None and self._fop.state is FopState.INITIAL:
            # Frames purged by an alert leave V(S) ahead of the FARM's V(R); the FARM's count is the truth,
            # so start from it (the Set V(S) directive, 232.1-B-2 Table 5-1, E35).
            self._handle(self._fop.set_vs(self._last_nr), now, events)
        self._handle(self._fop.initiate_ad(choice, now, vr=vr), now, events)
        return events

    def terminate(self, now: float) -> list[GroundEvent]:
        """Terminate the AD service; every pending command is negatively confirmed."""
        events: list[GroundEvent] = []
        self._handle(self._fop.terminate_ad(), now, events)
        self._purge_backlog("terminated", events)
        return events

    @property
    def fop_state(self) -> FopState:
        return self._fop.state

    # -- commands -------------------------------------------------------------------------------------

    def send(self, packet: bytes, now: float, *, vcid: int = 0, bypass: bool = False) -> list[GroundEvent]:
        """Send one TC Space Packet: Type-AD through FOP-1 on the command VC, Type-BD when ``bypass``;
        on the simulation VC always Type-BD (see the module docstring)."""
        tc = self.profile.tc
        rid = self._fop.new_request_id()
        events: list[GroundEvent] = [CommandQueued(rid, vcid, bypass or vcid != tc.vc_commands)]
        secured = self._sdls is not None and vcid == self._sdls.vcid
        limit = self._max_secured_packet if secured else self._max_packet
        if not 1 <= len(packet) <= limit:
            events.append(RequestResponse(rid, Outcome.REJECT, "bad_length"))
            return events
        fdu = segment_header(tc.map_id) + bytes(packet) if tc.segment_header else bytes(packet)
        self._counts["commands"] += 1
        if vcid == tc.vc_simulation and vcid != tc.vc_commands:
            frame = TcFrame(self.profile.scid, vcid, self._sim_ns, fdu, bypass=True)
            self._sim_ns = (self._sim_ns + 1) % 256
            events.append(RequestResponse(rid, Outcome.ACCEPT))
            self._emit(frame, events)
        elif vcid != tc.vc_commands:
            events.append(RequestResponse(rid, Outcome.REJECT, "unknown_vc"))
        elif bypass:
            self._handle(self._fop.request_bypass(fdu, request_id=rid), now, events)
        elif self._fop.state is FopState.INITIAL:
            events.append(RequestResponse(rid, Outcome.REJECT, "ad_service_not_initiated"))
        else:
            self._backlog.append((rid, fdu))
            self._pump(now, events)
        return events

    @property
    def pending(self) -> int:
        """Type-AD commands not yet confirmed: waiting here, in FOP-1's wait queue, or sent and not yet
        acknowledged."""
        sent = sum(1 for entry in self._fop.sent_queue if entry.request_id is not None)
        return len(self._backlog) + len(self._fop.wait_queue) + sent

    def tick(self, now: float) -> list[GroundEvent]:
        """Let FOP-1's timer T1 expire when due (retransmission, or an alert at the transmission limit)."""
        events: list[GroundEvent] = []
        self._handle(self._fop.tick(now), now, events)
        self._pump(now, events)
        return events

    def transmit(self, now: float, max_octets: int | None = None) -> bytes:
        """Whole CLTUs ready to write, at most ``max_octets`` octets of them (``b""`` when the first does not
        fit: a pacer must allow a burst of at least one maximum CLTU); ``now`` keeps the flight end's
        signature."""
        out = bytearray()
        while self._cltus:
            nxt = self._cltus[0]
            if max_octets is not None and len(out) + len(nxt) > max_octets:
                break
            out += self._cltus.popleft()
        self._counts["cltu_octets"] += len(out)
        return bytes(out)

    @property
    def queued_octets(self) -> int:
        return sum(len(c) for c in self._cltus)

    # -- telemetry ------------------------------------------------------------------------------------

    def receive(self, data: bytes | bytearray | memoryview, now: float) -> list[GroundEvent]:
        """Feed downlink bytes as they came off the line; CLCWs drive FOP-1."""
        events: list[GroundEvent] = []
        crc_before = self._sync.counters.crc_errors
        frames = self._sync.feed(data)
        for _ in range(self._sync.counters.crc_errors - crc_before):
            events.append(FrameRejected("bad_crc", "TM frame after an ASM failed its FECF"))
        self._counts["tm_frames_bad_crc"] += self._sync.counters.crc_errors - crc_before
        for frame in frames:
            self._counts["tm_frames"] += 1
            for event in self._demux.feed(frame):
                if isinstance(event, PacketReceived):
                    self._counts["tm_packets"] += 1
                    events.append(TmPacketReceived(event.vcid, event.packet))
                elif isinstance(event, _DemuxClcw):
                    self._clcw(event.clcw, now, events)
                else:
                    if isinstance(event, FramesLost) and event.vcid is None:
                        self._counts["tm_frames_lost"] += event.missing
                    elif isinstance(event, FrameRejected):
                        self._counts[f"tm_rejected_{event.reason}"] += 1
                    events.append(event)
        self._pump(now, events)
        return events

    def _clcw(self, raw: bytes, now: float, events: list[GroundEvent]) -> None:
        try:
            clcw = Clcw.decode(raw)
        except DecodeError as exc:
            self._counts[f"clcw_rejected_{exc.reason}"] += 1
            events.append(FrameRejected(f"clcw_{exc.reason}", exc.detail))
            return
        self._counts["clcws"] += 1
        events.append(ClcwReceived(clcw))
        if clcw.vcid == self._fop.vcid:
            self._last_nr = clcw.report_value
            self._handle(self._fop.receive_clcw(clcw, now), now, events)

    # -- internals ------------------------------------------------------------------------------------

    def _pump(self, now: float, events: list[GroundEvent]) -> None:
        """Hand waiting commands to FOP-1 while it takes them (its wait queue holds one)."""
        while self._backlog and self._fop.can_accept_ad:
            rid, fdu = self._backlog.popleft()
            self._handle(self._fop.request_transmit(fdu, now, request_id=rid), now, events)

    def _handle(self, fop_events: list[FopEvent], now: float, events: list[GroundEvent]) -> None:
        for event in fop_events:
            if isinstance(event, TransmitFrame):
                if event.retransmission:
                    self._counts["tc_retransmissions"] += 1
                self._emit(event.frame, events)
                continue
            if isinstance(event, RequestResponse):
                self._counts[f"requests_{event.outcome.value}"] += 1
            elif isinstance(event, Alert):
                self._counts[f"fop_alerts_{event.reason.value}"] += 1
            events.append(event)
            if isinstance(event, Alert | Suspended):
                # FOP-1 purged its own queues; the commands waiting here share their fate.
                self._purge_backlog(event.reason.value if isinstance(event, Alert) else "suspended", events)

    def _purge_backlog(self, reason: str, events: list[GroundEvent]) -> None:
        while self._backlog:
            rid, _ = self._backlog.popleft()
            self._counts["requests_negative_confirm"] += 1
            events.append(RequestResponse(rid, Outcome.NEGATIVE_CONFIRM, reason))

    def _emit(self, frame: TcFrame, events: list[GroundEvent]) -> None:
        tc = self.profile.tc
        if self._sdls is not None and frame.vcid == self._sdls.vcid:
            try:
                secured = apply_security(frame, self._sdls, fecf=tc.fecf_present)
            except EncodeError as exc:
                self._counts[f"sdls_failed_{exc.reason}"] += 1
                events.append(TransmitFailed(exc.reason, exc.detail))
                return
            assert isinstance(secured, TcFrame)
            frame = secured
        self._counts["tc_frames"] += 1
        self._cltus.append(encode_cltu(frame.encode(fecf=tc.fecf_present), self.profile))

    @property
    def stats(self) -> dict[str, int]:
        out = dict(self._counts)
        out["tm_bytes_discarded"] = self._sync.counters.bytes_discarded
        out["tm_resyncs"] = self._sync.counters.resyncs
        out["pending"] = self.pending
        return out
