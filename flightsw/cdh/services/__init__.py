"""The PUS services of the executive, one module per service (``sNN_name.py``), each a
:class:`flightsw.cdh.service.Service`. :func:`standard_services` builds those the executive always runs."""

from __future__ import annotations

from flightsw.cdh.service import Service


def standard_services() -> list[Service]:
    """Services 3, 5, 8, 9, 17 and 20 of the C&DH application (service 1 is the executive's own flow)."""
    from flightsw.cdh.services.s03_housekeeping import Housekeeping
    from flightsw.cdh.services.s05_events import EventReporting
    from flightsw.cdh.services.s08_functions import FunctionManagement
    from flightsw.cdh.services.s09_time import TimeManagement
    from flightsw.cdh.services.s17_test import Test
    from flightsw.cdh.services.s20_parameters import ParameterManagement

    return [Housekeeping(), EventReporting(), FunctionManagement(), TimeManagement(), Test(),
            ParameterManagement()]
