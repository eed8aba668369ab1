"""On-board TM storage: round trip, retrieval by time and sequence, full policies, persistence, the link
backlog, and no committed packet lost to ``kill -9``."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flightsw.ccsds.pus import PusTm
from flightsw.cdh.storage import (
    BACKLOG_STORE,
    DATABASE_NAME,
    FullPolicy,
    OnboardStorage,
    SqliteTmSpool,
    StoreConfig,
    StoreOutcome,
)
from flightsw.errors import ConfigError, DecodeError, FlightswError
from flightsw.profile import DEFAULT_PROFILE

REPO = Path(__file__).resolve().parents[2]
HK, EVENTS = 1, 2


def tm(index: int, service: int = 3, subtype: int = 25, apid: int = DEFAULT_PROFILE.apids.cdh,
       size: int = 20) -> bytes:
    """A distinct PUS TM packet whose source data says its index."""
    data = index.to_bytes(4, "big") + bytes(size - 4)
    return PusTm(apid, index % 16384, service, subtype, source_data=data).encode()


def index_of(packet: bytes) -> int:
    return int.from_bytes(PusTm.decode(packet).source_data[:4], "big")


def open_storage(tmp_path: Path, **configs: StoreConfig) -> OnboardStorage:
    stores = {HK: configs.get("hk", StoreConfig()), EVENTS: configs.get("events", StoreConfig())}
    return OnboardStorage.in_state_dir(tmp_path, stores)


def test_round_trip_keeps_bytes_and_header_fields(tmp_path: Path) -> None:
    packets = [tm(1), tm(2, service=5, subtype=3), tm(3, apid=DEFAULT_PROFILE.apids.adcs)]
    with open_storage(tmp_path) as storage:
        for index, packet in enumerate(packets):
            assert storage.store(packet, 100.0 + index, HK) is StoreOutcome.STORED
        stored = storage.by_sequence(HK)
    assert [item.packet for item in stored] == packets
    cdh, adcs = DEFAULT_PROFILE.apids.cdh, DEFAULT_PROFILE.apids.adcs
    assert [(item.apid, item.service, item.subtype) for item in stored] == [
        (cdh, 3, 25), (cdh, 5, 3), (adcs, 3, 25)]
    assert [item.time for item in stored] == [100.0, 101.0, 102.0]
    assert all(item.store == HK for item in stored)
    sequences = [item.sequence for item in stored]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3


def test_stores_are_separate_and_sequence_retrieval_pages(tmp_path: Path) -> None:
    with open_storage(tmp_path) as storage:
        for index in range(10):
            storage.store(tm(index), float(index), HK if index % 2 == 0 else EVENTS)
        even = storage.by_sequence(HK)
        assert [index_of(p.packet) for p in even] == [0, 2, 4, 6, 8]
        first, rest = storage.by_sequence(HK, limit=2), storage.by_sequence(HK, after=even[1].sequence)
        assert first == even[:2] and rest == even[2:]
        assert [p.packet for p in storage.iterate(EVENTS, batch=2)] == [tm(i) for i in (1, 3, 5, 7, 9)]


def test_time_range_is_inclusive_and_delete_until_frees_space(tmp_path: Path) -> None:
    with open_storage(tmp_path) as storage:
        for index in range(10):
            storage.store(tm(index), 1000.0 + index, HK)
        assert [p.time for p in storage.by_time_range(HK, 1003.0, 1006.0)] == [1003.0, 1004.0, 1005.0, 1006.0]
        assert storage.by_time_range(HK, 2000.0, 3000.0) == []
        size = len(tm(0))
        assert storage.delete_until(HK, 1004.0) == 5
        status = storage.status(HK)
        assert (status.packets, status.used_octets) == (5, 5 * size)
        assert (status.oldest_time, status.newest_time) == (1005.0, 1009.0)
        assert status.overwritten == 0


def test_wrap_policy_overwrites_the_oldest_and_counts(tmp_path: Path) -> None:
    size = len(tm(0))
    with open_storage(tmp_path, hk=StoreConfig(3 * size, FullPolicy.WRAP)) as storage:
        outcomes = [storage.store(tm(index), float(index), HK) for index in range(5)]
        assert outcomes == [StoreOutcome.STORED] * 5
        assert [p.packet for p in storage.by_sequence(HK)] == [tm(2), tm(3), tm(4)]
        status = storage.status(HK)
        assert (status.overwritten, status.dropped, status.fill) == (2, 0, 1.0)
        # A bigger packet pushes out as many old ones as it needs.
        big = tm(9, size=20 + size)
        assert storage.store(big, 9.0, HK) is StoreOutcome.STORED
        assert [p.packet for p in storage.by_sequence(HK)] == [tm(4), big]
        status = storage.status(HK)
        assert (status.overwritten, status.packets, status.used_octets) == (4, 2, size + len(big))


def test_stop_policy_keeps_the_oldest_and_counts_drops(tmp_path: Path) -> None:
    size = len(tm(0))
    with open_storage(tmp_path, hk=StoreConfig(3 * size, FullPolicy.STOP)) as storage:
        outcomes = [storage.store(tm(index), float(index), HK) for index in range(5)]
        assert outcomes == [StoreOutcome.STORED] * 3 + [StoreOutcome.DROPPED] * 2
        assert [p.packet for p in storage.by_sequence(HK)] == [tm(0), tm(1), tm(2)]
        assert storage.status(HK).dropped == 2


def test_packet_larger_than_the_store_is_refused_even_when_wrapping(tmp_path: Path) -> None:
    with open_storage(tmp_path, hk=StoreConfig(50, FullPolicy.WRAP)) as storage:
        storage.store(tm(0), 0.0, HK)
        assert storage.store(tm(1, size=100), 1.0, HK) is StoreOutcome.DROPPED
        assert [p.packet for p in storage.by_sequence(HK)] == [tm(0)]
        assert storage.status(HK).dropped == 1


def test_disabled_store_keeps_nothing_and_the_setting_survives_restart(tmp_path: Path) -> None:
    with open_storage(tmp_path) as storage:
        storage.set_enabled(EVENTS, False)
        assert storage.store(tm(0), 0.0, EVENTS) is StoreOutcome.DISABLED
        assert storage.store(tm(1), 0.0, HK) is StoreOutcome.STORED
    with open_storage(tmp_path) as storage:
        assert not storage.is_enabled(EVENTS) and storage.is_enabled(HK)
        assert storage.status(EVENTS).packets == 0
        assert [p.packet for p in storage.by_sequence(HK)] == [tm(1)]


def test_counters_and_sequence_survive_restart(tmp_path: Path) -> None:
    size = len(tm(0))
    config = StoreConfig(2 * size, FullPolicy.WRAP)
    with open_storage(tmp_path, hk=config) as storage:
        for index in range(4):
            storage.store(tm(index), float(index), HK)
        last = storage.by_sequence(HK)[-1].sequence
    with open_storage(tmp_path, hk=config) as storage:
        assert storage.status(HK).overwritten == 2
        storage.store(tm(4), 4.0, HK)
        newest = storage.by_sequence(HK)[-1]
        assert newest.sequence > last and newest.packet == tm(4)


def test_database_uses_the_write_ahead_log(tmp_path: Path) -> None:
    with open_storage(tmp_path) as storage:
        storage.store(tm(0), 0.0, HK)
    db = sqlite3.connect(tmp_path / DATABASE_NAME)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        db.close()


def test_invalid_packets_and_unknown_stores_are_refused(tmp_path: Path) -> None:
    with open_storage(tmp_path) as storage:
        corrupted = bytearray(tm(0))
        corrupted[12] ^= 0xFF
        with pytest.raises(DecodeError):
            storage.store(bytes(corrupted), 0.0, HK)
        with pytest.raises(ConfigError, match="unknown_store"):
            storage.store(tm(0), 0.0, 99)
        with pytest.raises(ConfigError, match="unknown_store"):
            storage.status(99)
        assert storage.status(HK).packets == 0


def test_backlog_pending_and_mark_sent(tmp_path: Path) -> None:
    with open_storage(tmp_path) as storage:
        for index in range(5):
            storage.store(tm(index), float(index), vcid=DEFAULT_PROFILE.tm.vc_realtime)
        pending = storage.pending()
        assert [p.packet for p in pending] == [tm(i) for i in range(5)]
        assert storage.mark_sent(p.sequence for p in pending[:3]) == 3
        assert [p.packet for p in storage.pending()] == [tm(3), tm(4)]
        assert storage.status(BACKLOG_STORE).packets == 2


def test_spool_plays_back_in_order_with_vcids_and_survives_restart(tmp_path: Path) -> None:
    realtime, playback = DEFAULT_PROFILE.tm.vc_realtime, DEFAULT_PROFILE.tm.vc_playback
    spool = SqliteTmSpool.in_state_dir(tmp_path)
    assert spool.spool(tm(0), realtime, 10.0)
    assert spool.spool(tm(1), playback, 11.0)
    assert not spool.spool(b"\x00\x01", realtime, 12.0)
    assert len(spool) == 2 and spool.refused == 1
    spool.flush()
    spool.close()
    spool = SqliteTmSpool.in_state_dir(tmp_path)
    try:
        (first,) = spool.pending(1)
        assert (first.packet, first.vcid) == (tm(0), realtime)
        (second,) = spool.pending(10, after=first.token)
        assert (second.packet, second.vcid) == (tm(1), playback)
        spool.mark_sent([first.token, second.token])
        assert len(spool) == 0 and spool.pending(10) == []
    finally:
        spool.close()


def test_spooled_packets_read_but_not_marked_sent_survive_a_restart(tmp_path: Path) -> None:
    spool = SqliteTmSpool.in_state_dir(tmp_path)
    assert spool.spool_many([(tm(0), 0), (tm(1), 0), (tm(2), 0)], 5.0) == 3
    taken = spool.pending(10)
    spool.mark_sent([taken[0].token])  # only the first went out before the "crash"
    spool.close()
    spool = SqliteTmSpool.in_state_dir(tmp_path)
    try:
        assert [item.packet for item in spool.pending(10)] == [tm(1), tm(2)]
    finally:
        spool.close()


def test_spool_many_refuses_only_the_packet_that_is_not_tm(tmp_path: Path) -> None:
    spool = SqliteTmSpool.in_state_dir(tmp_path)
    try:
        assert spool.spool_many([(tm(0), 0), (b"\x00\x01", 0), (tm(1), 0)], 5.0) == 2
        assert spool.refused == 1
        assert [item.packet for item in spool.pending(10)] == [tm(0), tm(1)]
    finally:
        spool.close()


def test_store_entries_fills_several_stores_in_one_transaction(tmp_path: Path) -> None:
    with OnboardStorage(tmp_path / DATABASE_NAME, {HK: StoreConfig(), EVENTS: StoreConfig()}) as storage:
        outcomes = storage.store_entries([(HK, tm(0), 1.0, 0), (EVENTS, tm(1, 5, 1), 2.0, 0),
                                          (HK, tm(2), 3.0, 1)])
        assert outcomes == [StoreOutcome.STORED] * 3
        assert [(p.packet, p.vcid) for p in storage.by_sequence(HK)] == [(tm(0), 0), (tm(2), 1)]
        assert [p.packet for p in storage.by_sequence(EVENTS)] == [tm(1, 5, 1)]
        with pytest.raises(DecodeError):
            storage.store_entries([(HK, tm(3), 4.0, 0), (HK, b"\x00\x01", 5.0, 0)])
        assert storage.count(HK) == 2  # a bad packet refuses the whole batch


def test_full_spool_refuses(tmp_path: Path) -> None:
    spool = SqliteTmSpool.in_state_dir(tmp_path, capacity_octets=len(tm(0)))
    try:
        assert spool.spool(tm(0), 0, 0.0)
        assert not spool.spool(tm(1), 0, 1.0)
        assert spool.storage.status(BACKLOG_STORE).dropped == 1
    finally:
        spool.close()


_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from flightsw.ccsds.pus import PusTm
    from flightsw.cdh.storage import OnboardStorage, StoreConfig
    from flightsw.profile import DEFAULT_PROFILE

    storage = OnboardStorage.in_state_dir(Path(sys.argv[1]), {1: StoreConfig()})
    index = 0
    while True:
        data = index.to_bytes(4, "big") + bytes(60)
        packet = PusTm(DEFAULT_PROFILE.apids.cdh, index % 16384, 3, 25, source_data=data).encode()
        storage.store(packet, float(index), 1)
        print(index, flush=True)  # only after the commit returned
        index += 1
""")


