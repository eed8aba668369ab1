"""CCSDS stack benchmark: flightsw against the ``spacepackets`` package, side by side in one run.

Operations (the same unit contents for both; each side's output is checked equal before timing):
  * Space Packet pack / unpack (CCSDS 133.0-B-2): primary header fields and the data field; the peer's
    unpack gets the checks any decoder needs (version, length against the buffer), since
    ``SpacePacketHeader.unpack`` makes neither;
  * PUS-C TC and TM pack / unpack with packet error control: both compute the CRC on pack and verify it
    on unpack, and both return the parsed header fields;
  * TM transfer frame build / parse (CCSDS 132.0-B-3, 256 octets with OCF and FECF): ``spacepackets``
    verifies the FECF on parse but does not compute it on build, so its build packs the frame without
    the FECF once and appends the CRC computed with the same CRC library it verifies with (``fastcrc``);
  * stream synchronisation (CCSDS 131.0-B-4 §9, ASM + 256-octet frames, FECF checked): ours only, as
    ``spacepackets`` has no synchroniser; on a clean stream and on one with corrupted frames and slips.

Timing: ``timeit`` with an auto-ranged loop count, best of ``--repeats``; the two sides' runs alternate, so
on a shared machine both see the same load. Speedup = peer time / our time.
Targets reported: ≥ 2× ``spacepackets`` on PUS-C TM unpack with CRC; stream synchronisation ≥ 20 MB/s.

Run: python bench/ccsds.py [--repeats R]. Writes out/bench/ccsds.json.
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import timeit
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import fastcrc
from spacepackets.ccsds.spacepacket import PacketType as PeerPacketType
from spacepackets.ccsds.spacepacket import SpacePacket as PeerSpacePacket
from spacepackets.ccsds.spacepacket import SpacePacketHeader as PeerHeader
from spacepackets.ccsds.tm_frame import (
    MasterChannelId,
    TmFramePrimaryHeader,
    TmTransferFrame,
    TransferFrameDataFieldStatus,
)
from spacepackets.ecss.tc import PusTc as PeerPusTc
from spacepackets.ecss.tm import PusTm as PeerPusTm

from bench._common import fmt, print_table, write_json
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacket
from flightsw.ccsds.sync import StreamSynchroniser, frame_with_asm
from flightsw.ccsds.timecode import Cuc, CucFormat
from flightsw.ccsds.tm_frame import FECF_LENGTH, TmFrame, data_field_length
from flightsw.profile import DEFAULT_PROFILE

PROFILE = DEFAULT_PROFILE
TARGET_PUS_TM_UNPACK_SPEEDUP = 2.0
TARGET_SYNC_MB_PER_S = 20.0
SYNC_FRAMES = 2000
SYNC_CHUNK = 4096  # octets per feed, as a serial or socket read would give


def per_op_us(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """Best time of one call of each of ``fns``, µs: timeit auto-ranged to ≥ 0.2 s a run, best of
    ``repeats`` runs; the runs of the functions alternate, so a burst of load elsewhere hits all of them."""
    timers = [timeit.Timer(fn) for fn in fns]
    numbers = [timer.autorange()[0] for timer in timers]
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, (timer, number) in enumerate(zip(timers, numbers, strict=True)):
            best[i] = min(best[i], timer.timeit(number) / number * 1e6)
    return best


# ---- the units, identical on both sides --------------------------------------------------------------

APID = PROFILE.apids.adcs
SEQUENCE_COUNT = 1234
APP_DATA = bytes(range(32))
TIME_FIELD = Cuc.from_seconds(2_000_000_000.25, CucFormat.from_profile(PROFILE)).encode()
ACK_FLAGS = 0b1001
SERVICE, SUBTYPE = 3, 25
COUNTER = 77
GROUND = PROFILE.pus.ground_id


def ours_packet_pack() -> bytes:
    packet = SpacePacket(PacketType.TM, False, APID, SequenceFlags.UNSEGMENTED, SEQUENCE_COUNT, APP_DATA)
    return packet.encode()


def peer_packet_pack() -> bytearray:
    header = PeerHeader(PeerPacketType.TM, APID, SEQUENCE_COUNT, len(APP_DATA) - 1)
    return PeerSpacePacket(header, None, APP_DATA).pack()


def ours_packet_unpack(raw: bytes) -> tuple[int, int, bytes]:
    packet = SpacePacket.decode(raw)
    return packet.apid, packet.sequence_count, packet.data


def peer_packet_unpack(raw: bytes) -> tuple[int, int, bytes]:
    # spacepackets parses the header; the version and length checks and the data slice are what a decoder
    # adds (ours makes both checks too).
    header = PeerHeader.unpack(raw)
    if header.ccsds_version != 0:
        raise ValueError("wrong version")
    if len(raw) != header.packet_len:
        raise ValueError("length mismatch")
    return header.apid, header.seq_count, raw[6:]


def ours_tc_pack() -> bytes:
    return PusTc(APID, SEQUENCE_COUNT, ACK_FLAGS, 17, 1, GROUND, APP_DATA).encode()


def peer_tc_pack() -> bytearray:
    tc = PeerPusTc(17, 1, apid=APID, app_data=APP_DATA, seq_count=SEQUENCE_COUNT, source_id=GROUND,
                   ack_flags=ACK_FLAGS)
    return tc.pack()


def ours_tc_unpack(raw: bytes) -> tuple[int, int, int, bytes]:
    tc = PusTc.decode(raw)
    return tc.apid, tc.service, tc.subtype, tc.app_data


def peer_tc_unpack(raw: bytes) -> tuple[int, int, int, bytes | bytearray]:
    tc = PeerPusTc.unpack(raw)
    return tc.apid, tc.service, tc.message_subtype, tc.app_data


def ours_tm_pack() -> bytes:
    return PusTm(APID, SEQUENCE_COUNT, SERVICE, SUBTYPE, COUNTER, GROUND, TIME_FIELD, APP_DATA).encode()


def peer_tm_pack() -> bytearray:
    tm = PeerPusTm(SERVICE, SUBTYPE, TIME_FIELD, source_data=APP_DATA, apid=APID, seq_count=SEQUENCE_COUNT,
                   message_counter=COUNTER, destination_id=GROUND)
    return tm.pack()


def ours_tm_unpack(raw: bytes) -> tuple[int, int, int, int, bytes, bytes]:
    tm = PusTm.decode(raw)
    return tm.apid, tm.service, tm.subtype, tm.message_type_counter, tm.time, tm.source_data


def peer_tm_unpack(raw: bytes) -> tuple[int, int, int, int, bytes | bytearray, bytes | bytearray]:
    tm = PeerPusTm.unpack(raw, timestamp_len=len(TIME_FIELD))
    return (tm.apid, tm.service, tm.message_subtype, tm.pus_tm_sec_header.message_counter, tm.timestamp,
            tm.source_data)


FRAME_DATA = bytes(random.Random(3).randbytes(data_field_length(PROFILE)))
OCF = bytes.fromhex("01000300")
VCID, MC_COUNT, VC_COUNT = 0, 17, 42


def ours_frame_build() -> bytes:
    return TmFrame(PROFILE.scid, VCID, MC_COUNT, VC_COUNT, 0, FRAME_DATA, OCF).encode(PROFILE)


def peer_frame_build() -> bytes:
    status = TransferFrameDataFieldStatus(False, False, False, 0b11, 0)
    header = TmFramePrimaryHeader(MasterChannelId(0, PROFILE.scid), VCID, True, MC_COUNT, VC_COUNT, status)
    unit = TmTransferFrame(PROFILE.tm.frame_length - FECF_LENGTH, header, None, FRAME_DATA, OCF, None).pack()
    return unit + fastcrc.crc16.ibm_3740(unit).to_bytes(2, "big")


def ours_frame_parse(raw: bytes) -> tuple[int, int, int, int, bytes, bytes | None]:
    frame = TmFrame.decode(raw, PROFILE)
    return (
        frame.scid,
        frame.vcid,
        frame.master_channel_frame_count,
        frame.first_header_pointer,
        frame.data,
        frame.ocf,
    )


def peer_frame_parse(raw: bytes) -> tuple[int, int, int, int, bytes, bytes | None]:
    frame = TmTransferFrame.unpack(raw, PROFILE.tm.frame_length, True)
    header = frame.primary_header
    return (
        header.master_channel_id.spacecraft_id,
        header.vc_id,
        header.master_ch_frame_count,
        header.frame_datafield_status.first_header_pointer,
        frame.data_field,
        frame.op_ctrl_field,
    )


# ---- stream synchronisation --------------------------------------------------------------------------


def sync_streams() -> tuple[bytes, bytes, int]:
    """A clean ASM stream of SYNC_FRAMES frames, and a copy with 5 % of frames hit by a bit error and
    1 % followed by a slip of a few random octets (CCSDS 131.0-B-4 §9 search after loss of lock)."""
    rng = random.Random(7)
    frames = [
        TmFrame(PROFILE.scid, i % 2, i % 256, i % 256, 0, rng.randbytes(len(FRAME_DATA)), OCF).encode(PROFILE)
        for i in range(SYNC_FRAMES)
    ]
    clean = b"".join(frame_with_asm(f, PROFILE) for f in frames)
    corrupted = bytearray()
    good = 0
    for frame in frames:
        unit = bytearray(frame_with_asm(frame, PROFILE))
        if rng.random() < 0.05:
            unit[rng.randrange(len(PROFILE.tm.asm), len(unit))] ^= 1 << rng.randrange(8)
        else:
            good += 1
        corrupted += unit
        if rng.random() < 0.01:
            corrupted += rng.randbytes(rng.randrange(1, 9))
    return clean, bytes(corrupted), good


def synchronise(stream: bytes) -> int:
    sync = StreamSynchroniser(PROFILE)
    frames = 0
    for pos in range(0, len(stream), SYNC_CHUNK):
        frames += len(sync.feed(stream[pos : pos + SYNC_CHUNK]))
    return frames


def sync_mb_per_s(stream: bytes, repeats: int) -> float:
    seconds = min(timeit.Timer(lambda: synchronise(stream)).repeat(repeat=repeats, number=1))
    return len(stream) / seconds / 1e6


# ---- the run -----------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Outputs in comparable form: a bytearray equals the bytes it holds (the peer packs to bytearray)."""
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def compare(
    name: str,
    ours: Callable[[], Any],
    peer: Callable[[], Any] | None,
    repeats: int,
) -> dict[str, Any]:
    if peer is not None and _plain(ours()) != _plain(peer()):
        raise SystemExit(f"{name}: flightsw and spacepackets disagree; the comparison would be unfair")
    if peer is None:
        ours_us, peer_us = per_op_us([ours], repeats)[0], None
    else:
        ours_us, peer_us = per_op_us([ours, peer], repeats)
    return {
        "operation": name,
        "ours_us": ours_us,
        "peer_us": peer_us,
        "speedup": peer_us / ours_us if peer_us is not None else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timeit repeats; the best is kept")
    args = parser.parse_args(argv)
    repeats = max(1, args.repeats)

    packet, tc, tm, frame = ours_packet_pack(), ours_tc_pack(), ours_tm_pack(), ours_frame_build()
    rows = [
        compare("Space Packet pack", ours_packet_pack, peer_packet_pack, repeats),
        compare(
            "Space Packet unpack",
            lambda: ours_packet_unpack(packet),
            lambda: peer_packet_unpack(packet),
            repeats,
        ),
        compare("PUS-C TC pack (CRC)", ours_tc_pack, peer_tc_pack, repeats),
        compare("PUS-C TC unpack (CRC)", lambda: ours_tc_unpack(tc), lambda: peer_tc_unpack(tc), repeats),
        compare("PUS-C TM pack (CRC)", ours_tm_pack, peer_tm_pack, repeats),
        compare("PUS-C TM unpack (CRC)", lambda: ours_tm_unpack(tm), lambda: peer_tm_unpack(tm), repeats),
        compare("TM frame build (FECF)", ours_frame_build, peer_frame_build, repeats),
        compare(
            "TM frame parse (FECF)", lambda: ours_frame_parse(frame), lambda: peer_frame_parse(frame), repeats
        ),
    ]
    clean, corrupted, good = sync_streams()
    if synchronise(clean) != SYNC_FRAMES or synchronise(corrupted) < good:
        raise SystemExit("stream synchroniser lost frames it should have delivered")
    sync = {
        "clean_mb_per_s": sync_mb_per_s(clean, repeats),
        "corrupted_mb_per_s": sync_mb_per_s(corrupted, repeats),
        "frames": SYNC_FRAMES,
        "frame_length": PROFILE.tm.frame_length,
        "chunk_octets": SYNC_CHUNK,
    }

    table = [
        [
            r["operation"],
            fmt(r["ours_us"], 2),
            fmt(r["peer_us"], 2),
            f"{r['speedup']:.2f}×" if r["speedup"] is not None else "—",
        ]
        for r in rows
    ]
    print_table(
        ["operation", "flightsw µs", "spacepackets µs", "speedup"],
        table,
        title=f"CCSDS codecs: flightsw vs spacepackets {version('spacepackets')} "
        f"(µs per operation, best of {repeats}; speedup = spacepackets µs / flightsw µs)",
    )
    print_table(
        ["stream synchronisation (ours only)", "MB/s"],
        [
            ["clean: ASM + 256-octet frames", fmt(sync["clean_mb_per_s"], 1)],
            ["corrupted: 5 % bit errors, 1 % slips", fmt(sync["corrupted_mb_per_s"], 1)],
        ],
    )
    tm_unpack = next(r for r in rows if r["operation"] == "PUS-C TM unpack (CRC)")
    targets = [
        {
            "target": f"PUS-C TM unpack with CRC ≥ {TARGET_PUS_TM_UNPACK_SPEEDUP:g}× spacepackets",
            "value": tm_unpack["speedup"],
            "met": tm_unpack["speedup"] >= TARGET_PUS_TM_UNPACK_SPEEDUP,
        },
        {
            "target": f"stream synchronisation ≥ {TARGET_SYNC_MB_PER_S:g} MB/s (clean and corrupted)",
            "value": min(sync["clean_mb_per_s"], sync["corrupted_mb_per_s"]),
            "met": min(sync["clean_mb_per_s"], sync["corrupted_mb_per_s"]) >= TARGET_SYNC_MB_PER_S,
        },
    ]
    for target in targets:
        print(f"{'MET' if target['met'] else 'MISSED':6}  {target['target']}: {target['value']:.2f}")
    path = write_json(
        "ccsds.json",
        {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "spacepackets": version("spacepackets"),
            "repeats": repeats,
            "operations": rows,
            "stream_sync": sync,
            "targets": targets,
        },
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
