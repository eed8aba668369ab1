"""The executive: routes accepted telecommands to PUS services and runs the request verification flow.

Uplink, packet by packet (:meth:`Executive.handle_packet`):

1. PUS TC decode (CCSDS 133.0 primary header, PUS-C secondary header, CRC-16 packet error control). A
   packet that does not decode is refused at acceptance (TM[1,2]) with the code of its fault, addressed by
   its request id when at least the four octets of the id arrived.
2. Router by APID: an APID no on-board application answers for → ``ILLEGAL_APID`` and a ``tc_rejected`` event.
   Simulation injection (the simulation APID) is refused unless the executive runs in simulation mode.
3. Service: no service of that type for the APID → ``ILLEGAL_SERVICE``.
4. Dictionary: the command (service, subtype and, for TC[8,1], function id) must exist →
   ``ILLEGAL_SUBTYPE``; its arguments must decode (``MALFORMED_DATA``) and lie in range (``OUT_OF_RANGE``).
5. Accepted: TM[1,1] when asked for, then the service runs; start, progress and completion reports follow the
   ack flags (see :mod:`flightsw.cdh.service` for the service's side of the contract).

A refused command is never executed. Failure reports are sent whatever the ack flags say: the flags request
the *successful* verification reports only (ECSS-E-ST-70-41C §6.1.3, §5.4.11.2.2).

Downlink: :meth:`Executive.emit_tm` builds PUS TM with per-type message counters and the on-board CUC time;
packets wait in :attr:`Executive.outbox` for the link, or go to the spool while the link is down and come back
on the playback VC when it returns. Spooled TM is forgotten only once the link layer reports it on the wire
(:meth:`Executive.confirm_playback`), so a crash during playback replays it rather than losing it. The
executive is single-threaded and does no I/O of its own (the flight loop of :mod:`flightsw.cdh.fly` feeds it
bytes and takes TM from it).

Telemetry that no on-board function has published yet is ``None``, "not yet valid": monitoring (ST[12])
sees an invalid sample rather than a zero, and housekeeping reports carry a placeholder.

Commands released on board (ST[19] actions, ST[11] schedules) carry a release depth: an action released
because of an event raised while a request of depth ``d`` ran has depth ``d + 1`` (a ground command and a
scheduled command have depth 0). One beyond :data:`MAX_RELEASE_DEPTH` is not executed, which ends an
event-action chain that re-triggers itself.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flightsw.ccsds.pus import MessageTypeCounter, PusTc, PusTm
from flightsw.ccsds.spacepacket import IDLE_APID, SEQUENCE_COUNT_MODULUS
from flightsw.ccsds.timecode import TAI_EPOCH, Cuc, CucFormat, utc_to_tai
from flightsw.cdh.modes import Mode, ModeManager
from flightsw.cdh.parameters import FILE_NAME as PARAMETER_FILE
from flightsw.cdh.parameters import FlightParameterStore
from flightsw.cdh.scheduler import Clock, Scheduler
from flightsw.cdh.service import (
    EventListener,
    FailureCode,
    Origin,
    Request,
    Service,
    ServiceContext,
    ServiceFailure,
    SpooledTm,
    TmListener,
    TmSpool,
)
from flightsw.cdh.services.s01_verification import encode_failure, encode_success
from flightsw.dictionary import Dictionary, Telecommand
from flightsw.dictionary.model import EVENT_ID_TYPE
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import LinkProfile

log = logging.getLogger(__name__)

# PUS TC decode reasons and the acceptance failure each one gets.
_DECODE_FAILURES: dict[str, FailureCode] = {
    "bad_crc": FailureCode.BAD_CHECKSUM,
    "truncated": FailureCode.INVALID_LENGTH,
    "trailing_bytes": FailureCode.INVALID_LENGTH,
    "length_mismatch": FailureCode.INVALID_LENGTH,
    "wrong_type": FailureCode.UNSUPPORTED_PUS_VERSION,
    "sec_header_flag": FailureCode.UNSUPPORTED_PUS_VERSION,
    "unknown_pus_version": FailureCode.UNSUPPORTED_PUS_VERSION,
    "wrong_version": FailureCode.UNSUPPORTED_PUS_VERSION,
}
REQUEST_ID_LENGTH = 4  # version, type, flags, APID, sequence flags and count (ECSS-E-ST-70-41C §5.4.11)
MEMORY_SPOOL_PACKETS = 20000
SPOOL_DRAIN_PER_CALL = 64  # spooled packets read at once, and the outbox length below which more are read
# Confirmed playback is forgotten in batches of this many packets (one storage transaction each): a crash
# replays at most that many packets twice, which the ground drops as duplicates.
SPOOL_CONFIRM_BATCH = 64
# Longest chain of on-board releases: event -> action -> event -> action ... (ST[19]).
MAX_RELEASE_DEPTH = 4


def system_tai_seconds() -> float:
    """TAI seconds since 1958-01-01 from the host's UTC clock and the leap-second table."""
    tai = utc_to_tai(datetime.now(UTC))
    return (tai - TAI_EPOCH).total_seconds()