def test_no_committed_packet_is_lost_to_sigkill(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, text=True)
    acknowledged: list[int] = []
    try:
        assert child.stdout is not None
        while len(acknowledged) < 200:
            line = child.stdout.readline()
            if not line:
                pytest.fail(f"writer stopped: {child.stderr.read() if child.stderr else ''}")
            acknowledged.append(int(line))
        child.send_signal(signal.SIGKILL)  # mid-stream: the writer is busy storing the next packets
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    with OnboardStorage.in_state_dir(tmp_path, {1: StoreConfig()}) as storage:
        stored = {index_of(p.packet): p for p in storage.iterate(1)}
    assert set(acknowledged) <= set(stored)
    for index in acknowledged:
        data = index.to_bytes(4, "big") + bytes(60)
        expected = PusTm(DEFAULT_PROFILE.apids.cdh, index % 16384, 3, 25, source_data=data).encode()
        assert stored[index].packet == expected and stored[index].time == float(index)
    # Whatever was committed after the last acknowledgement is whole too: the indices form one run.
    assert sorted(stored) == list(range(len(stored)))


def test_database_failure_is_reported_not_raised_by_the_spool(tmp_path: Path) -> None:
    spool = SqliteTmSpool.in_state_dir(tmp_path)
    storage = spool.storage
    storage.close()  # every later database call fails, as after an I/O error
    with pytest.raises(FlightswError, match="storage_failed"):
        storage.store(tm(0), 0.0)
    assert not spool.spool(tm(0), DEFAULT_PROFILE.tm.vc_realtime, 0.0)
    assert spool.spool_many([(tm(1), DEFAULT_PROFILE.tm.vc_realtime)], 0.0) == 0
    assert spool.pending(10) == []
    spool.mark_sent([1])  # logged; the packet would be played back again after a restart
