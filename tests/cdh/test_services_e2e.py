"""End to end, service by service: ``flightsw fly --sim`` in a subprocess on a real pty pair, the real link
layer on both sides (CLTUs and TC frames through COP-1 up, TM frames with the CLCW down) and the ground
:class:`~flightsw.ground.session.Session` on the master end of the pty.

ST[3], [5], [9], [11], [12], [15] and [19] share one flight process (a module fixture); each test leaves the
state it changed as it found it (mode SAFE, limits, periods, definitions). ``kill -9`` with stored TM runs its
own process. The layouts of the reports the ground session does not decode (TM[9,2], TM[11,13], TM[12,12],
TM[15,19]) are written here from their specification in the service modules' docstrings, not imported.
"""

from __future__ import annotations

import itertools
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flightsw.ccsds.appdata import AbsoluteTime, Boolean, Field, Real, Record, Repeated, UInt
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.services.s01_verification import VerificationReport, decode_report
from flightsw.dictionary import Dictionary
from flightsw.ground.commands import ground_tai_seconds
from flightsw.ground.session import CommandHandle, Session
from flightsw.link import PtyPair
from flightsw.profile import DEFAULT_PROFILE
from tests.cdh.groundlink import REPO

pytestmark = pytest.mark.timeout(120)

PROFILE = DEFAULT_PROFILE
CUC = CucFormat.from_profile(PROFILE)
CDH = PROFILE.apids.cdh
GROUND = PROFILE.pus.ground_id
REALTIME = PROFILE.tm.vc_realtime
PLAYBACK = PROFILE.tm.vc_playback
ALL_REPORTS = PROFILE.pus.ack_acceptance | PROFILE.pus.ack_start | PROFILE.pus.ack_progress | \
    PROFILE.pus.ack_completion
START_TIMEOUT_S = 30.0
OUTAGE_S = 4.0  # the link down before the SIGKILL

# TM[9,2]: rate exponent, on-board time.
TIME_REPORT = Record([Field("exponent", UInt(8)), Field("time", AbsoluteTime(CUC))])
# TM[11,13]: N x (release time, source id, APID, sequence count).
SCHEDULE_SUMMARY = Record([Field("activities", Repeated(UInt(16), (
    Field("release_time", AbsoluteTime(CUC)), Field("source_id", UInt(16)), Field("apid", UInt(16)),
    Field("sequence_count", UInt(16)))))])
# TM[12,12]: N x (parameter id, value, previous status, current status, transition time). Status codes 0..3
# are the limit crossed (the dictionary's ``limit_crossed``), 16 within limits, 17 unchecked.
CHECK_TRANSITIONS = Record([Field("transitions", Repeated(UInt(8), (
    Field("parameter_id", UInt(16)), Field("value", Real(64)), Field("previous_status", UInt(8)),
    Field("current_status", UInt(8)), Field("transition_time", AbsoluteTime(CUC)))))])
UNCHECKED = 17
# TM[15,19]: N x (store, storage enabled, retrieval active, fill, packets, dropped, overwritten, oldest and
# newest stored time).
STORE_STATUS = Record([Field("stores", Repeated(UInt(8), (
    Field("store", UInt(8)), Field("storage_enabled", Boolean()), Field("retrieval_active", Boolean()),
    Field("fill", Real(32)), Field("packets", UInt(32)), Field("dropped", UInt(32)),
    Field("overwritten", UInt(32)), Field("oldest", AbsoluteTime(CUC)),
    Field("newest", AbsoluteTime(CUC)))))])


@dataclass(frozen=True)
class Received:
    """One TM packet as it came off the link."""

    vcid: int
    raw: bytes
    tm: PusTm
    onboard_time: float  # TAI seconds of its PUS time field
    index: int  # position in the order of arrival

    @property
    def kind(self) -> tuple[int, int]:
        return self.tm.service, self.tm.subtype

    def structure(self) -> int | None:
        """The housekeeping structure id of a TM[3,25]."""
        return int.from_bytes(self.tm.source_data[:2], "big") if self.kind == (3, 25) else None


