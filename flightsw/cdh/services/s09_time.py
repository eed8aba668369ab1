"""ST[09] time management: time reports TM[9,2] and time setting TC[9,128] (mission-specific subtype).

TM[9,2] carries the rate exponent (uint8) and the on-board time (mission CUC). TC[9,1] sets the rate: one
report every 2^exponent real-time TM packets (this executive counts packets on the real-time VC rather than
transfer frames, which the link layer builds), and sends one report at once so the ground can correlate
immediately. TC[9,128] sets the on-board time and raises ``time_set`` with the old and the new time.
"""

from __future__ import annotations

from flightsw.ccsds.appdata import AbsoluteTime, Field, Record, UInt
from flightsw.ccsds.pus import PusTm
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.cdh.service import Request, Service, ServiceContext

DEFAULT_RATE_EXPONENT = 6


class TimeManagement(Service):
    service_type = 9

    def attach(self, context: ServiceContext) -> None:
        super().attach(context)
        self.report_layout = Record([Field("exponent", UInt(8)),
                                     Field("time", AbsoluteTime(CucFormat.from_profile(context.profile)))])
        self.exponent = DEFAULT_RATE_EXPONENT
        self._packets = 0
        self._due = False
        context.add_tm_listener(self._count)

    def _count(self, tm: PusTm, vcid: int) -> None:
        if vcid != self.ctx.profile.tm.vc_realtime or (tm.service, tm.subtype) == (9, 2):
            return
        self._packets += 1
        if self._packets >= 1 << self.exponent:
            self._packets = 0
            self._due = True  # sent from tick: a TM listener must not emit TM itself

    def report(self) -> None:
        data = self.report_layout.encode({"exponent": self.exponent, "time": self.ctx.onboard_cuc()})
        self.ctx.emit_tm(9, 2, data)

    def handle(self, request: Request) -> None:
        if request.tc.subtype == 1:
            self.exponent = int(request.arguments["exponent"])
            self._packets = 0
            self.report()
        elif request.tc.subtype == 128:
            new_time: Cuc = request.arguments["time"]
            previous = self.ctx.onboard_cuc()
            self.ctx.set_onboard_time(float(new_time.seconds))
            self.ctx.raise_event("time_set", {"previous": previous, "current": new_time})
        else:
            super().handle(request)

    def tick(self, now: float) -> None:
        if self._due:
            self._due = False
            self.report()
