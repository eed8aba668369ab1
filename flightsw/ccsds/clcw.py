"""The Communications Link Control Word (CLCW) that carries FARM-1 status back to FOP-1.

Layout (CCSDS 232.0-B-4 §4.2, 232.1-B-2 §4.2), 32 bits, most significant first:
control word type (1) = 0, CLCW version (2) = 0, status field (3), COP in effect (2) = 1 for COP-1,
VCID (6), spare (2) = 0, No RF Available (1), No Bit Lock (1), Lockout (1), Wait (1), Retransmit (1),
FARM-B counter (2), spare (1) = 0, Report Value = V(R) (8).
"""

from __future__ import annotations

from dataclasses import dataclass

from flightsw.errors import DecodeError, EncodeError

CLCW_LENGTH = 4
COP_1 = 1  # "COP in effect" value for COP-1 (232.0-B-4 §4.2)


@dataclass(frozen=True)
class Clcw:
    vcid: int
    report_value: int
    lockout: bool = False
    wait: bool = False
    retransmit: bool = False
    farm_b_counter: int = 0
    no_rf_available: bool = False
    no_bit_lock: bool = False
    status: int = 0  # mission-specific (232.0-B-4 §4.2)
    cop_in_effect: int = COP_1

    def encode(self) -> bytes:
        _fit("status", self.status, 3)
        _fit("cop_in_effect", self.cop_in_effect, 2)
        _fit("vcid", self.vcid, 6)
        _fit("farm_b_counter", self.farm_b_counter, 2)
        _fit("report_value", self.report_value, 8)
        word = (
            (self.status << 26)
            | (self.cop_in_effect << 24)
            | (self.vcid << 18)
            | (int(self.no_rf_available) << 15)
            | (int(self.no_bit_lock) << 14)
            | (int(self.lockout) << 13)
            | (int(self.wait) << 12)
            | (int(self.retransmit) << 11)
            | (self.farm_b_counter << 9)
            | self.report_value
        )
        return word.to_bytes(CLCW_LENGTH, "big")

    @classmethod
    def decode(cls, raw: bytes | bytearray | memoryview) -> Clcw:
        """Decode exactly four octets; a word that is not a version-0 COP-1 CLCW raises DecodeError."""
        raw = bytes(raw)
        if len(raw) < CLCW_LENGTH:
            raise DecodeError("truncated", f"{len(raw)} octets, a CLCW is {CLCW_LENGTH}")
        if len(raw) > CLCW_LENGTH:
            extra = len(raw) - CLCW_LENGTH
            raise DecodeError("trailing_bytes", f"{extra} octets after the CLCW", CLCW_LENGTH)
        word = int.from_bytes(raw, "big")
        if word >> 31:
            # Type 1 is a "reserved for future use" report, not a CLCW (232.0-B-4 §4.2).
            raise DecodeError("wrong_type", "control word type 1 is not a CLCW", 0)
        version = (word >> 29) & 0b11
        if version != 0:
            raise DecodeError("wrong_version", f"CLCW version {version}", 0)
        cop = (word >> 24) & 0b11
        if cop != COP_1:
            raise DecodeError("unsupported_cop", f"COP in effect {cop}, only COP-1 ({COP_1}) is defined", 0)
        if word & ((0b11 << 16) | (1 << 8)):
            raise DecodeError("bad_spare", "spare bits of the CLCW must be zero", 2)
        return cls(
            status=(word >> 26) & 0b111,
            cop_in_effect=cop,
            vcid=(word >> 18) & 0x3F,
            no_rf_available=bool(word & (1 << 15)),
            no_bit_lock=bool(word & (1 << 14)),
            lockout=bool(word & (1 << 13)),
            wait=bool(word & (1 << 12)),
            retransmit=bool(word & (1 << 11)),
            farm_b_counter=(word >> 9) & 0b11,
            report_value=word & 0xFF,
        )


def _fit(name: str, value: int, bits: int) -> None:
    if not 0 <= value < (1 << bits):
        raise EncodeError("out_of_range", f"{name}={value} does not fit {bits} bits")
