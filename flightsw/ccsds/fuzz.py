"""Fuzz harness of the CCSDS stack: every decoder and stream machine against random and mutated-valid input.

The invariant of the stack is that, whatever the bytes, only :class:`~flightsw.errors.FlightswError`
escapes and nothing hangs. Each target below also checks what its layer promises when decoding succeeds:
strict decoders re-encode to exactly the input, stream machines only ever deliver units that pass their own
checks, FARM-1 and FOP-1 keep their state variables in range, SDLS never accepts a frame its sender did not
secure, and ``flightsw decode`` turns every input into JSON lines without raising. Anything else is a
violation: the input hex and the traceback are printed and the exit status is 1.

Inputs are valid units built with the stack's own encoders, mutated (bit flips, interesting values,
truncation, insertion, deletion, duplication, splicing and concatenation of valid units) or plain random
octets. Stateful targets split their input deterministically, so a printed input reproduces alone. A CPU-time
watchdog (``SIGVTALRM``) turns a hang into a violation. ``--engine atheris`` runs the same targets under
coverage-guided atheris when it is installed; the pure-Python driver needs only the standard library.

    python -m flightsw.ccsds.fuzz --seconds 60 [--seed N] [--target NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import math
import random
import signal
import sys
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TextIO, TypeVar

from flightsw.ccsds.appdata import (
    AbsoluteTime,
    Boolean,
    Enumerated,
    Field,
    Int,
    OctetString,
    Real,
    Record,
    Repeated,
    UInt,
    VarOctetString,
)
from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.cltu import CltuDecoder, encode_cltu
from flightsw.ccsds.crc import crc16
from flightsw.ccsds.decode import FORMATS, decode_bytes
from flightsw.ccsds.farm import Farm1, FarmState
from flightsw.ccsds.fop import Fop1, InitiationMode
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.sdls import (
    KeyState,
    KeyStore,
    SdlsReceiver,
    SecurityAssociation,
    ServiceType,
    apply_security,
)
from flightsw.ccsds.spacepacket import (
    PacketType,
    PrimaryHeader,
    SequenceFlags,
    SpacePacket,
    iter_packets,
    packet_length,
)
from flightsw.ccsds.sync import StreamSynchroniser, frame_with_asm
from flightsw.ccsds.tc_frame import (
    UNLOCK,
    TcFrame,
    parse_control_command,
    parse_segment_header,
    segment_header,
    set_vr,
)
from flightsw.ccsds.timecode import Cds, CdsResolution, Cuc, CucFormat, CucTimeCodeId
from flightsw.ccsds.tm_channels import PacketReceived, VcDemultiplexer, VcMultiplexer
from flightsw.ccsds.tm_frame import TmFrame
from flightsw.errors import FlightswError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

T = TypeVar("T")

DEFAULT_INPUT_CPU_LIMIT_S = 2.0
_INTERESTING_OCTETS = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0x1A, 0xEB, 0x90, 0xC5, 0x55)


class InvariantViolation(AssertionError):
    """A target's promise broken on an input that decoded (raised by the targets' own checks)."""


class InputHang(BaseException):
    """Raised by the watchdog inside a target that overran its CPU budget (a BaseException, so no
    ``except Exception`` in the code under test can swallow it)."""


def require(condition: bool, message: str) -> None:
    if not condition:
        raise InvariantViolation(message)


def must(what: str, step: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A step on values the stack itself produced or accepted (re-encoding, re-decoding): a FlightswError
    here is a violation, not a refusal of bad input."""
    try:
        return step(*args, **kwargs)
    except FlightswError as exc:
        raise InvariantViolation(f"{what} failed: {exc!r}") from exc


@dataclass
class Target:
    """Something to fuzz: ``run`` takes one input; ``seeds`` are valid inputs to mutate and splice."""

    name: str
    run: Callable[[bytes], object]
    seeds: Sequence[bytes]
    # Applied to half of the mutated inputs, e.g. to recompute a CRC so mutations reach the checks behind it.
    fixup: Callable[[bytes], bytes] | None = None


@dataclass
class Violation:
    target: str
    data: bytes
    kind: str  # "exception" or "hang"
    traceback: str
    minimised: bytes | None = None  # a shorter input that fails the same way, when one was found

    @property
    def signature(self) -> str:
        """The exception type the input raised (last traceback line up to the colon)."""
        lines = self.traceback.strip().splitlines()
        return lines[-1].split(":", 1)[0] if lines else ""


