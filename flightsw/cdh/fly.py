"""``flightsw fly``: the on-board command and data handling loop on a serial link.

Wires the parts together: the link (:mod:`flightsw.link`, reopened when the device comes back), the
sans-IO space link endpoint (:class:`flightsw.ccsds.endpoints.FlightEndpoint`), the executive and its PUS
services, the ADCS application, and the rate-group scheduler:

- ADCS group (100 Hz by default): link input (bytes → CLTUs → frames → packets → router), one ADCS step, and
  link output (PUS TM → VC multiplexer → TM frames with the CLCW → ASM → bytes), paced at the line rate; what
  a slow reader leaves unwritten goes out first next time (:data:`MAX_UNSENT_OCTETS`);
- control group (10 Hz): service ticks (housekeeping, schedules, monitoring, ...) and slew guidance;
- housekeeping group (1 Hz): statistics of the link and the scheduler into telemetry.

Everything runs in one thread; SIGTERM or SIGINT stop the scheduler at the end of its frame, then services
shut down in reverse order, the TM still queued goes to storage, and the spool and parameter file are flushed
and closed.
"""

from __future__ import annotations

import argparse
import logging
import signal
from collections import deque
from dataclasses import replace
from pathlib import Path
from types import FrameType

from flightsw.ccsds.endpoints import (
    FarmNotice,
    FlightEndpoint,
    TcPacketReceived,
    UplinkRejected,
    flight_security,
)
from flightsw.ccsds.farm import FarmState
from flightsw.cdh.adcs import AdcsApplication, SimulatedSpacecraft
from flightsw.cdh.config import DEFAULT_STATE_DIR, FlightConfig, load_config
from flightsw.cdh.executive import Executive
from flightsw.cdh.modes import Mode
from flightsw.cdh.scheduler import Clock, MonotonicClock, RateGroup, Scheduler
from flightsw.cdh.service import Service, TmSpool
from flightsw.cdh.services import standard_services
from flightsw.cdh.services.s08_functions import FunctionManagement
from flightsw.dictionary import load_dictionary
from flightsw.errors import ConfigError
from flightsw.link import LinePacer, ReconnectingTransport, Transport
from flightsw.sim.platform import PlatformModel

log = logging.getLogger("flightsw.fly")

READ_CHUNK = 4096
WRITE_TIMEOUT_S = 0.005
MAX_READ_PER_FRAME = 64 * 1024
# TM packets are handed to the link while its frame queue is short; the rest wait in the executive.
ENDPOINT_QUEUE_OCTETS = 8 * 1024
# Octets of frames taken from the endpoint that the transport has not accepted yet (a slow reader, a full
# pty or UART buffer). They are written first next time; at this many no more frames are taken, so TM backs
# up into the endpoint's queues, the executive's outbox and storage instead of being dropped.
MAX_UNSENT_OCTETS = 8 * 1024
# SDLS refusal reasons (flightsw.ccsds.sdls) and the code of the dictionary's ``sdls_reject_reason`` each
# one is reported as.
SDLS_EVENT_REASONS = {
    "unknown_spi": "unknown_spi", "sa_not_operational": "unknown_spi", "wrong_channel": "unknown_spi",
    "bad_mac": "bad_mac", "truncated": "bad_mac", "bad_iv": "bad_mac",
    "replay": "replay", "out_of_window": "replay", "sequence_number_wrap": "replay",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Run the on-board flight software: receive telecommands and send telemetry as CCSDS frames over a\n"
        "serial link, execute PUS services, run the attitude estimator. Stops cleanly on Ctrl-C or SIGTERM.\n"
        "\n"
        "examples:\n"
        "  flightsw fly --link /dev/serial0                  a Raspberry Pi UART at 115200 baud\n"
        "  flightsw fly --link /dev/ttyUSB0 --baud 57600     a USB serial adapter at another rate\n"
        "  flightsw fly --link socket://localhost:5000 --sim a TCP link, simulated spacecraft\n"
        "  flightsw fly --link /tmp/pty-link --sim --state-dir /tmp/fsw   a pty pair from the test rig"
    )
    parser.add_argument("--link", required=True, metavar="PORT_OR_URL",
                        help="serial device (/dev/ttyUSB0) or pyserial URL (socket://HOST:PORT, loop://)")
    parser.add_argument("--baud", type=int, default=None,
                        help="line rate in baud, 8N1 (default: the link profile's, 115200); output is paced "
                             "at this rate even on virtual links")
    parser.add_argument("--config", type=Path, default=None, metavar="FILE",
                        help="flight configuration TOML: link profile overrides, state directory, rates, "
                             "SDLS key file (see flightsw/cdh/config.py)")
    parser.add_argument("--sim", action="store_true",
                        help="simulation mode: the ADCS senses and actuates a simulated spacecraft (closed "
                             "loop), and sensor injection on TC VC1 (HIL rigs) is accepted")
    parser.add_argument("--state-dir", type=Path, default=None, metavar="DIR",
                        help=f"where flight parameters and on-board storage persist (default: the "
                             f"configuration's, else ./{DEFAULT_STATE_DIR})")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="logging level on stderr (default: INFO)")
    parser.add_argument("--check", action="store_true",
                        help="pre-flight check instead of flying: serial port, permissions, configuration, "
                             "storage, keys and the attitude core's self-test, one line each; exit status 0 "
                             "only when all pass (flightsw/cdh/preflight.py)")


