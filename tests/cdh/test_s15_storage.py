"""ST[15] on-board storage and retrieval through the executive, in simulated time: TM stored by policy, dumped
by time range on the playback VC, deleted, reported; and TM produced while the link is down kept on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from flightsw.ccsds.pus import PusTm
from flightsw.ccsds.timecode import Cuc
from flightsw.cdh.executive import Executive
from flightsw.cdh.scheduler import SimulatedClock
from flightsw.cdh.service import FailureCode
from flightsw.cdh.services.s01_verification import decode_report
from flightsw.cdh.services.s15_storage import (
    DUMP_PACKETS_PER_TICK,
    MAX_BATCH_PACKETS,
    STATUS_RECORD,
    OnboardStorageService,
)
from flightsw.cdh.storage import DATABASE_NAME, FullPolicy, SqliteTmSpool, StoreConfig
from flightsw.dictionary import load_dictionary
from flightsw.profile import DEFAULT_PROFILE
from tests.cdh.harness import command_packet

DICTIONARY = load_dictionary()
STORES = {value.name: value.value for value in DICTIONARY.enumeration_by_name["packet_store"].values}
T0 = 2_000_000_000.0
TICK = 0.1
REALTIME, PLAYBACK = DEFAULT_PROFILE.tm.vc_realtime, DEFAULT_PROFILE.tm.vc_playback


class Flight:
    def __init__(self, state_dir: Path, configs: dict[str, StoreConfig] | None = None,
                 spool: SqliteTmSpool | None = None) -> None:
        self.clock = SimulatedClock(100.0)
        self.executive = Executive(DEFAULT_PROFILE, DICTIONARY, clock=self.clock, state_dir=state_dir,
                                   tai_at_start=T0, spool=spool)
        self.storage = OnboardStorageService(configs)
        self.executive.register(self.storage)

    def housekeeping(self, count: int, every: float = 1.0) -> list[bytes]:
        """``count`` housekeeping reports, one per ``every`` seconds; their packets as sent."""
        sent = []
        for index in range(count):
            tm = self.executive.emit_tm(3, 25, index.to_bytes(2, "big") + bytes(10))
            sent.append(tm.encode())
            self.run(every)
        return sent

    def send(self, packet: bytes) -> list[tuple[int, Any]]:
        self.executive.handle_packet(packet)
        return [(tm.subtype, decode_report(tm.subtype, tm.source_data).failure_code)
                for tm, _ in self.tm() if tm.service == 1]

    def run(self, seconds: float) -> None:
        for _ in range(round(seconds / TICK)):
            self.clock.advance(TICK)
            self.executive.tick(self.clock.monotonic())

    def tm(self) -> list[tuple[PusTm, int]]:
        return [(PusTm.decode(packet), vcid) for packet, vcid in self.executive.take_outbox()]

    def raw(self) -> list[tuple[bytes, int]]:
        return self.executive.take_outbox()

    def status(self) -> dict[int, dict[str, Any]]:
        self.send_quiet(tc("storage_status_report"))
        (report,) = [tm for tm, _ in self.tm() if (tm.service, tm.subtype) == (15, 19)]
        return {row["store"]: row for row in STATUS_RECORD.decode(report.source_data)["stores"]}

    def send_quiet(self, packet: bytes) -> None:
        self.executive.handle_packet(packet)


def tc(name: str, values: dict[str, Any] | None = None) -> bytes:
    return command_packet(DICTIONARY, name, values)


def dump(start: float, end: float, store: str = "housekeeping") -> bytes:
    return tc("storage_dump_time_range", {"store": store, "start": Cuc.from_seconds(start),
                                          "end": Cuc.from_seconds(end)})


@pytest.fixture
def flight(tmp_path: Path):
    flight = Flight(tmp_path)
    yield flight
    flight.executive.shutdown()


def test_dump_by_time_range_sends_the_stored_packets_on_the_playback_vc(flight: Flight) -> None:
    sent = flight.housekeeping(10)  # at T0, T0 + 1 s, ... T0 + 9 s
    flight.raw()
    assert flight.send(dump(T0 + 2.5, T0 + 6.0)) == [(1, None), (3, None), (7, None)]
    flight.run(0.2)
    out = flight.raw()
    assert [packet for packet, vcid in out if vcid == PLAYBACK] == sent[3:7]  # unchanged, oldest first
    assert all(vcid == REALTIME for packet, vcid in out if packet not in sent)


def test_long_dump_is_paced_over_ticks_and_a_second_one_is_refused(flight: Flight) -> None:
    count = DUMP_PACKETS_PER_TICK * 2 + 5
    sent = flight.housekeeping(count, every=0.1)
    flight.raw()
    flight.send(dump(T0, T0 + 3600.0))
    assert flight.send(dump(T0, T0 + 1.0)) == [(1, None), (4, FailureCode.RESOURCE_UNAVAILABLE)]
    dumped: list[bytes] = []
    for _ in range(4):
        flight.run(TICK)
        chunk = [packet for packet, vcid in flight.raw() if vcid == PLAYBACK]
        assert len(chunk) <= DUMP_PACKETS_PER_TICK
        dumped += chunk
    assert dumped == sent
    assert flight.send(dump(T0, T0 + 1.0))[-1] == (7, None)  # the first one is over


def test_bad_time_range_is_refused(flight: Flight) -> None:
    assert flight.send(dump(T0 + 5.0, T0 + 1.0))[-1] == (4, FailureCode.INVALID_VALUE)


def test_policy_puts_events_in_the_events_store_and_other_tm_nowhere(flight: Flight) -> None:
    flight.executive.raise_event("estimator_converged")
    flight.executive.emit_tm(17, 2, b"")
    flight.housekeeping(1)
    status = flight.status()
    assert status[STORES["events"]]["packets"] == 1
    assert status[STORES["housekeeping"]]["packets"] == 1
    assert status[STORES["adcs"]]["packets"] == 0
    flight.executive.emit_tm(3, 25, bytes(4), apid=DEFAULT_PROFILE.apids.adcs)
    assert flight.status()[STORES["adcs"]]["packets"] == 1


def test_disabled_store_stores_nothing_and_the_status_says_so(flight: Flight) -> None:
    disable = tc("storage_disable", {"stores": [{"store": "housekeeping"}]})
    assert flight.send(disable)[-1] == (7, None)
    flight.housekeeping(3)
    status = flight.status()[STORES["housekeeping"]]
    assert (status["storage_enabled"], status["packets"]) == (False, 0)
    assert flight.executive.telemetry["storage_enabled"] is True  # the other stores still store
    flight.send(tc("storage_enable", {"stores": [{"store": "housekeeping"}]}))
    flight.housekeeping(2)
    status = flight.status()[STORES["housekeeping"]]
    assert (status["storage_enabled"], status["packets"]) == (True, 2)


def test_delete_until_and_status_report(flight: Flight) -> None:
    flight.housekeeping(6)
    delete = tc("storage_delete_until", {"until": Cuc.from_seconds(T0 + 2.0),
                                         "stores": [{"store": "housekeeping"}]})
    assert flight.send(delete)[-1] == (7, None)
    status = flight.status()[STORES["housekeeping"]]
    assert status["packets"] == 3
    assert status["oldest"].to_seconds() == pytest.approx(T0 + 3.0, abs=1e-4)
    assert status["newest"].to_seconds() == pytest.approx(T0 + 5.0, abs=1e-4)
    assert status["retrieval_active"] is False and status["dropped"] == 0
    assert 0.0 < status["fill"] < 1e-3
    flight.run(1.0)
    assert flight.executive.telemetry["storage_packets"] == 3 + flight.status()[STORES["events"]]["packets"]


def test_full_store_with_stop_policy_raises_storage_full_once(tmp_path: Path) -> None:
    size = len(PusTm(DEFAULT_PROFILE.apids.cdh, 0, 3, 25, source_data=bytes(12)).encode())
    flight = Flight(tmp_path, {"housekeeping": StoreConfig(2 * size, FullPolicy.STOP)})
    try:
        flight.housekeeping(5)
        full = [tm for tm, _ in flight.tm() if tm.service == 5
                and int.from_bytes(tm.source_data[:2], "big") == DICTIONARY.event_by_name["storage_full"].id]
        assert len(full) == 1
        assert DICTIONARY.event_by_name["storage_full"].decode(full[0].source_data[2:]) == {
            "store": STORES["housekeeping"]}
        status = flight.status()[STORES["housekeeping"]]
        assert (status["packets"], status["dropped"]) == (2, 3)
    finally:
        flight.executive.shutdown()


def test_stored_tm_survives_a_restart(tmp_path: Path) -> None:
    first = Flight(tmp_path)
    sent = first.housekeeping(3)
    first.executive.shutdown()
    second = Flight(tmp_path)
    try:
        second.send(dump(T0, T0 + 10.0))
        second.run(0.2)
        assert [packet for packet, vcid in second.raw() if vcid == PLAYBACK] == sent
    finally:
        second.executive.shutdown()


def test_tm_produced_while_the_link_is_down_is_spooled_to_disk_and_replayed(tmp_path: Path) -> None:
    # The spool shares the database of the packet stores, as the flight loop configures it.
    first = Flight(tmp_path, spool=SqliteTmSpool.in_state_dir(tmp_path))
    first.executive.set_link_up(False)
    sent = [first.executive.emit_tm(17, 2, b"").encode() for _ in range(5)]
    housekeeping = first.housekeeping(2)
    assert first.raw() == []
    first.executive.shutdown()
    first.executive.spool.close()  # the files on disk are all that is left of the first run
    second = Flight(tmp_path, spool=SqliteTmSpool.in_state_dir(tmp_path))
    try:
        replayed = second.raw()
        assert [packet for packet, _ in replayed][:5] == sent
        assert all(vcid == PLAYBACK for _, vcid in replayed)
        # Housekeeping produced meanwhile went both to the backlog and to its packet store.
        assert [packet for packet, _ in replayed if packet in housekeeping] == housekeeping
        second.send(dump(T0, T0 + 10.0))
        second.run(0.2)
        assert [packet for packet, vcid in second.raw() if vcid == PLAYBACK] == housekeeping
    finally:
        second.executive.shutdown()
        second.executive.spool.close()


def _packets_on_disk(state_dir: Path) -> int:
    """Packets committed to the database, as another process opening it would see them."""
    with sqlite3.connect(state_dir / DATABASE_NAME) as reader:
        return int(reader.execute("SELECT COUNT(*) FROM packets").fetchone()[0])


def test_a_burst_is_committed_in_one_transaction_at_the_next_tick(flight: Flight, tmp_path: Path) -> None:
    before = flight.storage.commits
    for index in range(255):  # as one TC[3,27] with 255 structure ids makes them
        flight.executive.emit_tm(3, 25, index.to_bytes(2, "big") + bytes(10))
    assert _packets_on_disk(tmp_path) == 0  # offered, not yet committed: the window a crash can lose
    flight.run(TICK)
    assert _packets_on_disk(tmp_path) == 255
    assert flight.storage.commits == before + 1


def test_a_request_sees_the_packets_offered_before_it(flight: Flight) -> None:
    sent = [flight.executive.emit_tm(3, 25, index.to_bytes(2, "big") + bytes(10)).encode()
            for index in range(3)]
    flight.raw()
    assert flight.status()[STORES["housekeeping"]]["packets"] == 3  # no tick in between
    flight.send(dump(T0, T0 + 10.0))
    flight.run(TICK)
    assert [packet for packet, vcid in flight.raw() if vcid == PLAYBACK] == sent


def test_a_large_batch_is_committed_before_the_tick(flight: Flight, tmp_path: Path) -> None:
    for index in range(MAX_BATCH_PACKETS):
        flight.executive.emit_tm(3, 25, index.to_bytes(2, "big") + bytes(10))
    assert _packets_on_disk(tmp_path) == MAX_BATCH_PACKETS


def test_shutdown_commits_the_last_batch(tmp_path: Path) -> None:
    flight = Flight(tmp_path)
    flight.executive.emit_tm(3, 25, bytes(12))
    flight.executive.shutdown()
    assert _packets_on_disk(tmp_path) == 1


def test_storage_full_is_raised_once_from_a_batch(tmp_path: Path) -> None:
    packet_size = len(PusTm(DEFAULT_PROFILE.apids.cdh, 0, 3, 25, time=bytes(6),
                            source_data=bytes(12)).encode())
    flight = Flight(tmp_path, {"housekeeping": StoreConfig(packet_size * 2, FullPolicy.STOP)})
    try:
        for _ in range(5):
            flight.executive.emit_tm(3, 25, bytes(12))
        flight.raw()
        flight.run(TICK)
        full = DICTIONARY.event_by_name["storage_full"].id
        raised = [tm for tm, _ in flight.tm()
                  if tm.service == 5 and int.from_bytes(tm.source_data[:2], "big") == full]
        assert len(raised) == 1
        assert flight.status()[STORES["housekeeping"]]["dropped"] == 3
    finally:
        flight.executive.shutdown()
