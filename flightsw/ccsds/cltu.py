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
from flightsw.ccsds.tc_frame import PRIMARY_HEADER_LENGTH as FRAME_HEADER_LENGTH
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


def frame_in_cltu(info: bytes, profile: LinkProfile = DEFAULT_PROFILE) -> bytes:
    """The candidate TC frame in the information octets of a CLTU that has ended: derandomised when the
    profile says so (§6), its length taken from the frame header, followed only by fill octets that complete
    the last codeblock (§5.3.2). Raises :class:`DecodeError` (``empty_cltu``, ``truncated``,
    ``trailing_codeblocks``, ``bad_fill``) otherwise; the frame's own checks are the caller's."""
    if not info:
        raise DecodeError("empty_cltu", "no codeblock before the tail")
    data = tc_randomise(info) if profile.tc.randomise else info
    if len(data) < FRAME_HEADER_LENGTH:
        raise DecodeError("truncated", f"{len(data)} octets cannot hold a TC frame header")
    length = peek_frame_length(data)
    if length > len(data):
        raise DecodeError("truncated", f"frame length field says {length}, CLTU holds {len(data)}")
    # Fill follows the (randomised) frame and fills the last codeblock only (§5.3.2).
    padding = info[length:]
    if len(padding) >= INFO_OCTETS:
        raise DecodeError("trailing_codeblocks", f"{len(padding)} octets after the frame")
    fill = profile.tc.cltu_fill
    if padding != bytes((fill,)) * len(padding):
        raise DecodeError("bad_fill", f"fill {padding.hex()} is not {fill:02x}")
    return data[:length]


@dataclass
class CltuCounters:
    cltus: int = 0  # start sequences seen
    frames: int = 0  # candidate frames emitted
    corrected_codeblocks: int = 0
    bytes_discarded: int = 0  # octets skipped while searching for a start sequence
    rejections: Counter[str] = field(default_factory=Counter)
    ended_without_tail: Counter[str] = field(default_factory=Counter)  # CLTUs ended by a failing codeblock


@dataclass(frozen=True)
class CltuEnded:
    """Where and how one CLTU ended, for a caller that reports each unit (offsets count every octet fed)."""

    start: int  # offset of the start sequence
    end: int  # offset just past the last codeblock read
    resume: int  # where the search for the next start sequence went on
    codeblocks: int  # codeblocks decoded before the end
    corrected_codeblocks: int
    ended_by: str  # "tail", the reason of another failing codeblock, or "too_long"
    frame: bytes | None  # the candidate frame with the fill removed; None when there is none
    rejection: DecodeError | None  # why the CLTU yields no frame; None when ``feed`` returned the frame


class CltuDecoder:
    """Sans-IO CLTU decoder: ``feed(chunk)`` returns the candidate TC frames completed by that chunk.

    A CLTU ends at the first codeblock that does not decode, normally the tail sequence (§5.3); the
    information octets before it, derandomised if the profile says so, must hold one TC frame (its length
    field and FECF checked) followed only by fill. Anything else is counted by reason in
    ``counters.rejections``. With ``record_ends``, every ended CLTU is also appended to ``ends`` as a
    :class:`CltuEnded` (for tools that locate units; the caller empties the list)."""

    def __init__(
        self, profile: LinkProfile = DEFAULT_PROFILE, correct_single_bit: bool = True, *,
        record_ends: bool = False,
    ) -> None:
        self._profile = profile
        self._start = profile.tc.cltu_start
        self._tail = profile.tc.cltu_tail
        self._correct = correct_single_bit
        self._max_blocks = -(-MAX_FRAME_LENGTH // INFO_OCTETS)
        self._buffer = bytearray()
        self._in_cltu = False
        self._info = bytearray()
        self.counters = CltuCounters()
        self._record_ends = record_ends
        self.ends: list[CltuEnded] = []
        self._base = 0  # offset in the whole input of the first octet still buffered
        self._cltu_start = 0
        self._cltu_corrected = 0

    @property
    def open_cltu(self) -> tuple[int, int] | None:
        """(offset of its start sequence, codeblocks decoded so far) of a CLTU still going on, else None."""
        return (self._cltu_start, len(self._info) // INFO_OCTETS) if self._in_cltu else None

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
                self._cltu_start = self._base + found
                self._cltu_corrected = 0
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
                end = self._base + pos
                ended_by = "tail"
                if block != self._tail:
                    ended_by = exc.reason
                    self.counters.ended_without_tail[exc.reason] += 1
                    pos -= CODEBLOCK_OCTETS - 1
                frame = self._finish(end, self._base + pos, ended_by)
                if frame is not None:
                    out.append(frame)
                continue
            self.counters.corrected_codeblocks += corrected
            self._cltu_corrected += corrected
            self._info += info
            if len(self._info) > self._max_blocks * INFO_OCTETS:
                self._in_cltu = False
                blocks = len(self._info) // INFO_OCTETS
                too_long = DecodeError("too_long", f"{blocks} codeblocks and no tail sequence")
                self._reject(too_long)
                self._record(self._base + pos, self._base + pos, "too_long", None, too_long)
        self._base += pos
        del buf[:pos]
        return out

    def _reject(self, exc: DecodeError) -> None:
        self.counters.rejections[exc.reason] += 1

    def _record(
        self, end: int, resume: int, ended_by: str, frame: bytes | None, rejection: DecodeError | None
    ) -> None:
        if self._record_ends:
            self.ends.append(CltuEnded(self._cltu_start, end, resume, len(self._info) // INFO_OCTETS,
                                       self._cltu_corrected, ended_by, frame, rejection))

    def _finish(self, end: int, resume: int, ended_by: str) -> bytes | None:
        """The frame carried by the codeblocks of a CLTU that has ended, or None (and the reason counted)."""
        frame: bytes | None = None
        try:
            frame = frame_in_cltu(bytes(self._info), self._profile)
            TcFrame.decode(frame, fecf=self._profile.tc.fecf_present)
        except DecodeError as exc:
            self._reject(exc)
            self._record(end, resume, ended_by, frame, exc)
            return None
        self.counters.frames += 1
        self._record(end, resume, ended_by, frame, None)
        return frame