def _open_spool(state_dir: Path, config: FlightConfig) -> TmSpool:
    """On-board storage for TM produced while the link is down (SQLite in the state directory)."""
    from flightsw.cdh.storage import SqliteTmSpool

    return SqliteTmSpool.in_state_dir(state_dir, profile=config.profile)


def mission_services() -> list[Service]:
    """Services 11, 12, 15 and 19 on top of the standard ones."""
    from flightsw.cdh.services.s11_schedule import TimeBasedSchedule
    from flightsw.cdh.services.s12_monitoring import OnboardMonitoring
    from flightsw.cdh.services.s15_storage import OnboardStorageService
    from flightsw.cdh.services.s19_event_action import EventAction

    return [TimeBasedSchedule(), OnboardMonitoring(), OnboardStorageService(), EventAction()]


class FlightSoftware:
    """The assembled flight software on one transport; :meth:`run` until :meth:`stop`."""

    def __init__(self, config: FlightConfig, transport: Transport, *, simulation: bool, baud: int,
                 clock: Clock | None = None) -> None:
        self.config = config
        self.profile = config.profile
        self.transport = transport
        self.clock: Clock = clock or MonotonicClock()
        state_dir = config.state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.executive = Executive(self.profile, load_dictionary(profile=self.profile), clock=self.clock,
                                   state_dir=state_dir, simulation=simulation,
                                   spool=_open_spool(state_dir, config))
        functions: FunctionManagement | None = None
        for service in standard_services() + mission_services():
            self.executive.register(service)
            if isinstance(service, FunctionManagement):
                functions = service
        assert functions is not None
        # Simulation mode: the closed-loop simulated spacecraft is both the sensor source and the actuator.
        spacecraft = (SimulatedSpacecraft(float(config.adcs_rate_hz), seed=config.sim_seed)
                      if simulation else None)
        self.adcs = AdcsApplication(self.executive, config.adcs_rate_hz, spacecraft, actuator=spacecraft,
                                    base_config=spacecraft.mekf_config if spacecraft is not None else None)
        self.adcs.install(self.executive, functions)
        self.platform = PlatformModel() if simulation else None
        if self.platform is not None:
            self.executive.telemetry_sources.append(self._platform_telemetry)
        key = config.sdls_key()
        self.endpoint = FlightEndpoint(self.profile, simulation_mode=simulation,
                                       sdls=flight_security(key, self.profile) if key is not None else None)
        self.pacer = LinePacer(baud, start=self.clock.monotonic())
        self.link_stats = {"read_octets": 0, "written_octets": 0, "short_writes": 0, "uplink_rejections": 0,
                           "unsent_octets_max": 0}
        self._unsent = bytearray()  # see MAX_UNSENT_OCTETS
        # Each batch of frames taken from the endpoint and not all written yet: (its octets still unsent, the
        # playback-VC packet octets that were out of the endpoint's queue once it was taken). Storage forgets
        # played-back TM only when the batch carrying it is all on the transport.
        self._unsent_batches: deque[tuple[int, int]] = deque()
        self._playback_handed = 0  # playback-VC packet octets handed to the endpoint
        self._control_dt = 1.0 / config.control_rate_hz
        self.scheduler = Scheduler(self.clock, [
            RateGroup("adcs", config.adcs_rate_hz, [self._uplink, self._adcs_step, self._downlink]),
            RateGroup("control", config.control_rate_hz, [self._control]),
            RateGroup("housekeeping", config.housekeeping_rate_hz, [self._link_telemetry]),
        ], on_overrun=self._overrun)
        self.executive.scheduler = self.scheduler
        self._last_overrun_event = float("-inf")
        self.executive.set_link_up(bool(getattr(transport, "is_up", True)))
        self.executive.boot()

    @property
    def unsent_octets(self) -> int:
        """Octets of TM frames taken from the link endpoint that the transport has not accepted yet."""
        return len(self._unsent)

    # -- tasks ------------------------------------------------------------------------------------------
    def _uplink(self, now: float) -> None:
        take_events = getattr(self.transport, "take_events", None)
        if take_events is not None:
            for event in take_events():
                self.executive.set_link_up(event.kind == "up")
        received = 0
        while received < MAX_READ_PER_FRAME:
            data = self.transport.read(READ_CHUNK, 0.0)
            if not data:
                break
            received += len(data)
            for item in self.endpoint.receive(data, now):
                if isinstance(item, TcPacketReceived):
                    self.executive.handle_packet(item.packet, item.vcid)
                elif isinstance(item, UplinkRejected):
                    self._uplink_rejected(item)
                elif isinstance(item, FarmNotice):
                    self._farm_notice(item)
        self.link_stats["read_octets"] += received

    def _uplink_rejected(self, rejected: UplinkRejected) -> None:
        """Counted and logged; a frame refused by SDLS is also an event (no PUS 1 report: nothing in an
        unauthenticated frame can be trusted to address one)."""
        self.link_stats["uplink_rejections"] += 1
        log.debug("uplink refused at %s: %s %s", rejected.layer, rejected.reason, rejected.detail)
        if rejected.layer == "sdls":
            reason = SDLS_EVENT_REASONS.get(rejected.reason, "bad_mac")
            self.executive.raise_event("sdls_rejection", {"reason": reason, "spi": self.profile.sdls.spi})

    def _farm_notice(self, notice: FarmNotice) -> None:
        log.info("FARM-1: %s %s", notice.kind, notice.detail)
        if notice.kind == "state" and self.endpoint.farm_state is FarmState.LOCKOUT:
            clcw = self.endpoint.clcw
            # V(R) is the CLCW report value; N(S) is that of the frame in the lockout area.
            ns = notice.sequence_number if notice.sequence_number is not None else 0
            self.executive.raise_event("farm_lockout", {"vr": clcw[3] if len(clcw) > 3 else 0, "ns": ns})
            if self.executive.get_parameter("fdir_safe_on_lockout") and self.executive.mode is Mode.NOMINAL:
                self.executive.request_mode(Mode.SAFE, "link_lockout")

    def _adcs_step(self, now: float) -> None:
        self.adcs.step(now)

    def _downlink(self, now: float) -> None:
        if not self.executive.link_up:
            return
        playback = self.profile.tm.vc_playback
        while self.endpoint.queued_octets < ENDPOINT_QUEUE_OCTETS:
            batch = self.executive.take_outbox(16)
            if not batch:
                break
            for packet, vcid in batch:
                self.endpoint.send_tm(packet, vcid)
                if vcid == playback:
                    self._playback_handed += len(packet)
        allowance = self.pacer.allowance(now)
        # New frames only behind what the transport has not taken yet, within the line's allowance and the
        # bound; frames are whole ASM+frame units, so the octet stream stays in order and unbroken.
        room = min(allowance, MAX_UNSENT_OCTETS) - len(self._unsent)
        if room > 0:
            units = self.endpoint.transmit(now, room)
            if units:
                self._unsent += units
                out_of_queue = self._playback_handed - self.endpoint.queued_octets_on(playback)
                self._unsent_batches.append((len(units), out_of_queue))
        if not self._unsent or allowance <= 0:
            return
        attempt = min(len(self._unsent), allowance)
        written = max(0, self.transport.write(bytes(self._unsent[:attempt])))
        del self._unsent[:written]
        self.pacer.consume(written)
        self.link_stats["written_octets"] += written
        if written < attempt:
            self.link_stats["short_writes"] += 1
            peak = max(self.link_stats["unsent_octets_max"], len(self._unsent))
            self.link_stats["unsent_octets_max"] = peak
        self._confirm_written(written)

    def _confirm_written(self, written: int) -> None:
        """Account ``written`` octets to the oldest unsent batches; when one or more are then all written,
        report the playback TM they carried as on the wire (spooled TM is forgotten only then)."""
        on_wire: int | None = None
        while written > 0 and self._unsent_batches:
            left, out_of_queue = self._unsent_batches[0]
            if written < left:
                self._unsent_batches[0] = (left - written, out_of_queue)
                break
            written -= left
            on_wire = out_of_queue
            self._unsent_batches.popleft()
        if on_wire is not None:
            self.executive.confirm_playback(self._playback_handed - on_wire)

    def _control(self, now: float) -> None:
        self.executive.tick(now)
        self.adcs.control(now, self._control_dt)

    def _link_telemetry(self, now: float) -> None:
        """Link statistics into the ``link_*`` telemetry parameters."""
        stats = self.endpoint.stats
        set_tm = self.executive.set_telemetry
        set_tm("link_frames_in", stats.get("frames_in", 0) & 0xFFFFFFFF)
        set_tm("link_frames_out", stats.get("tm_frames", 0) & 0xFFFFFFFF)
        crc = sum(v for k, v in stats.items() if "crc" in k or "fecf" in k)
        crc += self.executive.stats["tc_bad_crc"]
        set_tm("link_crc_errors", crc & 0xFFFFFFFF)
        set_tm("link_cltu_rejections", sum(v for k, v in stats.items() if k.startswith("cltu_rejected"))
               & 0xFFFFFFFF)
        farm_codes = {FarmState.OPEN: 1, FarmState.WAIT: 2, FarmState.LOCKOUT: 3}
        set_tm("link_farm_state", farm_codes.get(self.endpoint.farm_state, 1))
        clcw = self.endpoint.clcw
        set_tm("link_farm_vr", clcw[3] if len(clcw) > 3 else 0)
        set_tm("link_farm_lockouts", stats.get("farm_lockouts", 0) & 0xFFFF)
        set_tm("link_sdls_rejections", sum(v for k, v in stats.items() if k.startswith("sdls_rejected"))
               & 0xFFFFFFFF)

    def _platform_telemetry(self) -> None:
        """Simulated battery and temperatures (simulation mode only: this prototype has no power board)."""
        assert self.platform is not None
        elapsed = self.clock.monotonic() - self.executive.started_at
        for name, value in self.platform.sample(elapsed, self.scheduler.cpu_load()).items():
            self.executive.set_telemetry(name, value)

    def _overrun(self, group: RateGroup, duration: float) -> None:
        # One event per second at most: an overloaded processor must not also flood the downlink.
        now = self.clock.monotonic()
        if now - self._last_overrun_event < 1.0:
            return
        self._last_overrun_event = now
        task_id = [g.name for g in self.scheduler.groups].index(group.name)
        self.executive.raise_event("scheduler_overrun", {"task_id": task_id, "duration": duration})

    # -- lifecycle --------------------------------------------------------------------------------------
    def run(self) -> None:
        log.info("flying: link up %s, mode %s, simulation %s", self.executive.link_up,
                 self.executive.mode.name, self.executive.simulation)
        self.scheduler.run()

    def stop(self) -> None:
        self.scheduler.stop()

    def shutdown(self) -> None:
        """In order: services stop, TM not yet on the wire goes to storage, storage and parameters are
        flushed and closed (:meth:`Executive.shutdown`), the link closes."""
        self.executive.shutdown()
        self.transport.close()
        jitter = self.scheduler.group("adcs").jitter.summary()
        log.info("stopped: %d frames, %d overruns, ADCS jitter p50 %.6f s p99 %.6f s max %.6f s",
                 self.scheduler.frames_run, self.scheduler.overruns, jitter["p50"], jitter["p99"],
                 jitter["max"])


def run(args: argparse.Namespace) -> int:
    if args.check:
        from flightsw.cdh.preflight import run as run_preflight

        return run_preflight(args)
    logging.basicConfig(level=getattr(logging, args.log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_config(args.config) if args.config is not None else FlightConfig()
    if args.state_dir is not None:
        config = replace(config, state_dir=args.state_dir)
    baud = args.baud if args.baud is not None else config.profile.baud
    if baud <= 0:
        raise ConfigError("bad_baud", f"--baud {baud} must be positive")
    # A write may not hold the loop for long: a receiver that stops reading must not stall the ADCS.
    transport = ReconnectingTransport(args.link, baud, write_timeout_s=WRITE_TIMEOUT_S)
    try:
        software = FlightSoftware(config, transport, simulation=args.sim, baud=baud)
    except BaseException:
        transport.close()
        raise

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        software.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        software.run()
    finally:
        software.shutdown()
    return 0
