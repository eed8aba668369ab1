"""ST[05] event reporting: TC[5,5] and TC[5,6] enable and disable the report generation of event ids.

Events are raised through the context (:meth:`flightsw.cdh.service.ServiceContext.raise_event`), which sends
TM[5,x] with x the event's severity (1 informative .. 4 high, ECSS-E-ST-70-41C §6.5.4) unless the event is
disabled here. A request with an unknown event id fails as a whole and changes nothing.
"""

from __future__ import annotations

from flightsw.cdh.service import FailureCode, Request, Service, ServiceFailure


class EventReporting(Service):
    service_type = 5

    def handle(self, request: Request) -> None:
        if request.tc.subtype not in (5, 6):
            super().handle(request)
        ids = [item["event_id"] for item in request.arguments["events"]]
        unknown = [i for i in ids if i not in self.ctx.dictionary.event_by_id]
        if unknown:
            raise ServiceFailure(FailureCode.UNKNOWN_ID, f"no event {unknown[0]:#06x}")
        for event_id in ids:
            self.ctx.event_enabled[event_id] = request.tc.subtype == 5
