"""``flightsw decode``: packets, frames, CLTUs or a synchronised byte stream to JSON lines.

An operator's and debugger's view of the link: every unit found in the input becomes one JSON object on its
own line, with each header field under its standard name in snake_case, the payload as hex and the ``offset``
of the unit in the input. A unit that does not decode becomes ``{"error": reason, "detail": ..., "offset":
...}`` and the walk goes on where the layer allows it (the next ASM, the next CLTU start sequence, the next
frame or packet whose length is known). Packets carried in TM frames are reassembled by the project's VC
demultiplexer and reported with the VCID they came on; their ``offset`` is that of the frame that completed
them. Packets in TC frames are reported with the frame's VCID and MAP, and those in CLTUs with the CLTU's
offset.

The walkers here locate units themselves (rather than feeding the sans-IO stream machines) so that each
unit, good or bad, is reported with its exact position in the input; they use the stack's codecs for every
check. Exit status: 0 when every unit decoded, 1 when any failed, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

from flightsw.ccsds import spacepacket, tc_frame, tm_frame
from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.cltu import CODEBLOCK_OCTETS, CltuDecoder, decode_codeblock
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.randomiser import tc_derandomise, tm_derandomise
from flightsw.ccsds.sdls import SPI_LENGTH
from flightsw.ccsds.spacepacket import IDLE_APID, PacketType, PrimaryHeader, SpacePacket
from flightsw.ccsds.tc_frame import (
    SEQ_UNSEGMENTED,
    TcFrame,
    parse_control_command,
    parse_segment_header,
    peek_frame_length,
)
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.ccsds.tm_channels import FragmentDiscarded, FramesLost, PacketReceived, VcDemultiplexer
from flightsw.ccsds.tm_frame import TmFrame
from flightsw.errors import DecodeError, FlightswError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile, load_profile

FORMATS = ("auto", "packet", "pus-tc", "pus-tm", "tm-frame", "tc-frame", "cltu", "stream")

Record = dict[str, Any]
PacketDecoder = Callable[[bytes], Record]

PACKET_HEADER_LENGTH = spacepacket.PRIMARY_HEADER_LENGTH
TC_HEADER_LENGTH = tc_frame.PRIMARY_HEADER_LENGTH


class UsageError(FlightswError):
    """Input the command cannot even start on: an unreadable file, bad hex, conflicting options."""


def _error(unit: str, exc: FlightswError, offset: int, fault_base: int | None = None) -> Record:
    """The error line of a unit that starts at ``offset``; the fault's position in the input goes in ``at``
    (``exc.offset`` counts from ``fault_base``, by default the start of the unit)."""
    record: Record = {"unit": unit, "error": exc.reason, "detail": exc.detail, "offset": offset}
    if exc.offset is not None:
        record["at"] = (offset if fault_base is None else fault_base) + exc.offset
    return record


def _failure(unit: str, reason: str, detail: str, offset: int) -> Record:
    return {"unit": unit, "error": reason, "detail": detail, "offset": offset}


# ---- packets -----------------------------------------------------------------------------------------


def _primary_fields(header: PrimaryHeader) -> Record:
    return {
        "version": header.version,
        "packet_type": int(header.packet_type),
        "secondary_header_flag": header.secondary_header_flag,
        "apid": header.apid,
        "sequence_flags": int(header.sequence_flags),
        "sequence_count": header.sequence_count,
        "data_length": header.data_length,
    }


def _time_fields(raw: bytes, profile: LinkProfile) -> Record:
    """The CUC time field of a PUS TM (implicit P-field, CCSDS 301.0-B-4 §3.2): seconds and raw hex."""
    out: Record = {"hex": raw.hex()}
    try:
        cuc = Cuc.decode(raw, implicit_format=CucFormat.from_profile(profile))
    except FlightswError as exc:
        out["error"] = exc.reason
        return out
    out["cuc_seconds"] = float(cuc.seconds)
    out["coarse"] = cuc.coarse
    out["fine"] = cuc.fine
    # Beyond datetime's range or on an agency epoch there is no TAI date; the seconds still say it.
    with contextlib.suppress(FlightswError, OverflowError, ValueError):
        out["tai"] = cuc.to_datetime().isoformat()
    return out


def _pus_record(unit: str, raw: bytes, profile: LinkProfile, secondary_fields: Record) -> Record:
    """A decoded PUS packet: primary header fields, PUS version, the secondary header and payload fields,
    then the packet error control when the profile has it."""
    record: Record = {"unit": unit, **_primary_fields(PrimaryHeader.decode(raw))}
    record["pus_version"] = raw[PACKET_HEADER_LENGTH] >> 4
    record.update(secondary_fields)
    if profile.pus.packet_error_control:
        record["packet_error_control"] = raw[-2:].hex()
    return record


def _pus_tc_record(raw: bytes, profile: LinkProfile) -> Record:
    tc = PusTc.decode(raw, profile=profile)
    return _pus_record("pus_tc", raw, profile, {
        "ack_flags": tc.ack_flags,
        "service": tc.service,
        "subtype": tc.subtype,
        "source_id": tc.source_id,
        "payload": tc.app_data.hex(),
    })


def _pus_tm_record(raw: bytes, profile: LinkProfile) -> Record:
    tm = PusTm.decode(raw, profile=profile)
    return _pus_record("pus_tm", raw, profile, {
        "spacecraft_time_reference_status": tm.spacecraft_time_reference_status,
        "service": tm.service,
        "subtype": tm.subtype,
        "message_type_counter": tm.message_type_counter,
        "destination_id": tm.destination_id,
        "time": _time_fields(tm.time, profile),
        "payload": tm.source_data.hex(),
    })


def _plain_packet_record(raw: bytes) -> Record:
    packet = SpacePacket.decode(raw)
    record: Record = {"unit": "packet", **_primary_fields(packet.header)}
    record["idle"] = packet.is_idle
    record["payload"] = packet.data.hex()
    return record


def _auto_packet_record(raw: bytes, profile: LinkProfile) -> Record:
    """A Space Packet, decoded as PUS-C when its secondary header flag is set and it parses as PUS."""
    record = _plain_packet_record(raw)
    if not record["secondary_header_flag"] or record["apid"] == IDLE_APID:
        return record
    decoder = _pus_tc_record if record["packet_type"] == PacketType.TC else _pus_tm_record
    try:
        return decoder(raw, profile)
    except FlightswError as exc:
        record["pus_error"] = exc.reason
        return record


def _packet_decoder(fmt: str, profile: LinkProfile) -> Callable[[bytes], Record]:
    if fmt == "pus-tc":
        return lambda raw: _pus_tc_record(raw, profile)
    if fmt == "pus-tm":
        return lambda raw: _pus_tm_record(raw, profile)
    if fmt == "packet":
        return _plain_packet_record
    return lambda raw: _auto_packet_record(raw, profile)


_PACKET_UNITS = {"pus-tc": "pus_tc", "pus-tm": "pus_tm"}


def walk_packets(
    data: bytes, decode: Callable[[bytes], Record], base: int = 0, extra: Record | None = None,
    unit: str = "packet",
) -> Iterator[Record]:
    """Packets laid end to end. A bad packet whose length is known is reported and skipped; a header that
    cannot be trusted (wrong version, truncation) ends the walk, since the next packet cannot be found."""
    pos = 0
    while pos < len(data):
        offset = base + pos
        try:
            header = PrimaryHeader.decode(data[pos : pos + PACKET_HEADER_LENGTH])
        except FlightswError as exc:
            yield _error("packet", exc, offset) | (extra or {})
            return
        end = pos + header.packet_length
        if end > len(data):
            detail = f"the header announces {header.packet_length} octets, {len(data) - pos} left"
            yield _failure("packet", "truncated", detail, offset) | (extra or {})
            return
        try:
            record = decode(data[pos:end])
        except FlightswError as exc:
            record = _error(unit, exc, offset)
        record["offset"] = offset
        if extra:
            record.update(extra)
        yield record
        pos = end


# ---- TM frames ---------------------------------------------------------------------------------------


def _clcw_fields(ocf: bytes) -> Record:
    try:
        clcw = Clcw.decode(ocf)
    except FlightswError as exc:
        return {"error": exc.reason}
    return {"control_word_type": 0, "clcw_version": 0, **dataclasses.asdict(clcw)}


def _tm_frame_record(frame: TmFrame, raw: bytes, profile: LinkProfile) -> Record:
    record: Record = {
        "unit": "tm_frame",
        "version": raw[0] >> 6,
        "scid": frame.scid,
        "vcid": frame.vcid,
        "ocf_flag": frame.ocf is not None,
        "master_channel_frame_count": frame.master_channel_frame_count,
        "virtual_channel_frame_count": frame.virtual_channel_frame_count,
        "secondary_header_flag": frame.secondary_header is not None,
        "sync_flag": frame.sync_flag,
        "packet_order_flag": frame.packet_order,
        "segment_length_id": frame.segment_length_id,
        "first_header_pointer": frame.first_header_pointer,
        "idle": frame.is_idle,
    }
    if frame.secondary_header is not None:
        record["secondary_header"] = frame.secondary_header.hex()
    record["payload"] = frame.data.hex()
    if frame.ocf is not None:
        record["ocf"] = frame.ocf.hex()
        record["clcw"] = _clcw_fields(frame.ocf)
    if profile.tm.fecf_present:
        record["fecf"] = raw[-tm_frame.FECF_LENGTH :].hex()
    return record


class _TmFrameReporter:
    """Decodes frames one at a time and reports each frame, then the packets its data completed."""

    def __init__(self, profile: LinkProfile, packet_decode: PacketDecoder) -> None:
        self._profile = profile
        self._demux = VcDemultiplexer(profile)
        self._packet_decode = packet_decode

    def report(self, raw: bytes, offset: int) -> Iterator[Record]:
        if self._profile.tm.randomise:
            raw = tm_derandomise(raw)  # CCSDS 131.0-B-4 §10: the frame is randomised, the ASM is not
        try:
            frame = TmFrame.decode(raw, self._profile)
        except FlightswError as exc:
            yield _error("tm_frame", exc, offset)
            return
        record = _tm_frame_record(frame, raw, self._profile)
        record["offset"] = offset
        yield record
        for event in self._demux.feed(raw):
            if isinstance(event, PacketReceived):
                try:
                    packet = self._packet_decode(event.packet)
                except FlightswError as exc:
                    # The packet may span frames: it is located by the frame that completed it, not by octet.
                    packet = _error("packet", exc, offset)
                    packet.pop("at", None)
                packet.update(offset=offset, vcid=event.vcid)
                yield packet
            elif isinstance(event, FramesLost):
                yield {"event": "frames_lost", "vcid": event.vcid, "expected": event.expected,
                       "received": event.received, "missing": event.missing, "offset": offset}
            elif isinstance(event, FragmentDiscarded):
                yield {"event": "fragment_discarded", "vcid": event.vcid, "octets": event.octets,
                       "reason": event.reason, "offset": offset}


def walk_tm_frames(data: bytes, profile: LinkProfile, packet_decode: PacketDecoder) -> Iterator[Record]:
    """Bare TM frames of the profile's fixed length laid end to end."""
    reporter = _TmFrameReporter(profile, packet_decode)
    length = profile.tm.frame_length
    for pos in range(0, len(data), length):
        yield from reporter.report(data[pos : pos + length], pos)


