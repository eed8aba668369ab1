"""TM synchronisation (CCSDS 131.0-B-4 §9): the attached sync marker and a stream frame synchroniser.

On a byte stream each TM frame is preceded by the 4-octet ASM ``1ACFFC1D`` (§9.3). The synchroniser
searches for the ASM, takes one frame, derandomises it when the profile says so (§10: randomisation covers
the frame, not the ASM) and accepts it only if its FECF checks. While frames keep checking it stays locked
and expects the next ASM right after the frame; on a CRC error or a missing ASM it searches again from one
octet past the last ASM, so a slip, an insertion, a deletion or a corrupted octet costs at most the frames
it touches.
"""

from __future__ import annotations

from dataclasses import dataclass

from flightsw.ccsds.crc import crc16
from flightsw.ccsds.randomiser import tm_randomise
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

ASM = DEFAULT_PROFILE.tm.asm

# Keep the unconsumed part of the buffer compact once this many consumed octets have piled up at its front.
_COMPACT_THRESHOLD = 1 << 16


def frame_with_asm(frame: bytes, profile: LinkProfile = DEFAULT_PROFILE) -> bytes:
    """The channel access data unit: ASM then the frame, randomised when the profile says so."""
    if profile.tm.randomise:
        frame = tm_randomise(frame)
    return profile.tm.asm + frame


@dataclass
class SyncCounters:
    frames_ok: int = 0
    crc_errors: int = 0
    bytes_discarded: int = 0
    resyncs: int = 0  # times the synchroniser lost lock and had to search for the ASM again


class StreamSynchroniser:
    """Sans-IO frame synchroniser: ``feed(chunk)`` returns the frames completed by that chunk."""

    def __init__(self, profile: LinkProfile = DEFAULT_PROFILE) -> None:
        self._asm = profile.tm.asm
        self._frame_length = profile.tm.frame_length
        self._check_crc = profile.tm.fecf_present
        self._randomised = profile.tm.randomise
        self._buffer = bytearray()
        self._pos = 0  # start of unconsumed data in _buffer
        self._locked = False
        self.counters = SyncCounters()

    @property
    def locked(self) -> bool:
        return self._locked

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[bytes]:
        buf = self._buffer
        buf += chunk
        asm = self._asm
        asm_len = len(asm)
        unit = asm_len + self._frame_length
        frames: list[bytes] = []
        pos = self._pos
        counters = self.counters
        end = len(buf)
        while True:
            if not self._locked or buf[pos : pos + asm_len] != asm:
                if end - pos < asm_len:
                    break
                if self._locked:
                    self._locked = False
                    counters.resyncs += 1
                found = buf.find(asm, pos)
                if found < 0:
                    # Keep the last asm_len - 1 octets: they may be the start of an ASM split across chunks.
                    keep_from = end - (asm_len - 1)
                    counters.bytes_discarded += keep_from - pos
                    pos = keep_from
                    break
                counters.bytes_discarded += found - pos
                pos = found
            if end - pos < unit:
                break
            frame = bytes(buf[pos + asm_len : pos + unit])
            if self._randomised:
                frame = tm_randomise(frame)
            if self._check_crc and crc16(frame) != 0:
                counters.crc_errors += 1
                # The ASM may have been false or the frame damaged: look again one octet further on.
                counters.bytes_discarded += 1
                if self._locked:
                    counters.resyncs += 1
                self._locked = False
                pos += 1
                continue
            frames.append(frame)
            counters.frames_ok += 1
            self._locked = True
            pos += unit
        if pos >= _COMPACT_THRESHOLD or pos == end:
            del buf[:pos]
            pos = 0
        self._pos = pos
        return frames

    def buffered_octets(self) -> int:
        """Octets held waiting for the rest of a frame or an ASM."""
        return len(self._buffer) - self._pos
