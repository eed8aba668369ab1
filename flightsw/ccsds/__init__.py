"""CCSDS and ECSS PUS-C protocol layers, sans-IO: bytes and time in, bytes and events out."""