def walk_tm_stream(data: bytes, profile: LinkProfile, packet_decode: PacketDecoder) -> Iterator[Record]:
    """ASM-delimited TM frames (CCSDS 131.0-B-4 §9). Octets before an ASM are reported as unsynchronised; a
    frame that fails is reported, and the search resumes after it when the next ASM follows where expected,
    else one octet past the failed ASM (it may have been a false marker)."""
    asm = profile.tm.asm
    unit = len(asm) + profile.tm.frame_length
    reporter = _TmFrameReporter(profile, packet_decode)
    pos = 0
    while pos < len(data):
        found = data.find(asm, pos)
        if found < 0:
            yield _failure("stream", "unsynchronised", f"{len(data) - pos} octets with no ASM", pos)
            return
        if found > pos:
            yield _failure("stream", "unsynchronised", f"{found - pos} octets before the ASM", pos)
        if len(data) - found < unit:
            detail = f"{len(data) - found} octets after the ASM, ASM and frame need {unit}"
            yield _failure("tm_frame", "truncated", detail, found)
            return
        records = list(reporter.report(data[found + len(asm) : found + unit], found))
        yield from records
        failed = "error" in records[0]
        next_unit = found + unit
        if failed and next_unit < len(data) and data[next_unit : next_unit + len(asm)] != asm:
            pos = found + 1
        else:
            pos = next_unit


