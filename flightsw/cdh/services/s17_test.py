"""ST[17] test: TC[17,1] are-you-alive, answered by TM[17,2] from the addressed application
(ECSS-E-ST-70-41C §6.17.3)."""

from __future__ import annotations

from flightsw.cdh.service import Request, Service


class Test(Service):
    service_type = 17

    def __init__(self, apid_roles: tuple[str, ...] = ("cdh", "adcs")) -> None:
        self.apid_roles = apid_roles

    def handle(self, request: Request) -> None:
        if request.tc.subtype != 1:
            super().handle(request)
        self.ctx.emit_tm(17, 2, b"", apid=request.tc.apid)