@dataclass
class FuzzReport:
    executions: dict[str, int]
    violations: list[Violation] = field(default_factory=list)
    elapsed_s: float = 0.0
    seed: int = 0


# ---- mutation ----------------------------------------------------------------------------------------


class Mutator:
    """Produces inputs from a target's seeds: as they are, mutated, spliced, concatenated, or random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def generate(self, seeds: Sequence[bytes], fixup: Callable[[bytes], bytes] | None = None) -> bytes:
        data = self._generate(seeds)
        if fixup is not None and self.rng.random() < 0.5:
            return fixup(data)
        return data

    def _generate(self, seeds: Sequence[bytes]) -> bytes:
        rng = self.rng
        choice = rng.random()
        if not seeds or choice < 0.08:
            return rng.randbytes(rng.randrange(0, 300))
        if choice < 0.15:
            return rng.choice(seeds)
        if choice < 0.25:
            return b"".join(rng.choice(seeds) for _ in range(rng.randrange(2, 5)))
        data = bytearray(rng.choice(seeds))
        for _ in range(1 + min(int(rng.expovariate(0.7)), 8)):
            self._mutate_once(data, seeds)
        return bytes(data)

    def _mutate_once(self, data: bytearray, seeds: Sequence[bytes]) -> None:
        rng = self.rng
        op = rng.randrange(9)
        n = len(data)
        if n == 0 or op == 0:  # insert random octets
            at = rng.randrange(n + 1)
            data[at:at] = rng.randbytes(rng.randrange(1, 9))
        elif op in (1, 2):  # flip one bit
            at = rng.randrange(n)
            data[at] ^= 1 << rng.randrange(8)
        elif op == 3:  # an interesting octet
            data[rng.randrange(n)] = rng.choice(_INTERESTING_OCTETS)
        elif op == 4:  # truncate
            del data[rng.randrange(n) :]
        elif op == 5:  # delete a range
            at = rng.randrange(n)
            del data[at : at + rng.randrange(1, 17)]
        elif op == 6:  # duplicate a range
            at = rng.randrange(n)
            data[at:at] = data[at : at + rng.randrange(1, 33)]
        elif op == 7:  # splice: our head, another valid unit's tail
            other = rng.choice(seeds)
            cut = rng.randrange(n + 1)
            data[cut:] = other[rng.randrange(len(other) + 1) :]
        else:  # a random 16-bit field value (lengths, counters, pointers)
            at = rng.randrange(n)
            data[at : at + 2] = rng.randbytes(2)


def chunks(data: bytes) -> Iterator[bytes]:
    """``data`` cut into pieces whose sizes depend only on ``data``, so a stream input reproduces alone."""
    rng = random.Random(zlib.crc32(data))
    pos = 0
    while pos < len(data):
        size = rng.choice((1, 3, 7, 64, 255, 1024))
        yield data[pos : pos + size]
        pos += size


def length_prefixed(data: bytes) -> Iterator[tuple[bool, bytes]]:
    """Units of a two-octet length-prefixed sequence; the top bit of a prefix is a flag for the target."""
    pos = 0
    while pos + 2 <= len(data):
        word = (data[pos] << 8) | data[pos + 1]
        length = word & 0x7FFF
        yield bool(word & 0x8000), data[pos + 2 : pos + 2 + length]
        pos += 2 + length


def with_crc(data: bytes) -> bytes:
    """``data`` with its last two octets replaced by the CRC-16 of the rest (FECF and PUS PEC alike)."""
    if len(data) < 3:
        return data
    body = data[:-2]
    return body + crc16(body).to_bytes(2, "big")


def fit_with_crc(length: int) -> Callable[[bytes], bytes]:
    """A fixup for fixed-length units: pad or cut to ``length`` octets, then recompute the trailing CRC."""

    def fit(data: bytes) -> bytes:
        return with_crc(data[:length].ljust(length, b"\0"))

    return fit


def with_unit_crcs(data: bytes) -> bytes:
    """A fixup for length-prefixed sequences of frames: recompute each frame's FECF."""
    units = list(length_prefixed(data))
    return pack_units([with_crc(unit) for _, unit in units], [flag for flag, _ in units])