# ---- TC frames and CLTUs -----------------------------------------------------------------------------


def _tc_frame_record(frame: TcFrame, raw: bytes, profile: LinkProfile) -> Record:
    record: Record = {
        "unit": "tc_frame",
        "version": frame.version,
        "bypass": frame.bypass,
        "control_command": frame.control_command,
        "frame_type": frame.frame_type,
        "scid": frame.scid,
        "vcid": frame.vcid,
        "frame_length": len(raw) - 1,
        "sequence_number": frame.sequence_number,
        "payload": frame.data.hex(),
    }
    if profile.tc.fecf_present:
        record["fecf"] = raw[-2:].hex()
    return record


def _report_tc_frame(
    raw: bytes, offset: int, profile: LinkProfile, packet_decode: PacketDecoder
) -> Iterator[Record]:
    """One TC frame, then the packets of an unsegmented MAP data unit in it (CCSDS 232.0-B-4 §4.1.3)."""
    try:
        frame = TcFrame.decode(raw, fecf=profile.tc.fecf_present)
    except FlightswError as exc:
        yield _error("tc_frame", exc, offset)
        return
    yield from _tc_frame_contents(frame, raw, offset, profile, packet_decode)


def _tc_frame_contents(
    frame: TcFrame, raw: bytes, offset: int, profile: LinkProfile, packet_decode: PacketDecoder
) -> Iterator[Record]:
    record = _tc_frame_record(frame, raw, profile)
    record["offset"] = offset
    extra: Record = {"vcid": frame.vcid}
    body = frame.data
    body_offset = offset + TC_HEADER_LENGTH
    sequence_flags = SEQ_UNSEGMENTED
    # Type-BC frames carry no segment header (232.0-B-4 §4.1.3.1).
    if profile.tc.segment_header and not frame.control_command:
        sequence_flags, map_id = parse_segment_header(body)
        record["segment_header"] = {"sequence_flags": sequence_flags, "map_id": map_id}
        extra["map_id"] = map_id
        body, body_offset = body[1:], body_offset + 1
    if profile.sdls.enabled and frame.vcid == profile.tc.vc_commands:
        try:
            record["sdls"], body, header_length = _security_fields(body, profile)
        except FlightswError as exc:
            yield _error("tc_frame", exc, offset, body_offset)
            return
        body_offset += header_length
        if profile.sdls.encrypt:
            yield record  # the data field is ciphertext: nothing more to show without the key
            return
    if frame.control_command:
        try:
            command = parse_control_command(body)
        except FlightswError as exc:
            yield _error("tc_frame", exc, offset, body_offset)
            return
        record["command"] = {"kind": command.kind, "vr": command.vr}
        yield record
        return
    yield record
    if sequence_flags == SEQ_UNSEGMENTED:  # a segment of a larger unit holds no whole packet
        yield from walk_packets(body, packet_decode, body_offset, extra)