class Downlink:
    """Every TM packet a session receives from its first octet, in order, on any virtual channel (a
    session recorder: attached before the session's pump starts)."""

    def __init__(self) -> None:
        self._session: Session | None = None
        self._lock = threading.Lock()
        self.packets: list[Received] = []

    def attach(self, session: Session, link: str = "") -> None:
        self._session = session
        session.on_packets(self._on_packet)

    @property
    def session(self) -> Session:
        assert self._session is not None, "not attached to a session"
        return self._session

    def _on_packet(self, vcid: int, raw: bytes, _received_at: float) -> None:
        tm = PusTm.decode(raw, profile=PROFILE)
        onboard = Cuc.decode(tm.time, implicit_format=CUC).to_seconds()
        with self._lock:
            self.packets.append(Received(vcid, bytes(raw), tm, onboard, len(self.packets)))

    def mark(self) -> int:
        with self._lock:
            return len(self.packets)

    def since(self, mark: int, predicate: Callable[[Received], bool] = lambda _: True) -> list[Received]:
        with self._lock:
            return [p for p in self.packets[mark:] if predicate(p)]

    def wait(self, mark: int, predicate: Callable[[Received], bool], count: int = 1,
             timeout: float = 15.0) -> list[Received]:
        """At least ``count`` packets after ``mark`` that satisfy ``predicate``."""
        if not self.session.wait_until(lambda: len(self.since(mark, predicate)) >= count, timeout):
            seen = [p.kind for p in self.since(mark)][-30:]
            found = len(self.since(mark, predicate))
            raise AssertionError(f"{found} of {count} packets within {timeout:g} s; last received: {seen}")
        return self.since(mark, predicate)

    def onboard_now(self) -> float:
        """The on-board time of the newest real-time packet."""
        latest = self.wait(max(0, self.mark() - 1), lambda p: p.vcid == REALTIME)[-1]
        return latest.onboard_time

    def verification(self, mark: int, apid: int,
                     sequence_count: int) -> list[tuple[Received, VerificationReport]]:
        out = []
        for packet in self.since(mark, lambda p: p.tm.service == 1):
            report = decode_report(packet.tm.subtype, packet.tm.source_data)
            if (report.apid, report.sequence_count) == (apid, sequence_count):
                out.append((packet, report))
        return out

    def wait_verification(self, mark: int, apid: int, sequence_count: int, subtype: int,
                          timeout: float = 15.0) -> Received:
        def done() -> bool:
            return any(r.subtype == subtype for _, r in self.verification(mark, apid, sequence_count))

        assert self.session.wait_until(done, timeout), (
            f"no TM[1,{subtype}] for request {apid:#05x}/{sequence_count} within {timeout:g} s; got "
            f"{[r.subtype for _, r in self.verification(mark, apid, sequence_count)]}")
        return next(p for p, r in self.verification(mark, apid, sequence_count) if r.subtype == subtype)


class Flight:
    """``flightsw fly --sim`` on the slave of a pty pair; kill and start again on the same state directory."""

    def __init__(self, workdir: Path) -> None:
        self.pair = PtyPair(workdir / "flight-link")
        self.state_dir = workdir / "state"
        self.log_path = workdir / "fly.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "flightsw", "fly", "--link", self.pair.path, "--sim",
                   "--state-dir", str(self.state_dir), "--log-level", "INFO"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL,
                                            env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int) -> int:
        """Send ``sig`` and reap the process (left to :meth:`close` should it not end)."""
        assert self.process is not None
        self.process.send_signal(sig)
        status = self.process.wait(timeout=15)
        self.process = None
        return status

    def session(self, downlink: Downlink) -> Session:
        try:
            return Session.open(self.pair.master(), profile=PROFILE, wait_initiated=START_TIMEOUT_S,
                                clock=time.monotonic, recorder=downlink)
        except Exception as exc:
            raise AssertionError(f"no link to flightsw fly: {exc}\n{self.log_text()[-3000:]}") from exc

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def close(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=15)
        self.pair.close()


@pytest.fixture(scope="module")
def flight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flight]:
    started = Flight(tmp_path_factory.mktemp("services-e2e"))
    try:
        started.start()
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def link(flight: Flight) -> Iterator[tuple[Session, Downlink]]:
    downlink = Downlink()
    with flight.session(downlink) as session:
        # Housekeeping flows, and the process starts in SAFE (the state every test returns to).
        session.assert_telemetry("cdh_mode", "safe", timeout=START_TIMEOUT_S, since=0)
        yield session, downlink
        assert flight.alive(), flight.log_text()[-3000:]