def pack_units(units: Sequence[bytes], flags: Sequence[bool] | None = None) -> bytes:
    """The inverse of :func:`length_prefixed`."""
    out = bytearray()
    for i, unit in enumerate(units):
        if len(unit) > 0x7FFF:
            raise ValueError(f"a unit of {len(unit)} octets does not fit the 15-bit length prefix")
        flag = bool(flags[i]) if flags else False
        out += ((int(flag) << 15) | len(unit)).to_bytes(2, "big") + unit
    return bytes(out)


# ---- targets -----------------------------------------------------------------------------------------


def _seed_packets(profile: LinkProfile) -> tuple[list[bytes], list[bytes], list[bytes]]:
    apids = profile.apids
    tcs = [
        PusTc(apid=apids.cdh, sequence_count=i, ack_flags=i % 16, service=s, subtype=t,
              source_id=profile.pus.ground_id, app_data=bytes(range(i * 3))).encode(profile=profile)
        for i, (s, t) in enumerate(((17, 1), (3, 5), (8, 1), (11, 4), (20, 3)))
    ]
    cuc = CucFormat.from_profile(profile)
    tms = [
        PusTm(apid=apids.adcs, sequence_count=16380 + i, service=s, subtype=t, message_type_counter=65532 + i,
              destination_id=profile.pus.ground_id, time=Cuc.from_seconds(1e9 + i / 3, cuc).encode(),
              source_data=bytes(range(i * 5))).encode(profile=profile)
        for i, (s, t) in enumerate(((1, 1), (3, 25), (5, 2), (17, 2)))
    ]
    plain = [
        SpacePacket(PacketType.TM, False, 0x123, SequenceFlags.FIRST, 5, b"\x01").encode(),
        SpacePacket(PacketType.TC, False, 0x7FE, SequenceFlags.LAST, 16383, bytes(40)).encode(),
        SpacePacket.idle(20).encode(),
    ]
    return tcs, tms, plain


def _space_packet(data: bytes) -> None:
    header = PrimaryHeader.decode(data)
    again = must("re-decoding an encoded header", PrimaryHeader.decode, must("encoding", header.encode))
    require(again == header, "primary header round trip")
    packet = SpacePacket.decode(data)
    require(must("encoding", packet.encode) == data, "SpacePacket.decode accepted what it does not re-encode")
    require(must("packet_length", packet_length, data) == len(data), "packet_length disagrees with decode")


def _packet_stream(data: bytes) -> None:
    total = sum(len(p) for p in iter_packets(data))
    require(total == len(data), "iter_packets lost or invented octets")


def _pus_tc(data: bytes) -> None:
    for pec in (True, False):
        try:
            tc = PusTc.decode(data, pec)
        except FlightswError:
            continue
        require(must("encoding", tc.encode, pec) == data, f"PusTc.decode(pec={pec}) does not re-encode")


def _pus_tm(data: bytes) -> None:
    for pec in (True, False):
        try:
            tm = PusTm.decode(data, pec)
        except FlightswError:
            continue
        require(must("encoding", tm.encode, pec) == data, f"PusTm.decode(pec={pec}) does not re-encode")


def _timecodes(data: bytes) -> None:
    selector, body = (data[0], data[1:]) if data else (0, data)
    kind = selector % 3
    if kind == 0:
        cuc, used = Cuc.decode_prefix(body, explicit_pfield=True)
        tfield = body[used - cuc.format.tfield_length : used]
        require(must("encoding", cuc.encode) == tfield, "CUC T-field does not re-encode")
        again = must("from_seconds", Cuc.from_seconds, cuc.seconds, cuc.format)
        require(again == cuc, "CUC seconds round trip")
    elif kind == 1:
        cuc = Cuc.decode(body)
        require(must("encoding", cuc.encode) == body, "implicit CUC does not re-encode")
    else:
        cds = Cds.decode(body, explicit_pfield=True)
        require(must("encoding", cds.encode, True) == body, "CDS does not re-encode")


_RECORD = Record([
    Field("flag", Boolean()),
    Field("mode", Enumerated(3, frozenset({0, 1, 2, 5}))),
    Field("count", UInt(16)),
    Field("delta", Int(32)),
    Field("rate", Real(32)),
    Field("label", VarOctetString(8, max_length=32)),
    Field("key", OctetString(4)),
    Field("when", AbsoluteTime()),
    Field("items", Repeated(UInt(8), (Field("id", UInt(16)), Field("on", Boolean())), max_count=16)),
])


def _appdata(data: bytes) -> None:
    values = _RECORD.decode(data)
    # A NaN's payload need not survive float32 → float → float32, so only other records must round-trip.
    if not math.isnan(values["rate"]):
        require(must("encoding", _RECORD.encode, values) == data, "record does not re-encode to its input")


