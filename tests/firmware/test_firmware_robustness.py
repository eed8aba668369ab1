"""Malformed and random input on the UART never stops the node, and a commanded reboot is reported.

The ground throws at the node: random bytes, CLTUs with uncorrectable codeblocks, CLTUs cut short, CLTUs
whose frame has a bad FECF or another spacecraft's id, frames full of garbage, Type-AD frames out of
sequence (FARM-1 lockout), and PUS packets with lying length fields. Afterwards the node must still answer
are-you-alive, and its link counters must have seen the damage.
"""

from __future__ import annotations

import random

import pytest

from flightsw.ccsds.cltu import encode_cltu
from flightsw.ccsds.tc_frame import TcFrame, segment_header
from flightsw.dictionary import load_dictionary
from tests.firmware.ground import (
    PROFILE,
    RESET_CAUSE_SOFTWARE,
    Ground,
    injection_tc,
)

pytestmark = [pytest.mark.cross, pytest.mark.timeout(60)]

DICTIONARY = load_dictionary()
ADCS = PROFILE.apids.adcs
SEED = 20261127


def frame_bytes(data: bytes, *, scid: int = PROFILE.scid, vcid: int = 0, bypass: bool = True) -> bytes:
    return TcFrame(scid=scid, vcid=vcid, sequence_number=0, bypass=bypass,
                   data=segment_header(PROFILE.tc.map_id) + data).encode()


def malformed_inputs(ground: Ground, rng: random.Random) -> list[bytes]:
    alive = ground.tc(ADCS, 17, 1).encode()
    good_cltu = encode_cltu(frame_bytes(alive), PROFILE)
    body = good_cltu[len(PROFILE.tc.cltu_start):-len(PROFILE.tc.cltu_tail)]
    inputs = [bytes(rng.getrandbits(8) for _ in range(4096))]
    # Two bit errors in the first codeblock: BCH(63,56) corrects one, so the CLTU must be refused.
    damaged = bytearray(good_cltu)
    start = len(PROFILE.tc.cltu_start)
    damaged[start] ^= 0x81
    inputs.append(bytes(damaged))
    inputs.append(good_cltu[: len(good_cltu) // 2])  # cut short, then the next start sequence follows
    inputs.append(PROFILE.tc.cltu_start + body[:8] + PROFILE.tc.cltu_tail)  # too short for a frame
    bad_fecf = bytearray(frame_bytes(alive))
    bad_fecf[-1] ^= 0x01
    inputs.append(encode_cltu(bytes(bad_fecf), PROFILE))
    inputs.append(encode_cltu(frame_bytes(alive, scid=PROFILE.scid + 1), PROFILE))
    inputs.append(encode_cltu(frame_bytes(bytes(rng.getrandbits(8) for _ in range(300))), PROFILE))
    lying_length = bytearray(alive)
    lying_length[4:6] = (0xFFFF).to_bytes(2, "big")
    inputs.append(encode_cltu(frame_bytes(bytes(lying_length)), PROFILE))
    inputs.append(encode_cltu(frame_bytes(alive[:5]), PROFILE))  # a packet shorter than its header
    for _ in range(20):
        size = rng.randrange(1, 64)
        inputs.append(encode_cltu(frame_bytes(bytes(rng.getrandbits(8) for _ in range(size))), PROFILE))
    for _ in range(20):  # start sequences followed by noise
        inputs.append(PROFILE.tc.cltu_start + bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 200))))
    return inputs


def test_random_and_malformed_input_leaves_the_node_answering(ground: Ground) -> None:
    rng = random.Random(SEED)
    for chunk in malformed_inputs(ground, rng):
        ground.target.write(chunk)
        ground.pump(0.0)
    # A Type-AD frame far outside the FARM-1 window: lockout (232.1-B-2 §6.1.8.3), reported by event.
    ground.vs = 128
    ground.send(ground.tc(ADCS, 17, 1))
    lockout = DICTIONARY.event_by_name["farm_lockout"]
    ground.wait_for(lambda t: t.service == 5 and int.from_bytes(t.source_data[:2], "big") == lockout.id,
                    what="farm_lockout event")
    # Type-BD still passes in Lockout: are-you-alive is answered.
    alive = ground.tc(ADCS, 17, 1)
    ground.send(alive, bypass=True)
    assert 7 in ground.verification(alive).reports
    ground.wait_for(lambda t: t.service == 17 and t.subtype == 2, what="TM[17,2]")

    link = DICTIONARY.housekeeping_by_name["link_status"]
    bd = ground.tc(PROFILE.apids.cdh, 3, 27, bytes([1]) + link.id.to_bytes(2, "big"))
    ground.send(bd, bypass=True)
    values = link.record.decode(ground.housekeeping(link.id))
    assert values["link_cltu_rejections"] >= 3
    assert values["link_crc_errors"] >= 1
    assert values["link_farm_state"] == 3  # lockout
    assert values["link_farm_lockouts"] == 1


