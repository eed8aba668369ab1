"""ST[11] time-based scheduling (ECSS-E-ST-70-41C §6.11): telecommands released at an on-board time.

Sub-services provided (the mission dictionary defines their application data):

- TC[11,1] / TC[11,2] enable / disable the time-based schedule execution function;
- TC[11,4] insert activities: each activity is a release time and a complete TC packet;
- TC[11,5] delete activities identified by request identifier;
- TC[11,15] time-shift all scheduled activities;
- TC[11,17] summary-report all activities, answered by TM[11,13].

An activity is identified by its request identifier: source id, APID and sequence count of its TC packet.
A request that cannot be carried out for one of its activities changes nothing (every activity is
checked before any is inserted, deleted or shifted). While the function is disabled nothing is released; an
activity whose time passed meanwhile is released as soon as the function is enabled again, in time order.

Release: at each control tick, every activity whose release time is not after the on-board time is removed
from the schedule and put through the executive's normal uplink path (:meth:`ServiceContext.release_tc`), so
it is accepted, routed and verified like a command from the ground.

The schedule is kept in SQLite in the state directory (WAL, synchronous=FULL, one transaction per request),
so activities and the enabled state survive a restart or ``kill -9``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flightsw.ccsds.appdata import AbsoluteTime, Field, Record, Repeated, UInt
from flightsw.ccsds.pus import PusTc
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.service import FailureCode, Origin, Request, Service, ServiceContext, ServiceFailure
from flightsw.errors import FlightswError

log = logging.getLogger(__name__)

DATABASE_NAME = "schedule.sqlite3"
MAX_ACTIVITIES = 256  # bounded on-board memory; an insert beyond it fails with RESOURCE_UNAVAILABLE
MAX_RELEASES_PER_TICK = 16  # keeps one tick short when many activities fall due together

SUMMARY_REPORT = 13  # TM[11,13] time-based schedule summary report
# TM[11,13]: N x (release time, request identifier = source id, APID, sequence count), by release time.
SUMMARY_RECORD = Record([Field("activities", Repeated(UInt(16), (
    Field("release_time", AbsoluteTime()),
    Field("source_id", UInt(16)),
    Field("apid", UInt(16)),
    Field("sequence_count", UInt(16)),
)))])

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS activities (source_id INTEGER NOT NULL, apid INTEGER NOT NULL, "
    "sequence_count INTEGER NOT NULL, release_time REAL NOT NULL, packet BLOB NOT NULL, "
    "PRIMARY KEY (source_id, apid, sequence_count))",
    "CREATE INDEX IF NOT EXISTS activities_by_time ON activities(release_time)",
)

RequestId = tuple[int, int, int]  # source id, APID, sequence count


@dataclass(frozen=True)
class Activity:
    release_time: float  # on-board time, TAI seconds since the CUC epoch
    request_id: RequestId
    packet: bytes


class TimeBasedSchedule(Service):
    """The C&DH's time-based schedule."""

    service_type = 11
    apid_roles = ("cdh",)

    def __init__(self, max_activities: int = MAX_ACTIVITIES) -> None:
        self.max_activities = max_activities
        self.released = 0
        self.release_failures = 0

    def attach(self, context: ServiceContext) -> None:
        super().attach(context)
        self._format = CucFormat.from_profile(context.profile)
        context.state_dir.mkdir(parents=True, exist_ok=True)
        # Default isolation: each ``with self._db`` block is one transaction (BEGIN before the first change).
        self._db = sqlite3.connect(context.state_dir / DATABASE_NAME)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        with self._db:
            for statement in _SCHEMA:
                self._db.execute(statement)
            self._db.execute("INSERT OR IGNORE INTO settings VALUES ('enabled', 1)")
        self._enabled = bool(self._db.execute("SELECT value FROM settings WHERE key='enabled'").fetchone()[0])
        self._publish()

    # -- state ----------------------------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self._enabled

    def activities(self) -> list[Activity]:
        """The schedule in release order."""
        rows = self._db.execute("SELECT release_time, source_id, apid, sequence_count, packet "
                                "FROM activities ORDER BY release_time, rowid").fetchall()
        return [Activity(row[0], (row[1], row[2], row[3]), bytes(row[4])) for row in rows]

    def _count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM activities").fetchone()[0])

    def _publish(self) -> None:
        for name, value in (("cdh_schedule_enabled", self.enabled), ("cdh_schedule_entries", self._count())):
            try:
                self.ctx.set_telemetry(name, value)
            except KeyError:
                log.debug("telemetry parameter %s is not in the dictionary", name)

    def _time(self, cuc: Cuc) -> float:
        return float(cuc.seconds)

    # -- requests -------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> None:
        subtype = request.tc.subtype
        arguments = request.arguments
        if subtype in (1, 2):
            with self._db:
                self._db.execute("UPDATE settings SET value=? WHERE key='enabled'", (int(subtype == 1),))
            self._enabled = subtype == 1
        elif subtype == 4:
            self._insert(arguments["activities"])
        elif subtype == 5:
            self._delete(arguments["requests"])
        elif subtype == 15:
            self._time_shift(float(arguments["offset"]))
        elif subtype == 17:
            self._summary_report()
        else:
            super().handle(request)
        self._publish()

    def _insert(self, entries: Sequence[dict[str, Any]]) -> None:
        """TC[11,4]: check every activity, then insert them all in one transaction."""
        now = self.ctx.onboard_time()
        new: list[Activity] = []
        for index, entry in enumerate(entries):
            release_time = self._time(entry["release_time"])
            try:
                packet = PusTc.decode(entry["request"], profile=self.ctx.profile)
            except FlightswError as exc:
                raise ServiceFailure(FailureCode.INVALID_VALUE,
                                     f"activity {index}: request is not a PUS TC ({exc.reason})") from None
            # TC[11,4] of the standard: an activity whose release time has already passed is rejected.
            if release_time <= now:
                raise ServiceFailure(FailureCode.INVALID_VALUE,
                                     f"activity {index}: release time {release_time:.3f} is not after "
                                     f"the on-board time {now:.3f}")
            request_id = (packet.source_id, packet.apid, packet.sequence_count)
            if self._exists(request_id) or any(activity.request_id == request_id for activity in new):
                raise ServiceFailure(FailureCode.INVALID_VALUE,
                                     f"activity {index}: request {request_id} is already scheduled")
            new.append(Activity(release_time, request_id, bytes(entry["request"])))
        if self._count() + len(new) > self.max_activities:
            raise ServiceFailure(FailureCode.RESOURCE_UNAVAILABLE,
                                 f"schedule holds at most {self.max_activities} activities")
        with self._db:
            self._db.executemany(
                "INSERT INTO activities(source_id, apid, sequence_count, release_time, packet) "
                "VALUES (?, ?, ?, ?, ?)",
                [(*activity.request_id, activity.release_time, activity.packet) for activity in new])

    def _exists(self, request_id: RequestId) -> bool:
        return self._db.execute("SELECT 1 FROM activities WHERE source_id=? AND apid=? AND sequence_count=?",
                                request_id).fetchone() is not None

    def _delete(self, entries: Sequence[dict[str, Any]]) -> None:
        """TC[11,5]: every identified activity must be in the schedule."""
        ids = [(int(e["source_id"]), int(e["apid"]), int(e["sequence_count"])) for e in entries]
        for request_id in ids:
            if not self._exists(request_id):
                raise ServiceFailure(FailureCode.UNKNOWN_ID, f"request {request_id} is not scheduled")
        with self._db:
            self._db.executemany(
                "DELETE FROM activities WHERE source_id=? AND apid=? AND sequence_count=?", ids)

    def _time_shift(self, offset: float) -> None:
        """TC[11,15]: the standard rejects the shift when any activity would then lie in the past."""
        now = self.ctx.onboard_time()
        earliest = self._db.execute("SELECT MIN(release_time) FROM activities").fetchone()[0]
        if earliest is not None and earliest + offset <= now:
            raise ServiceFailure(FailureCode.INVALID_VALUE,
                                 f"shifting by {offset} s moves an activity before the on-board time")
        with self._db:
            self._db.execute("UPDATE activities SET release_time = release_time + ?", (offset,))

    def _summary_report(self) -> None:
        """TC[11,17] answered by one TM[11,13] with every activity in release order."""
        rows = [{"release_time": Cuc.from_seconds(activity.release_time, self._format),
                 "source_id": activity.request_id[0], "apid": activity.request_id[1],
                 "sequence_count": activity.request_id[2]} for activity in self.activities()]
        self.ctx.emit_tm(self.service_type, SUMMARY_REPORT, SUMMARY_RECORD.encode({"activities": rows}))

    # -- release --------------------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        if not self.enabled:
            return
        due = self._db.execute(
            "SELECT source_id, apid, sequence_count, packet FROM activities WHERE release_time <= ? "
            "ORDER BY release_time, rowid LIMIT ?",
            (self.ctx.onboard_time(), MAX_RELEASES_PER_TICK)).fetchall()
        if not due:
            return
        for source_id, apid, sequence_count, packet in due:
            # Removed before release: a command that crashes the release is not released again after restart.
            with self._db:
                self._db.execute("DELETE FROM activities WHERE source_id=? AND apid=? AND sequence_count=?",
                                 (source_id, apid, sequence_count))
            try:
                self.ctx.release_tc(bytes(packet), Origin.SCHEDULE)
                self.released += 1
            except Exception:
                self.release_failures += 1
                log.exception("release of scheduled request %s failed", (source_id, apid, sequence_count))
        self._publish()

    def shutdown(self) -> None:
        self._db.close()
