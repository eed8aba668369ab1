"""CRC-16/CCITT-FALSE: the TM/TC frame error control field (CCSDS 132.0-B-3 §4.1.6, 232.0-B-4 §4.1.4)
and the PUS packet error control (ECSS-E-ST-70-41C §7.4.3.1, CRC option).

Polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR; check value 0x29B1 for b"123456789".
``binascii.crc_hqx`` computes exactly this polynomial in C; the tests prove it equal to crccheck's
``Crc16CcittFalse`` (the reference definition) on random inputs, so it is the fast path used everywhere.
"""

from __future__ import annotations

from binascii import crc_hqx

CRC16_INIT = 0xFFFF
CRC16_CHECK = 0x29B1


def crc16(data: bytes | bytearray | memoryview, init: int = CRC16_INIT) -> int:
    """CRC-16/CCITT-FALSE of ``data``; pass a previous result as ``init`` to continue a running CRC."""
    return crc_hqx(data, init)


def crc16_bytes(data: bytes | bytearray | memoryview) -> bytes:
    """The CRC of ``data`` as the two big-endian octets that trail a frame or packet."""
    return crc_hqx(data, CRC16_INIT).to_bytes(2, "big")


def crc16_ok(unit: bytes | bytearray | memoryview) -> bool:
    """True when ``unit`` ends with the CRC of everything before it (a CRC over data+CRC is zero)."""
    return len(unit) >= 2 and crc_hqx(unit, CRC16_INIT) == 0
