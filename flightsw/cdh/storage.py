"""On-board TM storage in SQLite: the packet stores of ST[15] and the backlog of TM the link could not carry.

One database file in the state directory holds every store. Each stored packet keeps its raw octets, the
on-board time it was stored with, its APID, service and subtype (read from its PUS header), its store id and a
global insertion sequence that never goes back, so retrieval can be by time range or by sequence.

Durability: the database runs in WAL mode with ``synchronous=FULL`` and every :meth:`OnboardStorage.store`
(or :meth:`OnboardStorage.store_many` batch) is one transaction, so a packet whose call returned survives
``kill -9`` of the process and a power cut (FULL syncs the WAL on every commit; NORMAL would only be safe
against a process crash, and a board losing power is the case that matters on a spacecraft).

Capacity is counted in packet octets per store. When a packet does not fit, the store's policy decides:
``STOP`` refuses it (counted in ``dropped``), ``WRAP`` deletes the oldest packets until it fits (counted in
``overwritten``); a packet larger than the whole store is always refused. Counters persist with the data.

The link backlog (:data:`BACKLOG_STORE`) is where the executive puts TM it cannot send while the link is down:
``store(packet, time)`` then, when the link returns, ``pending()`` in order and ``mark_sent()`` once each
packet went out; a packet is removed only when marked sent, so a crash between the two replays it again
rather than losing it (at-least-once delivery; the ground drops duplicates by sequence count).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from flightsw.ccsds.pus import PusTm
from flightsw.cdh.service import SpooledTm
from flightsw.errors import ConfigError, DecodeError, FlightswError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

log = logging.getLogger(__name__)

BACKLOG_STORE = 0  # not a PUS packet store: TM waiting for the link to come back
DATABASE_NAME = "storage.sqlite3"
# Octets per store by default: a few hours of 1 Hz housekeeping and events, and small enough for an SD card.
DEFAULT_CAPACITY_OCTETS = 16 * 1024 * 1024
BACKLOG_CAPACITY_OCTETS = 64 * 1024 * 1024
_SCHEMA_VERSION = 1
_BUSY_TIMEOUT_S = 5.0


class FullPolicy(Enum):
    """What a full store does with a new packet."""

    STOP = "stop"  # keep the oldest data, refuse the new packet
    WRAP = "wrap"  # circular buffer: overwrite the oldest packets


@dataclass(frozen=True)
class StoreConfig:
    capacity_octets: int = DEFAULT_CAPACITY_OCTETS
    policy: FullPolicy = FullPolicy.WRAP

    def __post_init__(self) -> None:
        if self.capacity_octets <= 0:
            raise ConfigError("bad_storage", f"capacity {self.capacity_octets} octets must be positive")


@dataclass(frozen=True)
class StoredPacket:
    sequence: int  # insertion sequence, unique and increasing over all stores
    store: int
    time: float  # on-board time given when storing (s, the mission's time scale)
    apid: int
    service: int
    subtype: int
    vcid: int  # the virtual channel the packet was meant for (the backlog replays it there)
    packet: bytes


@dataclass(frozen=True)
class StoreStatus:
    store: int
    enabled: bool
    policy: FullPolicy
    capacity_octets: int
    used_octets: int
    packets: int
    dropped: int  # refused: store full with STOP, packet larger than the store
    overwritten: int  # removed by WRAP to make room
    oldest_time: float | None
    newest_time: float | None

    @property
    def fill(self) -> float:
        """Fraction of the capacity in use, 0..1."""
        return self.used_octets / self.capacity_octets


class StoreOutcome(Enum):
    STORED = "stored"
    DISABLED = "disabled"  # storage function of the store is off (ST[15] TC[15,2])
    DROPPED = "dropped"  # did not fit and the policy is STOP, or larger than the store


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS stores (
    store INTEGER PRIMARY KEY,
    enabled INTEGER NOT NULL,
    policy TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    count INTEGER NOT NULL DEFAULT 0,
    dropped INTEGER NOT NULL DEFAULT 0,
    overwritten INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS packets (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    store INTEGER NOT NULL REFERENCES stores(store),
    time REAL NOT NULL,
    apid INTEGER NOT NULL,
    service INTEGER NOT NULL,
    subtype INTEGER NOT NULL,
    vcid INTEGER NOT NULL,
    size INTEGER NOT NULL,
    packet BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS packets_by_store_time ON packets(store, time);
CREATE INDEX IF NOT EXISTS packets_by_store_sequence ON packets(store, sequence);
"""