def _record_seeds() -> list[bytes]:
    values = {
        "flag": True, "mode": 5, "count": 513, "delta": -7, "rate": 0.25, "label": b"sun", "key": b"\0\1\2\3",
        "when": Cuc(1_000_000, 0x4000), "items": [{"id": 1, "on": True}, {"id": 65535, "on": False}],
    }
    return [_RECORD.encode(values), _RECORD.encode(values | {"label": b"", "items": []})]


def _tm_frame(data: bytes, profile: LinkProfile) -> None:
    frame = TmFrame.decode(data, profile)
    again = must("encoding", frame.encode, profile)
    require(again == data, "TmFrame.decode accepted what it does not re-encode")


def _clcw(data: bytes) -> None:
    clcw = Clcw.decode(data)
    require(must("encoding", clcw.encode) == data, "Clcw.decode accepted octets it does not re-encode to")


def _tm_demux(data: bytes, profile: LinkProfile) -> None:
    demux = VcDemultiplexer(profile)
    length = profile.tm.frame_length
    for pos in range(0, len(data), length):
        for event in demux.feed(data[pos : pos + length]):
            if isinstance(event, PacketReceived):
                announced = must("a delivered packet's header", packet_length, event.packet)
                require(announced == len(event.packet), "demux delivered a broken packet")


def _tc_frame(data: bytes) -> None:
    for fecf in (True, False):
        try:
            frame = TcFrame.decode(data, fecf=fecf)
        except FlightswError:
            continue
        again = must("encoding", frame.encode, fecf=fecf)
        require(again == data, f"TcFrame.decode(fecf={fecf}) does not re-encode")
        if frame.control_command:
            parse_control_command(frame.data)
        else:
            must("a frame data field's segment header", parse_segment_header, frame.data)


def _stream_sync(data: bytes, profile: LinkProfile) -> None:
    """Delivered frames pass their checks and do not depend on how the stream was cut into reads."""
    sync = StreamSynchroniser(profile)
    frames: list[bytes] = []
    for piece in chunks(data):
        for frame in sync.feed(piece):
            require(len(frame) == profile.tm.frame_length, "synchroniser delivered a wrong-length frame")
            require(not profile.tm.fecf_present or crc16(frame) == 0, "synchroniser delivered a bad FECF")
            frames.append(frame)
    counters = sync.counters
    require(counters.frames_ok == len(frames), "synchroniser frame count disagrees with its output")
    require(min(counters.crc_errors, counters.bytes_discarded, counters.resyncs) >= 0, "negative counter")
    require(sync.buffered_octets() <= len(data), "synchroniser holds more than it was given")
    require(StreamSynchroniser(profile).feed(data) == frames, "synchroniser output depends on read sizes")


def _cltu_decoder(data: bytes, profile: LinkProfile) -> None:
    """Delivered frames pass the TC frame checks and do not depend on how the stream was cut into reads."""
    decoder = CltuDecoder(profile)
    decode_frame = functools.partial(TcFrame.decode, fecf=profile.tc.fecf_present)
    frames: list[bytes] = []
    for piece in chunks(data):
        for frame in decoder.feed(piece):
            must("checking a frame the CLTU decoder delivered", decode_frame, frame)
            frames.append(frame)
    require(decoder.counters.frames == len(frames), "CLTU decoder frame count disagrees with its output")
    require(CltuDecoder(profile).feed(data) == frames, "CLTU decoder output depends on read sizes")


def _farm(data: bytes, profile: LinkProfile) -> None:
    """FARM-1 with a three-unit buffer; the layer above releases one unit before a frame whose prefix flag
    is set and before one whose sequence number is 3 modulo 4, so that Wait is both entered and left."""
    farm = Farm1(profile=profile, buffer_capacity=3)
    for release, frame in length_prefixed(data):
        if release or (len(frame) > 4 and frame[4] % 4 == 3):
            farm.release_buffer()
        farm.receive_bytes(frame, fecf=profile.tc.fecf_present)
        require(0 <= farm.vr < 256, "V(R) out of range")
        require(farm.lockout == (farm.state is FarmState.LOCKOUT), "Lockout flag disagrees with the state")
        require(farm.wait == (farm.state is FarmState.WAIT) or farm.state is FarmState.LOCKOUT,
                "Wait flag disagrees with the state")
        clcw = farm.clcw()
        again = must("decoding the FARM's CLCW", Clcw.decode, must("encoding the FARM's CLCW", clcw.encode))
        require(again == clcw, "the FARM's CLCW does not survive encoding")