@pytest.fixture
def session(link: tuple[Session, Downlink]) -> Session:
    return link[0]


@pytest.fixture
def downlink(link: tuple[Session, Downlink]) -> Downlink:
    return link[1]


def _failure_name(handle: CommandHandle, timeout: float = 10.0) -> str:
    """Wait for ``handle`` to end; the name of its failure code (the test expects it to fail)."""
    assert handle.wait(timeout), handle.describe()
    assert handle.failed and handle.failure is not None, handle.describe()
    return handle.failure.failure_name


def _stored_tc(sequence_count: int, service: int, subtype: int, app_data: bytes = b"") -> PusTc:
    """A complete TC packet for on-board release (ST[11], ST[19]) asking for every verification report.
    Its sequence counts are far above those the session uses, so the request ids never collide."""
    return PusTc(CDH, sequence_count, ALL_REPORTS, service, subtype, GROUND, app_data)


def _wait_onboard_time(downlink: Downlink, onboard: float, timeout: float = 15.0) -> None:
    """Until a real-time packet stamped at or after ``onboard`` arrives: the on-board clock passed it."""
    downlink.wait(downlink.mark(), lambda p: p.vcid == REALTIME and p.onboard_time >= onboard,
                  timeout=timeout)


# -- ST[5] event reporting ----------------------------------------------------------------------------------

def test_st05_a_disabled_event_is_not_reported_and_an_enabled_one_is(session: Session, downlink: Downlink,
                                                                     dictionary: Dictionary) -> None:
    mode_changed = dictionary.event_by_name["mode_changed"].id
    session.send_and_assert("event_disable", events=[{"event_id": mode_changed}])
    try:
        before = downlink.mark()
        session.send_and_assert("set_mode", mode="nominal")
        session.assert_telemetry("cdh_mode", "nominal", timeout=5)
        # The event would have been sent on VC0 before the completion report of the command that raised it.
        events = downlink.since(before, lambda p: p.tm.service == 5
                                and int.from_bytes(p.tm.source_data[:2], "big") == mode_changed)
        assert events == []
    finally:
        session.send_and_assert("event_enable", events=[{"event_id": mode_changed}])
    since = time.monotonic()
    session.send_and_assert("set_mode", mode="safe")
    event = session.assert_event("mode_changed", timeout=5, since=since, previous="nominal", current="safe")
    assert event.severity.name.lower() == "informative"
    assert _failure_name(session.send("event_disable", events=[{"event_id": 0x7FFF}])) == "unknown_id"


# -- ST[9] time management ----------------------------------------------------------------------------------

def test_st09_time_report_rate_and_time_setting(session: Session, downlink: Downlink) -> None:
    before = downlink.mark()
    session.send_and_assert("time_report_rate", exponent=2)
    try:
        # One report at once, then one every 2^2 real-time packets; the time it carries was read just
        # before its packet was stamped (within one control period).
        reports = downlink.wait(before, lambda p: p.kind == (9, 2), count=3, timeout=30)
        for report in reports:
            values = TIME_REPORT.decode(report.tm.source_data)
            assert values["exponent"] == 2
            assert 0.0 <= report.onboard_time - values["time"].to_seconds() < 0.1
        for first, second in itertools.pairwise(reports):
            between = [p for p in downlink.since(first.index + 1)[:second.index - first.index - 1]
                       if p.vcid == REALTIME and p.kind != (9, 2)]
            assert len(between) >= 4
    finally:
        session.send_and_assert("time_report_rate", exponent=6)

    onboard = downlink.onboard_now()
    target = round(onboard + 1000.0)
    since = time.monotonic()
    session.send_and_assert("time_set", time=target)
    try:
        event = session.assert_event("time_set", timeout=5, since=since)
        assert event.values["current"].to_seconds() == target
        assert onboard <= event.values["previous"].to_seconds() < onboard + 30.0
        # Everything after the completion report was stamped from the new time.
        later = downlink.wait(downlink.mark(), lambda p: p.vcid == REALTIME and p.kind == (3, 25))[-1]
        assert target <= later.onboard_time < target + 30.0
    finally:
        # Back to the host's TAI, where the flight software started from (other tests compare times).
        session.send_and_assert("time_set", time=ground_tai_seconds())
    restored = downlink.wait(downlink.mark(), lambda p: p.vcid == REALTIME and p.kind == (3, 25))[-1]
    assert abs(restored.onboard_time - ground_tai_seconds()) < 30.0


