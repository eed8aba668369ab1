"""ST[08] function management: TC[8,1] performs a function identified by its function id (the first field of
the application data, ECSS-E-ST-70-41C §6.8).

Functions are registered per application (APID) with :meth:`FunctionManagement.add_function`; the C&DH
application provides ``set_mode`` itself, the ADCS application adds ``adcs_reset`` and ``adcs_slew``
(:mod:`flightsw.cdh.adcs`). A function receives the decoded request and raises
:class:`~flightsw.cdh.service.ServiceFailure` to fail it.
"""

from __future__ import annotations

from collections.abc import Callable

from flightsw.cdh.modes import Mode
from flightsw.cdh.service import FailureCode, Request, Service, ServiceContext, ServiceFailure

Function = Callable[[Request], None]


class FunctionManagement(Service):
    service_type = 8

    def __init__(self, apid_roles: tuple[str, ...] = ("cdh", "adcs")) -> None:
        self.apid_roles = apid_roles
        self._functions: dict[tuple[int, int], Function] = {}

    def attach(self, context: ServiceContext) -> None:
        super().attach(context)
        set_mode = self.ctx.dictionary.command_by_name["set_mode"]
        assert set_mode.function_id is not None
        self.add_function(set_mode.apid, set_mode.function_id, self._set_mode)

    def add_function(self, apid: int, function_id: int, function: Function) -> None:
        self._functions[(apid, function_id)] = function

    def handle(self, request: Request) -> None:
        command = request.command
        function = None
        if command.function_id is not None:
            function = self._functions.get((request.tc.apid, command.function_id))
        if function is None:
            raise ServiceFailure(FailureCode.ILLEGAL_SUBTYPE, f"{command.name} is not available on board")
        function(request)

    def _set_mode(self, request: Request) -> None:
        self.ctx.request_mode(Mode(int(request.arguments["mode"])), "commanded")