def _fop(data: bytes, profile: LinkProfile) -> None:
    """FOP-1 driven by a script: each octet picks an input (CLCW, request, directive, time step)."""
    fop = Fop1(profile=profile, t1_initial=1.0, transmission_limit=2)
    now = 0.0
    pos = 0
    modes = tuple(InitiationMode)
    while pos < len(data):
        op = data[pos] % 8
        arg = data[pos + 1 : pos + 5]
        pos += 5
        if op in (0, 1):
            try:
                clcw = Clcw.decode(arg)
            except FlightswError:
                continue
            fop.receive_clcw(clcw, now)
        elif op == 2:
            fop.request_transmit(arg or b"\0", now)
        elif op == 3:
            fop.request_bypass(arg or b"\0")
        elif op == 4:
            mode = modes[arg[0] % len(modes)] if arg else modes[0]
            fop.initiate_ad(mode, now, vr=arg[1] if len(arg) > 1 else 0)
        elif op == 5 and arg[:1] == b"\0":
            fop.terminate_ad()
        elif op == 5:
            fop.resume_ad(now)
        else:
            now += (arg[0] if arg else 1) / 32
            fop.tick(now)
        require(0 <= fop.vs < 256 and 0 <= fop.nn_r < 256, "V(S) or NN(R) out of range")
        require(len(fop.wait_queue) <= 1, "the Wait_Queue holds at most one FDU (232.1-B-2 §5.1.4)")
        outstanding = (fop.vs - fop.nn_r) % 256
        require(outstanding <= fop.sliding_window, "more frames outstanding than the sliding window")


_SDLS_KEY = bytes(range(32))


def _sdls_setup(profile: LinkProfile, service: ServiceType) -> SecurityAssociation:
    keys = KeyStore(profile.sdls.key_bits)
    keys.add(1, _SDLS_KEY, KeyState.ACTIVE)
    sa = SecurityAssociation.from_profile(profile, service=service)
    sa.rekey(keys, 1)
    sa.start()
    return sa


def _sdls_seeds(profile: LinkProfile) -> tuple[list[bytes], frozenset[bytes]]:
    """Sequences of genuinely secured frames (both services), and the set of every genuine frame."""
    sequences: list[bytes] = []
    genuine: set[bytes] = set()
    for service in ServiceType:
        sender = _sdls_setup(profile, service)
        frames = []
        for i, payload in enumerate((b"\x01", b"command", bytes(range(60)))):
            data = segment_header(profile.tc.map_id) + payload
            plain = TcFrame(profile.scid, profile.tc.vc_commands, i, data).encode(fecf=False)
            secured = apply_security(plain, sender)
            assert isinstance(secured, bytes)  # bytes in, bytes out
            frames.append(secured)
        genuine.update(frames)
        marker = bytes((service is ServiceType.AUTHENTICATED_ENCRYPTION,))
        sequences.append(marker + pack_units(frames))
        sequences.append(marker + pack_units([frames[1], frames[0], frames[2], frames[2]]))
    return sequences, frozenset(genuine)


def _sdls(data: bytes, profile: LinkProfile, genuine: frozenset[bytes]) -> None:
    """The receiving end of SDLS: whatever arrives, only frames its sender secured are accepted, once."""
    if not data:
        return
    service = ServiceType.AUTHENTICATED_ENCRYPTION if data[0] & 1 else ServiceType.AUTHENTICATION
    receiver = SdlsReceiver([_sdls_setup(profile, service)], fecf=False,
                            segment_header=profile.tc.segment_header)
    accepted: set[bytes] = set()
    for _, frame in length_prefixed(data[1:]):
        try:
            receiver.process(frame)
        except FlightswError:
            continue
        require(frame in genuine, "SDLS accepted a frame its sender never secured")
        require(frame not in accepted, "SDLS accepted a replayed frame")
        accepted.add(frame)


