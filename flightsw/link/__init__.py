"""Byte transports at the edges of the sans-IO stack: serial ports and pyserial URLs, ptys, reconnection,
line-rate pacing, and link impairment for tests and the HIL rig.

A flight loop moves the bytes of a :class:`~flightsw.ccsds.endpoints.FlightEndpoint` like this::

    link = ReconnectingTransport("/dev/serial0", profile.baud)
    pacer = LinePacer(profile.baud, start=time.monotonic())
    while running:
        now = time.monotonic()
        for event in endpoint.receive(link.read(4096, 0.01), now):
            ...                                   # TcPacketReceived -> router; UplinkRejected -> counted
        out = endpoint.transmit(now, max_octets=pacer.allowance(now))
        pacer.consume(len(out))
        link.write(out)                           # 0 while the link is down: see link.take_events()
"""

from flightsw.link.impair import Impairment, ImpairmentConfig, ImpairmentCounters, ImpairmentProxy
from flightsw.link.pty import MasterTransport, PtyPair
from flightsw.link.transport import (
    LinePacer,
    LinkError,
    LinkEvent,
    ReconnectingTransport,
    SerialTransport,
    Transport,
    open_link,
)

__all__ = [
    "Impairment",
    "ImpairmentConfig",
    "ImpairmentCounters",
    "ImpairmentProxy",
    "LinePacer",
    "LinkError",
    "LinkEvent",
    "MasterTransport",
    "PtyPair",
    "ReconnectingTransport",
    "SerialTransport",
    "Transport",
    "open_link",
]