# -- ST[11] time-based scheduling ---------------------------------------------------------------------------

def _schedule(session: Session, downlink: Downlink) -> list[dict[str, Any]]:
    before = downlink.mark()
    session.send_and_assert("schedule_summary_report")
    summary = downlink.wait(before, lambda p: p.kind == (11, 13))[-1]
    activities: list[dict[str, Any]] = SCHEDULE_SUMMARY.decode(summary.tm.source_data)["activities"]
    return activities


def test_st11_time_tagged_command_is_released_and_verified(session: Session, downlink: Downlink) -> None:
    alive = _stored_tc(12001, 17, 1)
    release = downlink.onboard_now() + 3.0
    before = downlink.mark()
    session.send_and_assert("schedule_insert", activities=[{"release_time": release,
                                                            "request": alive.encode()}])
    activities = _schedule(session, downlink)
    assert [(a["source_id"], a["apid"], a["sequence_count"]) for a in activities] == [(GROUND, CDH, 12001)]
    assert abs(activities[0]["release_time"].to_seconds() - release) <= 1.0 / 65536
    assert downlink.verification(before, CDH, 12001) == []
    completion = downlink.wait_verification(before, CDH, 12001, 7, timeout=20)
    assert [r.subtype for _, r in downlink.verification(before, CDH, 12001)] == [1, 3, 7]
    assert completion.onboard_time >= release
    answers = downlink.since(before, lambda p: p.kind == (17, 2) and p.index < completion.index)
    assert len(answers) == 1 and answers[0].onboard_time >= release
    assert _schedule(session, downlink) == []


def test_st11_delete_and_disable_enable(session: Session, downlink: Downlink) -> None:
    far = _stored_tc(12002, 17, 1)
    session.send_and_assert("schedule_insert", activities=[
        {"release_time": downlink.onboard_now() + 600.0, "request": far.encode()}])
    assert [a["sequence_count"] for a in _schedule(session, downlink)] == [12002]
    request = {"source_id": GROUND, "apid": CDH, "sequence_count": 12002}
    session.send_and_assert("schedule_delete", requests=[request])
    assert _schedule(session, downlink) == []
    assert _failure_name(session.send("schedule_delete", requests=[request])) == "unknown_id"

    session.send_and_assert("schedule_disable")
    try:
        session.assert_telemetry("cdh_schedule_enabled", False, timeout=5)
        held = _stored_tc(12003, 17, 1)
        release = downlink.onboard_now() + 1.0
        before = downlink.mark()
        session.send_and_assert("schedule_insert", activities=[{"release_time": release,
                                                                "request": held.encode()}])
        _wait_onboard_time(downlink, release + 1.5)
        assert downlink.verification(before, CDH, 12003) == []  # due, but the function is disabled
        session.assert_telemetry("cdh_schedule_entries", 1, timeout=5)
    finally:
        enabled = downlink.mark()
        session.send_and_assert("schedule_enable")
    completion = downlink.wait_verification(enabled, CDH, 12003, 7)
    assert completion.onboard_time > release + 1.5
    session.assert_telemetry("cdh_schedule_entries", 0, timeout=5)
    session.assert_telemetry("cdh_schedule_enabled", True, timeout=5)


# -- ST[12] on-board monitoring -----------------------------------------------------------------------------

def _limits(session: Session, parameter_id: int, hard_low: float, soft_low: float, soft_high: float,
            hard_high: float) -> None:
    session.send_and_assert("monitoring_change_limits", definitions=[{
        "parameter_id": parameter_id, "hard_low": hard_low, "soft_low": soft_low, "soft_high": soft_high,
        "hard_high": hard_high}])