def _security_fields(body: bytes, profile: LinkProfile) -> tuple[Record, bytes, int]:
    """The SDLS security header and trailer around the frame data (CCSDS 355.0-B-2 §4.1.1, §4.1.2): SPI,
    IV, anti-replay sequence number and MAC, shown as received; the MAC is not verified without the key."""
    sdls = profile.sdls
    header_length = SPI_LENGTH + sdls.iv_length + sdls.sequence_number_length
    if len(body) < header_length + sdls.mac_length:
        raise DecodeError("truncated", f"{len(body)} octets cannot hold the SDLS security header and MAC")
    iv_end = SPI_LENGTH + sdls.iv_length
    fields: Record = {
        "spi": int.from_bytes(body[:SPI_LENGTH], "big"),
        "iv": body[SPI_LENGTH:iv_end].hex(),
        "sequence_number": int.from_bytes(body[iv_end:header_length], "big"),
        "mac": body[len(body) - sdls.mac_length :].hex(),
        "mac_verified": False,
    }
    return fields, body[header_length : len(body) - sdls.mac_length], header_length


def walk_tc_frames(data: bytes, profile: LinkProfile, packet_decode: PacketDecoder) -> Iterator[Record]:
    """TC frames laid end to end, each located by its frame length field (CCSDS 232.0-B-4 §4.1.2.7)."""
    pos = 0
    while pos < len(data):
        if len(data) - pos < TC_HEADER_LENGTH:
            detail = f"{len(data) - pos} octets left, a TC frame header needs {TC_HEADER_LENGTH}"
            yield _failure("tc_frame", "truncated", detail, pos)
            return
        length = peek_frame_length(data[pos : pos + TC_HEADER_LENGTH])
        raw = data[pos : pos + length]
        try:
            frame = TcFrame.decode(raw, fecf=profile.tc.fecf_present)
        except FlightswError as exc:
            yield _error("tc_frame", exc, pos)
            if exc.reason != "bad_crc":
                return  # a header that fails its checks cannot say where the next frame starts
        else:
            yield from _tc_frame_contents(frame, raw, pos, profile, packet_decode)
        pos += length


