"""ST[15] on-board storage and retrieval (ECSS-E-ST-70-41C §6.15): packet stores in SQLite, dumped on VC1.

The packet stores are those of the dictionary's ``packet_store`` enumeration, kept by
:class:`flightsw.cdh.storage.OnboardStorage` in the state directory. Every TM the executive produces is
offered to the stores by policy (:func:`store_for`): housekeeping reports TM[3,25] to ``housekeeping``, event
reports TM[5,x] to ``events``, TM from the ADCS APID to ``adcs``; each is stored with the on-board time of its
PUS header. A store that is full with the stop policy refuses new packets and raises ``storage_full`` once,
until a packet fits again.

Writes are batched: the TM offered between two control ticks is committed in one transaction at the next tick
(:meth:`OnboardStorageService.commit`; also before any request is executed, at shutdown, and at once when
:data:`MAX_BATCH_PACKETS` are waiting). One disk sync per tick instead of one per packet keeps the flight
loop, and with it the downlink, from stalling on a burst of reports (a 255-report TC[3,27] took about three
quarters of a second of syncs packet by packet). What is committed survives ``kill -9`` and a power cut (WAL,
``synchronous=FULL``); what a crash can lose is the batch not yet committed: the TM of at most one control
period (100 ms at 10 Hz) or :data:`MAX_BATCH_PACKETS` packets. That is acceptable because these stores keep a
*copy* for later retrieval of TM that was produced for the link in the same instant: the real-time copy of
that TM was in the link's queues, in memory, and a crash loses it as well. TM that exists only in storage, the
backlog kept while the link is down, is committed packet by packet by the executive's spool
(:class:`flightsw.cdh.storage.SqliteTmSpool`), never in such a window.

Sub-services (the mission dictionary defines their application data):

- TC[15,1] / TC[15,2] enable / disable the storage function of packet stores;
- TC[15,9] start the by-time-range retrieval of a packet store: the stored packets whose time lies in
  ``[start, end]`` are sent, unchanged and oldest first, on the playback VC (``profile.tm.vc_playback``),
  :data:`DUMP_PACKETS_PER_TICK` per control tick so a long dump never holds up the executive. One
  by-time-range retrieval per store at a time, as the standard requires; a second one is refused;
- TC[15,11] delete the content of packet stores up to a time;
- TC[15,18] report the status of each packet store, answered by TM[15,19].

The storage telemetry (``storage_fill``, ``storage_packets``, ``storage_enabled``) is published once per
second.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flightsw.ccsds.appdata import AbsoluteTime, Boolean, Field, Real, Record, Repeated, UInt
from flightsw.ccsds.pus import PusTm
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.service import FailureCode, Request, Service, ServiceContext, ServiceFailure
from flightsw.cdh.storage import FullPolicy, OnboardStorage, StoreConfig, StoreOutcome
from flightsw.errors import ConfigError, FlightswError

log = logging.getLogger(__name__)

DUMP_PACKETS_PER_TICK = 32  # at 10 Hz about 320 packets/s: more than a 115200 baud line carries
# Waiting packets that make a commit happen before the next tick (bounds memory and the crash window).
MAX_BATCH_PACKETS = 1024
TELEMETRY_PERIOD_S = 1.0
STORE_ENUMERATION = "packet_store"
STATUS_REPORT = 19  # TM[15,19] packet store status report

# TM[15,19]: N x (store, storage enabled, by-time-range retrieval active, fill, packets, packets refused when
# full, packets overwritten, oldest and newest stored time (zero when empty)).
STATUS_RECORD = Record([Field("stores", Repeated(UInt(8), (
    Field("store", UInt(8)),
    Field("storage_enabled", Boolean()),
    Field("retrieval_active", Boolean()),
    Field("fill", Real(32)),
    Field("packets", UInt(32)),
    Field("dropped", UInt(32)),
    Field("overwritten", UInt(32)),
    Field("oldest", AbsoluteTime()),
    Field("newest", AbsoluteTime()),
)))])


@dataclass
class Retrieval:
    """A by-time-range retrieval in progress: packets after ``after`` (insertion sequence) still to send."""

    store: int
    start: float
    end: float
    after: int = 0
    sent: int = 0


def store_for(tm: PusTm, store_ids: dict[str, int], adcs_apid: int) -> int | None:
    """The packet store a TM goes to, by policy, or None."""
    if tm.apid == adcs_apid:
        return store_ids.get("adcs")
    if (tm.service, tm.subtype) == (3, 25):
        return store_ids.get("housekeeping")
    if tm.service == 5:
        return store_ids.get("events")
    return None


class OnboardStorageService(Service):
    """Packet stores and their retrieval for the C&DH."""

    service_type = 15
    apid_roles = ("cdh",)

    def __init__(self, configs: dict[str, StoreConfig] | None = None) -> None:
        """``configs`` by store name; a store not named gets the default capacity and the wrap policy."""
        self.configs = dict(configs or {})
        self.retrievals: dict[int, Retrieval] = {}
        self.full_reported: set[int] = set()
        self.store_errors = 0
        self.commits = 0
        self._next_telemetry = float("-inf")
        self._batch: list[tuple[int, bytes, float, int]] = []  # (store, packet, time, vcid) not yet committed
        self._committing = False

    def attach(self, context: ServiceContext) -> None:
        super().attach(context)
        self._format = CucFormat.from_profile(context.profile)
        enumeration = context.dictionary.enumeration_by_name[STORE_ENUMERATION]
        self.store_ids = {value.name: value.value for value in enumeration.values}
        self.store_names = {code: name for name, code in self.store_ids.items()}
        unknown = set(self.configs) - set(self.store_ids)
        if unknown:
            raise ConfigError("bad_storage", f"no packet store named {sorted(unknown)}")
        configs = {code: self.configs.get(name, StoreConfig(policy=FullPolicy.WRAP))
                   for name, code in self.store_ids.items()}
        self.storage = OnboardStorage.in_state_dir(context.state_dir, configs, profile=context.profile)
        context.add_tm_listener(self._on_tm)

    # -- storing by policy ----------------------------------------------------------------------------------

    def _on_tm(self, tm: PusTm, vcid: int) -> None:
        store = store_for(tm, self.store_ids, self.ctx.profile.apids.adcs)
        if store is None:
            return
        try:
            time = float(Cuc.decode(tm.time, implicit_format=self._format).seconds)
            self._batch.append((store, tm.encode(profile=self.ctx.profile), time, vcid))
        except FlightswError as exc:
            self.store_errors += 1
            log.error("storing TM[%d,%d] failed: %s", tm.service, tm.subtype, exc)
            return
        if len(self._batch) >= MAX_BATCH_PACKETS:
            self.commit()

    def commit(self) -> None:
        """Store the TM offered since the last commit, in one transaction. A ``storage_full`` event raised
        here is itself offered to the stores and goes into the next batch."""
        if not self._batch or self._committing:
            return
        batch, self._batch = self._batch, []
        self._committing = True
        try:
            try:
                outcomes = self.storage.store_entries(batch)
            except FlightswError as exc:
                self.store_errors += len(batch)
                log.error("storing %d TM packets failed: %s", len(batch), exc)
                return
            self.commits += 1
            newly_full: list[int] = []
            for (store, *_), outcome in zip(batch, outcomes, strict=True):
                if outcome is StoreOutcome.DROPPED and store not in self.full_reported:
                    self.full_reported.add(store)
                    newly_full.append(store)
                elif outcome is StoreOutcome.STORED:
                    self.full_reported.discard(store)
            for store in newly_full:
                self.ctx.raise_event("storage_full", {"store": store})
        finally:
            self._committing = False

    # -- requests -------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> None:
        self.commit()  # a request sees every packet offered before it
        subtype = request.tc.subtype
        arguments = request.arguments
        if subtype in (1, 2):
            for store in self._stores(arguments["stores"]):
                self.storage.set_enabled(store, subtype == 1)
        elif subtype == 9:
            self._start_retrieval(int(arguments["store"]), arguments["start"], arguments["end"])
        elif subtype == 11:
            until = float(arguments["until"].seconds)
            for store in self._stores(arguments["stores"]):
                if store in self.retrievals:
                    raise ServiceFailure(FailureCode.RESOURCE_UNAVAILABLE,
                                         f"store {self.store_names[store]} is being retrieved")
            for store in self._stores(arguments["stores"]):
                self.storage.delete_until(store, until)
        elif subtype == 18:
            self._status_report()
        else:
            super().handle(request)
        self._publish()

    def _stores(self, entries: Sequence[dict[str, Any]]) -> list[int]:
        stores = [int(entry["store"]) for entry in entries]
        for store in stores:
            if store not in self.store_names:
                raise ServiceFailure(FailureCode.UNKNOWN_ID, f"no packet store {store}")
        return stores

    def _start_retrieval(self, store: int, start: Cuc, end: Cuc) -> None:
        if store not in self.store_names:
            raise ServiceFailure(FailureCode.UNKNOWN_ID, f"no packet store {store}")
        if start.seconds > end.seconds:
            raise ServiceFailure(FailureCode.INVALID_VALUE, "start of the time range is after its end")
        if store in self.retrievals:
            raise ServiceFailure(FailureCode.RESOURCE_UNAVAILABLE,
                                 f"store {self.store_names[store]} is already being retrieved")
        self.retrievals[store] = Retrieval(store, float(start.seconds), float(end.seconds))

    def _status_report(self) -> None:
        zero = Cuc(0, 0, self._format)
        rows = []
        for store in sorted(self.store_names):
            status = self.storage.status(store)
            rows.append({
                "store": store, "storage_enabled": status.enabled,
                "retrieval_active": store in self.retrievals,
                "fill": status.fill, "packets": status.packets, "dropped": status.dropped,
                "overwritten": status.overwritten,
                "oldest": zero if status.oldest_time is None else Cuc.from_seconds(status.oldest_time,
                                                                                   self._format),
                "newest": zero if status.newest_time is None else Cuc.from_seconds(status.newest_time,
                                                                                   self._format),
            })
        self.ctx.emit_tm(self.service_type, STATUS_REPORT, STATUS_RECORD.encode({"stores": rows}))

    # -- retrieval and telemetry ----------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        self.commit()
        playback = self.ctx.profile.tm.vc_playback
        budget = DUMP_PACKETS_PER_TICK
        for store in list(self.retrievals):
            retrieval = self.retrievals[store]
            chunk = self.storage.by_time_range(store, retrieval.start, retrieval.end, retrieval.after, budget)
            for item in chunk:
                self.ctx.send_packet(item.packet, playback)
            retrieval.sent += len(chunk)
            budget -= len(chunk)
            if chunk:
                retrieval.after = chunk[-1].sequence
            if budget > 0:  # the page came back short: nothing left in the range
                del self.retrievals[store]
                log.info("retrieval of store %s done: %d packets", self.store_names[store], retrieval.sent)
            if budget <= 0:
                break
        if now >= self._next_telemetry:
            self._next_telemetry = now + TELEMETRY_PERIOD_S
            self._publish()

    def _publish(self) -> None:
        statuses = [self.storage.status(store) for store in sorted(self.store_names)]
        capacity = sum(status.capacity_octets for status in statuses)
        values = {
            "storage_fill": sum(status.used_octets for status in statuses) / capacity if capacity else 0.0,
            "storage_packets": sum(status.packets for status in statuses),
            "storage_enabled": any(status.enabled for status in statuses),
        }
        for name, value in values.items():
            try:
                self.ctx.set_telemetry(name, value)
            except KeyError:
                log.debug("telemetry parameter %s is not in the dictionary", name)

    def shutdown(self) -> None:
        self.commit()
        self.storage.close()