def test_st12_limit_crossing_raises_its_event_and_limits_can_change(session: Session, downlink: Downlink,
                                                                    dictionary: Dictionary) -> None:
    # The simulated battery voltage stays near 7.4 V, inside the dictionary's limits (6.8 .. 8.3 V soft).
    parameter = dictionary.parameter_by_name["platform_battery_voltage"]
    limits = parameter.limits
    assert limits is not None and limits.hard_low is not None and limits.hard_high is not None
    assert limits.soft_low is not None and limits.soft_high is not None
    crossed = dictionary.enumeration_by_name["limit_crossed"].by_name
    try:
        for window, limit in (((0.0, 1.0, 2.0, 100.0), "soft_high"), ((0.0, 50.0, 60.0, 100.0), "soft_low")):
            since = time.monotonic()
            before = downlink.mark()
            _limits(session, parameter.id, *window)
            event = session.assert_event("monitoring_out_of_limits", timeout=15, since=since,
                                         parameter_id=parameter.id, limit=limit)
            value = event.values["value"]
            assert (value > window[2]) if limit == "soft_high" else (value < window[1])
            assert window[0] < value < window[3]  # soft, not hard: no FDIR
            report = downlink.wait(before, lambda p: p.kind == (12, 12) and any(
                t["parameter_id"] == parameter.id
                for t in CHECK_TRANSITIONS.decode(p.tm.source_data)["transitions"]))[-1]
            transition = next(t for t in CHECK_TRANSITIONS.decode(report.tm.source_data)["transitions"]
                              if t["parameter_id"] == parameter.id)
            # New limits restart the definition unchecked (ECSS-E-ST-70-41C §6.12.3.6.2).
            assert transition["previous_status"] == UNCHECKED
            assert transition["current_status"] == crossed[limit].value
            assert transition["value"] == value
    finally:
        _limits(session, parameter.id, limits.hard_low, limits.soft_low, limits.soft_high, limits.hard_high)
    bad = session.send("monitoring_change_limits", definitions=[{
        "parameter_id": parameter.id, "hard_low": 0.0, "soft_low": 9.0, "soft_high": 8.0, "hard_high": 10.0}])
    assert _failure_name(bad) == "invalid_value"


# -- ST[15] on-board storage and retrieval ------------------------------------------------------------------

def _store_status(session: Session, downlink: Downlink) -> dict[int, dict[str, Any]]:
    before = downlink.mark()
    session.send_and_assert("storage_status_report")
    report = downlink.wait(before, lambda p: p.kind == (15, 19))[-1]
    return {int(s["store"]): s for s in STORE_STATUS.decode(report.tm.source_data)["stores"]}


def _dump(session: Session, downlink: Downlink, store: str, start: float, end: float,
          expected: list[Received], timeout: float = 20.0) -> list[Received]:
    """Dump ``store`` over [start, end]; the packets that came back on VC1 once every ``expected`` one did."""
    wanted = {p.raw for p in expected}
    before = downlink.mark()
    session.send_and_assert("storage_dump_time_range", store=store, start=start, end=end)

    def complete() -> bool:
        return wanted <= {p.raw for p in downlink.since(before, lambda p: p.vcid == PLAYBACK)}

    assert session.wait_until(complete, timeout), (
        f"{len(wanted - {p.raw for p in downlink.since(before, lambda p: p.vcid == PLAYBACK)})} of "
        f"{len(wanted)} stored packets not dumped within {timeout:g} s")
    return downlink.since(before, lambda p: p.vcid == PLAYBACK)


def test_st15_status_and_dump_by_time_range_on_vc1(session: Session, downlink: Downlink,
                                                     dictionary: Dictionary) -> None:
    stores = dictionary.enumeration_by_name["packet_store"].by_name
    housekeeping = stores["housekeeping"].value
    before = downlink.mark()
    live = downlink.wait(before, lambda p: p.vcid == REALTIME and p.kind == (3, 25), count=4, timeout=20)
    start, end = live[0].onboard_time, live[-1].onboard_time
    status = _store_status(session, downlink)
    assert set(status) == {value.value for value in stores.values()}
    kept = status[housekeeping]
    assert kept["storage_enabled"] is True and kept["retrieval_active"] is False
    assert kept["packets"] >= len(live)
    assert kept["oldest"].to_seconds() <= start
    assert kept["newest"].to_seconds() >= end

    dumped = _dump(session, downlink, "housekeeping", start, end, live)
    assert all(p.kind == (3, 25) and start <= p.onboard_time <= end for p in dumped)
    assert [p.onboard_time for p in dumped] == sorted(p.onboard_time for p in dumped)  # oldest first
    assert len({p.raw for p in dumped}) == len(dumped)
    # Unchanged: the very packets that went out in real time, sequence counts and contents.
    assert {p.raw for p in live} <= {p.raw for p in dumped}
    assert _failure_name(session.send("storage_dump_time_range", store="housekeeping", start=end,
                                      end=start)) == "invalid_value"


