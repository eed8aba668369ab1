"""SDLS on TC frames (CCSDS 355.0-B-2) with AES-GCM-256: framing, replay protection, rejections by reason."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from flightsw.ccsds.clcw import Clcw
from flightsw.ccsds.farm import Farm1, FrameAccepted
from flightsw.ccsds.fop import Fop1, FopState, InitiationMode, Outcome, RequestResponse, TransmitFrame
from flightsw.ccsds.sdls import (
    KeyState,
    KeyStore,
    SaState,
    SdlsError,
    SdlsReceiver,
    SecurityAssociation,
    ServiceType,
    apply_security,
    process_security,
)
from flightsw.ccsds.tc_frame import TcFrame, segment_header, set_vr
from flightsw.errors import ConfigError, DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE

# NIST/McGrew-Viega GCM test case 16 key (AES-256); test cases 13, 14 and 16 below.
KEY = bytes.fromhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
SCID = DEFAULT_PROFILE.scid
VC = DEFAULT_PROFILE.tc.vc_commands
SPI = DEFAULT_PROFILE.sdls.spi


@pytest.mark.parametrize(
    ("key", "iv", "plaintext", "aad", "ciphertext", "tag"),
    [
        ("00" * 32, "00" * 12, "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
        ("00" * 32, "00" * 12, "00" * 16, "", "cea7403d4d606b6e074ec5d3baf39d18",
         "d0d1c8a799996bf0265b98b5d48ab919"),
        (KEY.hex(), "cafebabefacedbaddecaf888",
         "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
         "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
         "feedfacedeadbeeffeedfacedeadbeefabaddad2",
         "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
         "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
         "76fc6ece0f4e1768cddf8853bb2d551b"),
    ],
)
def test_gcm_reference_vectors(
    key: str, iv: str, plaintext: str, aad: str, ciphertext: str, tag: str
) -> None:
    aead = AESGCM(bytes.fromhex(key))
    sealed = aead.encrypt(bytes.fromhex(iv), bytes.fromhex(plaintext), bytes.fromhex(aad))
    assert sealed.hex() == ciphertext + tag


def make_pair(service: ServiceType = ServiceType.AUTHENTICATION, iv_fixed: bytes | None = None,
              ) -> tuple[SecurityAssociation, SdlsReceiver, SecurityAssociation]:
    """A sending SA and a receiver, each end with its own key store holding the same key."""
    ends = []
    for _ in range(2):
        keys = KeyStore()
        keys.add(7, KEY)
        keys.activate(7)
        sa = SecurityAssociation.from_profile(service=service)
        sa.rekey(keys, 7, iv_fixed)
        sa.start()
        ends.append(sa)
    return ends[0], SdlsReceiver([ends[1]]), ends[1]


def plain_frame(payload: bytes = b"hello", seq: int = 7) -> TcFrame:
    return TcFrame(SCID, VC, seq, segment_header(0) + payload)


# ---- framing, checked against hand-built bytes ---------------------------------------------------------

@pytest.mark.parametrize("service", list(ServiceType))
def test_hand_built_frame(service: ServiceType) -> None:
    sender, _, _ = make_pair(service, iv_fixed=bytes.fromhex("cafebabefacedbad"))
    secured = apply_security(plain_frame(), sender)
    assert isinstance(secured, TcFrame)
    # Built by hand: 5 + 1 + (2 + 12 + 4) + 5 + 16 + FECF 2 = 47 octets, length field 46 = 0x2E.
    primary = bytes([0x00, SCID, (VC << 2) | 0x00, 0x2E, 0x07])
    seg = bytes([0xC0])  # unsegmented, MAP 0
    iv = bytes.fromhex("cafebabefacedbad00000001")
    sec_header = bytes([0x00, 0x01]) + iv + bytes.fromhex("00000001")
    aead = AESGCM(KEY)
    if service is ServiceType.AUTHENTICATION:
        mac = aead.encrypt(iv, b"", primary + seg + sec_header + b"hello")
        expected = seg + sec_header + b"hello" + mac
    else:
        sealed = aead.encrypt(iv, b"hello", primary + seg + sec_header)
        expected = seg + sec_header + sealed
    assert secured.data == expected
    assert secured.encode()[:5] == primary


@pytest.mark.parametrize("service", list(ServiceType))
def test_round_trip_frames_and_bytes(service: ServiceType) -> None:
    sender, receiver, receiving_sa = make_pair(service)
    for i in range(5):
        payload = b"telecommand %d" % i
        original = plain_frame(payload, seq=i)
        secured = apply_security(original, sender)
        assert isinstance(secured, TcFrame)
        carried = secured.data[1 + sender.header_length: -sender.mac_length]
        assert len(carried) == len(payload)
        assert (carried == payload) == (service is ServiceType.AUTHENTICATION)
        # over the wire with an FECF, then back
        wire = TcFrame.decode(secured.encode())
        assert process_security(wire, receiver) == original
    raw = apply_security(plain_frame(b"as bytes").encode(fecf=False), sender)
    assert isinstance(raw, bytes)
    assert process_security(raw, receiver) == plain_frame(b"as bytes").encode(fecf=False)
    assert receiver.accepted == 6 and not receiver.rejections
    assert sender.arsn == receiving_sa.arsn == 6


def test_control_command_frames_have_no_segment_header() -> None:
    sender, receiver, _ = make_pair()
    bc = TcFrame(SCID, VC, 0, set_vr(9), bypass=True, control_command=True)
    secured = apply_security(bc, sender)
    assert isinstance(secured, TcFrame)
    assert secured.data[:2] == SPI.to_bytes(2, "big")
    assert process_security(secured, receiver) == bc


def test_ivs_never_repeat() -> None:
    sender, _, _ = make_pair()
    ivs = set()
    for _ in range(200):
        secured = apply_security(plain_frame(), sender)
        assert isinstance(secured, TcFrame)
        ivs.add(secured.data[3:15])
    assert len(ivs) == 200


# ---- rejections, each with its reason and counter ------------------------------------------------------

def expect_reject(receiver: SdlsReceiver, frame: TcFrame | bytes, reason: str) -> None:
    before = receiver.rejections[reason]
    with pytest.raises(SdlsError if reason != "wrong_version" else DecodeError) as info:
        process_security(frame, receiver)
    assert info.value.reason == reason
    assert receiver.rejections[reason] == before + 1


@pytest.mark.parametrize("service", list(ServiceType))
def test_bad_mac_anywhere(service: ServiceType) -> None:
    sender, receiver, receiving_sa = make_pair(service)
    secured = apply_security(plain_frame(b"payload!"), sender)
    assert isinstance(secured, TcFrame)
    raw = secured.encode(fecf=False)
    # Flip one bit in: primary header (sequence number), segment header, IV, data, MAC.
    for index in (4, 5, 10, 26, len(raw) - 1):
        tampered = bytearray(raw)
        tampered[index] ^= 0x01
        expect_reject(receiver, bytes(tampered), "bad_iv" if 8 <= index < 20 else "bad_mac")
    # A frame with another sequence number in the header (the MAC covers the whole primary header).
    moved = TcFrame(SCID, VC, 99, secured.data)
    expect_reject(receiver, moved, "bad_mac")
    assert receiving_sa.arsn == 0  # nothing authenticated, the window did not move
    assert process_security(secured, receiver) == plain_frame(b"payload!")
    assert receiver.rejections["bad_mac"] == 5


def test_replay_and_old_frames() -> None:
    sender, receiver, _ = make_pair()
    first = apply_security(plain_frame(b"one"), sender)
    second = apply_security(plain_frame(b"two"), sender)
    third = apply_security(plain_frame(b"three"), sender)
    process_security(first, receiver)
    process_security(third, receiver)  # a gap is fine: inside the window above the last accepted
    expect_reject(receiver, third, "replay")
    expect_reject(receiver, second, "replay")  # older than the last accepted
    expect_reject(receiver, first, "replay")
    assert receiver.rejections["replay"] == 3 and receiver.accepted == 2


def test_out_of_window() -> None:
    sender, receiver, receiving_sa = make_pair()
    sender.arsn = receiving_sa.arsn_window + 5
    expect_reject(receiver, apply_security(plain_frame(), sender), "out_of_window")


def test_unknown_spi() -> None:
    sender, receiver, _ = make_pair()
    secured = apply_security(plain_frame(), sender)
    assert isinstance(secured, TcFrame)
    forged = TcFrame(SCID, VC, 7, secured.data[:1] + b"\x00\x63" + secured.data[3:])
    expect_reject(receiver, forged, "unknown_spi")


@pytest.mark.parametrize("keep", [1, 2, 3, 19, 34])
def test_truncated(keep: int) -> None:
    sender, receiver, _ = make_pair()
    secured = apply_security(plain_frame(b"x"), sender)
    assert isinstance(secured, TcFrame)
    expect_reject(receiver, TcFrame(SCID, VC, 7, secured.data[:keep]), "truncated")


def test_sa_not_operational_both_ends() -> None:
    sender, receiver, receiving_sa = make_pair()
    secured = apply_security(plain_frame(), sender)
    receiving_sa.stop()
    expect_reject(receiver, secured, "sa_not_operational")
    receiving_sa.start()
    process_security(secured, receiver)
    sender.stop()
    with pytest.raises(EncodeError) as info:
        apply_security(plain_frame(), sender)
    assert info.value.reason == "sa_not_operational"


def test_sequence_number_wrap() -> None:
    sender, receiver, receiving_sa = make_pair()
    top = sender.max_arsn
    assert top == 2**32 - 1  # 4-octet ARSN of the profile
    sender.arsn = top - 1
    receiving_sa.arsn = top - 10
    last = apply_security(plain_frame(b"last"), sender)
    process_security(last, receiver)
    with pytest.raises(EncodeError) as info:
        apply_security(plain_frame(b"one too many"), sender)
    assert info.value.reason == "sequence_number_wrap"
    assert sender.arsn == top  # the refused frame consumed nothing
    # A sender that wrapped anyway reuses ARSN (and IV) values: the receiver refuses them.
    sender.arsn = 0
    expect_reject(receiver, apply_security(plain_frame(b"wrapped"), sender), "sequence_number_wrap")


def test_rekey_resets_and_refuses_key_reuse() -> None:
    keys = KeyStore()
    keys.add(1, KEY)
    keys.add(2, bytes(range(32)))
    sa = SecurityAssociation.from_profile()
    with pytest.raises(ConfigError) as info:
        sa.rekey(keys, 1)
    assert info.value.reason == "bad_key_state"  # pre-active keys cannot be used
    keys.activate(1)
    keys.activate(2)
    sa.rekey(keys, 1)
    sa.start()
    apply_security(plain_frame(), sender := sa)
    assert sender.arsn == 1
    with pytest.raises(ConfigError):
        sa.rekey(keys, 2)  # operational: stop first
    sa.stop()
    with pytest.raises(ConfigError) as info:
        sa.rekey(keys, 1)
    assert info.value.reason == "key_reuse"  # same key, same IV fixed part: IVs would repeat
    sa.rekey(keys, 2)
    assert sa.arsn == 0 and sa.state is SaState.KEYED and sa.key_id == 2
    keys.destroy(1)
    assert keys.state(1) is KeyState.DESTROYED
    sa.expire()
    with pytest.raises(EncodeError):
        apply_security(plain_frame(), sa)


def test_config_errors() -> None:
    keys = KeyStore()
    with pytest.raises(ConfigError):
        keys.add(1, b"short")
    with pytest.raises(ConfigError):
        SecurityAssociation(spi=1 << 16, vcid=0)
    with pytest.raises(ConfigError):
        SecurityAssociation(spi=1, vcid=0, mac_length=8)
    receiver = SdlsReceiver([SecurityAssociation(spi=1, vcid=0)])
    with pytest.raises(ConfigError):
        receiver.add(SecurityAssociation(spi=1, vcid=0))


def test_frame_too_long_for_security() -> None:
    sender, _, _ = make_pair()
    room = DEFAULT_PROFILE.tc.max_frame_length - 5 - 2 - 1 - sender.header_length - sender.mac_length
    apply_security(plain_frame(bytes(room)), sender)
    with pytest.raises(EncodeError) as info:
        apply_security(plain_frame(bytes(room + 1)), sender)
    assert info.value.reason == "too_long"


@settings(max_examples=300)
@given(st.binary(max_size=80))
def test_any_bytes_give_decode_errors_only(raw: bytes) -> None:
    _, receiver, _ = make_pair()
    try:
        process_security(raw, receiver)
    except DecodeError as exc:
        assert receiver.rejections[exc.reason] == 1
    else:
        raise AssertionError("random bytes authenticated")


# ---- SDLS inside the COP-1 loop ------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(6))
def test_cop1_over_sdls_with_losses(seed: int) -> None:
    """Security is applied per transmission, so go-back-N retransmissions pass the anti-replay check."""
    rng = random.Random(seed)
    sender, receiver, _ = make_pair(ServiceType.AUTHENTICATED_ENCRYPTION)
    fop = Fop1(t1_initial=0.5, transmission_limit=40)
    farm = Farm1(initial_vr=rng.randrange(256))
    delivered: list[bytes] = []
    confirmed: set[int] = set()
    now = 0.0

    def handle(events: Sequence[object]) -> None:
        for event in events:
            if isinstance(event, TransmitFrame):
                wire = apply_security(event.frame, sender)
                assert isinstance(wire, TcFrame)
                if rng.random() < 0.2:
                    continue
                if rng.random() < 0.05:  # tampered with, and a valid FECF recomputed over the change
                    wire = TcFrame(wire.scid, wire.vcid, wire.sequence_number, wire.data[:-1] + b"\x00")
                raw = wire.encode()
                try:
                    plain = process_security(TcFrame.decode(raw), receiver)
                except DecodeError:
                    continue
                assert isinstance(plain, TcFrame)
                for farm_event in farm.receive(plain):
                    if isinstance(farm_event, FrameAccepted):
                        delivered.append(farm_event.data)
            elif isinstance(event, RequestResponse):
                assert event.outcome is not Outcome.REJECT
                assert event.outcome is not Outcome.NEGATIVE_CONFIRM
                if event.outcome is Outcome.POSITIVE_CONFIRM:
                    confirmed.add(event.request_id)

    handle(fop.initiate_ad(InitiationMode.WITH_SET_VR, now, vr=250))
    payloads = [segment_header(0) + i.to_bytes(2, "big") for i in range(40)]
    queue = list(enumerate(payloads))
    for _ in range(20000):
        if len(confirmed) == len(payloads):
            break
        now += 0.05
        if queue and fop.can_accept_ad:
            rid, data = queue.pop(0)
            handle(fop.request_transmit(data, now, request_id=rid))
        if rng.random() > 0.3:
            handle(fop.receive_clcw(Clcw.decode(farm.clcw().encode()), now))
        handle(fop.tick(now))
    assert fop.state is FopState.ACTIVE
    assert delivered == payloads
    assert receiver.rejections["bad_mac"] > 0
    assert receiver.accepted >= len(payloads) + 1


@pytest.mark.parametrize("service", list(ServiceType))
def test_every_single_bit_flip_is_refused(service: ServiceType) -> None:
    sender, receiver, receiving_sa = make_pair(service)
    raw = apply_security(plain_frame(b"flip me").encode(fecf=False), sender)
    assert isinstance(raw, bytes)
    for bit in range(8 * len(raw)):
        tampered = bytearray(raw)
        tampered[bit // 8] ^= 0x80 >> (bit % 8)
        with pytest.raises(DecodeError):
            process_security(bytes(tampered), receiver)
    assert receiving_sa.arsn == 0 and receiver.accepted == 0
    assert sum(receiver.rejections.values()) == 8 * len(raw)
    assert process_security(raw, receiver) == plain_frame(b"flip me").encode(fecf=False)
