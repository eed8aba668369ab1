"""The PUS service framework of the executive: how a service plugs in, and what it may ask of the executive.

A service is a subclass of :class:`Service` that names its PUS service type and the APID roles it answers
for, and implements :meth:`Service.handle`::

    class AreYouAlive(Service):
        service_type = 17
        apid_roles = ("cdh", "adcs")

        def handle(self, request: Request) -> None:
            self.ctx.emit_tm(17, 2, b"", apid=request.tc.apid)

The executive registers it (``executive.register(AreYouAlive())``), which calls :meth:`Service.attach` with
the :class:`ServiceContext`; from then on the router gives it every telecommand of its service type addressed
to one of its APIDs, **after** the command has been accepted: the PUS TC decoded with its CRC checked, the
command found in the mission dictionary and its arguments decoded and range checked (``request.arguments``).
The service never sees a malformed command.

Contract of :meth:`Service.handle`:

- Return normally: the request completed. The executive sends the start and completion success reports the
  telecommand asked for (ack flags, ECSS-E-ST-70-41C §6.1.3).
- Raise :class:`ServiceFailure` with a :class:`FailureCode`: execution failed. The executive sends TM[1,4]
  (start failure) or, once the service called :meth:`ServiceContext.report_start`, TM[1,8] (completion
  failure); a ``step`` in the failure makes it TM[1,6] (progress failure) instead.
- Call :meth:`ServiceContext.report_progress` for each step of a long request (TM[1,5] when asked for).
- Any other exception is a defect: the executive reports it as TM[1,8] ``EXECUTION_ERROR``, logs it with its
  traceback and goes on. The flight loop never dies on a service.

Optional hooks, all called from the executive's single thread (no locking needed in a service):

- :meth:`Service.tick` at the control rate (10 Hz by default) with the monotonic time, for schedules,
  monitoring, slews and anything else that runs by itself.
- :meth:`Service.shutdown` once, in order, when the executive stops (flush and close files there).

What the context offers (see :class:`ServiceContext` for signatures): the link profile and the mission
dictionary; emitting TM (PUS header, message type counter and CUC time are filled in; the packet goes on the
real-time VC, or the VC asked for, and to storage while the link is down); raising events (TM[5,x] with the
event's severity, unless disabled, and every event listener is told); reading telemetry values (``None`` until
first published: not yet valid) and reading or setting flight parameters (bounds checked and persisted); the
current mode and mode change requests (guarded); on-board time (TAI seconds and CUC); releasing a stored
telecommand packet through the normal uplink path (ST[11] schedules, ST[19] event-actions); listeners on TM
and events (ST[15] storage, ST[19]); the state directory (files that must survive a restart).

Failure codes of PUS 1 reports are :class:`FailureCode`, defined here once for the whole mission.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any, ClassVar, Protocol

from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.timecode import Cuc
from flightsw.dictionary import Dictionary, Telecommand
from flightsw.profile import LinkProfile


class FailureCode(IntEnum):
    """Failure codes carried by TM[1,2], TM[1,4], TM[1,6] and TM[1,8] (ECSS-E-ST-70-41C §6.1.4.3 leaves the
    codes to the mission). The report's source data is the request id, this code as uint16, then a
    variable octet string (uint16 length) with a short ASCII detail; see
    :mod:`flightsw.cdh.services.s01_verification`."""

    # Acceptance (TM[1,2]): the command is refused before anything is executed.
    ILLEGAL_APID = 1  # no application process on board has this APID
    INVALID_LENGTH = 2  # packet length disagrees with its header, or too short for a PUS TC
    BAD_CHECKSUM = 3  # packet error control (CRC-16) does not match
    ILLEGAL_SERVICE = 4  # the application does not provide this service type
    ILLEGAL_SUBTYPE = 5  # the service does not provide this message subtype (or function id)
    MALFORMED_DATA = 6  # application data does not decode (truncated, trailing octets, bad code)
    OUT_OF_RANGE = 7  # an argument lies outside its declared range
    UNSUPPORTED_PUS_VERSION = 8  # not PUS-C (version 2), or not a TC
    NOT_IN_SIMULATION = 9  # simulation injection refused: not started in simulation mode
    # Start and completion (TM[1,4], TM[1,8]): the command was accepted but cannot be carried out.
    UNKNOWN_ID = 16  # an id in the arguments names no structure, event, parameter or store
    ILLEGAL_MODE_TRANSITION = 17  # the requested mode change is not allowed from the current mode
    NOT_ALLOWED_IN_MODE = 18  # the command is not allowed in the current mode
    INVALID_VALUE = 19  # a value is well formed but not acceptable now (bounds of a flight parameter, ...)
    RESOURCE_UNAVAILABLE = 20  # a store, a queue or a file is full or unavailable
    EXECUTION_ERROR = 21  # the service failed unexpectedly (logged on board with its traceback)


class ServiceFailure(Exception):
    """Raised by a service to fail a request with a PUS 1 failure code (``step`` for a progress failure)."""

    def __init__(self, code: FailureCode, detail: str = "", step: int | None = None) -> None:
        super().__init__(f"{code.name.lower()}: {detail}" if detail else code.name.lower())
        self.code = code
        self.detail = detail
        self.step = step


class Origin(Enum):
    """Where a telecommand came from."""

    GROUND = "ground"  # the uplink
    SCHEDULE = "schedule"  # released by the time-based schedule (ST[11])
    EVENT_ACTION = "event_action"  # released by an event-action definition (ST[19])
    ONBOARD = "onboard"  # released by another on-board function


@dataclass
class Request:
    """An accepted telecommand on its way to a service."""

    tc: PusTc
    command: Telecommand
    arguments: dict[str, Any]
    origin: Origin = Origin.GROUND
    vcid: int = 0
    started: bool = False  # set by ServiceContext.report_start
    steps_reported: list[int] = field(default_factory=list)


EventListener = Callable[[int, Mapping[str, Any]], None]  # (event id, values)
TmListener = Callable[[PusTm, int], None]  # (packet, VCID)


@dataclass(frozen=True)
class SpooledTm:
    """A TM packet kept by a :class:`TmSpool`; ``token`` identifies it there and grows with each packet."""

    token: int
    packet: bytes
    vcid: int


class TmSpool(Protocol):
    """Storage that keeps TM while the link is down (:mod:`flightsw.cdh.storage` when present, else a bounded
    queue in memory). The executive spools every TM packet produced while the link is down and plays the
    spool back, oldest first, once it is back. Playback is at-least-once: :meth:`pending` only reads, and a
    packet is forgotten by :meth:`mark_sent` once the link layer has put it on the wire, so a crash in
    between sends it again rather than losing it (the ground drops duplicates by sequence count)."""

    def spool(self, packet: bytes, vcid: int, onboard_time: float) -> bool:
        """Keep one encoded TM packet; False when it could not be kept (full)."""

    def spool_many(self, packets: Sequence[tuple[bytes, int]], onboard_time: float) -> int:
        """Keep a batch of ``(packet, vcid)`` at once; the number kept."""

    def pending(self, max_packets: int, after: int = 0) -> list[SpooledTm]:
        """Up to ``max_packets`` kept packets with a token above ``after``, oldest first (not removed)."""

    def mark_sent(self, tokens: Iterable[int]) -> None:
        """Forget the packets of these tokens: they went out on the link."""

    def __len__(self) -> int:
        """Packets kept."""

    def flush(self) -> None:
        """Make everything kept durable."""

    def close(self) -> None:
        """Release the storage (a second call does nothing)."""


class ServiceContext(ABC):
    """What the executive gives every service (implemented by :class:`flightsw.cdh.executive.Executive`)."""

    profile: LinkProfile
    dictionary: Dictionary
    state_dir: Path
    simulation: bool  # started with --sim: simulation injection accepted
    event_enabled: dict[int, bool]  # report generation of each event id (ST[05] enable/disable)

    # -- telemetry and events ------------------------------------------------------------------------------
    @abstractmethod
    def emit_tm(self, service: int, subtype: int, source_data: bytes, *, apid: int | None = None,
                vcid: int | None = None) -> PusTm:
        """Build a PUS TM from this application (``apid`` default: C&DH) and send it (``vcid`` default: the
        real-time VC). Returns the packet as sent."""

    @abstractmethod
    def send_packet(self, packet: bytes, vcid: int) -> None:
        """Send an already encoded packet (a stored TM being dumped, on the playback VC)."""

    @abstractmethod
    def raise_event(self, event: str | int, values: Mapping[str, Any] | None = None) -> None:
        """Raise an event of the dictionary by name or id with its auxiliary values."""

    @abstractmethod
    def add_event_listener(self, listener: EventListener) -> None:
        """Call ``listener(event_id, values)`` for every event raised, reported or not."""

    @abstractmethod
    def add_tm_listener(self, listener: TmListener) -> None:
        """Call ``listener(packet, vcid)`` for every TM the executive produces (before the link sees it)."""

    # -- parameters --------------------------------------------------------------------------------------
    @abstractmethod
    def get_parameter(self, name_or_id: str | int) -> Any:
        """Current value of a telemetry or flight parameter; ``KeyError`` when the dictionary has none."""

    @abstractmethod
    def set_telemetry(self, name: str, value: Any) -> None:
        """Publish the current value of a telemetry parameter (for housekeeping and monitoring)."""

    @abstractmethod
    def refresh_telemetry(self) -> None:
        """Bring the executive's own telemetry values up to date (called before a housekeeping report)."""

    @abstractmethod
    def set_flight_parameter(self, name_or_id: str | int, value: Any) -> None:
        """Set and persist a flight parameter; :class:`ServiceFailure` when unknown or out of bounds."""

    # -- mode and time -----------------------------------------------------------------------------------
    @property
    @abstractmethod
    def mode(self) -> Any:
        """The current :class:`flightsw.cdh.modes.Mode`."""

    @abstractmethod
    def request_mode(self, mode: Any, cause: str = "commanded") -> None:
        """Change mode; :class:`ServiceFailure` (ILLEGAL_MODE_TRANSITION) when not allowed."""

    @abstractmethod
    def monotonic(self) -> float:
        """Seconds of the executive's monotonic clock."""

    @abstractmethod
    def onboard_time(self) -> float:
        """On-board time: TAI seconds since the CUC epoch (1958-01-01)."""

    @abstractmethod
    def onboard_cuc(self) -> Cuc:
        """On-board time in the mission's CUC format."""

    @abstractmethod
    def set_onboard_time(self, tai_seconds: float) -> None:
        """Set on-board time (TC[9,128])."""

    # -- commands ----------------------------------------------------------------------------------------
    @abstractmethod
    def release_tc(self, packet: bytes, origin: Origin, depth: int = 0) -> None:
        """Put a complete TC packet through the uplink path (acceptance, routing, verification reports) as if
        it had just arrived; used by the schedule and event-actions. ``depth`` is its place in a chain of
        on-board releases (an event-action released because of a request of depth d has d + 1); a release
        deeper than the executive allows is not executed, which ends a loop of event-actions."""

    @property
    @abstractmethod
    def release_depth(self) -> int:
        """The release depth of the request being executed now (0 outside a request or for a ground or
        scheduled command)."""

    @abstractmethod
    def report_start(self, request: Request) -> None:
        """Mark the request started (TM[1,3] when asked for); later failures are completion failures."""

    @abstractmethod
    def report_progress(self, request: Request, step: int) -> None:
        """Report a successful execution step (TM[1,5] when asked for)."""


class Service:
    """Base of a PUS service. Subclasses set :attr:`service_type` and :attr:`apid_roles`, and implement
    :meth:`handle`; see the module docstring for the contract."""

    service_type: ClassVar[int]
    apid_roles: tuple[str, ...] = ("cdh",)  # roles of the link profile's APIDs (may be set per instance)

    ctx: ServiceContext

    def attach(self, context: ServiceContext) -> None:
        """Called once on registration; keep the context and set up state here."""
        self.ctx = context

    def handle(self, request: Request) -> None:
        """Execute an accepted request; raise :class:`ServiceFailure` to fail it."""
        raise ServiceFailure(FailureCode.ILLEGAL_SUBTYPE, f"TC[{request.tc.service},{request.tc.subtype}]")

    def tick(self, now: float) -> None:
        """Called at the control rate with the monotonic time."""

    def shutdown(self) -> None:
        """Called once when the executive stops."""