class MemorySpool:
    """A bounded in-memory TM spool (used when no on-board storage is configured); the oldest packets are
    dropped, and counted, when it is full. Tokens are a counter of the packets ever kept."""

    def __init__(self, max_packets: int = MEMORY_SPOOL_PACKETS) -> None:
        self._queue: deque[SpooledTm] = deque()
        self._next_token = 1
        self.max_packets = max_packets
        self.dropped = 0

    def spool(self, packet: bytes, vcid: int, onboard_time: float) -> bool:
        if len(self._queue) >= self.max_packets:
            self._queue.popleft()
            self.dropped += 1
        self._queue.append(SpooledTm(self._next_token, bytes(packet), vcid))
        self._next_token += 1
        return True

    def spool_many(self, packets: Sequence[tuple[bytes, int]], onboard_time: float) -> int:
        return sum(self.spool(packet, vcid, onboard_time) for packet, vcid in packets)

    def pending(self, max_packets: int, after: int = 0) -> list[SpooledTm]:
        out: list[SpooledTm] = []
        for item in self._queue:
            if len(out) >= max_packets:
                break
            if item.token > after:
                out.append(item)
        return out

    def mark_sent(self, tokens: Iterable[int]) -> None:
        sent = set(tokens)
        if sent:
            self._queue = deque(item for item in self._queue if item.token not in sent)

    def __len__(self) -> int:
        return len(self._queue)

    def flush(self) -> None:
        """Nothing to make durable: memory only."""

    def close(self) -> None:
        self._queue.clear()


