"""The scripting session: what procedures, the HIL suite and the console use to command and watch a target.

Modelled on integration-test APIs of flight frameworks (F Prime's ``IntegrationTestAPI``): send a command
and assert its verification, wait for a telemetry value or an event with a timeout, read histories::

    with Session.open("/dev/ttyUSB0") as session:
        session.send_and_assert("set_mode", mode="safe", timeout=5)
        session.assert_telemetry("cdh_mode", "safe", timeout=3)
        session.assert_event("mode_changed", timeout=3)

A :class:`Session` is a thread-backed I/O pump around the sans-IO
:class:`~flightsw.ccsds.endpoints.GroundEndpoint` and a byte transport of :mod:`flightsw.link`: one thread
reads the link, feeds the endpoint (CLCWs drive FOP-1), ticks FOP-1's timer, writes the CLTUs due and decodes
TM with the mission dictionary (:mod:`flightsw.ground.telemetry`). Commands go Type-AD through FOP-1 on the
command VC; the AD service is initiated on open (232.1-B-2 §5.1.8.2). The default, ``"auto"``, adopts the
FARM's V(R) from the first CLCW heard and initiates with Set V(R) to it, so a new ground session joins a FARM
that earlier sessions left at any V(R) without disturbing it; a FARM in Lockout is first given that V(R) as
V(S) and then an Unlock (Set V(R) is not executed in Lockout, 232.1-B-2 §6.3.9.2).

Each command requests every verification report (ack flags acceptance, start, progress and completion,
ECSS-E-ST-70-41C §5.4.11) and its :class:`CommandHandle` follows them, matched by request id (APID and
sequence count). A command FOP-1 could not deliver fails with the link's reason.

``await_*`` return ``None`` on timeout; ``assert_*`` raise an :class:`AssertionError` that says what was seen.
By default they look only at what arrives after the call; ``since=0`` also searches the history.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal, Protocol

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.endpoints import (
    Alert,
    ClcwReceived,
    CommandQueued,
    DirectiveResponse,
    FragmentDiscarded,
    FrameRejected,
    FramesLost,
    GroundEndpoint,
    GroundEvent,
    Outcome,
    RequestResponse,
    Suspended,
    TmPacketReceived,
    TransmitFailed,
)
from flightsw.ccsds.fop import FopState
from flightsw.ccsds.pus import PusTc
from flightsw.ccsds.sdls import SecurityAssociation
from flightsw.ccsds.spacepacket import SEQUENCE_COUNT_MODULUS
from flightsw.ccsds.sync import StreamSynchroniser
from flightsw.cdh.service import FailureCode
from flightsw.dictionary import Dictionary, load_dictionary
from flightsw.errors import ConfigError, FlightswError
from flightsw.ground.commands import find_command, prepare
from flightsw.ground.telemetry import (
    Decoded,
    EventRecord,
    OtherPacket,
    ParameterSample,
    TelemetryDecoder,
    VerificationRecord,
    matches,
)
from flightsw.link import LinkEvent, ReconnectingTransport, Transport, open_link
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

Initiation = Literal["auto", "unlock", "set_vr", "no_clcw_check", "clcw_check"]

READ_CHUNK = 4096
POLL_S = 0.02
HISTORY = 10000


class Recorder(Protocol):
    """What records a session from its first byte (the archive): attached before the pump starts."""

    def attach(self, session: Session, link: str = "") -> None: ...


class VerificationFailed(AssertionError):
    """A command failed its verification or did not complete in time; ``reason`` says which and why."""

    def __init__(self, handle: CommandHandle, reason: str) -> None:
        super().__init__(f"{handle.name}: {reason}")
        self.handle = handle
        self.reason = reason


class TelemetryAssertion(AssertionError):
    """An expected telemetry value or event did not arrive in time."""


class CommandStatus(Enum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True)
class StageReport:
    """One verification report of a command: ``stage`` is acceptance, start, progress or completion."""

    stage: str
    success: bool
    received_at: float
    step: int | None = None
    failure_code: int | None = None
    detail: str = ""

    @property
    def failure_name(self) -> str:
        if self.failure_code is None:
            return ""
        try:
            return FailureCode(self.failure_code).name.lower()
        except ValueError:
            return f"code_{self.failure_code}"

    def describe(self) -> str:
        if self.success:
            return self.stage if self.step is None else f"{self.stage} step {self.step}"
        text = f"{self.stage} failed: {self.failure_name} ({self.failure_code})"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass
class CommandHandle:
    """A sent command and its verification so far; :meth:`wait` for the outcome."""

    name: str
    arguments: dict[str, Any]
    apid: int
    sequence_count: int
    request_id: int  # FOP-1's request id of the frame carrying it
    sent_at: float
    reports: list[StageReport] = field(default_factory=list)
    link: str = "queued"  # queued, uplinked (acknowledged by FARM-1), or link_failed
    link_reason: str = ""
    status: CommandStatus = CommandStatus.PENDING
    _session: Session | None = field(default=None, repr=False, compare=False)

    @property
    def accepted(self) -> bool:
        return any(r.stage == "acceptance" and r.success for r in self.reports)

    @property
    def started(self) -> bool:
        return any(r.stage == "start" and r.success for r in self.reports)

    @property
    def progress(self) -> list[int]:
        return [r.step for r in self.reports if r.stage == "progress" and r.success and r.step is not None]

    @property
    def completed(self) -> bool:
        return self.status is CommandStatus.COMPLETED

    @property
    def failed(self) -> bool:
        return self.status is CommandStatus.FAILED

    @property
    def failure(self) -> StageReport | None:
        return next((r for r in self.reports if not r.success), None)

    @property
    def reason(self) -> str:
        """Why the command failed (empty unless it did)."""
        if self.status is not CommandStatus.FAILED:
            return ""
        failure = self.failure
        if failure is not None:
            return failure.describe()
        return f"not delivered: {self.link_reason}"

    def describe(self) -> str:
        """One line: the command and where its verification stands."""
        stages = ", ".join(r.describe() for r in self.reports) or self.link
        return f"{self.name} [{self.status.value}] {stages}"

    def wait(self, timeout: float) -> bool:
        """Wait until completed or failed; False on timeout."""
        assert self._session is not None
        return self._session.wait_until(lambda: self.status is not CommandStatus.PENDING, timeout)


@dataclass
class LinkStatus:
    """The link as the ground sees it: last CLCW, COP-1 state and counters of both directions."""

    clcw: Clcw | None = None
    clcw_at: float | None = None
    fop_state: str = "initial"
    initiated: bool = False
    last_frame_at: float | None = None
    alerts: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def lockout(self) -> bool:
        return self.clcw is not None and self.clcw.lockout


def _fop_state_name(state: FopState) -> str:
    return state.name.lower()


class Session:
    """A live connection to a target. Build with :meth:`open`; close (or leave the ``with``) when done."""

    def __init__(
        self,
        transport: Transport,
        *,
        profile: LinkProfile = DEFAULT_PROFILE,
        dictionary: Dictionary | None = None,
        sdls: SecurityAssociation | None = None,
        initiate: Initiation | None = "auto",
        t1_initial: float = 2.0,
        transmission_limit: int = 5,
        history: int = HISTORY,
        clock: Callable[[], float] = time.time,
        recorder: Recorder | None = None,
        link_name: str = "",
    ) -> None:
        self.profile = profile
        self.dictionary = dictionary if dictionary is not None else load_dictionary()
        self._transport = transport
        self._clock = clock
        self._endpoint = GroundEndpoint(profile, sdls=sdls, t1_initial=t1_initial,
                                        transmission_limit=transmission_limit)
        self._decoder = TelemetryDecoder(self.dictionary, profile)
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._history_size = history
        self._history: dict[str, deque[ParameterSample]] = {}
        self._latest: dict[str, ParameterSample] = {}
        self._events: deque[EventRecord] = deque(maxlen=history)
        self._commands: dict[tuple[int, int], CommandHandle] = {}
        self._by_request: dict[int, CommandHandle] = {}
        self._sent: list[CommandHandle] = []
        self._tc_sequence: dict[int, int] = {}
        self._listeners: list[Callable[[Decoded], None]] = []
        self._link_listeners: list[Callable[[str], None]] = []
        self._command_listeners: list[Callable[[CommandHandle], None]] = []
        self.last_listener_error = ""
        self._frame_listeners: list[Callable[[bytes, float], None]] = []
        self._packet_listeners: list[Callable[[int, bytes, float], None]] = []
        self._frame_sync: StreamSynchroniser | None = None
        self.link = LinkStatus()
        self._counts: dict[str, int] = {}
        self._error: FlightswError | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="flightsw-ground-pump", daemon=True)
        self._auto_initiate = False
        if recorder is not None:
            recorder.attach(self, link=link_name)
        self._thread.start()
        if initiate is not None:
            self.initiate(initiate)

    # -- construction -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        link: str | Transport,
        *,
        profile: LinkProfile = DEFAULT_PROFILE,
        dictionary: Dictionary | None = None,
        sdls_keys: str | Path | None = None,
        baud: int | None = None,
        initiate: Initiation | None = "auto",
        wait_initiated: float = 5.0,
        reconnect: bool = False,
        **options: Any,
    ) -> Session:
        """Open ``link`` (a device path, a pyserial URL, or an open transport) and initiate the AD service;
        with ``wait_initiated`` > 0 wait that long for FOP-1 to become active (:class:`FlightswError`
        ``link_not_initiated`` otherwise, the link closed).

        With ``reconnect`` a device that goes away (a USB adapter unplugged) is reopened when it comes back,
        and the AD service is initiated again then: the session outlives the cable."""
        sdls = None
        if sdls_keys is not None:
            from flightsw.ground.keys import security_from_file

            sdls = security_from_file(sdls_keys, profile)
        link_events: list[Session] = []
        transport: Transport
        if isinstance(link, str) and reconnect:
            transport = ReconnectingTransport(
                link, baud or profile.baud, retry_interval_s=0.5,
                on_event=lambda event: link_events[0]._link_event(event) if link_events else None)
        elif isinstance(link, str):
            transport = open_link(link, baud or profile.baud)
        else:
            transport = link
        try:
            session = cls(transport, profile=profile, dictionary=dictionary, sdls=sdls, initiate=initiate,
                          link_name=link if isinstance(link, str) else "", **options)
        except BaseException:
            transport.close()
            raise
        link_events.append(session)
        if initiate is not None and wait_initiated > 0 and not session.wait_initiated(wait_initiated):
            session.close()
            why = (f"is the target running on {link}? (no CLCW received)" if session.link.clcw is None
                   else f"last CLCW {session.link.clcw}")
            raise FlightswError("link_not_initiated", f"FOP-1 not active after {wait_initiated:g} s: {why}")
        return session

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=2.0)
        self._transport.close()

    # -- subscriptions (console, archive) -----------------------------------------------------------

    def subscribe(self, listener: Callable[[Decoded], None]) -> None:
        """Call ``listener`` (on the pump thread) with every decoded record, verification included."""
        with self._cond:
            self._listeners.append(listener)

    def on_link(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` with a one-line description of each link happening (alerts, gaps, CRC errors)."""
        with self._cond:
            self._link_listeners.append(listener)

    def on_command(self, listener: Callable[[CommandHandle], None]) -> None:
        """Call ``listener`` with a command's handle whenever its verification or delivery changes."""
        with self._cond:
            self._command_listeners.append(listener)

    def on_frames(self, listener: Callable[[bytes, float], None]) -> None:
        """Call ``listener`` with every TM frame received with a good FECF (without its ASM)."""
        with self._cond:
            if self._frame_sync is None:
                self._frame_sync = StreamSynchroniser(self.profile)
            self._frame_listeners.append(listener)

    def on_packets(self, listener: Callable[[int, bytes, float], None]) -> None:
        """Call ``listener`` with every TM packet received: virtual channel, octets, receive time."""
        with self._cond:
            self._packet_listeners.append(listener)

    # -- COP-1 --------------------------------------------------------------------------------------

    def initiate(self, mode: Initiation = "auto") -> None:
        """(Re-)initiate the AD service of FOP-1; ``"auto"`` does it when the next CLCW arrives."""
        with self._cond:
            now = time.monotonic()
            if self._endpoint.fop_state is not FopState.INITIAL:
                self._handle(self._endpoint.terminate(now))
            self.link.initiated = False
            if mode == "auto":
                self._auto_initiate = True
            else:
                self._handle(self._endpoint.initiate(now, mode))
        self._flush()

    def _initiate_from(self, clcw: Clcw) -> None:
        """The ``"auto"`` initiation on ``clcw`` (called with the condition held)."""
        now = time.monotonic()
        self._handle(self._endpoint.initiate(now, "set_vr", vr=clcw.report_value))
        if clcw.lockout:
            # FOP-1 now has V(S) = N(R); Set V(R) is ignored in Lockout, so unlock with that V(S).
            self._handle(self._endpoint.terminate(now))
            self._handle(self._endpoint.initiate(now, "unlock"))

    def _link_event(self, event: LinkEvent) -> None:
        """The device went away or came back (a reconnecting transport, on the pump thread)."""
        with self._cond:
            self._count(f"link_{event.kind}")
            self._notify_link(f"link {event.kind}: {event.detail}")
        if event.kind == "up":
            self.initiate("auto")

    def wait_initiated(self, timeout: float) -> bool:
        return self.wait_until(lambda: self._endpoint.fop_state is FopState.ACTIVE, timeout)

    # -- commands -----------------------------------------------------------------------------------

    def prepare(self, command_name: str, **arguments: Any) -> tuple[PusTc, dict[str, Any]]:
        """The TC packet ``command_name`` with ``arguments`` would be, after checking every argument
        against its type and range (:class:`~flightsw.ground.commands.ArgumentError` naming the argument).
        The sequence count is not consumed."""
        command = find_command(self.dictionary, command_name)
        typed, app_data = prepare(command, arguments)
        with self._cond:
            count = self._tc_sequence.get(command.apid, 0)
        pus = self.profile.pus
        flags = pus.ack_acceptance | pus.ack_start | pus.ack_progress | pus.ack_completion
        tc = PusTc(command.apid, count, flags, command.service, command.subtype, pus.ground_id, app_data)
        return tc, typed

    def send(self, command_name: str, **arguments: Any) -> CommandHandle:
        """Check, encode and send a command through FOP-1; its handle follows the verification."""
        tc, typed = self.prepare(command_name, **arguments)
        self._raise_if_down()
        with self._cond:
            count = self._tc_sequence.get(tc.apid, 0)
            self._tc_sequence[tc.apid] = (count + 1) % SEQUENCE_COUNT_MODULUS
            if count != tc.sequence_count:
                tc = PusTc(tc.apid, count, tc.ack_flags, tc.service, tc.subtype, tc.source_id, tc.app_data)
            events = self._endpoint.send(tc.encode(profile=self.profile), time.monotonic())
            queued = next(e for e in events if isinstance(e, CommandQueued))
            handle = CommandHandle(command_name, typed, tc.apid, count, queued.request_id, self._clock(),
                                   _session=self)
            self._commands[(tc.apid, count)] = handle
            self._by_request[queued.request_id] = handle
            self._sent.append(handle)
            self._handle(events)
        self._flush()
        return handle

    def send_and_assert(self, command_name: str, timeout: float = 10.0, **arguments: Any) -> CommandHandle:
        """Send and wait for successful completion; :class:`VerificationFailed` with the reason otherwise."""
        handle = self.send(command_name, **arguments)
        if not handle.wait(timeout):
            self._raise_if_down()
            seen = ", ".join(r.describe() for r in handle.reports) or f"no report (link: {handle.link})"
            raise VerificationFailed(handle, f"not completed within {timeout:g} s ({seen})")
        if handle.failed:
            raise VerificationFailed(handle, handle.reason)
        return handle

    def send_raw(self, packet: bytes, *, vcid: int | None = None, bypass: bool = False) -> None:
        """Send an already encoded TC packet without verification tracking: Type-AD through FOP-1 on the
        command VC by default, Type-BD with ``bypass``, or on another VC (the simulation VC takes Type-BD
        only; sensor injection by a rig). Refused packets show in :meth:`link_statistics`."""
        self._raise_if_down()
        with self._cond:
            channel = self.profile.tc.vc_commands if vcid is None else vcid
            self._handle(self._endpoint.send(packet, time.monotonic(), vcid=channel, bypass=bypass))
        self._flush()

    def commands(self) -> list[CommandHandle]:
        with self._cond:
            return list(self._sent)

    # -- telemetry ----------------------------------------------------------------------------------

    def latest(self, param: str) -> ParameterSample | None:
        self._check_parameter(param)
        with self._cond:
            return self._latest.get(param)

    def latest_all(self) -> dict[str, ParameterSample]:
        with self._cond:
            return dict(self._latest)

    def telemetry_history(self, param: str) -> list[ParameterSample]:
        self._check_parameter(param)
        with self._cond:
            return list(self._history.get(param, ()))

    def event_history(self, name: str | None = None) -> list[EventRecord]:
        if name is not None:
            self._check_event(name)
        with self._cond:
            return [e for e in self._events if name is None or e.name == name]

    def await_telemetry(self, param: str, value: Any = None, timeout: float = 5.0, *,
                        since: float | None = None) -> ParameterSample | None:
        """The first sample of ``param`` received after the call (or after ``since``, a receive time) that
        equals ``value`` or satisfies it when it is a predicate (any sample when None); None on timeout."""
        self._check_parameter(param)
        start = self._clock() if since is None else since
        test = _predicate(value)
        found: list[ParameterSample] = []

        def ready() -> bool:
            for sample in self._history.get(param, ()):
                if sample.received_at >= start and test(sample.value):
                    found.append(sample)
                    return True
            return False

        return found[0] if self.wait_until(ready, timeout) else None

    def assert_telemetry(self, param: str, value: Any = None, timeout: float = 5.0, *,
                         since: float | None = None) -> ParameterSample:
        sample = self.await_telemetry(param, value, timeout, since=since)
        if sample is None:
            recent = self.telemetry_history(param)[-3:]
            seen = ", ".join(_shown(s.value) for s in recent) or "no sample at all"
            wanted = "any value" if value is None else _shown(value)
            raise TelemetryAssertion(f"{param}: expected {wanted} within {timeout:g} s; last seen: {seen}")
        return sample

    def await_event(self, name: str, timeout: float = 5.0, *, since: float | None = None,
                    **values: Any) -> EventRecord | None:
        """The first event ``name`` received after the call whose auxiliary data matches ``values``."""
        self._check_event(name)
        start = self._clock() if since is None else since
        found: list[EventRecord] = []

        def ready() -> bool:
            for event in self._events:
                if event.name == name and event.received_at >= start and all(
                        key in event.values and matches(event.values[key], want)
                        for key, want in values.items()):
                    found.append(event)
                    return True
            return False

        return found[0] if self.wait_until(ready, timeout) else None

    def assert_event(self, name: str, timeout: float = 5.0, *, since: float | None = None,
                     **values: Any) -> EventRecord:
        event = self.await_event(name, timeout, since=since, **values)
        if event is None:
            recent = [e.name for e in self.event_history()[-5:]]
            detail = f" with {values}" if values else ""
            raise TelemetryAssertion(f"event {name}{detail} not received within {timeout:g} s; "
                                     f"recent events: {', '.join(recent) or 'none'}")
        return event

    # -- link statistics ----------------------------------------------------------------------------

    def link_statistics(self) -> dict[str, Any]:
        """Counters of the link: frames and packets in, gaps, CRC errors, CLCW and COP-1 state, and the
        flight side's own counts (SDLS rejections, lockouts) from its latest link telemetry."""
        with self._cond:
            out: dict[str, Any] = dict(self._endpoint.stats)
            out.update(self._counts)
            clcw = self.link.clcw
            out["fop_state"] = self.link.fop_state
            out["lockout"] = bool(clcw and clcw.lockout)
            out["wait"] = bool(clcw and clcw.wait)
            out["retransmit"] = bool(clcw and clcw.retransmit)
            out["report_value"] = None if clcw is None else clcw.report_value
            out["clcws_age_s"] = None if self.link.clcw_at is None else self._clock() - self.link.clcw_at
            for name in ("link_sdls_rejections", "link_farm_lockouts", "link_crc_errors",
                         "link_cltu_rejections", "link_frames_in"):
                sample = self._latest.get(name)
                out[f"flight_{name.removeprefix('link_')}"] = None if sample is None else sample.value
            out["decode_errors"] = sum(self._decoder.errors.values())
            out["decode_errors_by_reason"] = dict(self._decoder.errors)
            return out

    # -- internals ----------------------------------------------------------------------------------

    def _check_parameter(self, name: str) -> None:
        known = self.dictionary.parameter_by_name
        if name not in known and name not in self.dictionary.flight_parameter_by_name:
            raise ConfigError("unknown_parameter", f"no telemetry parameter {name!r} in the dictionary")

    def _check_event(self, name: str) -> None:
        if name not in self.dictionary.event_by_name:
            raise ConfigError("unknown_event", f"no event {name!r} in the dictionary")

    def _raise_if_down(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closed:
            raise FlightswError("session_closed", "the session is closed")

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``ready()`` (checked whenever something arrives) is true; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not ready():
                self._raise_if_down()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.25))
            return True

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
            try:
                data = self._transport.read(READ_CHUNK, POLL_S)
            except (OSError, FlightswError) as exc:
                with self._cond:
                    self._error = exc if isinstance(exc, FlightswError) else FlightswError(
                        "link_lost", str(exc))
                    self._cond.notify_all()
                return
            with self._cond:
                if self._closed:
                    return
                now = time.monotonic()
                if data:
                    received = self._clock()
                    if self._frame_sync is not None:
                        for frame in self._frame_sync.feed(data):
                            self._call(self._frame_listeners, frame, received)
                    self._handle(self._endpoint.receive(data, now), received)
                timer_events = self._endpoint.tick(now)
                self._handle(timer_events)
                if data or timer_events:
                    self._cond.notify_all()
            self._flush()

    def _flush(self) -> None:
        with self._write_lock:
            with self._cond:
                out = self._endpoint.transmit(time.monotonic())
            if out:
                try:
                    self._transport.write(out)
                except (OSError, FlightswError) as exc:
                    with self._cond:
                        self._count("write_errors")
                        self._notify_link(f"write failed: {exc}")

    def _count(self, key: str, n: int = 1) -> None:
        self._counts[key] = self._counts.get(key, 0) + n

    def _handle(self, events: list[GroundEvent], received: float | None = None) -> None:
        """Called with the condition held."""
        at = self._clock() if received is None else received
        for event in events:
            if isinstance(event, TmPacketReceived):
                self.link.last_frame_at = at
                self._call(self._packet_listeners, event.vcid, event.packet, at)
                for record in self._decoder.decode(event.packet, at):
                    self._record(record)
            elif isinstance(event, ClcwReceived):
                self.link.clcw = event.clcw
                self.link.clcw_at = at
                self.link.last_frame_at = at
                if self._auto_initiate and event.clcw.vcid == self.profile.tc.vc_commands:
                    self._auto_initiate = False
                    self._initiate_from(event.clcw)
            elif isinstance(event, RequestResponse):
                self._request_response(event)
            elif isinstance(event, DirectiveResponse):
                if event.outcome is Outcome.POSITIVE_CONFIRM:
                    self.link.initiated = True
                    self._notify_link(f"AD service initiated ({event.directive})")
                elif event.outcome in (Outcome.NEGATIVE_CONFIRM, Outcome.REJECT):
                    self._notify_link(f"directive {event.directive} {event.outcome.value}: {event.reason}")
            elif isinstance(event, Alert):
                text = f"FOP-1 alert: {event.reason.value} ({event.event})"
                self.link.alerts.append(text)
                self._count(f"fop_alert_{event.reason.value}")
                self._notify_link(text)
                for handle in self._by_request.values():  # FOP-1 purges its queues with an alert
                    if handle.link == "link_failed" and handle.link_reason == "purged":
                        handle.link_reason = f"purged by FOP-1 alert {event.reason.value} ({event.event})"
            elif isinstance(event, Suspended):
                self._notify_link(f"FOP-1 suspended (state {event.suspend_state}, {event.event})")
            elif isinstance(event, FramesLost):
                where = "master channel" if event.vcid is None else f"VC{event.vcid}"
                self._count("frame_gaps")
                self._notify_link(f"{event.missing} TM frame(s) lost on {where}")
            elif isinstance(event, FrameRejected):
                self._count("frames_rejected")
                if event.reason == "bad_crc":
                    self._count("crc_errors")
                self._notify_link(f"TM frame rejected: {event.reason}")
            elif isinstance(event, FragmentDiscarded):
                self._count("fragments_discarded")
            elif isinstance(event, TransmitFailed):
                self._count("transmit_failures")
                self._notify_link(f"TC frame not sent: {event.reason} {event.detail}".rstrip())
        self.link.fop_state = _fop_state_name(self._endpoint.fop_state)
        self.link.counters = self._endpoint.stats

    def _request_response(self, event: RequestResponse) -> None:
        handle = self._by_request.get(event.request_id)
        if handle is None:
            return
        if event.outcome is Outcome.POSITIVE_CONFIRM:
            handle.link = "uplinked"
            self._notify_command(handle)
        elif event.outcome in (Outcome.NEGATIVE_CONFIRM, Outcome.REJECT):
            handle.link = "link_failed"
            handle.link_reason = event.reason or event.outcome.value
            if handle.status is CommandStatus.PENDING:
                handle.status = CommandStatus.FAILED
                self._notify_command(handle)

    def _record(self, record: Decoded) -> None:
        if isinstance(record, ParameterSample):
            self._latest[record.name] = record
            history = self._history.get(record.name)
            if history is None:
                history = self._history[record.name] = deque(maxlen=self._history_size)
            history.append(record)
        elif isinstance(record, EventRecord):
            self._events.append(record)
        elif isinstance(record, VerificationRecord):
            self._verification(record)
        elif isinstance(record, OtherPacket) and record.reason:
            self._count("packets_undecoded")
        self._call(self._listeners, record)

    def _verification(self, record: VerificationRecord) -> None:
        report = record.report
        handle = self._commands.get((report.apid, report.sequence_count))
        if handle is None:
            self._count("verification_unmatched")
            return
        code = None if report.failure_code is None else int(report.failure_code)
        handle.reports.append(StageReport(report.stage, report.success, record.received_at, report.step,
                                          code, report.detail))
        if handle.status is CommandStatus.PENDING:
            if not report.success:
                handle.status = CommandStatus.FAILED
            elif report.stage == "completion":
                handle.status = CommandStatus.COMPLETED
        self._notify_command(handle)

    def _notify_command(self, handle: CommandHandle) -> None:
        self._call(self._command_listeners, handle)

    def _notify_link(self, text: str) -> None:
        self._call(self._link_listeners, text)

    def _call(self, listeners: list[Callable[..., None]], *args: Any) -> None:
        for listener in listeners:
            try:
                listener(*args)
            except Exception as exc:  # a display or archive fault must not stop the pump
                self._count("listener_errors")
                self.last_listener_error = repr(exc)


def _predicate(value: Any) -> Callable[[Any], bool]:
    if value is None:
        return lambda _: True
    if callable(value):
        return lambda received: bool(value(received))
    return lambda received: matches(received, value)


def _shown(value: Any) -> str:
    name = getattr(value, "name", None)
    return name if isinstance(name, str) else repr(value)

