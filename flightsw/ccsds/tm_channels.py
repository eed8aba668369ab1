"""TM virtual channel multiplexing and demultiplexing (CCSDS 132.0-B-3 §4.2, §4.3; packets of 133.0-B-2).

The multiplexer takes Space Packets per virtual channel and always has a frame to give: the highest-priority
VC with data, or else an only-idle-data frame on the idle VC; every frame carries the CLCW in its OCF. Packets
span frames freely; the first header pointer says where the first packet starting in a frame begins
(§4.1.2.7.6).

The demultiplexer takes frames and gives events: packets per VC, frame-count gaps (lost frames), CLCWs and
rejected frames. After a gap it drops the broken fragment and resumes at the next first header pointer.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from flightsw.ccsds.spacepacket import IDLE_APID, MIN_PACKET_LENGTH, SpacePacket, packet_length
from flightsw.ccsds.spacepacket import PRIMARY_HEADER_LENGTH as PACKET_HEADER_LENGTH
from flightsw.ccsds.tm_frame import (
    FHP_IDLE,
    FHP_NO_PACKET_START,
    OCF_LENGTH,
    TmFrame,
    data_field_length,
)
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

FRAME_COUNT_MODULUS = 256  # both frame counters are 8 bits (§4.1.2.5, §4.1.2.6)
IDLE_DATA_OCTET = 0x55  # content of only-idle-data frames; any pattern is allowed (§4.1.4.2.2)
DEFAULT_HOLD_S = 0.1


@dataclass
class _VcQueue:
    priority: int
    packets: deque[bytes] = field(default_factory=deque)
    current: bytes = b""  # packet being split across frames
    offset: int = 0  # octets of ``current`` already sent
    current_is_idle: bool = False
    queued: int = 0  # octets of real packets not yet sent
    frame_count: int = 0
    hold_since: float | None = None

    @property
    def has_data(self) -> bool:
        return self.queued > 0


class VcMultiplexer:
    """Sans-IO TM frame source: ``submit`` packets per VC, ``next_frame`` whenever the link can take one.

    ``priorities`` maps VCID to priority (lower goes first; ties by VCID). A frame that would leave 1..6
    octets free, too few for an idle packet (133.0-B-2 §4.1.4.1: at least 7 octets), is held for up to
    ``hold_s`` seconds waiting for more data; after that it is closed with a 7-octet idle packet whose tail
    opens the VC's next frame. Given ``now``, ``next_frame`` also sends an only-idle-data frame at least
    every ``tm.idle_frame_interval_s`` so the CLCW keeps flowing under load; without ``now`` it never holds.
    """

    def __init__(
        self,
        profile: LinkProfile = DEFAULT_PROFILE,
        priorities: Mapping[int, int] | None = None,
        *,
        hold_s: float = DEFAULT_HOLD_S,
    ) -> None:
        tm = profile.tm
        if tm.secondary_header:
            raise EncodeError("unsupported", "the multiplexer builds frames without a secondary header")
        self._profile = profile
        self._data_length = data_field_length(profile)
        self._hold_s = hold_s
        if priorities is None:
            priorities = {tm.vc_realtime: 0, tm.vc_playback: 1}
        self._vcs: dict[int, _VcQueue] = {}
        for vcid in range(8):
            if vcid != tm.vc_idle:
                self._vcs[vcid] = _VcQueue(priority=priorities.get(vcid, 8 + vcid))
        self._order = sorted(self._vcs, key=lambda v: (self._vcs[v].priority, v))
        self._idle_count = 0
        self._master_count = 0
        self._last_idle_at: float | None = None

    @property
    def master_frame_count(self) -> int:
        """The master channel frame count the next frame will carry."""
        return self._master_count

    def submit(self, vcid: int, packet: bytes) -> None:
        """Queue one whole Space Packet on ``vcid``."""
        vc = self._vcs.get(vcid)
        if vc is None:
            raise EncodeError("bad_vcid", f"VC {vcid} does not carry packets here")
        try:
            length = packet_length(packet)
        except DecodeError as exc:
            raise EncodeError(exc.reason, f"not a Space Packet: {exc.detail}") from None
        if length != len(packet):
            raise EncodeError("length_mismatch", f"packet length field says {length}, got {len(packet)}")
        vc.packets.append(bytes(packet))
        vc.queued += len(packet)

    def queued_octets(self, vcid: int | None = None) -> int:
        """Octets of submitted packets not yet sent, on one VC or on all."""
        if vcid is not None:
            vc = self._vcs.get(vcid)
            return vc.queued if vc is not None else 0
        return sum(vc.queued for vc in self._vcs.values())

    def next_frame(self, clcw: bytes | None = None, now: float | None = None) -> bytes:
        """The next frame to send; ``clcw`` goes in the OCF (required when the profile has one)."""
        tm = self._profile.tm
        ocf: bytes | None = None
        if tm.ocf_present:
            if clcw is None or len(clcw) != OCF_LENGTH:
                raise EncodeError("length_mismatch", f"the OCF needs a {OCF_LENGTH}-octet CLCW")
            ocf = bytes(clcw)
        idle_due = now is not None and (
            self._last_idle_at is None or now - self._last_idle_at >= tm.idle_frame_interval_s
        )
        if not idle_due:
            for vcid in self._order:
                vc = self._vcs[vcid]
                if vc.has_data and self._ready(vc, now):
                    return self._data_frame(vcid, vc, ocf)
        if now is not None:
            self._last_idle_at = now
        return self._idle_frame(ocf)

    def _ready(self, vc: _VcQueue, now: float | None) -> bool:
        """False while a frame that would end with 1..6 free octets is being held for more data."""
        free = self._data_length - (vc.queued + (len(vc.current) - vc.offset if vc.current_is_idle else 0))
        if now is None or free <= 0 or free >= MIN_PACKET_LENGTH:
            vc.hold_since = None
            return True
        if vc.hold_since is None:
            vc.hold_since = now
        return now - vc.hold_since >= self._hold_s

    def _data_frame(self, vcid: int, vc: _VcQueue, ocf: bytes | None) -> bytes:
        length = self._data_length
        data = bytearray()
        fhp = FHP_NO_PACKET_START
        while len(data) < length:
            if vc.offset >= len(vc.current):
                if not vc.packets:
                    break
                vc.current = vc.packets.popleft()
                vc.offset = 0
                vc.current_is_idle = False
                if fhp == FHP_NO_PACKET_START:
                    fhp = len(data)
            take = min(length - len(data), len(vc.current) - vc.offset)
            data += vc.current[vc.offset : vc.offset + take]
            vc.offset += take
            if not vc.current_is_idle:
                vc.queued -= take
        free = length - len(data)
        if free:
            # Close the frame with an idle packet; if fewer than 7 octets are free, it spills into the next.
            idle = SpacePacket.idle(max(free, MIN_PACKET_LENGTH)).encode()
            if fhp == FHP_NO_PACKET_START:
                fhp = len(data)
            data += idle[:free]
            vc.current, vc.offset, vc.current_is_idle = idle, free, True
        vc.hold_since = None
        frame = TmFrame(
            scid=self._profile.scid,
            vcid=vcid,
            master_channel_frame_count=self._master_count,
            virtual_channel_frame_count=vc.frame_count,
            first_header_pointer=fhp,
            data=bytes(data),
            ocf=ocf,
        )
        vc.frame_count = (vc.frame_count + 1) % FRAME_COUNT_MODULUS
        return self._finish(frame)

    def _idle_frame(self, ocf: bytes | None) -> bytes:
        frame = TmFrame(
            scid=self._profile.scid,
            vcid=self._profile.tm.vc_idle,
            master_channel_frame_count=self._master_count,
            virtual_channel_frame_count=self._idle_count,
            first_header_pointer=FHP_IDLE,
            data=bytes((IDLE_DATA_OCTET,)) * self._data_length,
            ocf=ocf,
        )
        self._idle_count = (self._idle_count + 1) % FRAME_COUNT_MODULUS
        return self._finish(frame)

    def _finish(self, frame: TmFrame) -> bytes:
        self._master_count = (self._master_count + 1) % FRAME_COUNT_MODULUS
        return frame.encode(self._profile)


# ---- demultiplexer events ----


@dataclass(frozen=True)
class PacketReceived:
    vcid: int
    packet: bytes


@dataclass(frozen=True)
class FramesLost:
    """A jump in a frame counter: ``vcid`` is None for the master channel counter."""

    vcid: int | None
    expected: int
    received: int

    @property
    def missing(self) -> int:
        return (self.received - self.expected) % FRAME_COUNT_MODULUS


@dataclass(frozen=True)
class ClcwReceived:
    vcid: int
    clcw: bytes


@dataclass(frozen=True)
class FragmentDiscarded:
    """Octets of a packet that could not be completed (after a gap or an inconsistent header pointer)."""

    vcid: int
    octets: int
    reason: str


@dataclass(frozen=True)
class FrameRejected:
    reason: str
    detail: str = ""


DemuxEvent = PacketReceived | FramesLost | ClcwReceived | FragmentDiscarded | FrameRejected


@dataclass
class DemuxCounters:
    frames: int = 0
    idle_frames: int = 0
    packets: int = 0
    idle_packets: int = 0
    frames_lost: int = 0  # sum of master channel counter gaps
    fragments_discarded: int = 0
    octets_discarded: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


class VcDemultiplexer:
    """Sans-IO frame sink: ``feed(frame)`` returns the events that frame causes."""

    def __init__(self, profile: LinkProfile = DEFAULT_PROFILE) -> None:
        self._profile = profile
        self._next_master: int | None = None
        self._next_vc: dict[int, int] = {}
        # Per VC: the start of a packet still being assembled; empty when the last frame ended on a packet
        # boundary; absent when the VC is out of step and waits for a first header pointer.
        self._pending: dict[int, bytearray] = {}
        self.counters = DemuxCounters()

    def feed(self, raw: bytes | bytearray | memoryview) -> list[DemuxEvent]:
        events: list[DemuxEvent] = []
        try:
            frame = TmFrame.decode(raw, self._profile)
        except DecodeError as exc:
            self.counters.rejected[exc.reason] += 1
            events.append(FrameRejected(exc.reason, exc.detail))
            return events
        self.counters.frames += 1
        vcid = frame.vcid
        if frame.ocf is not None:
            events.append(ClcwReceived(vcid, frame.ocf))
        mc = frame.master_channel_frame_count
        if self._next_master is not None and mc != self._next_master:
            lost = FramesLost(None, self._next_master, mc)
            self.counters.frames_lost += lost.missing
            events.append(lost)
        self._next_master = (mc + 1) % FRAME_COUNT_MODULUS
        vc_count = frame.virtual_channel_frame_count
        expected = self._next_vc.get(vcid)
        if expected is not None and vc_count != expected:
            events.append(FramesLost(vcid, expected, vc_count))
            self._lose_step(vcid, "frames_lost", events)
        self._next_vc[vcid] = (vc_count + 1) % FRAME_COUNT_MODULUS
        if frame.is_idle or vcid == self._profile.tm.vc_idle:
            self.counters.idle_frames += 1
            return events
        if frame.sync_flag:
            # VCA-mode (non-packet) data is not carried on this mission.
            self.counters.rejected["sync_flag_unsupported"] += 1
            events.append(FrameRejected("sync_flag_unsupported", f"VC {vcid}"))
            self._lose_step(vcid, "sync_flag_unsupported", events)
            return events
        self._take_data(vcid, frame.data, frame.first_header_pointer, events)
        return events

    def _lose_step(self, vcid: int, reason: str, events: list[DemuxEvent]) -> None:
        pending = self._pending.pop(vcid, None)
        if pending:
            self._discard(vcid, len(pending), reason, events)

    def _discard(self, vcid: int, octets: int, reason: str, events: list[DemuxEvent]) -> None:
        self.counters.fragments_discarded += 1
        self.counters.octets_discarded += octets
        events.append(FragmentDiscarded(vcid, octets, reason))

    def _take_data(self, vcid: int, data: bytes, fhp: int, events: list[DemuxEvent]) -> None:
        pending = self._pending.get(vcid)
        if fhp == FHP_NO_PACKET_START:
            if not pending:
                # Middle of a packet whose start was not received: nothing to resynchronise on yet.
                self._pending.pop(vcid, None)
                self._discard(vcid, len(data), "no_packet_start", events)
                return
            pending += data
            self._drain(vcid, pending, events)
            return
        head = data[:fhp]
        if pending is not None:
            pending += head
            if pending:
                try:
                    complete = len(pending) >= PACKET_HEADER_LENGTH and packet_length(pending) == len(pending)
                except DecodeError:
                    complete = False
                if complete:
                    self._emit(vcid, bytes(pending), events)
                else:
                    # The header pointer and the packet being assembled disagree: trust the pointer.
                    self._discard(vcid, len(pending), "first_header_pointer_mismatch", events)
        elif head:
            self._discard(vcid, len(head), "no_packet_start", events)
        pending = bytearray(data[fhp:])
        self._pending[vcid] = pending
        self._drain(vcid, pending, events)

    def _drain(self, vcid: int, pending: bytearray, events: list[DemuxEvent]) -> None:
        """Emit every whole packet at the front of ``pending``, leaving the start of an unfinished one."""
        while len(pending) >= PACKET_HEADER_LENGTH:
            try:
                length = packet_length(pending)
            except DecodeError as exc:
                self._pending.pop(vcid, None)
                self._discard(vcid, len(pending), exc.reason, events)
                return
            if len(pending) < length:
                return
            self._emit(vcid, bytes(pending[:length]), events)
            del pending[:length]

    def _emit(self, vcid: int, packet: bytes, events: list[DemuxEvent]) -> None:
        apid = ((packet[0] & 0x07) << 8) | packet[1]
        if apid == IDLE_APID:
            self.counters.idle_packets += 1
            return
        self.counters.packets += 1
        events.append(PacketReceived(vcid, packet))
