"""A minimal flight side for Session tests: the real FlightEndpoint and PUS packets, with a tiny command
handler in place of the executive (the end-to-end tests use ``flightsw fly``)."""

from __future__ import annotations

import threading
import time
from typing import Any

from flightsw.ccsds.endpoints import FlightEndpoint, TcPacketReceived
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.sdls import SdlsReceiver
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.service import FailureCode
from flightsw.cdh.services.s01_verification import encode_failure, encode_success
from flightsw.dictionary import load_dictionary
from flightsw.link import MasterTransport
from flightsw.profile import DEFAULT_PROFILE

TAI_NOW = 2.1e9  # a fixed on-board time: these tests never compare it with the ground's clock


class MiniFlight:
    """Answers TCs with TM[1,x]; ``set_mode`` changes ``cdh_mode`` and raises ``mode_changed``;
    ``adcs_reset`` fails at start (no ADCS node); ``are_you_alive`` gives progress step 1; everything
    else completes. Sends the ``cdh_essential`` housekeeping report every ``hk_period`` seconds."""

    def __init__(self, transport: MasterTransport, *, hk_period: float = 0.1,
                 sdls: SdlsReceiver | None = None, silent: bool = False, simulation: bool = False) -> None:
        self.transport = transport
        self.dictionary = load_dictionary()
        self.endpoint = FlightEndpoint(DEFAULT_PROFILE, sdls=sdls, simulation_mode=simulation)
        self.hk_period = hk_period
        self.silent = silent  # drop every command without any report (to test timeouts)
        self.mode = 1
        self.received: list[PusTc] = []
        self.received_vcids: list[int] = []
        self._seq = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MiniFlight:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _tm(self, service: int, subtype: int, data: bytes) -> None:
        tm = PusTm(DEFAULT_PROFILE.apids.cdh, self._seq, service, subtype, 0,
                   time=Cuc.from_seconds(TAI_NOW, CucFormat.from_profile()).encode(), source_data=data)
        self._seq = (self._seq + 1) % 16384
        self.endpoint.send_tm(tm.encode())

    def _housekeeping(self) -> None:
        structure = self.dictionary.housekeeping_by_name["cdh_essential"]
        values: dict[str, Any] = {p.name: 0 for p in structure.parameters}
        values.update(cdh_mode=self.mode, cdh_onboard_time=Cuc.from_seconds(TAI_NOW),
                      cdh_cpu_load=0.25, cdh_scheduler_jitter_max=0.001, cdh_schedule_enabled=False,
                      cdh_uptime=int(time.monotonic()) % 100000)
        self._tm(3, 25, structure.id.to_bytes(2, "big") + structure.record.encode(values))

    def _command(self, raw: bytes) -> None:
        tc = PusTc.decode(raw)
        self.received.append(tc)
        if self.silent:
            return
        rid = tc.request_id
        command = self.dictionary.identify(tc.apid, tc.service, tc.subtype, tc.app_data)
        if command is None:
            self._tm(1, 2, encode_failure(rid, FailureCode.ILLEGAL_SUBTYPE, "unknown command"))
            return
        self._tm(1, 1, encode_success(rid))
        if command.name == "adcs_reset":
            self._tm(1, 4, encode_failure(rid, FailureCode.RESOURCE_UNAVAILABLE, "ADCS node not connected"))
            return
        self._tm(1, 3, encode_success(rid))
        if command.name == "are_you_alive":
            self._tm(1, 5, encode_success(rid, 1))
        if command.name == "set_mode":
            args = command.decode(tc.app_data)
            event = self.dictionary.event_by_name["mode_changed"]
            previous, self.mode = self.mode, int(args["mode"])
            self._tm(5, int(event.severity), event.id.to_bytes(2, "big")
                     + event.encode({"previous": previous, "current": self.mode}))
        self._tm(1, 7, encode_success(rid))

    def _run(self) -> None:
        next_hk = 0.0
        while not self._stop.is_set():
            try:
                data = self.transport.read(4096, 0.01)
            except OSError:  # the cable is unplugged: wait for it to come back
                time.sleep(0.02)
                continue
            now = time.monotonic()
            if data:
                for event in self.endpoint.receive(data, now):
                    if isinstance(event, TcPacketReceived):
                        self.received_vcids.append(event.vcid)
                        self._command(event.packet)
            if now >= next_hk:
                self._housekeeping()
                next_hk = now + self.hk_period
            out = self.endpoint.transmit(now)
            if out:
                try:
                    self.transport.write(out)
                except OSError:
                    continue