def _decode_cli(data: bytes, profiles: Sequence[LinkProfile]) -> None:
    """The auto path with the first profile, then one explicit format and profile variant picked by the
    input's CRC (so every layer and option of ``flightsw decode`` is reached, reproducibly)."""
    selector = zlib.crc32(data)
    variant = profiles[(selector >> 8) % len(profiles)]
    for fmt, profile in (("auto", profiles[0]), (FORMATS[selector % len(FORMATS)], variant)):
        try:
            records = list(decode_bytes(data, fmt, profile))
        except FlightswError as exc:
            raise InvariantViolation(f"decode_bytes({fmt}) raised {exc!r} instead of reporting it") from exc
        for record in records:
            json.dumps(record)
            require(isinstance(record.get("offset"), int), "a decoded unit without an offset")


def build_targets(profile: LinkProfile = DEFAULT_PROFILE) -> list[Target]:
    """Every fuzz target of the stack, with valid seeds built by its encoders for ``profile``."""
    tcs, tms, plain = _seed_packets(profile)
    packets = tcs + tms + plain
    clcws = [Clcw(vcid=v, report_value=r, lockout=lo, wait=w, retransmit=rt).encode()
             for v, r, lo, w, rt in ((0, 0, False, False, False), (1, 255, True, True, True),
                                     (63, 7, False, True, False))]
    mux = VcMultiplexer(profile)
    for packet in tms * 8:
        mux.submit(profile.tm.vc_realtime, packet)
    tm_frames = [mux.next_frame(clcws[i % len(clcws)]) for i in range(6)]
    stream = b"".join(frame_with_asm(frame, profile) for frame in tm_frames)
    map_header = segment_header(profile.tc.map_id) if profile.tc.segment_header else b""
    fecf = profile.tc.fecf_present
    tc_frames = [
        TcFrame(profile.scid, profile.tc.vc_commands, i, map_header + tc).encode(fecf=fecf)
        for i, tc in enumerate(tcs)
    ] + [
        TcFrame(profile.scid, profile.tc.vc_commands, 0, map_header + tcs[0], bypass=True).encode(fecf=fecf),
        TcFrame(profile.scid, profile.tc.vc_commands, 0, UNLOCK, bypass=True,
                control_command=True).encode(fecf=fecf),
        TcFrame(profile.scid, profile.tc.vc_commands, 0, set_vr(250), bypass=True,
                control_command=True).encode(fecf=fecf),
    ]
    cltus = [encode_cltu(frame, profile) for frame in tc_frames]
    farm_scripts = [
        pack_units(tc_frames),
        pack_units([tc_frames[0], tc_frames[2], tc_frames[1], tc_frames[0], tc_frames[6], tc_frames[5]],
                   [False, False, True, False, False, True]),
        pack_units([tc_frames[7], tc_frames[3], tc_frames[6], tc_frames[0], tc_frames[1]]),
    ]
    fop_scripts = [
        bytes([4, 0, 0, 0, 0, 2, 1, 2, 3, 4, 2, 5, 6, 7, 8, 0]) + clcws[0] + bytes([6, 64, 0, 0, 0]),
        bytes([4, 3, 9, 0, 0, 0]) + clcws[0] + bytes([6, 255, 0, 0, 0, 6, 255, 0, 0, 0, 5, 1, 0, 0, 0]),
        bytes([4, 1, 0, 0, 0, 1]) + clcws[1] + bytes([3, 9, 9, 9, 9, 5, 0, 0, 0, 0]),
    ]
    cuc = CucFormat.from_profile(profile)
    times = [
        bytes([0]) + Cuc.from_seconds(123456.75, cuc).encode(explicit_pfield=True),
        bytes([0]) + Cuc(2**48 - 1, 5, CucFormat(6, 5, CucTimeCodeId.AGENCY_EPOCH)).encode(True),
        bytes([1]) + Cuc.from_seconds(1.5, cuc).encode(),
        bytes([2]) + Cds(21000, 86_399_999, 999, resolution=CdsResolution.MICROSECONDS).encode(True),
        bytes([2]) + Cds(3, 5, day_octets=3, resolution=CdsResolution.PICOSECONDS).encode(True),
    ]
    sdls_sequences, genuine = _sdls_seeds(profile)
    decode_profiles = (
        profile,
        dataclasses.replace(profile, sdls=dataclasses.replace(profile.sdls, enabled=True)),
        dataclasses.replace(profile, tm=dataclasses.replace(profile.tm, randomise=True),
                            tc=dataclasses.replace(profile.tc, randomise=True),
                            pus=dataclasses.replace(profile.pus, packet_error_control=False)),
    )
    return [
        Target("space_packet", _space_packet, packets),
        Target("packet_stream", _packet_stream, [b"".join(packets), *packets]),
        Target("pus_tc", _pus_tc, [*tcs, PusTc(profile.apids.cdh, 1, 1, 17, 1).encode(pec=False)], with_crc),
        Target("pus_tm", _pus_tm, tms, with_crc),
        Target("timecode", _timecodes, times),
        Target("appdata", _appdata, _record_seeds()),
        Target("tm_frame", lambda d: _tm_frame(d, profile), tm_frames,
               fit_with_crc(profile.tm.frame_length) if profile.tm.fecf_present else None),
        Target("clcw", _clcw, clcws),
        Target("tm_demux", lambda d: _tm_demux(d, profile), [b"".join(tm_frames), b"".join(tm_frames[2:5])]),
        Target("tc_frame", _tc_frame, tc_frames, with_crc),
        Target("stream_sync", lambda d: _stream_sync(d, profile), [stream, stream[100:], stream * 2]),
        Target("cltu_decoder", lambda d: _cltu_decoder(d, profile), [b"".join(cltus), *cltus]),
        Target("farm1", lambda d: _farm(d, profile), farm_scripts, with_unit_crcs if fecf else None),
        Target("fop1", lambda d: _fop(d, profile), fop_scripts),
        Target("sdls", lambda d: _sdls(d, profile, genuine), sdls_sequences),
        Target("decode_cli", lambda d: _decode_cli(d, decode_profiles),
               [stream, b"".join(cltus), b"".join(packets), b"".join(tm_frames), b"".join(tc_frames)]),
    ]