class Executive(ServiceContext):
    """Router, verification flow and the context of every service; see the module docstring."""

    def __init__(self, profile: LinkProfile, dictionary: Dictionary, *, clock: Clock,
                 state_dir: Path | None = None, simulation: bool = False, spool: TmSpool | None = None,
                 tai_at_start: float | None = None) -> None:
        self.profile = profile
        self.dictionary = dictionary
        self.clock = clock
        self.state_dir = state_dir if state_dir is not None else Path(".")
        self.simulation = simulation
        self.parameters = FlightParameterStore(
            dictionary, state_dir / PARAMETER_FILE if state_dir is not None else None)
        self.modes = ModeManager()
        self.spool: TmSpool = spool if spool is not None else MemorySpool()
        self._spool_pending = len(self.spool) > 0  # TM kept by a previous run is played back too
        self._spool_after = 0  # token of the last spooled packet read for playback
        # Spooled packets handed to the link, (token, end offset in the playback VC's octet stream), until
        # the link reports them sent; then their tokens wait in _spool_confirmed to be forgotten in a batch.
        self._playback_in_flight: deque[tuple[int, int]] = deque()
        self._playback_handed_octets = 0
        self._spool_confirmed: list[int] = []
        # Entries: packet, VCID, spool token (None: not from the spool).
        self.outbox: deque[tuple[bytes, int, int | None]] = deque()
        self.link_up = True
        self.started_at = clock.monotonic()
        tai = system_tai_seconds() if tai_at_start is None else tai_at_start
        self._tai_offset = tai - self.started_at
        self._cuc_format = CucFormat.from_profile(profile)
        self._counters = MessageTypeCounter()
        self._sequence: dict[int, int] = {}
        self._routes: dict[tuple[int, int], Service] = {}
        self._services: list[Service] = []
        self._extra_commands: dict[tuple[int, int, int, int | None], Telecommand] = {}
        self._event_listeners: list[EventListener] = []
        self._tm_listeners: list[TmListener] = []
        self._pending: deque[tuple[bytes, Origin, int, int]] = deque()
        self._depth = 0
        self._release_depth = 0  # of the request being handled
        self.event_enabled: dict[int, bool] = {event.id: True for event in dictionary.events}
        # None until published: "not yet valid" (see the module docstring).
        self.telemetry: dict[str, Any] = {p.name: None for p in dictionary.parameters}
        # Called before each housekeeping report to bring telemetry values up to date (scheduler, link, ADCS).
        self.telemetry_sources: list[Callable[[], None]] = []
        self.scheduler: Scheduler | None = None
        self.stats: dict[str, int] = {
            "tc_received": 0, "tc_accepted": 0, "tc_rejected": 0, "tc_completed": 0, "tc_failed": 0,
            "tc_bad_crc": 0, "tm_sent": 0, "tm_spooled": 0, "tm_lost": 0, "events": 0, "service_errors": 0,
            "tc_release_too_deep": 0,
        }

    # ------------------------------------------------------------------------------------ registration
    def register(self, service: Service) -> None:
        """Attach a service and route its service type on each of its APID roles."""
        for role in service.apid_roles:
            apid = getattr(self.profile.apids, role)
            key = (apid, service.service_type)
            if key in self._routes:
                raise ValueError(f"service {service.service_type} on APID {apid:#05x} registered twice")
            self._routes[key] = service
        self._services.append(service)
        service.attach(self)

    def add_command(self, command: Telecommand) -> None:
        """Accept a command that the mission dictionary does not list (simulation injection)."""
        self._extra_commands[command.key] = command

    @property
    def services(self) -> tuple[Service, ...]:
        return tuple(self._services)

    @property
    def apids(self) -> frozenset[int]:
        return frozenset(apid for apid, _ in self._routes)

    # ------------------------------------------------------------------------------------ uplink
    def handle_packet(self, raw: bytes, vcid: int | None = None, origin: Origin = Origin.GROUND,
                      release_depth: int = 0) -> None:
        """One received space packet, through acceptance, routing and execution; never raises."""
        vc = self.profile.tc.vc_commands if vcid is None else vcid
        self._pending.append((bytes(raw), origin, vc, release_depth))
        if self._depth:
            return  # released from inside a service: runs when the current request is done
        self._depth += 1
        try:
            while self._pending:
                packet, packet_origin, packet_vc, depth = self._pending.popleft()
                self._release_depth = depth
                try:
                    self._handle_one(packet, packet_origin, packet_vc, depth)
                except Exception:
                    self.stats["service_errors"] += 1
                    log.exception("telecommand handling failed")
                finally:
                    self._release_depth = 0
        finally:
            self._depth -= 1

    def release_tc(self, packet: bytes, origin: Origin, depth: int = 0) -> None:
        if depth > MAX_RELEASE_DEPTH:
            # Refused without a report or an event: either could trigger the same chain once more.
            self.stats["tc_release_too_deep"] += 1
            log.warning("on-board release of depth %d not executed (at most %d): event-action loop?",
                        depth, MAX_RELEASE_DEPTH)
            return
        self.handle_packet(packet, self.profile.tc.vc_commands, origin, depth)

    @property
    def release_depth(self) -> int:
        return self._release_depth

    def _handle_one(self, raw: bytes, origin: Origin, vcid: int, depth: int) -> None:
        self.stats["tc_received"] += 1
        try:
            tc = PusTc.decode(raw, profile=self.profile)
        except DecodeError as exc:
            if exc.reason == "idle_packet":
                return
            code = _DECODE_FAILURES.get(exc.reason, FailureCode.INVALID_LENGTH)
            if code is FailureCode.BAD_CHECKSUM:
                self.stats["tc_bad_crc"] += 1
            self._reject(raw[:REQUEST_ID_LENGTH], None, code, f"{exc.reason}: {exc.detail}")
            return
        request_id = tc.request_id
        if tc.apid == self.profile.apids.simulation and not self.simulation:
            self._reject(request_id, tc, FailureCode.NOT_IN_SIMULATION, "started without --sim")
            return
        if vcid == self.profile.tc.vc_simulation and tc.apid != self.profile.apids.simulation:
            self._reject(request_id, tc, FailureCode.ILLEGAL_APID,
                         f"APID {tc.apid:#05x} on the simulation VC")
            return
        if tc.apid not in self.apids:
            self._reject(request_id, tc, FailureCode.ILLEGAL_APID, f"no application on APID {tc.apid:#05x}")
            return
        service = self._routes.get((tc.apid, tc.service))
        if service is None:
            self._reject(request_id, tc, FailureCode.ILLEGAL_SERVICE, f"no service {tc.service}")
            return
        try:
            command = (self.dictionary.identify(tc.apid, tc.service, tc.subtype, tc.app_data)
                       or self._extra_command(tc))
        except DecodeError as exc:
            self._reject(request_id, tc, FailureCode.MALFORMED_DATA, exc.detail)
            return
        if command is None:
            self._reject(request_id, tc, FailureCode.ILLEGAL_SUBTYPE, f"TC[{tc.service},{tc.subtype}]")
            return
        try:
            arguments = command.decode(tc.app_data)
        except DecodeError as exc:
            code = FailureCode.OUT_OF_RANGE if exc.reason == "out_of_range" else FailureCode.MALFORMED_DATA
            self._reject(request_id, tc, code, f"{command.name}: {exc.reason}: {exc.detail}")
            return
        self.stats["tc_accepted"] += 1
        if tc.ack_flags & self.profile.pus.ack_acceptance:
            self._verification(1, tc, None)
        request = Request(tc, command, arguments, origin, vcid)
        self._execute(service, request, depth)

    def _extra_command(self, tc: PusTc) -> Telecommand | None:
        for function_id in (None, int.from_bytes(tc.app_data[:2], "big") if len(tc.app_data) >= 2 else -1):
            command = self._extra_commands.get((tc.apid, tc.service, tc.subtype, function_id))
            if command is not None:
                return command
        return None

    def _execute(self, service: Service, request: Request, depth: int) -> None:
        tc = request.tc
        try:
            service.handle(request)
        except ServiceFailure as failure:
            self._failed(request, failure.code, failure.detail, failure.step)
            return
        except Exception:
            self.stats["service_errors"] += 1
            log.exception("service %d failed on %s", service.service_type, request.command.name)
            self._failed(request, FailureCode.EXECUTION_ERROR, "on-board error, see the log", None)
            return
        self.report_start(request)
        self.stats["tc_completed"] += 1
        if tc.ack_flags & self.profile.pus.ack_completion:
            self._verification(7, tc, None)

    def _failed(self, request: Request, code: FailureCode, detail: str, step: int | None) -> None:
        self.stats["tc_failed"] += 1
        if step is not None:
            self._verification(6, request.tc, (code, detail), step)
        elif request.started:
            self._verification(8, request.tc, (code, detail))
        else:
            self._verification(4, request.tc, (code, detail))
        log.info("%s failed: %s %s", request.command.name, code.name, detail)

    def report_start(self, request: Request) -> None:
        if request.started:
            return
        request.started = True
        if request.tc.ack_flags & self.profile.pus.ack_start:
            self._verification(3, request.tc, None)

    def report_progress(self, request: Request, step: int) -> None:
        self.report_start(request)
        request.steps_reported.append(step)
        if request.tc.ack_flags & self.profile.pus.ack_progress:
            self._verification(5, request.tc, None, step)

    def _reject(self, request_id: bytes, tc: PusTc | None, code: FailureCode, detail: str) -> None:
        self.stats["tc_rejected"] += 1
        log.info("telecommand refused: %s %s", code.name, detail)
        if len(request_id) == REQUEST_ID_LENGTH:
            self.emit_tm(1, 2, encode_failure(request_id, code, detail))
        apid = tc.apid if tc is not None else (
            ((request_id[0] << 8) | request_id[1]) & IDLE_APID if len(request_id) >= 2 else 0)
        self.raise_event("tc_rejected", {
            "apid": apid,
            "service": tc.service if tc is not None else 0,
            "subtype": tc.subtype if tc is not None else 0,
            "failure_code": int(code),
        })

    def _verification(self, subtype: int, tc: PusTc, failure: tuple[FailureCode, str] | None,
                      step: int | None = None) -> None:
        if failure is None:
            data = encode_success(tc.request_id, step)
        else:
            data = encode_failure(tc.request_id, failure[0], failure[1], step)
        self.emit_tm(1, subtype, data)

    # ------------------------------------------------------------------------------------ downlink
    def emit_tm(self, service: int, subtype: int, source_data: bytes, *, apid: int | None = None,
                vcid: int | None = None) -> PusTm:
        source_apid = self.profile.apids.cdh if apid is None else apid
        count = self._sequence.get(source_apid, 0)
        self._sequence[source_apid] = (count + 1) % SEQUENCE_COUNT_MODULUS
        tm = PusTm(
            apid=source_apid,
            sequence_count=count,
            service=service,
            subtype=subtype,
            message_type_counter=self._counters.next(service, subtype, self.profile.pus.ground_id),
            destination_id=self.profile.pus.ground_id,
            time=self.onboard_cuc().encode(),
            source_data=source_data,
        )
        channel = self.profile.tm.vc_realtime if vcid is None else vcid
        for listener in self._tm_listeners:
            try:
                listener(tm, channel)
            except Exception:
                self.stats["service_errors"] += 1
                log.exception("TM listener failed")
        self.send_packet(tm.encode(profile=self.profile), channel)
        return tm

    def send_packet(self, packet: bytes, vcid: int) -> None:
        if self.link_up:
            self.outbox.append((packet, vcid, None))
            self.stats["tm_sent"] += 1
            return
        if self.spool.spool(packet, vcid, self.onboard_time()):
            self.stats["tm_spooled"] += 1
            self._spool_pending = True
        else:
            self.stats["tm_lost"] += 1

    def take_outbox(self, max_packets: int | None = None) -> list[tuple[bytes, int]]:
        """TM ready for the link, oldest first (and spooled TM once the link is back, on the playback VC).

        Spooled packets stay in the spool until :meth:`confirm_playback` reports them on the wire."""
        if self.link_up and self._spool_pending and len(self.outbox) < SPOOL_DRAIN_PER_CALL:
            playback = self.profile.tm.vc_playback
            read = self.spool.pending(SPOOL_DRAIN_PER_CALL, self._spool_after)
            # Asking the spool for its size on every frame would cost a database query each time.
            self._spool_pending = len(read) == SPOOL_DRAIN_PER_CALL
            for item in read:
                # Stored TM comes back on the playback VC (DESIGN.md: VC1 playback of stored TM).
                self.outbox.append((item.packet, playback, item.token))
                self._spool_after = item.token
        count = len(self.outbox) if max_packets is None else min(max_packets, len(self.outbox))
        taken: list[tuple[bytes, int]] = []
        for _ in range(count):
            packet, vcid, token = self.outbox.popleft()
            if vcid == self.profile.tm.vc_playback:
                self._playback_handed_octets += len(packet)
                if token is not None:
                    self._playback_in_flight.append((token, self._playback_handed_octets))
            taken.append((packet, vcid))
        return taken

    def confirm_playback(self, playback_queued_octets: int) -> None:
        """The link layer's report: of the playback-VC packets taken from :meth:`take_outbox`, all but the
        last ``playback_queued_octets`` octets are on the wire (the VC is first in, first out). Spooled
        packets among them are forgotten by the spool, in batches of :data:`SPOOL_CONFIRM_BATCH`."""
        sent_up_to = self._playback_handed_octets - playback_queued_octets
        while self._playback_in_flight and self._playback_in_flight[0][1] <= sent_up_to:
            self._spool_confirmed.append(self._playback_in_flight.popleft()[0])
        if len(self._spool_confirmed) >= SPOOL_CONFIRM_BATCH or (
                self._spool_confirmed and not self._playback_in_flight):
            self._forget_confirmed()

    def _forget_confirmed(self) -> None:
        confirmed, self._spool_confirmed = self._spool_confirmed, []
        if confirmed:
            self.spool.mark_sent(confirmed)

    def set_link_up(self, up: bool) -> None:
        if up == self.link_up:
            return
        self.link_up = up
        log.warning("link %s", "up" if up else "down: TM goes to storage")
        if not up:
            self._keep_outbox()

    def _keep_outbox(self) -> None:
        """TM queued but not yet on the wire would be lost with the link: spool it (one batch). Spooled
        packets not confirmed sent are still in the spool and are read again from the oldest."""
        fresh = [(packet, vcid) for packet, vcid, token in self.outbox if token is None]
        self.outbox.clear()
        self._forget_confirmed()
        self._playback_in_flight.clear()
        self._spool_after = 0
        self._spool_pending = True
        if not fresh:
            return
        self.stats["tm_sent"] -= len(fresh)
        kept = self.spool.spool_many(fresh, self.onboard_time())
        self.stats["tm_spooled"] += kept
        self.stats["tm_lost"] += len(fresh) - kept

    # ------------------------------------------------------------------------------------ events
    def raise_event(self, event: str | int, values: Mapping[str, Any] | None = None) -> None:
        definition = (self.dictionary.event_by_id[event] if isinstance(event, int)
                      else self.dictionary.event_by_name[event])
        data = dict(values or {})
        self.stats["events"] += 1
        if self.event_enabled.get(definition.id, True):
            try:
                aux = definition.encode(data)
            except EncodeError:
                log.exception("event %s has bad values %r", definition.name, data)
                return
            report = definition.id.to_bytes(EVENT_ID_TYPE.bits // 8, "big") + aux
            self.emit_tm(5, int(definition.severity), report)
        for listener in self._event_listeners:
            try:
                listener(definition.id, data)
            except Exception:
                self.stats["service_errors"] += 1
                log.exception("event listener failed")

    def add_event_listener(self, listener: EventListener) -> None:
        self._event_listeners.append(listener)

    def add_tm_listener(self, listener: TmListener) -> None:
        self._tm_listeners.append(listener)

    # ------------------------------------------------------------------------------------ parameters
    def get_parameter(self, name_or_id: str | int) -> Any:
        if isinstance(name_or_id, int):
            if name_or_id in self.dictionary.flight_parameter_by_id:
                return self.parameters.get(name_or_id)
            return self.telemetry[self.dictionary.parameter_by_id[name_or_id].name]
        if name_or_id in self.dictionary.flight_parameter_by_name:
            return self.parameters.get(name_or_id)
        if name_or_id not in self.telemetry:
            raise KeyError(name_or_id)
        return self.telemetry[name_or_id]

    def set_telemetry(self, name: str, value: Any) -> None:
        if name not in self.telemetry:
            raise KeyError(name)
        self.telemetry[name] = value

    def set_flight_parameter(self, name_or_id: str | int, value: Any) -> None:
        try:
            self.parameters.set(name_or_id, value)
        except KeyError:
            raise ServiceFailure(FailureCode.UNKNOWN_ID, f"no flight parameter {name_or_id!r}") from None
        except ValueError as exc:
            raise ServiceFailure(FailureCode.INVALID_VALUE, str(exc)) from None
        except OSError as exc:
            raise ServiceFailure(FailureCode.RESOURCE_UNAVAILABLE, f"cannot persist: {exc}") from None

    def refresh_telemetry(self) -> None:
        telemetry = self.telemetry
        telemetry["cdh_uptime"] = int(max(0.0, self.clock.monotonic() - self.started_at))
        telemetry["cdh_onboard_time"] = self.onboard_cuc()
        telemetry["cdh_tc_accepted"] = self.stats["tc_accepted"] & 0xFFFFFFFF
        telemetry["cdh_tc_rejected"] = self.stats["tc_rejected"] & 0xFFFFFFFF
        if self.scheduler is not None:
            telemetry["cdh_cpu_load"] = min(1.0, self.scheduler.cpu_load())
            telemetry["cdh_scheduler_overruns"] = self.scheduler.overruns & 0xFFFFFFFF
            telemetry["cdh_scheduler_jitter_max"] = max(g.jitter.window_max() for g in self.scheduler.groups)
            fastest = self.scheduler.groups[0].jitter
            telemetry["cdh_scheduler_jitter_p50"] = fastest.percentile(0.50)
            telemetry["cdh_scheduler_jitter_p99"] = fastest.percentile(0.99)
            telemetry["cdh_scheduler_frames_skipped"] = self.scheduler.frames_skipped & 0xFFFFFFFF
        for source in self.telemetry_sources:
            try:
                source()
            except Exception:
                self.stats["service_errors"] += 1
                log.exception("telemetry source failed")

    # ------------------------------------------------------------------------------------ mode and time
    @property
    def mode(self) -> Mode:
        return self.modes.mode

    def request_mode(self, mode: Any, cause: str = "commanded") -> None:
        target = Mode(mode)
        transition = self.modes.change(target, cause)
        log.warning("mode %s -> %s (%s)", transition.previous.name, transition.current.name, cause)
        self.telemetry["cdh_mode"] = int(target) if target is not Mode.BOOT else 0
        if transition.previous is not Mode.BOOT:
            self.raise_event("mode_changed", {"previous": int(transition.previous),
                                              "current": int(transition.current)})
        if target is Mode.SAFE and transition.previous is Mode.NOMINAL:
            self.raise_event("safe_mode_entered", {"cause": cause, "parameter_id": 0})

    def monotonic(self) -> float:
        return float(self.clock.monotonic())

    def onboard_time(self) -> float:
        return self._tai_offset + self.clock.monotonic()

    def onboard_cuc(self) -> Cuc:
        return Cuc.from_seconds(max(0.0, self.onboard_time()), self._cuc_format)

    def set_onboard_time(self, tai_seconds: float) -> None:
        self._tai_offset = tai_seconds - self.clock.monotonic()

    # ------------------------------------------------------------------------------------ lifecycle
    def boot(self) -> None:
        """Leave BOOT for the boot mode of the flight parameters (SAFE when NOMINAL is refused)."""
        target = Mode(int(self.parameters.get("cdh_boot_mode")))
        try:
            self.request_mode(target)
        except ServiceFailure as failure:
            log.warning("boot into %s refused (%s): SAFE instead", target.name, failure.detail)
            self.request_mode(Mode.SAFE)

    def tick(self, now: float) -> None:
        """The control-rate hook of every service."""
        for service in self._services:
            try:
                service.tick(now)
            except Exception:
                self.stats["service_errors"] += 1
                log.exception("service %d tick failed", service.service_type)

    def shutdown(self) -> None:
        """Stop every service in reverse order of registration, spool the TM still queued for the link,
        save the parameters, then flush and close the spool."""
        for service in reversed(self._services):
            try:
                service.shutdown()
            except Exception:
                log.exception("service %d shutdown failed", service.service_type)
        self._keep_outbox()
        self.parameters.save()
        self.spool.flush()
        self.spool.close()
