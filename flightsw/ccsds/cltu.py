"""Communications link transmission units (CCSDS 231.0-B-4): BCH(63,56) codeblocks, CLTU encode and decode.

A codeblock is 7 information octets and one octet holding the 7 parity bits, inverted, followed by a filler
bit 0 (§3.3). The generator g(x) = x^7 + x^6 + x^2 + 1 = (x + 1)(x^6 + x + 1) makes an expurgated Hamming code
of distance 4: every single-bit error is corrected and every double-bit error detected. A CLTU is the start
sequence, the codeblocks (the last one padded with fill octets) and the tail sequence (§5.2), a codeblock
chosen to be uncorrectable so that the decoder stops there (§5.2.4). The frame may be randomised first (§6).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flightsw.ccsds.randomiser import tc_randomise
from flightsw.ccsds.tc_frame import MAX_FRAME_LENGTH, TcFrame, peek_frame_length
from flightsw.errors import DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

INFO_OCTETS = 7
CODEBLOCK_OCTETS = 8
_GENERATOR_LOW = 0x45  # g(x) without its x^7 term: x^6 + x^2 + 1


def _build_parity_table() -> list[int]:
    """Remainder of (octet * x^7) mod g(x), register left-aligned in 8 bits, for a table-driven division."""
    poly = _GENERATOR_LOW << 1
    table = []
    for octet in range(256):
        reg = octet
        for _ in range(8):
            reg = ((reg << 1) ^ poly) & 0xFF if reg & 0x80 else (reg << 1) & 0xFF
        table.append(reg)
    return table


_PARITY_TABLE = _build_parity_table()


def bch_parity(info: bytes | bytearray | memoryview) -> int:
    """The 7 BCH parity bits (not yet inverted) of 7 information octets."""
    reg = 0
    for octet in info:
        reg = _PARITY_TABLE[reg ^ octet]
    return reg >> 1


def encode_codeblock(info: bytes | bytearray | memoryview) -> bytes:
    """One 8-octet codeblock: the information octets, then the inverted parity and the filler bit 0."""
    if len(info) != INFO_OCTETS:
        raise EncodeError("length_mismatch", f"codeblock needs {INFO_OCTETS} information octets")
    return bytes(info) + bytes((((bch_parity(info) ^ 0x7F) << 1) & 0xFE,))


def _syndrome(block: bytes | bytearray | memoryview) -> int:
    return bch_parity(block[:INFO_OCTETS]) ^ (((block[INFO_OCTETS] >> 1) ^ 0x7F) & 0x7F)


def _build_single_error_table() -> dict[int, tuple[int, int]]:
    """Syndrome of each of the 63 single-bit errors -> (octet index, bit mask) to flip back."""
    table: dict[int, tuple[int, int]] = {}
    for index in range(INFO_OCTETS):
        for bit in range(8):
            info = bytearray(INFO_OCTETS)
            info[index] = 0x80 >> bit
            table[bch_parity(info)] = (index, 0x80 >> bit)
    for bit in range(7):  # parity bits occupy the top 7 bits of the last octet
        table[0x40 >> bit] = (INFO_OCTETS, 0x80 >> bit)
    return table


_SINGLE_ERRORS = _build_single_error_table()


class CodeblockError(DecodeError):
    """An uncorrectable codeblock (or, in detection mode, any codeblock with errors)."""


def decode_codeblock(block: bytes | bytearray | memoryview, *, correct: bool = True) -> tuple[bytes, bool]:
    """``(information octets, corrected)``; raises :class:`CodeblockError` when the codeblock is rejected.

    The filler bit is not covered by the code and is ignored, as a receiver must (§3.3.3)."""
    if len(block) != CODEBLOCK_OCTETS:
        raise DecodeError("truncated", f"codeblock is {CODEBLOCK_OCTETS} octets")
    syndrome = _syndrome(block)
    if syndrome == 0:
        return bytes(block[:INFO_OCTETS]), False
    if not correct:
        raise CodeblockError("codeblock_error", "non-zero syndrome in detection mode")
    location = _SINGLE_ERRORS.get(syndrome)
    if location is None:
        raise CodeblockError("uncorrectable", f"syndrome {syndrome:#04x}")
    index, mask = location
    fixed = bytearray(block)
    fixed[index] ^= mask
    return bytes(fixed[:INFO_OCTETS]), True


def encode_cltu(frame: bytes, profile: LinkProfile = DEFAULT_PROFILE) -> bytes:
    """Start sequence, codeblocks of the (optionally randomised) frame with fill, tail sequence."""
    tc = profile.tc
    if not frame:
        raise EncodeError("empty_data", "nothing to put in a CLTU")
    if len(frame) > MAX_FRAME_LENGTH:
        raise EncodeError("too_long", f"{len(frame)} octets > {MAX_FRAME_LENGTH}")
    data = tc_randomise(frame) if tc.randomise else bytes(frame)
    # Fill goes after randomisation: the receiver removes it using the frame length field (§5.3.2).
    remainder = len(data) % INFO_OCTETS
    if remainder:
        data += bytes((tc.cltu_fill,)) * (INFO_OCTETS - remainder)
    blocks = [encode_codeblock(data[i : i + INFO_OCTETS]) for i in range(0, len(data), INFO_OCTETS)]
    return tc.cltu_start + b"".join(blocks) + tc.cltu_tail


@dataclass
class CltuCounters:
    cltus: int = 0  # start sequences seen
    frames: int = 0  # candidate frames emitted
    corrected_codeblocks: int = 0
    bytes_discarded: int = 0  # octets skipped while searching for a start sequence
    rejections: Counter[str] = field(default_factory=Counter)
    ended_without_tail: Counter[str] = field(default_factory=Counter)  # CLTUs ended by a failing codeblock


class CltuDecoder:
    """Sans-IO CLTU decoder: ``feed(chunk)`` returns the candidate TC frames completed by that chunk.

    A CLTU ends at the first codeblock that does not decode, normally the tail sequence (§5.3); the
    information octets before it, derandomised if the profile says so, must hold one TC frame (its length
    field and FECF checked) followed only by fill. Anything else is counted by reason in
    ``counters.rejections``."""

    def __init__(self, profile: LinkProfile = DEFAULT_PROFILE, correct_single_bit: bool = True) -> None:
        self._profile = profile
        self._start = profile.tc.cltu_start
        self._tail = profile.tc.cltu_tail
        self._correct = correct_single_bit
        self._max_blocks = -(-MAX_FRAME_LENGTH // INFO_OCTETS)
        self._buffer = bytearray()
        self._in_cltu = False
        self._info = bytearray()
        self.counters = CltuCounters()

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[bytes]:
        buf = self._buffer
        buf += chunk
        out: list[bytes] = []
        pos = 0
        while True:
            if not self._in_cltu:
                found = buf.find(self._start, pos)
                if found < 0:
                    keep_from = max(pos, len(buf) - (len(self._start) - 1))
                    self.counters.bytes_discarded += keep_from - pos
                    pos = keep_from
                    break
                self.counters.bytes_discarded += found - pos
                pos = found + len(self._start)
                self._in_cltu = True
                self._info.clear()
                self.counters.cltus += 1
            if len(buf) - pos < CODEBLOCK_OCTETS:
                break
            block = buf[pos : pos + CODEBLOCK_OCTETS]
            pos += CODEBLOCK_OCTETS
            try:
                info, corrected = decode_codeblock(block, correct=self._correct)
            except CodeblockError as exc:
                # Any failing codeblock ends the CLTU and what came before is delivered (§5.3.3); when it was
                # not the tail itself, it may hold the start of the next CLTU, so search it again.
                self._in_cltu = False
                if block != self._tail:
                    self.counters.ended_without_tail[exc.reason] += 1
                    pos -= CODEBLOCK_OCTETS - 1
                frame = self._finish()
                if frame is not None:
                    out.append(frame)
                continue
            self.counters.corrected_codeblocks += corrected
            self._info += info
            if len(self._info) > self._max_blocks * INFO_OCTETS:
                self._in_cltu = False
                self._reject("too_long")
        del buf[:pos]
        return out

    def _reject(self, reason: str) -> None:
        self.counters.rejections[reason] += 1

    def _finish(self) -> bytes | None:
        """The frame carried by the codeblocks of a CLTU that has ended, or None (and the reason counted)."""
        raw = bytes(self._info)
        if not raw:
            self._reject("empty_cltu")
            return None
        data = tc_randomise(raw) if self._profile.tc.randomise else raw
        length = peek_frame_length(data) if len(data) >= 4 else len(data) + 1
        if length > len(data):
            self._reject("truncated")
            return None
        fill = raw[length:]
        if len(fill) >= INFO_OCTETS:
            self._reject("trailing_codeblocks")
            return None
        if fill != bytes((self._profile.tc.cltu_fill,)) * len(fill):
            self._reject("bad_fill")
            return None
        try:
            TcFrame.decode(data[:length], fecf=self._profile.tc.fecf_present)
        except DecodeError as exc:
            self._reject(exc.reason)
            return None
        self.counters.frames += 1
        return data[:length]