# ---- the driver --------------------------------------------------------------------------------------


class _Watchdog:
    """Raises :class:`InputHang` in the running target once it has used ``limit_s`` of CPU time.

    Uses the process's virtual (CPU) timer, which pytest-timeout and wall-clock alarms leave alone. Signals
    reach only the main thread; elsewhere the watchdog is off."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.enabled = limit_s > 0 and threading.current_thread() is threading.main_thread()
        self._previous: Callable[[int, FrameType | None], Any] | int | signal.Handlers | None = None

    def __enter__(self) -> _Watchdog:
        if self.enabled:
            self._previous = signal.signal(signal.SIGVTALRM, self._expired)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            signal.signal(signal.SIGVTALRM, self._previous)

    @staticmethod
    def _expired(signum: int, frame: FrameType | None) -> None:
        raise InputHang("input exceeded its CPU time budget")

    def arm(self) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_VIRTUAL, self.limit_s)

    def disarm(self) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)


def run_one(target: Target, data: bytes, watchdog: _Watchdog | None = None) -> Violation | None:
    """Run one input; a violation when anything but a FlightswError escapes or the input hangs."""
    try:
        if watchdog is not None:
            watchdog.arm()
        try:
            target.run(data)
        finally:
            if watchdog is not None:
                watchdog.disarm()
    except FlightswError:
        return None
    except InputHang:
        return Violation(target.name, data, "hang", traceback.format_exc())
    except Exception:
        return Violation(target.name, data, "exception", traceback.format_exc())
    return None


def shrink(target: Target, violation: Violation, watchdog: _Watchdog | None, budget_s: float) -> bytes:
    """A shorter input raising the same exception: delete ever smaller ranges while the fault remains."""
    data = violation.data
    deadline = time.monotonic() + budget_s
    step = max(1, len(data) // 2)
    while time.monotonic() < deadline:
        pos = 0
        while pos < len(data) and time.monotonic() < deadline:
            candidate = data[:pos] + data[pos + step :]
            again = run_one(target, candidate, watchdog)
            if again is not None and again.kind == violation.kind and again.signature == violation.signature:
                data = candidate
            else:
                pos += step
        if step == 1:
            break
        step = max(1, step // 2)
    return data


def fuzz(
    targets: Sequence[Target],
    seconds: float,
    seed: int = 0,
    *,
    input_cpu_limit_s: float = DEFAULT_INPUT_CPU_LIMIT_S,
    shrink_budget_s: float = 2.0,
    on_violation: Callable[[Violation], None] | None = None,
) -> FuzzReport:
    """Round-robin over ``targets`` for ``seconds`` of wall time. A target is dropped after its first
    violation (so one known fault does not drown the others); the others run on."""
    rng = random.Random(seed)
    mutator = Mutator(rng)
    report = FuzzReport(executions={t.name: 0 for t in targets}, seed=seed)
    live = list(targets)
    start = time.monotonic()
    deadline = start + seconds
    with _Watchdog(input_cpu_limit_s) as watchdog:
        # Valid seeds first: they must all pass, and every target runs at least once whatever the budget.
        for target in list(live):
            for data in target.seeds:
                violation = run_one(target, data, watchdog)
                report.executions[target.name] += 1
                if violation is not None:
                    _record(report, target, violation, watchdog, shrink_budget_s, on_violation)
                    live.remove(target)
                    break
        while live and time.monotonic() < deadline:
            for target in list(live):
                data = mutator.generate(target.seeds, target.fixup)
                violation = run_one(target, data, watchdog)
                report.executions[target.name] += 1
                if violation is not None:
                    _record(report, target, violation, watchdog, shrink_budget_s, on_violation)
                    live.remove(target)
    report.elapsed_s = time.monotonic() - start
    return report


def _record(
    report: FuzzReport, target: Target, violation: Violation, watchdog: _Watchdog, shrink_budget_s: float,
    on_violation: Callable[[Violation], None] | None,
) -> None:
    # A hang costs the whole CPU budget per attempt: only exceptions are worth shrinking.
    if violation.kind == "exception" and shrink_budget_s > 0:
        smaller = shrink(target, violation, watchdog, shrink_budget_s)
        if len(smaller) < len(violation.data):
            violation.minimised = smaller
    report.violations.append(violation)
    if on_violation is not None:
        on_violation(violation)


def print_violation(violation: Violation, out: TextIO | None = None) -> None:
    stream = out if out is not None else sys.stdout
    print(f"VIOLATION in {violation.target} ({violation.kind}), input of {len(violation.data)} octets:",
          file=stream)
    print(f"input hex: {violation.data.hex()}", file=stream)
    if violation.minimised is not None:
        print(f"minimised input hex ({len(violation.minimised)} octets, same {violation.signature}): "
              f"{violation.minimised.hex()}", file=stream)
    print(violation.traceback.rstrip(), file=stream)


def print_summary(report: FuzzReport) -> None:
    width = max(len(name) for name in report.executions)
    failed = {v.target for v in report.violations}
    print(f"{'target':<{width}}  {'executions':>10}  result")
    for name, count in report.executions.items():
        print(f"{name:<{width}}  {count:>10}  {'VIOLATION' if name in failed else 'ok'}")
    total = sum(report.executions.values())
    print(f"{total} executions in {report.elapsed_s:.1f} s, seed {report.seed}, "
          f"{len(report.violations)} violation(s)")


def run_atheris(targets: Sequence[Target], seconds: float) -> int:
    """Coverage-guided fuzzing with atheris (libFuzzer): the first input octet picks the target."""
    try:
        import atheris
    except ImportError:
        print("atheris is not installed; use the default engine", file=sys.stderr)
        return 2
    atheris.instrument_all()

    def test_one_input(data: bytes) -> None:
        if not data:
            return
        with contextlib.suppress(FlightswError):
            targets[data[0] % len(targets)].run(data[1:])

    atheris.Setup([sys.argv[0], f"-max_total_time={max(1, int(seconds))}"], test_one_input)
    atheris.Fuzz()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m flightsw.ccsds.fuzz", description="Fuzz the CCSDS decoders and stream machines."
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to fuzz (default 60)")
    parser.add_argument("--seed", type=int, help="random seed (default: from the clock, printed)")
    parser.add_argument("--target", action="append", metavar="NAME", help="fuzz only these targets")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--input-cpu-limit", type=float, default=DEFAULT_INPUT_CPU_LIMIT_S,
                        help="CPU seconds one input may take before it counts as a hang")
    parser.add_argument("--engine", choices=("random", "atheris"), default="random")
    args = parser.parse_args(argv)
    targets = build_targets()
    if args.list:
        print("\n".join(t.name for t in targets))
        return 0
    if args.target:
        unknown = set(args.target) - {t.name for t in targets}
        if unknown:
            parser.error(f"unknown target(s): {', '.join(sorted(unknown))}")
        targets = [t for t in targets if t.name in args.target]
    if args.engine == "atheris":
        return run_atheris(targets, args.seconds)
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % (1 << 32)
    print(f"fuzzing {len(targets)} targets for {args.seconds:g} s, seed {seed}", flush=True)
    report = fuzz(targets, args.seconds, seed, input_cpu_limit_s=args.input_cpu_limit,
                  on_violation=print_violation)
    print_summary(report)
    return 1 if report.violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