# -- ST[19] event-action ------------------------------------------------------------------------------------

def _reject_me(session: Session, sequence_count: int) -> None:
    """A command to a service the C&DH does not have: refused at acceptance, raising ``tc_rejected``."""
    session.send_raw(PusTc(CDH, sequence_count, ALL_REPORTS, 99, 1, GROUND).encode(profile=PROFILE))


def test_st19_an_event_releases_its_stored_command_to_safe(session: Session, downlink: Downlink,
                                                           dictionary: Dictionary) -> None:
    rejected = dictionary.event_by_name["tc_rejected"].id
    to_safe = _stored_tc(13001, 8, 1, dictionary.command_by_name["set_mode"].encode({"mode": "safe"}))
    definition = [{"event_id": rejected}]
    session.send_and_assert("set_mode", mode="nominal")
    session.send_and_assert("event_action_add", definitions=[{"event_id": rejected,
                                                              "request": to_safe.encode()}])
    try:
        # A new definition starts disabled (ECSS-E-ST-70-41C §6.19.7.3): the event alone does nothing.
        before = downlink.mark()
        since = time.monotonic()
        _reject_me(session, 13101)
        event = session.assert_event("tc_rejected", timeout=5, since=since, service=99)
        _wait_onboard_time(downlink, event.onboard_time + 1.0)
        assert downlink.verification(before, CDH, 13001) == []
        session.assert_telemetry("cdh_mode", "nominal", timeout=5)

        session.send_and_assert("event_action_enable", definitions=definition)
        before = downlink.mark()
        since = time.monotonic()
        _reject_me(session, 13102)
        session.assert_event("mode_changed", timeout=10, since=since, previous="nominal", current="safe")
        downlink.wait_verification(before, CDH, 13001, 7)
        assert [r.subtype for _, r in downlink.verification(before, CDH, 13001)] == [1, 3, 7]
        session.assert_telemetry("cdh_mode", "safe", timeout=5)
        # An enabled definition cannot be deleted.
        assert _failure_name(session.send("event_action_delete", definitions=definition)) == "invalid_value"
    finally:
        session.send_and_assert("event_action_disable", definitions=definition)
        session.send_and_assert("event_action_delete", definitions=definition)
    assert _failure_name(session.send("event_action_enable", definitions=definition)) == "unknown_id"


# -- ST[3] housekeeping -------------------------------------------------------------------------------------

def test_st03_one_shot_enable_disable_and_change_period(session: Session, downlink: Downlink,
                                                        dictionary: Dictionary) -> None:
    structure = dictionary.housekeeping_by_name["adcs_estimator"]  # disabled, 10 s, by default
    sid = structure.id
    assert not structure.enabled
    before = downlink.mark()
    one_shot = session.send_and_assert("hk_report_one_shot", structures=[sid])
    completion = downlink.wait_verification(before, one_shot.apid, one_shot.sequence_count, 7)
    reports = downlink.since(before, lambda p: p.structure() == sid and p.index < completion.index)
    assert len(reports) == 1
    values = structure.record.decode(reports[0].tm.source_data[2:])
    assert set(values) == {parameter.name for parameter in structure.parameters}

    assert _failure_name(session.send("hk_change_period", structures=[{"structure_id": sid,
                                                                       "period": 0.05}])) == "invalid_value"
    period = 0.5
    session.send_and_assert("hk_change_period", structures=[{"structure_id": sid, "period": period}])
    try:
        before = downlink.mark()
        enabled = session.send_and_assert("hk_enable_periodic", structures=[sid])
        start = downlink.wait_verification(before, enabled.apid, enabled.sequence_count, 7)
        periodic = downlink.wait(start.index, lambda p: p.structure() == sid, count=7, timeout=20)
        spacing = statistics.median(b.onboard_time - a.onboard_time for a, b in itertools.pairwise(periodic))
        assert spacing == pytest.approx(period, rel=0.2)
    finally:
        before = downlink.mark()
        disabled = session.send_and_assert("hk_disable_periodic", structures=[sid])
        session.send_and_assert("hk_change_period", structures=[{"structure_id": sid,
                                                                 "period": structure.period_s}])
    stop = downlink.wait_verification(before, disabled.apid, disabled.sequence_count, 7)
    _wait_onboard_time(downlink, stop.onboard_time + 4 * period)
    assert downlink.since(stop.index, lambda p: p.structure() == sid) == []