def walk_cltus(data: bytes, profile: LinkProfile, packet_decode: PacketDecoder) -> Iterator[Record]:
    """CLTUs (CCSDS 231.0-B-4 §5.3) as the stack's :class:`CltuDecoder` finds them: a CLTU starts at the start
    sequence and ends at the first codeblock that does not decode (normally the tail sequence); its
    information octets, derandomised when the profile says so (§6), hold one TC frame followed only by fill
    octets. Octets outside any CLTU are reported as unsynchronised."""
    decoder = CltuDecoder(profile, record_ends=True)
    decoder.feed(data)
    searched_from = 0
    for ended in decoder.ends:
        yield from _skipped_before(ended.start, searched_from)
        searched_from = ended.resume
        if ended.frame is None:
            assert ended.rejection is not None
            yield _failure("cltu", ended.rejection.reason, ended.rejection.detail, ended.start)
            continue
        cltu = {"codeblocks": ended.codeblocks, "corrected_codeblocks": ended.corrected_codeblocks,
                "ended_by": ended.ended_by, "cltu_length": ended.end - ended.start}
        yield from _cltu_frame(ended.frame, ended.start, cltu, profile, packet_decode)
    open_cltu = decoder.open_cltu
    if open_cltu is None:
        if searched_from < len(data):
            detail = f"{len(data) - searched_from} octets with no start sequence"
            yield _failure("stream", "unsynchronised", detail, searched_from)
        return
    start, codeblocks = open_cltu
    yield from _skipped_before(start, searched_from)
    yield _failure("cltu", "truncated", f"{codeblocks} codeblocks and no tail sequence", start)


def _skipped_before(start: int, searched_from: int) -> Iterator[Record]:
    if start > searched_from:
        detail = f"{start - searched_from} octets before the start sequence"
        yield _failure("stream", "unsynchronised", detail, searched_from)


def _cltu_frame(
    frame_octets: bytes, offset: int, cltu: Record, profile: LinkProfile, packet_decode: PacketDecoder,
) -> Iterator[Record]:
    """The records of the frame a CLTU carried (with the frame's own checks) and of its packets."""
    records = list(_report_tc_frame(frame_octets, offset, profile, packet_decode))
    frame = records[0]
    if "error" in frame:
        frame["unit"] = "cltu"
    else:
        frame = {"unit": "cltu", **cltu, **{k: v for k, v in frame.items() if k != "unit"}}
    # Codeblocks interleave parity with the frame's octets: what a CLTU carries is located by the CLTU.
    frame["offset"] = offset
    frame.pop("at", None)
    yield frame
    for packet in records[1:]:
        packet["offset"] = offset
        packet.pop("at", None)
        yield packet


# ---- detection and entry points ----------------------------------------------------------------------


def detect_format(data: bytes, profile: LinkProfile = DEFAULT_PROFILE) -> str:
    """Guess the layer of ``data`` from its sync markers, then from self-checking units, else packets."""
    asm = profile.tm.asm
    start = profile.tc.cltu_start
    if data.startswith(asm):
        return "stream"
    if data.startswith(start):
        return "cltu"
    if _looks_like_tm_frames(data, profile):
        return "tm-frame"
    if _looks_like_tc_frames(data, profile):
        return "tc-frame"
    # A capture may begin mid-unit: a marker further on counts when a valid unit follows it.
    found = data.find(asm)
    while found >= 0:
        after = found + len(asm)
        if _looks_like_tm_frames(data[after : after + profile.tm.frame_length], profile):
            return "stream"
        found = data.find(asm, found + 1)
    found = data.find(start)
    while found >= 0:
        after = found + len(start)
        if _looks_like_cltu_start(data[after : after + CODEBLOCK_OCTETS], profile):
            return "cltu"
        found = data.find(start, found + 1)
    return "packet"


