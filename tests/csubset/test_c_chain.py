"""The two link directions end to end, as the STM32 node runs them: the Python ground side builds
telecommands (PUS TC -> TC frame with segment header -> CLTU) that the C side takes octet by octet (CLTU
decoder -> FARM-1 -> segment header -> PUS TC); the C side builds telemetry (PUS TM -> VC frames with ASM,
OCF = its CLCW) that the Python ground side synchronises, demultiplexes and decodes."""

from __future__ import annotations

import random

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.cltu import encode_cltu
from flightsw.ccsds.pus import PusTc, PusTm
from flightsw.ccsds.sync import StreamSynchroniser
from flightsw.ccsds.tc_frame import TcFrame, segment_header
from flightsw.ccsds.tm_channels import ClcwReceived, PacketReceived, VcDemultiplexer
from flightsw.profile import DEFAULT_PROFILE
from tests.csubset.cstack import CStack

SCID = DEFAULT_PROFILE.scid
TC_VC = DEFAULT_PROFILE.tc.vc_commands
TM_VC = DEFAULT_PROFILE.tm.vc_realtime
ADCS = DEFAULT_PROFILE.apids.adcs
MAP = segment_header(DEFAULT_PROFILE.tc.map_id)


def test_uplink_commands_reach_the_c_side_in_order(cstack: CStack) -> None:
    rng = random.Random(7)
    commands = [
        PusTc(ADCS, n, 0b1001, rng.choice([3, 8, 17, 20]), rng.randint(1, 10),
              app_data=bytes(rng.randrange(256) for _ in range(rng.randint(0, 120))))
        for n in range(30)
    ]
    stream = bytearray()
    for ns, tc in enumerate(commands):
        frame = TcFrame(SCID, TC_VC, ns, MAP + tc.encode()).encode()
        stream += bytes(rng.randrange(256) for _ in range(rng.randint(0, 5))) + encode_cltu(frame)
    decoder = cstack.cltu_decoder()
    farm = cstack.farm(TC_VC, DEFAULT_PROFILE.tc.farm_window, None)
    received: list[PusTc] = []
    for frame in decoder.feed(bytes(stream)).frames:
        result = farm.receive_bytes(frame)
        assert result.outcome == "accepted_ad", result
        flags, map_id = cstack.ffi.new("uint8_t *"), cstack.ffi.new("uint8_t *")
        cstack.check(cstack.lib.ccsds_tc_segment_header_decode(result.data, 1, flags, map_id))
        assert (flags[0], map_id[0]) == (0b11, DEFAULT_PROFILE.tc.map_id)
        received.append(cstack.pus_tc_decode(result.data[1:]))
    assert received == commands
    assert Clcw.decode(farm.clcw()).report_value == len(commands)


def test_downlink_telemetry_reaches_the_ground_with_the_clcw(cstack: CStack) -> None:
    rng = random.Random(11)
    farm = cstack.farm(TC_VC, DEFAULT_PROFILE.tc.farm_window, None, initial_vr=200)
    clcw = farm.clcw()
    reports = [
        PusTm(ADCS, n, 3, 25, message_type_counter=n, time=cstack.cuc_encode(2_000_000_000 + n, n * 655),
              source_data=bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))))
        for n in range(25)
    ]
    channel = cstack.tm_channel(with_asm=True)
    stream = bytearray()
    for tm in reports:
        for unit in channel.add_packet(TM_VC, cstack.pus_tm_encode(tm), clcw):
            stream += unit
    for unit in channel.flush(TM_VC, clcw):
        stream += unit
    stream += channel.idle_frame(clcw)
    frames = StreamSynchroniser().feed(bytes(stream))
    assert len(frames) * channel.unit == len(stream)
    demux = VcDemultiplexer()
    packets: list[PusTm] = []
    clcws: set[bytes] = set()
    for frame in frames:
        for event in demux.feed(frame):
            if isinstance(event, PacketReceived):
                packets.append(PusTm.decode(event.packet))
            elif isinstance(event, ClcwReceived):
                clcws.add(event.clcw)
    assert packets == reports
    assert clcws == {clcw}
    assert Clcw.decode(clcw).report_value == 200