# -- kill -9 with stored TM ---------------------------------------------------------------------------------

def test_kill_9_loses_no_stored_tm(tmp_path: Path, dictionary: Dictionary) -> None:
    """TM stored before a SIGKILL (the ST[15] packet store, and the TM spooled while the link was down) is
    all there after the restart: the live housekeeping reports come back unchanged from a dump, and every
    report stored since the spool's oldest packet comes back twice on VC1, played back from the spool and
    dumped from the store. (TM that was on its way to the unplugged pty when the link went down was neither
    received nor spooled: it had left storage for the link.)"""
    essential = dictionary.housekeeping_by_name["cdh_essential"]
    flight = Flight(tmp_path)
    try:
        flight.start()
        downlink = Downlink()
        with flight.session(downlink):
            live = downlink.wait(0, lambda p: p.vcid == REALTIME and p.kind == (3, 25), count=4, timeout=30)
            last_live = downlink.since(0, lambda p: p.vcid == REALTIME)[-1]
        flight.pair.disappear()  # the cable is unplugged: TM goes to the spool (and to the packet store)
        outage_end = time.monotonic() + OUTAGE_S
        while time.monotonic() < outage_end:
            assert flight.alive(), flight.log_text()[-3000:]
            time.sleep(0.1)
        assert flight.kill(signal.SIGKILL) == -signal.SIGKILL
        killed_at = ground_tai_seconds()
        assert "link down" in flight.log_text()
        flight.pair.reappear()
        flight.start()
        after = Downlink()
        with flight.session(after) as second:
            # New TM of the restarted process flows; what the spool kept is played back on VC1 first.
            after.wait(0, lambda p: p.vcid == REALTIME and p.onboard_time > killed_at, count=3, timeout=30)
            spooled = after.wait(0, lambda p: p.vcid == PLAYBACK, timeout=30)  # no dump asked yet
            dumped = _dump(second, after, "housekeeping", live[0].onboard_time, killed_at, live)
            played = after.since(0, lambda p: p.vcid == PLAYBACK)
    finally:
        flight.close()
    assert all(p.onboard_time <= killed_at for p in dumped)
    # The store: the reports sent live before the link went down are in it, unchanged.
    assert {p.raw for p in live} <= {p.raw for p in dumped}
    spool_oldest = spooled[0]
    assert spool_oldest.onboard_time > last_live.onboard_time
    # The spool played back every packet it kept, from its oldest on: consecutive sequence counts.
    counts = [p.tm.sequence_count for p in spooled]
    assert counts == list(range(counts[0], counts[0] + len(counts)))
    assert counts[0] > last_live.tm.sequence_count
    assert all(p.onboard_time <= killed_at for p in spooled)
    # The spool: every report stored since its oldest packet also came back played back from it.
    distinct = {p.raw: p for p in dumped if p.kind == (3, 25) and p.onboard_time >= spool_oldest.onboard_time}
    outage = sorted(distinct.values(), key=lambda p: (p.onboard_time, p.tm.sequence_count))
    essential_outage = [p for p in outage if p.structure() == essential.id]
    assert len(essential_outage) >= 2, [p.onboard_time for p in outage]
    copies = {p.raw: 0 for p in outage}
    for packet in played:
        if packet.raw in copies:
            copies[packet.raw] += 1
    assert all(count >= 2 for count in copies.values()), sorted(copies.values())
    # None missing among them: consecutive 1 Hz uptimes and sequence counts that only go up.
    uptimes = [essential.record.decode(p.tm.source_data[2:])["cdh_uptime"] for p in essential_outage]
    assert uptimes == list(range(uptimes[0], uptimes[0] + len(uptimes)))