def valid_cltus(ground: Ground, rng: random.Random) -> list[bytes]:
    """CLTUs of commands the node serves (no reboot among them), on VC0 (Type-AD and BD) and VC1."""
    hk = DICTIONARY.command_by_name["hk_report_one_shot"]
    report = DICTIONARY.command_by_name["parameter_report"]
    setting = DICTIONARY.command_by_name["parameter_set"]
    packets = [
        (ground.tc(ADCS, 17, 1).encode(), 0),
        (ground.tc(PROFILE.apids.cdh, hk.service, hk.subtype,
                   hk.encode({"structures": [{"structure_id": 3}]})).encode(), 0),
        (ground.tc(PROFILE.apids.cdh, report.service, report.subtype,
                   report.encode({"parameters": [{"parameter_id": 0x0807}]})).encode(), 0),
        (ground.tc(PROFILE.apids.cdh, setting.service, setting.subtype,
                   setting.encode({"parameters": [{"parameter_id": 0x0807, "value": 0.03}]})).encode(), 0),
    ]
    specials = (float("nan"), float("inf"), -float("inf"), 1e30, 0.0)
    for _ in range(8):
        values = [rng.choice(specials) if rng.random() < 0.3 else rng.uniform(-50, 50) for _ in range(9)]
        packets.append((injection_tc(ground, values[:3], values[3:6], values[6:]).encode(), 1))
    cltus = []
    for packet, vcid in packets:
        for bypass in ((True,) if vcid else (True, False)):
            cltus.append(encode_cltu(frame_bytes(packet, vcid=vcid, bypass=bypass), PROFILE))
    return cltus


def mutate(cltu: bytes, rng: random.Random) -> bytes:
    data = bytearray(cltu)
    kind = rng.randrange(5)
    if kind == 0:  # a few bit errors anywhere
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == 1:  # octets dropped
        del data[rng.randrange(len(data)):][: rng.randrange(1, 9)]
    elif kind == 2:  # octets inserted
        at = rng.randrange(len(data))
        data[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 9)))
    elif kind == 3:  # cut short
        del data[rng.randrange(1, len(data)):]
    else:  # a codeblock repeated
        at = 2 + 8 * rng.randrange(max(1, (len(data) - 10) // 8))
        data[at:at] = data[at:at + 8]
    return bytes(data)


def test_mutated_cltus_never_stop_the_node(ground: Ground) -> None:
    rng = random.Random(SEED + 1)
    originals = valid_cltus(ground, rng)
    stream = bytearray()
    for _ in range(400):
        stream += mutate(rng.choice(originals), rng)
    for start in range(0, len(stream), 2048):
        ground.target.write(bytes(stream[start:start + 2048]))
        ground.pump(0.0)
    ground.collect(0.2)
    alive = ground.tc(ADCS, 17, 1)
    ground.send(alive, bypass=True)
    assert 7 in ground.verification(alive, timeout=5.0).reports
    link = DICTIONARY.housekeeping_by_name["link_status"]
    query = ground.tc(PROFILE.apids.cdh, 3, 27, bytes([1]) + link.id.to_bytes(2, "big"))
    ground.send(query, bypass=True)
    ground.backlog = [t for t in ground.backlog if not (t.service == 3 and t.subtype == 25)]
    values = link.record.decode(ground.housekeeping(link.id))
    assert values["link_cltu_rejections"] > 0
    assert values["link_frames_in"] > 0


def test_commanded_reboot_is_reported_after_the_reset(ground: Ground) -> None:
    command = DICTIONARY.command_by_name["adcs_reset"]
    tc = ground.send(ground.tc(ADCS, command.service, command.subtype, command.encode({"scope": "node"})))
    assert 7 in ground.verification(tc).reports
    # After the reset FARM-1 starts again at V(R) = 0, as does the ground's V(S).
    ground.backlog.clear()
    ground.collect(0.3)
    ground.vs = 0
    status = ground.node_status()
    assert (status.reset_cause, status.resets, status.fault_cause) == (RESET_CAUSE_SOFTWARE, 1, 0)