class OnboardStorage:
    """The packet stores in one SQLite database; safe to share between the executive's threads.

    ``stores`` maps each store id to its configuration; the backlog store is added when absent. A store that
    exists in the database keeps its contents, counters and enabled state across restarts, and takes the
    capacity and policy given here (a smaller capacity takes effect at the next packet stored).
    """

    def __init__(self, path: str | Path, stores: Mapping[int, StoreConfig] | None = None, *,
                 profile: LinkProfile = DEFAULT_PROFILE) -> None:
        self.path = Path(path)
        self.profile = profile
        configs = dict(stores or {})
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level=None,
                                       check_same_thread=False)
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ConfigError("bad_storage", f"{self.path}: WAL journal not available ({mode})")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise ConfigError("bad_storage", f"{self.path}: {exc}") from None
        self._create(configs)

    @classmethod
    def in_state_dir(cls, state_dir: str | Path, stores: Mapping[int, StoreConfig] | None = None, *,
                     profile: LinkProfile = DEFAULT_PROFILE) -> OnboardStorage:
        directory = Path(state_dir)
        directory.mkdir(parents=True, exist_ok=True)
        return cls(directory / DATABASE_NAME, stores, profile=profile)

    # -- set-up ---------------------------------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _create(self, configs: Mapping[int, StoreConfig]) -> None:
        with self._lock:
            try:
                with self._transaction():
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            self._db.execute(statement)
                    row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
                    if row is None:
                        self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))
                    elif row[0] != _SCHEMA_VERSION:
                        raise ConfigError("bad_storage", f"{self.path}: schema {row[0]}, expected "
                                          f"{_SCHEMA_VERSION}")
                    # The backlog exists in every database; its configuration is only changed when given.
                    self._db.execute("INSERT OR IGNORE INTO stores(store, enabled, policy, capacity) "
                                     "VALUES (?, 1, ?, ?)", (BACKLOG_STORE, FullPolicy.STOP.value,
                                                             BACKLOG_CAPACITY_OCTETS))
                    for store, config in configs.items():
                        self._db.execute(
                            "INSERT INTO stores(store, enabled, policy, capacity) VALUES (?, 1, ?, ?) "
                            "ON CONFLICT(store) DO UPDATE SET "
                            "policy=excluded.policy, capacity=excluded.capacity",
                            (store, config.policy.value, config.capacity_octets))
            except sqlite3.DatabaseError as exc:
                raise ConfigError("bad_storage", f"{self.path}: {exc}") from None

    def checkpoint(self) -> None:
        """Copy the WAL into the database file (every commit is already durable; this bounds the WAL)."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close the database (a second call does nothing)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> OnboardStorage:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def store_ids(self) -> tuple[int, ...]:
        with self._lock:
            return tuple(row[0] for row in self._db.execute("SELECT store FROM stores ORDER BY store"))

    def _known(self, store: int) -> tuple[bool, str, int, int]:
        row = self._db.execute("SELECT enabled, policy, capacity, used FROM stores WHERE store=?",
                               (store,)).fetchone()
        if row is None:
            raise ConfigError("unknown_store", f"packet store {store} is not configured")
        return bool(row[0]), row[1], row[2], row[3]

    # -- storing --------------------------------------------------------------------------------------------

    def store(self, packet: bytes, time: float, store: int = BACKLOG_STORE, vcid: int | None = None,
              ) -> StoreOutcome:
        """Store one PUS TM packet, committed before returning. Bytes that are not a valid PUS TM raise
        :class:`~flightsw.errors.DecodeError`; ``vcid`` defaults to the real-time VC."""
        return self.store_many([(packet, time)], store, vcid)[0]

    def store_many(self, packets: Sequence[tuple[bytes, float]], store: int = BACKLOG_STORE,
                   vcid: int | None = None) -> list[StoreOutcome]:
        """Store a batch in one store in one transaction (one disk sync for all of them)."""
        channel = self.profile.tm.vc_realtime if vcid is None else vcid
        return self.store_entries([(store, raw, time, channel) for raw, time in packets])

    def store_entries(self, entries: Sequence[tuple[int, bytes, float, int]]) -> list[StoreOutcome]:
        """Store ``(store, packet, time, vcid)`` entries, in order and possibly in different stores, in one
        transaction (one disk sync for all of them); the outcome of each entry. Every packet is decoded
        first, so one that is not a valid PUS TM raises :class:`~flightsw.errors.DecodeError` and nothing
        of the batch is stored."""
        decoded = [(int(store), bytes(raw), float(time), PusTm.decode(raw, profile=self.profile), int(vcid))
                   for store, raw, time, vcid in entries]
        outcomes: list[StoreOutcome] = []
        try:
            with self._lock, self._transaction():
                for store, raw, time, tm, vcid in decoded:
                    outcomes.append(self._insert(store, raw, time, tm, vcid))
        except sqlite3.Error as exc:  # disk full, I/O error: the caller counts it and goes on
            raise FlightswError("storage_failed", f"{self.path}: {exc}") from None
        return outcomes

    def _insert(self, store: int, raw: bytes, time: float, tm: PusTm, vcid: int) -> StoreOutcome:
        enabled, policy, capacity, used = self._known(store)
        if not enabled:
            return StoreOutcome.DISABLED
        size = len(raw)
        excess = used + size - capacity
        if size > capacity or (excess > 0 and policy == FullPolicy.STOP.value):
            self._db.execute("UPDATE stores SET dropped = dropped + 1 WHERE store=?", (store,))
            return StoreOutcome.DROPPED
        if excess > 0:
            # The oldest packets whose sizes add up to at least the excess make room (a circular buffer).
            row = self._db.execute(
                "SELECT sequence FROM (SELECT sequence, SUM(size) OVER (ORDER BY sequence) AS freed "
                "FROM packets WHERE store=?) WHERE freed >= ? ORDER BY sequence LIMIT 1",
                (store, excess)).fetchone()
            self._delete_where("store=? AND sequence<=?", (store, row[0]), store, overwrite=True)
        self._db.execute(
            "INSERT INTO packets(store, time, apid, service, subtype, vcid, size, packet) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (store, time, tm.apid, tm.service, tm.subtype, vcid, size, raw))
        self._db.execute("UPDATE stores SET used = used + ?, count = count + 1 WHERE store=?", (size, store))
        return StoreOutcome.STORED

    def _delete_where(self, condition: str, args: tuple[object, ...], store: int, *,
                      overwrite: bool = False) -> int:
        count, octets = self._db.execute(
            f"SELECT COUNT(*), COALESCE(SUM(size), 0) FROM packets WHERE {condition}", args).fetchone()
        if count:
            self._db.execute(f"DELETE FROM packets WHERE {condition}", args)
            self._db.execute("UPDATE stores SET used = used - ?, count = count - ?, "
                             "overwritten = overwritten + ? WHERE store=?",
                             (octets, count, count if overwrite else 0, store))
        return int(count)

    # -- enabling -------------------------------------------------------------------------------------------

    def set_enabled(self, store: int, enabled: bool) -> None:
        with self._lock, self._transaction():
            self._known(store)
            self._db.execute("UPDATE stores SET enabled=? WHERE store=?", (int(enabled), store))

    def is_enabled(self, store: int) -> bool:
        with self._lock:
            return self._known(store)[0]

    # -- retrieval ------------------------------------------------------------------------------------------

    def by_time_range(self, store: int, start: float, end: float, after: int = 0, limit: int | None = None,
                      ) -> list[StoredPacket]:
        """Packets of ``store`` with ``start <= time <= end`` in insertion order; ``after`` and ``limit`` page
        through a long range (the insertion sequence of the last packet already read, the page size)."""
        with self._lock:
            self._known(store)
            rows = self._db.execute(
                "SELECT sequence, store, time, apid, service, subtype, vcid, packet FROM packets "
                "WHERE store=? AND time>=? AND time<=? AND sequence>? ORDER BY sequence LIMIT ?",
                (store, start, end, after, -1 if limit is None else limit)).fetchall()
        return [_packet(row) for row in rows]

    def by_sequence(self, store: int, after: int = 0, limit: int | None = None) -> list[StoredPacket]:
        """Packets of ``store`` whose insertion sequence is above ``after``, oldest first."""
        with self._lock:
            self._known(store)
            rows = self._db.execute(
                "SELECT sequence, store, time, apid, service, subtype, vcid, packet FROM packets "
                "WHERE store=? AND sequence>? ORDER BY sequence LIMIT ?",
                (store, after, -1 if limit is None else limit)).fetchall()
        return [_packet(row) for row in rows]

    def iterate(self, store: int, batch: int = 256) -> Iterator[StoredPacket]:
        """Every packet of ``store`` in insertion order, read in batches."""
        after = 0
        while True:
            chunk = self.by_sequence(store, after, batch)
            if not chunk:
                return
            yield from chunk
            after = chunk[-1].sequence

    def delete_until(self, store: int, time: float) -> int:
        """Delete the packets of ``store`` stored with a time up to ``time`` (included); their count."""
        with self._lock, self._transaction():
            self._known(store)
            return self._delete_where("store=? AND time<=?", (store, time), store)

    def count(self, store: int) -> int:
        """Packets held in ``store``."""
        with self._lock:
            self._known(store)
            return int(self._db.execute("SELECT count FROM stores WHERE store=?", (store,)).fetchone()[0])

    def status(self, store: int) -> StoreStatus:
        with self._lock:
            enabled, policy, capacity, used = self._known(store)
            count, dropped, overwritten = self._db.execute(
                "SELECT count, dropped, overwritten FROM stores WHERE store=?", (store,)).fetchone()
            oldest, newest = self._db.execute(
                "SELECT MIN(time), MAX(time) FROM packets WHERE store=?", (store,)).fetchone()
        return StoreStatus(store, enabled, FullPolicy(policy), capacity, used, count, dropped, overwritten,
                           oldest, newest)

    def total_fill(self, stores: Iterable[int] | None = None) -> float:
        """Fraction of the summed capacity of ``stores`` (default: all but the backlog) in use."""
        wanted = [s for s in self.store_ids if s != BACKLOG_STORE] if stores is None else list(stores)
        statuses = [self.status(store) for store in wanted]
        capacity = sum(status.capacity_octets for status in statuses)
        return sum(status.used_octets for status in statuses) / capacity if capacity else 0.0

    # -- link backlog ---------------------------------------------------------------------------------------

    def pending(self, limit: int | None = None) -> list[StoredPacket]:
        """TM of the backlog not yet marked sent, oldest first."""
        return self.by_sequence(BACKLOG_STORE, 0, limit)

    def mark_sent(self, sequences: Iterable[int]) -> int:
        """Forget backlog packets that went out on the link; the number removed."""
        wanted = sorted(set(sequences))
        removed = 0
        with self._lock, self._transaction():
            for sequence in wanted:
                removed += self._delete_where("store=? AND sequence=?", (BACKLOG_STORE, sequence),
                                              BACKLOG_STORE)
        return removed


def _packet(row: tuple[int, int, float, int, int, int, int, bytes]) -> StoredPacket:
    return StoredPacket(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bytes(row[7]))


class SqliteTmSpool:
    """The executive's TM spool (:class:`flightsw.cdh.service.TmSpool`) on the backlog store: TM produced
    while the link is down is committed to disk as it comes (one transaction per :meth:`spool` call, or per
    :meth:`spool_many` batch), so a crash or ``kill -9`` loses none of it: this TM has no other copy.

    Playback is at-least-once: :meth:`pending` reads packets without removing them, and only
    :meth:`mark_sent` (called once the link layer has put them on the wire) forgets them, so a crash in
    between plays them back again after the restart. Tokens are the backlog's insertion sequences.
    """

    def __init__(self, storage: OnboardStorage) -> None:
        self.storage = storage
        self.refused = 0  # packets that were not valid PUS TM

    @classmethod
    def in_state_dir(cls, state_dir: str | Path, capacity_octets: int = BACKLOG_CAPACITY_OCTETS, *,
                     profile: LinkProfile = DEFAULT_PROFILE) -> SqliteTmSpool:
        config = {BACKLOG_STORE: StoreConfig(capacity_octets, FullPolicy.STOP)}
        return cls(OnboardStorage.in_state_dir(state_dir, config, profile=profile))

    def spool(self, packet: bytes, vcid: int, onboard_time: float) -> bool:
        try:
            outcome = self.storage.store(packet, onboard_time, BACKLOG_STORE, vcid)
        except DecodeError:
            self.refused += 1
            return False
        except FlightswError as exc:
            log.error("TM spool: %s", exc)
            return False
        return outcome is StoreOutcome.STORED

    def spool_many(self, packets: Sequence[tuple[bytes, int]], onboard_time: float) -> int:
        """Keep a batch of ``(packet, vcid)`` in one transaction; the number kept. A batch with a packet that
        is not PUS TM is kept packet by packet, so only that one is refused."""
        if not packets:
            return 0
        entries = [(BACKLOG_STORE, packet, onboard_time, vcid) for packet, vcid in packets]
        try:
            outcomes = self.storage.store_entries(entries)
        except DecodeError:
            return sum(self.spool(packet, vcid, onboard_time) for packet, vcid in packets)
        except FlightswError as exc:
            log.error("TM spool: %s", exc)
            return 0
        return sum(outcome is StoreOutcome.STORED for outcome in outcomes)

    def pending(self, max_packets: int, after: int = 0) -> list[SpooledTm]:
        """Up to ``max_packets`` kept packets whose token is above ``after``, oldest first, still kept until
        :meth:`mark_sent`; none when the database fails (logged)."""
        try:
            taken = self.storage.by_sequence(BACKLOG_STORE, after, max_packets)
        except sqlite3.Error as exc:
            log.error("TM spool: %s: %s", self.storage.path, exc)
            return []
        return [SpooledTm(item.sequence, item.packet, item.vcid) for item in taken]

    def mark_sent(self, tokens: Iterable[int]) -> None:
        """Forget packets that went out on the link (one transaction); a failure is logged, and those
        packets are played back again after the next start (at-least-once)."""
        try:
            self.storage.mark_sent(tokens)
        except sqlite3.Error as exc:
            log.error("TM spool: %s: %s", self.storage.path, exc)

    def __len__(self) -> int:
        return self.storage.count(BACKLOG_STORE)

    def flush(self) -> None:
        self.storage.checkpoint()

    def close(self) -> None:
        self.storage.close()


class _Transaction:
    """BEGIN IMMEDIATE .. COMMIT, ROLLBACK on an exception (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self._db.execute("COMMIT")
        elif self._db.in_transaction:  # SQLite may already have rolled back after an I/O error
            self._db.execute("ROLLBACK")


__all__ = [
    "BACKLOG_STORE",
    "DATABASE_NAME",
    "FullPolicy",
    "OnboardStorage",
    "SqliteTmSpool",
    "StoreConfig",
    "StoreOutcome",
    "StoreStatus",
    "StoredPacket",
]
