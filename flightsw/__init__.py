"""flightsw: onboard flight software prototype (CCSDS/PUS C&DH, C attitude core, HIL tests)."""

__version__ = "0.1.0"
