"""The on-board command and data handling executive: scheduler, router and request verification, PUS
services, modes and FDIR, the ADCS application, and ``flightsw fly`` that runs them on a serial link.

How a PUS service plugs in: :mod:`flightsw.cdh.service`. The PUS 1 failure codes:
:class:`flightsw.cdh.service.FailureCode`.
"""
