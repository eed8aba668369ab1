"""`flightsw decode`: fields of each layer, error lines with reason and offset, exit status, detection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from crccheck.crc import Crc16CcittFalse
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.cltu import encode_cltu
from flightsw.ccsds.decode import FORMATS, decode_bytes
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.spacepacket import PacketType, SequenceFlags, SpacePacket
from flightsw.ccsds.sync import frame_with_asm
from flightsw.ccsds.tc_frame import UNLOCK, TcFrame, segment_header, set_vr
from flightsw.ccsds.timecode import Cuc
from flightsw.ccsds.tm_channels import VcMultiplexer
from flightsw.cli import main
from flightsw.profile import DEFAULT_PROFILE, LinkProfile, TcProfile, TmProfile

REPO = Path(__file__).resolve().parents[2]
SCID = DEFAULT_PROFILE.scid
ASM_LENGTH = len(DEFAULT_PROFILE.tm.asm)
FRAME_LENGTH = DEFAULT_PROFILE.tm.frame_length


def decode(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, Any]]]:
    status = main(["decode", *argv])
    lines = capsys.readouterr().out.splitlines()
    return status, [json.loads(line) for line in lines]


def units(records: list[dict[str, Any]]) -> list[object]:
    return [r.get("unit") for r in records]


def make_tc(count: int = 5, app_data: bytes = b"\x01\x02\x03") -> bytes:
    return PusTc(apid=0x010, sequence_count=count, ack_flags=0b1001, service=17, subtype=1,
                 source_id=1, app_data=app_data).encode()


def make_tm(count: int = 7, seconds: float = 1000.5) -> bytes:
    return PusTm(apid=0x020, sequence_count=count, service=3, subtype=25, message_type_counter=9,
                 destination_id=1, time=Cuc.from_seconds(seconds).encode(), source_data=b"hk").encode()


def tm_frames(packets: list[bytes], n_frames: int, profile: LinkProfile = DEFAULT_PROFILE) -> list[bytes]:
    mux = VcMultiplexer(profile)
    for packet in packets:
        mux.submit(profile.tm.vc_realtime, packet)
    clcw = Clcw(vcid=0, report_value=3, retransmit=True).encode()
    return [mux.next_frame(clcw) for _ in range(n_frames)]


def ad_frame(packet: bytes, sequence_number: int = 3) -> bytes:
    data = segment_header(0) + packet
    return TcFrame(scid=SCID, vcid=0, sequence_number=sequence_number, data=data).encode()


# ---- fields of each layer ----------------------------------------------------------------------------


def test_pus_tc_fields_against_a_hand_built_packet(capsys: pytest.CaptureFixture[str]) -> None:
    # Built octet by octet from ECSS-E-ST-70-41C §7.4.4.1, CRC from crccheck's CRC-16/CCITT-FALSE.
    body = bytes([
        0x18, 0x10,  # version 0, TC, secondary header, APID 0x010
        0xC0, 0x05,  # unsegmented, sequence count 5
        0x00, 0x0A,  # data length: 5 secondary header + 4 application data + 2 PEC - 1
        0x29, 0x11, 0x01, 0x00, 0x01,  # PUS v2 and ack 1001, service 17, subtype 1, source id 1
        0xDE, 0xAD, 0xBE, 0xEF,
    ])
    packet = body + Crc16CcittFalse.calc(body).to_bytes(2, "big")
    status, records = decode(capsys, "--format", "pus-tc", "--hex", packet.hex())
    assert status == 0
    assert records == [{
        "unit": "pus_tc", "version": 0, "packet_type": 1, "secondary_header_flag": True, "apid": 0x010,
        "sequence_flags": 3, "sequence_count": 5, "data_length": 10, "pus_version": 2, "ack_flags": 0b1001,
        "service": 17, "subtype": 1, "source_id": 1, "payload": "deadbeef",
        "packet_error_control": packet[-2:].hex(), "offset": 0,
    }]


def test_ping_telecommand_of_an_independent_implementation(capsys: pytest.CaptureFixture[str]) -> None:
    # The PUS-C ping TC (17,1) of spacepackets' documentation: APID 1, count 22, all ack flags, source 0.
    status, records = decode(capsys, "--hex", "18,01,c0,16,00,06,2f,11,01,00,00,ab,62".replace(",", ""))
    assert status == 0
    (tc,) = records
    assert tc["unit"] == "pus_tc"
    assert (tc["apid"], tc["sequence_count"], tc["ack_flags"], tc["source_id"]) == (1, 22, 0b1111, 0)
    assert (tc["service"], tc["subtype"], tc["payload"], tc["packet_error_control"]) == (17, 1, "", "ab62")


def test_pus_tm_fields_and_time(capsys: pytest.CaptureFixture[str]) -> None:
    status, records = decode(capsys, "--format", "pus-tm", "--hex", make_tm().hex())
    assert status == 0
    (tm,) = records
    assert tm["unit"] == "pus_tm"
    assert (tm["apid"], tm["packet_type"], tm["sequence_count"]) == (0x020, 0, 7)
    assert (tm["service"], tm["subtype"], tm["message_type_counter"], tm["destination_id"]) == (3, 25, 9, 1)
    # 1000.5 s at 4 coarse + 2 fine octets: coarse 0x000003E8, fine 0x8000.
    assert tm["time"] == {"hex": "000003e88000", "cuc_seconds": 1000.5, "coarse": 1000, "fine": 0x8000,
                          "tai": "1958-01-01T00:16:40.500000"}
    assert tm["payload"] == b"hk".hex()


def test_plain_packet_format_reports_the_primary_header_only(capsys: pytest.CaptureFixture[str]) -> None:
    packet = SpacePacket(PacketType.TM, False, 0x123, SequenceFlags.FIRST, 42, b"\x00\x11\x22").encode()
    idle = SpacePacket.idle(10).encode()
    status, records = decode(capsys, "--format", "packet", "--hex", (packet + idle).hex())
    assert status == 0
    first, second = records
    assert (first["apid"], first["sequence_flags"], first["sequence_count"]) == (0x123, 1, 42)
    assert (first["data_length"], first["payload"], first["idle"], first["offset"]) == (2, "001122", False, 0)
    assert (second["apid"], second["idle"], second["offset"]) == (0x7FF, True, len(packet))


def test_tm_stream_reports_frames_clcw_and_the_packets_with_their_vcid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    tms = [make_tm(count) for count in range(20)]  # 20 × 23 octets: spans two frames
    frames = tm_frames(tms, 2)
    stream = b"".join(frame_with_asm(f) for f in frames)
    status, records = decode(capsys, "--hex", stream.hex())
    assert status == 0
    frame_records = [r for r in records if r["unit"] == "tm_frame"]
    assert [r["offset"] for r in frame_records] == [0, ASM_LENGTH + FRAME_LENGTH]
    assert [r["master_channel_frame_count"] for r in frame_records] == [0, 1]
    first = frame_records[0]
    assert (first["scid"], first["vcid"], first["first_header_pointer"]) == (SCID, 0, 0)
    assert first["ocf_flag"] is True
    assert first["clcw"]["report_value"] == 3
    assert first["clcw"]["retransmit"] is True
    assert first["fecf"] == frames[0][-2:].hex()
    packets = [r for r in records if r["unit"] == "pus_tm"]
    assert [p["sequence_count"] for p in packets] == list(range(20))
    assert all(p["vcid"] == 0 for p in packets)


def test_bare_tm_frames_by_format_and_by_detection(capsys: pytest.CaptureFixture[str]) -> None:
    frames = b"".join(tm_frames([make_tm()], 2))
    for argv in (["--format", "tm-frame"], []):
        status, records = decode(capsys, *argv, "--hex", frames.hex())
        assert status == 0
        assert units(records) == ["tm_frame", "pus_tm", "tm_frame"]
        assert records[2]["idle"] is True
        assert records[2]["vcid"] == DEFAULT_PROFILE.tm.vc_idle


def test_tc_frames_with_segment_header_packet_and_control_command(capsys: pytest.CaptureFixture[str]) -> None:
    tc = make_tc()
    ad = ad_frame(tc, sequence_number=9)
    bc = TcFrame(scid=SCID, vcid=0, sequence_number=0, data=set_vr(200), bypass=True,
                 control_command=True).encode()
    status, records = decode(capsys, "--format", "tc-frame", "--hex", (ad + bc).hex())
    assert status == 0
    assert units(records) == ["tc_frame", "pus_tc", "tc_frame"]
    frame, packet, command = records
    assert (frame["bypass"], frame["control_command"], frame["sequence_number"]) == (False, False, 9)
    assert (frame["frame_type"], frame["frame_length"], frame["offset"]) == ("AD", len(ad) - 1, 0)
    assert frame["segment_header"] == {"sequence_flags": 3, "map_id": 0}
    assert (packet["service"], packet["vcid"], packet["map_id"], packet["offset"]) == (17, 0, 0, 6)
    assert (command["frame_type"], command["offset"]) == ("BC", len(ad))
    assert command["command"] == {"kind": "set_vr", "vr": 200}


def test_cltus_with_a_corrected_codeblock(capsys: pytest.CaptureFixture[str]) -> None:
    first = bytearray(encode_cltu(ad_frame(make_tc())))
    first[2 + 8 + 3] ^= 0x10  # one bit of the second codeblock: BCH(63,56) corrects it (231.0-B-4 §3.3)
    unlock = TcFrame(scid=SCID, vcid=0, sequence_number=0, data=UNLOCK, bypass=True,
                     control_command=True).encode()
    second = encode_cltu(unlock)
    status, records = decode(capsys, "--hex", (bytes(first) + second).hex())
    assert status == 0
    assert units(records) == ["cltu", "pus_tc", "cltu"]
    assert records[0]["corrected_codeblocks"] == 1
    assert records[0]["ended_by"] == "tail"
    assert records[1]["sequence_count"] == 5
    assert records[2]["offset"] == len(first)
    assert records[2]["command"] == {"kind": "unlock", "vr": None}


# ---- errors and exit statuses ------------------------------------------------------------------------


def test_bad_crc_pus_packet(capsys: pytest.CaptureFixture[str]) -> None:
    good = make_tc(1)
    bad = bytearray(make_tc(2))
    bad[-1] ^= 0x01
    # Auto decodes PUS only when it parses, else the Space Packet, saying why PUS did not apply.
    status, records = decode(capsys, "--hex", (good + bytes(bad) + make_tc(3)).hex())
    assert status == 0
    assert units(records) == ["pus_tc", "packet", "pus_tc"]
    assert (records[1]["pus_error"], records[1]["offset"]) == ("bad_crc", len(good))
    status, records = decode(capsys, "--format", "pus-tc", "--hex", (good + bytes(bad)).hex())
    assert status == 1
    assert records[1]["error"] == "bad_crc"
    assert records[1]["offset"] == len(good)


def test_corrupted_frame_in_a_stream_is_reported_at_its_offset(capsys: pytest.CaptureFixture[str]) -> None:
    frames = tm_frames([make_tm(c) for c in range(30)], 3)
    stream = bytearray(b"".join(frame_with_asm(f) for f in frames))
    unit = ASM_LENGTH + FRAME_LENGTH
    stream[unit + 50] ^= 0x04
    status, records = decode(capsys, "--format", "stream", "--hex", stream.hex())
    assert status == 1
    errors = [r for r in records if "error" in r]
    assert errors == [{"unit": "tm_frame", "error": "bad_crc", "detail": errors[0]["detail"],
                       "offset": unit, "at": unit + FRAME_LENGTH - 2}]
    frames_ok = [r["offset"] for r in records if r.get("unit") == "tm_frame" and "error" not in r]
    assert frames_ok == [0, 2 * unit]
    assert any(r.get("event") == "frames_lost" for r in records)


def test_truncated_packet_and_garbage_before_asm(capsys: pytest.CaptureFixture[str]) -> None:
    tc = make_tc()
    status, records = decode(capsys, "--hex", (tc + tc[:-3]).hex())
    assert status == 1
    assert records[1] == {"unit": "packet", "error": "truncated", "detail": records[1]["detail"],
                          "offset": len(tc)}
    frame = frame_with_asm(tm_frames([make_tm()], 1)[0])
    status, records = decode(capsys, "--format", "stream", "--hex", (b"\x00\x01\x02" + frame).hex())
    assert status == 1
    assert (records[0]["error"], records[0]["offset"]) == ("unsynchronised", 0)
    assert (records[1]["unit"], records[1]["offset"]) == ("tm_frame", 3)


def test_bad_hex_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["decode", "--hex", "18 1g"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "bad_hex" in captured.err


def test_unreadable_file_and_missing_input_are_usage_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["decode", str(tmp_path / "absent.bin")]) == 2
    assert "unreadable_input" in capsys.readouterr().err
    assert main(["decode"]) == 2
    assert "no_input" in capsys.readouterr().err


def test_file_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(make_tc() + make_tm())
    status, records = decode(capsys, str(path))
    assert status == 0
    assert units(records) == ["pus_tc", "pus_tm"]


# ---- profile options ---------------------------------------------------------------------------------


def test_no_pec(capsys: pytest.CaptureFixture[str]) -> None:
    tc = PusTc(apid=0x010, sequence_count=1, ack_flags=1, service=17, subtype=1).encode(pec=False)
    status, records = decode(capsys, "--format", "pus-tc", "--hex", tc.hex())
    assert status == 1
    status, records = decode(capsys, "--no-pec", "--format", "pus-tc", "--hex", tc.hex())
    assert status == 0
    assert "packet_error_control" not in records[0]
    assert records[0]["service"] == 17


def test_randomised_stream_and_cltu(capsys: pytest.CaptureFixture[str]) -> None:
    profile = LinkProfile(tm=TmProfile(randomise=True), tc=TcProfile(randomise=True))
    stream = b"".join(frame_with_asm(f, profile) for f in tm_frames([make_tm()], 2, profile))
    status, records = decode(capsys, "--hex", stream.hex())
    assert status == 1  # without --randomised every frame fails its FECF
    status, records = decode(capsys, "--randomised", "--hex", stream.hex())
    assert status == 0
    assert units(records) == ["tm_frame", "pus_tm", "tm_frame"]
    cltu = encode_cltu(ad_frame(make_tc()), profile)
    status, records = decode(capsys, "--randomised", "--hex", cltu.hex())
    assert status == 0
    assert units(records) == ["cltu", "pus_tc"]


def test_config_file_changes_the_spacecraft(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    profile = LinkProfile(scid=99)
    frames = b"".join(frame_with_asm(f, profile) for f in tm_frames([make_tm()], 1, profile))
    status, records = decode(capsys, "--hex", frames.hex())
    assert status == 1
    assert records[0]["error"] == "wrong_scid"
    config = tmp_path / "mission.toml"
    config.write_text("scid = 99\n")
    status, records = decode(capsys, "--config", str(config), "--hex", frames.hex())
    assert status == 0
    assert records[0]["scid"] == 99


# ---- a real pipe -------------------------------------------------------------------------------------


def test_stdin_through_a_subprocess() -> None:
    frame = ad_frame(make_tc())
    result = subprocess.run(
        [sys.executable, "-m", "flightsw", "decode", "-"],
        input=encode_cltu(frame), capture_output=True, cwd=REPO, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert units(records) == ["cltu", "pus_tc"]
    assert records[0]["scid"] == SCID


def test_reader_closing_the_pipe_early_is_quiet(tmp_path: Path) -> None:
    frames = tm_frames([make_tm(c % 16384) for c in range(3000)], 300)
    path = tmp_path / "long.bin"
    path.write_bytes(b"".join(frame_with_asm(f) for f in frames))
    with subprocess.Popen([sys.executable, "-m", "flightsw", "decode", str(path)], cwd=REPO,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()
        stderr = proc.stderr.read()
        assert proc.wait(timeout=60) == 0
    assert json.loads(first)["unit"] == "tm_frame"
    assert stderr == b""


# ---- auto-detection ----------------------------------------------------------------------------------


def _capture(kind: str) -> bytes:
    frames = tm_frames([make_tm()], 2)
    cltu = encode_cltu(ad_frame(make_tc()))
    return {
        "asm_stream": b"".join(frame_with_asm(f) for f in frames),
        "asm_stream_mid_capture": frame_with_asm(frames[0])[100:] + frame_with_asm(frames[1]),
        "cltu": cltu,
        "cltu_after_idle_octets": b"\x55\xaa" * 5 + cltu,
        "bare_tm_frames": b"".join(frames),
        "bare_tc_frame": ad_frame(make_tc()),
        "packets": make_tm() + make_tc(),
    }[kind]


@pytest.mark.parametrize(
    ("kind", "first_unit"),
    [
        ("asm_stream", "tm_frame"),
        ("asm_stream_mid_capture", "stream"),  # the partial frame before the ASM is reported unsynchronised
        ("cltu", "cltu"),
        ("cltu_after_idle_octets", "stream"),
        ("bare_tm_frames", "tm_frame"),
        ("bare_tc_frame", "tc_frame"),
        ("packets", "pus_tm"),
    ],
)
def test_auto_detection_picks_the_layer(
    capsys: pytest.CaptureFixture[str], kind: str, first_unit: str
) -> None:
    _, records = decode(capsys, "--hex", _capture(kind).hex())
    assert records[0]["unit"] == first_unit
    layer_units = {"tm_frame", "cltu", "tc_frame", "pus_tm", "pus_tc"}
    assert any(r.get("unit") in layer_units and "error" not in r for r in records)


def test_explicit_format_overrides_detection(capsys: pytest.CaptureFixture[str]) -> None:
    cltu = encode_cltu(ad_frame(make_tc()))
    status, records = decode(capsys, "--format", "cltu", "--hex", cltu.hex())
    assert (status, units(records)) == (0, ["cltu", "pus_tc"])
    # The same octets read as Space Packets do not decode: EB90 is not a version-0 header.
    status, records = decode(capsys, "--format", "packet", "--hex", cltu.hex())
    assert status == 1
    assert records[0]["error"] == "wrong_version"


def test_unknown_control_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    bad = TcFrame(scid=SCID, vcid=0, sequence_number=0, data=b"\x42", bypass=True,
                  control_command=True).encode()
    status, records = decode(capsys, "--format", "tc-frame", "--hex", bad.hex())
    assert status == 1
    assert (records[0]["error"], records[0]["offset"]) == ("unknown_control_command", 0)


def test_sdls_security_header_is_shown_and_the_packet_decoded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from flightsw.ccsds.sdls import KeyState, KeyStore, SecurityAssociation, apply_security

    keys = KeyStore()
    keys.add(1, bytes(range(32)), KeyState.ACTIVE)
    sa = SecurityAssociation.from_profile(DEFAULT_PROFILE)
    sa.rekey(keys, 1)
    sa.start()
    tc = make_tc()
    plain = TcFrame(scid=SCID, vcid=0, sequence_number=4, data=segment_header(0) + tc)
    secured = apply_security(plain, sa)
    assert isinstance(secured, TcFrame)
    config = tmp_path / "sdls.toml"
    config.write_text("[sdls]\nenabled = true\n")
    status, records = decode(capsys, "--config", str(config), "--format", "tc-frame",
                             "--hex", secured.encode().hex())
    assert status == 0
    frame, packet = records
    assert frame["sdls"]["spi"] == DEFAULT_PROFILE.sdls.spi
    assert frame["sdls"]["sequence_number"] == 1
    assert frame["sdls"]["mac_verified"] is False
    header = 2 + DEFAULT_PROFILE.sdls.iv_length + DEFAULT_PROFILE.sdls.sequence_number_length
    assert packet["unit"] == "pus_tc"
    assert packet["offset"] == 5 + 1 + header
    assert packet["payload"] == b"\x01\x02\x03".hex()


def test_tc_frame_walk_goes_past_a_bad_crc_and_stops_at_a_bad_header(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second, third = (ad_frame(make_tc(n), sequence_number=n) for n in range(3))
    damaged = bytearray(second)
    damaged[8] ^= 0x80  # inside the packet: the frame's FECF no longer checks
    status, records = decode(capsys, "--format", "tc-frame", "--hex", (first + bytes(damaged) + third).hex())
    assert status == 1
    assert [(r["unit"], r.get("error"), r["offset"]) for r in records] == [
        ("tc_frame", None, 0), ("pus_tc", None, 6),
        ("tc_frame", "bad_crc", len(first)),
        ("tc_frame", None, len(first) + len(second)), ("pus_tc", None, len(first) + len(second) + 6),
    ]
    wrong_version = bytes([second[0] | 0x40]) + second[1:]
    status, records = decode(capsys, "--format", "tc-frame", "--hex", (first + wrong_version + third).hex())
    assert status == 1
    assert [(r["unit"], r.get("error")) for r in records] == [
        ("tc_frame", None), ("pus_tc", None), ("tc_frame", "wrong_version"),
    ]


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=600), fmt=st.sampled_from(FORMATS))
def test_any_octets_give_json_lines_with_offsets(data: bytes, fmt: str) -> None:
    for record in decode_bytes(data, fmt):
        json.dumps(record)
        assert 0 <= record["offset"] <= len(data)
        assert ("error" in record) == ("detail" in record)