def _looks_like_cltu_start(block: bytes, profile: LinkProfile) -> bool:
    """A first codeblock without error that begins a version-1 TC frame of this spacecraft."""
    try:
        info, _ = decode_codeblock(block, correct=False)
    except DecodeError:
        return False
    # The randomiser restarts with each CLTU, so the first octets derandomise on their own (231.0-B-4 §6).
    head = tc_derandomise(info) if profile.tc.randomise else info
    return head[0] >> 6 == tc_frame.TC_VERSION and ((head[0] & 0x03) << 8 | head[1]) == profile.scid


def _looks_like_tm_frames(data: bytes, profile: LinkProfile) -> bool:
    length = profile.tm.frame_length
    if not data or len(data) % length:
        return False
    first = data[:length]
    if profile.tm.randomise:
        first = tm_derandomise(first)
    try:
        TmFrame.decode(first, profile)
    except FlightswError:
        return False
    return True


def _looks_like_tc_frames(data: bytes, profile: LinkProfile) -> bool:
    if len(data) < TC_HEADER_LENGTH or not profile.tc.fecf_present:
        return False  # without a FECF nothing tells a TC frame from any other octets
    length = peek_frame_length(data)
    try:
        frame = TcFrame.decode(data[:length], fecf=True)
    except FlightswError:
        return False
    return frame.scid == profile.scid


def decode_bytes(data: bytes, fmt: str = "auto", profile: LinkProfile = DEFAULT_PROFILE) -> Iterator[Record]:
    """Every unit of ``data`` as a JSON-ready dict; failures are ``{"error": ...}`` records, never raised."""
    packet_layer = fmt if fmt in ("packet", "pus-tc", "pus-tm") else "auto"
    packet_decode = _packet_decoder(packet_layer, profile)
    if fmt == "auto":
        fmt = detect_format(data, profile)
    if fmt == "stream":
        return walk_tm_stream(data, profile, packet_decode)
    if fmt == "tm-frame":
        return walk_tm_frames(data, profile, packet_decode)
    if fmt == "tc-frame":
        return walk_tc_frames(data, profile, packet_decode)
    if fmt == "cltu":
        return walk_cltus(data, profile, packet_decode)
    return walk_packets(data, packet_decode, unit=_PACKET_UNITS.get(fmt, "packet"))


def read_input(source: str | None, hex_text: str | None) -> bytes:
    if hex_text is not None:
        if source is not None:
            raise UsageError("conflicting_input", "give a file, '-' or --hex, not both")
        text = "".join(hex_text.split())
        text = text[2:] if text[:2].lower() == "0x" else text
        try:
            return bytes.fromhex(text)
        except ValueError as exc:
            raise UsageError("bad_hex", str(exc)) from None
    if source is None:
        raise UsageError("no_input", "give a file, '-' for standard input, or --hex")
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError("unreadable_input", f"{source}: {exc.strerror}") from None


def _profile_from_args(args: argparse.Namespace) -> LinkProfile:
    profile = load_profile(args.config) if args.config else DEFAULT_PROFILE
    if args.no_pec:
        pus = dataclasses.replace(profile.pus, packet_error_control=False)
        profile = dataclasses.replace(profile, pus=pus)
    if args.randomised:
        profile = dataclasses.replace(
            profile,
            tm=dataclasses.replace(profile.tm, randomise=True),
            tc=dataclasses.replace(profile.tc, randomise=True),
        )
    return profile


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", nargs="?", help="file to decode, or '-' for standard input")
    parser.add_argument("--hex", dest="hex_text", metavar="HEX", help="decode this hex string instead")
    parser.add_argument(
        "--format", choices=FORMATS, default="auto",
        help="layer of the input (default: guess from ASM / CLTU start sequence, else space packets)",
    )
    parser.add_argument("--config", metavar="FILE", help="mission link profile (TOML)")
    parser.add_argument("--no-pec", action="store_true", help="PUS packets carry no packet error control")
    parser.add_argument("--randomised", action="store_true", help="TM frames and CLTUs are randomised")


def run(args: argparse.Namespace) -> int:
    profile = _profile_from_args(args)
    data = read_input(args.input, args.hex_text)
    failed = False
    out = sys.stdout
    try:
        for record in decode_bytes(data, args.format, profile):
            failed = failed or "error" in record
            out.write(json.dumps(record) + "\n")
        out.flush()
    except BrokenPipeError:
        # The reader went away (``| head``): stop, and point stdout at /dev/null so that the interpreter's
        # final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
    return 1 if failed else 0
