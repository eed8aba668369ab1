"""Space Data Link Security (CCSDS 355.0-B-2) on TC transfer frames, with AES-GCM-256.

Frame layout (232.0-B-4 §4.1, 355.0-B-2 §4.1): the Security Header follows the segment header
when one is present (Type-AD/BD frames of a MAP channel), otherwise the primary header; the Security Trailer
ends the frame data field, before the FECF::

    primary header (5) | segment header (1) | SPI (2) | IV (12) | ARSN (4) | data | MAC (16) | FECF (2)

Authentication covers the primary header, the segment header, the security header and the data
(355.0-B-2 §2.3). With AES-GCM that is the additional authenticated data (AAD) of a GCM operation:
authentication only puts the data in the AAD too (GMAC), authenticated encryption encrypts the data and
authenticates the headers. The IV is the SA's fixed field followed by the anti-replay sequence number (ARSN),
so it never repeats under one key: the ARSN only grows, refuses to wrap, and a key binds to one SA once.

Security is applied per transmission, below FOP-1: a go-back-N retransmission is a new frame with a new ARSN,
so the receiver's window "above the last accepted ARSN" never rejects a legitimate retransmission.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from flightsw.ccsds.tc_frame import (
    FECF_LENGTH,
    PRIMARY_HEADER_LENGTH,
    SEGMENT_HEADER_LENGTH,
    TcFrame,
)
from flightsw.errors import ConfigError, DecodeError, EncodeError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile

SPI_LENGTH = 2  # 355.0-B-2 §4.1


class SdlsError(DecodeError):
    """A secured frame refused by the receiving end; ``reason`` names why."""


class ServiceType(Enum):
    AUTHENTICATION = "authentication"
    AUTHENTICATED_ENCRYPTION = "authenticated_encryption"


class KeyState(Enum):
    """Key life cycle (after CCSDS 355.1, simplified): only an active key may be bound to an SA."""

    PRE_ACTIVE = "pre_active"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    DESTROYED = "destroyed"


class SaState(Enum):
    """Security association states (after CCSDS 355.1): Unkeyed → Keyed → Operational."""

    UNKEYED = "unkeyed"
    KEYED = "keyed"
    OPERATIONAL = "operational"


@dataclass
class _Key:
    material: bytearray
    state: KeyState
    owner: int | None = None  # SPI of the SA the key was bound to, once


class KeyStore:
    """Keys by key id; each key can be bound to at most one SA, once, so IVs cannot repeat under it."""

    def __init__(self, key_bits: int = DEFAULT_PROFILE.sdls.key_bits) -> None:
        self.key_length = key_bits // 8
        self._keys: dict[int, _Key] = {}

    def add(self, key_id: int, material: bytes, state: KeyState = KeyState.PRE_ACTIVE) -> None:
        if key_id in self._keys:
            raise ConfigError("duplicate_key", f"key id {key_id}")
        if len(material) != self.key_length:
            raise ConfigError("bad_key_length", f"{len(material)} octets, AES-GCM needs {self.key_length}")
        self._keys[key_id] = _Key(bytearray(material), state)

    def state(self, key_id: int) -> KeyState:
        return self._get(key_id).state

    def activate(self, key_id: int) -> None:
        key = self._get(key_id)
        if key.state is not KeyState.PRE_ACTIVE:
            raise ConfigError("bad_key_state", f"key {key_id} is {key.state.value}")
        key.state = KeyState.ACTIVE

    def deactivate(self, key_id: int) -> None:
        key = self._get(key_id)
        if key.state is KeyState.DESTROYED:
            raise ConfigError("bad_key_state", f"key {key_id} is destroyed")
        key.state = KeyState.DEACTIVATED

    def destroy(self, key_id: int) -> None:
        key = self._get(key_id)
        for i in range(len(key.material)):
            key.material[i] = 0
        key.state = KeyState.DESTROYED

    def bind(self, key_id: int, spi: int) -> bytes:
        """The key material for SA ``spi``; refused unless the key is active and was never bound before."""
        key = self._get(key_id)
        if key.state is not KeyState.ACTIVE:
            raise ConfigError("bad_key_state", f"key {key_id} is {key.state.value}")
        if key.owner is not None:
            raise ConfigError("key_reuse", f"key {key_id} was already bound to SPI {key.owner}")
        key.owner = spi
        return bytes(key.material)

    def _get(self, key_id: int) -> _Key:
        try:
            return self._keys[key_id]
        except KeyError:
            raise ConfigError("unknown_key", f"key id {key_id}") from None


@dataclass
class SecurityAssociation:
    """One SA (355.0-B-2 §3): SPI, channel, service, sizes and the ARSN state of one end."""

    spi: int
    vcid: int
    service: ServiceType = ServiceType.AUTHENTICATION
    scid: int = DEFAULT_PROFILE.scid
    iv_length: int = DEFAULT_PROFILE.sdls.iv_length
    sequence_number_length: int = DEFAULT_PROFILE.sdls.sequence_number_length
    mac_length: int = DEFAULT_PROFILE.sdls.mac_length
    segment_header: bool = DEFAULT_PROFILE.tc.segment_header
    arsn_window: int = 1024  # receiving end: how far above the last accepted ARSN a frame may be
    max_frame_length: int = DEFAULT_PROFILE.tc.max_frame_length
    state: SaState = SaState.UNKEYED
    key_id: int | None = None
    iv_fixed: bytes = b""
    arsn: int = 0  # sending end: last ARSN used; receiving end: last ARSN accepted
    _cipher: AESGCM | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.spi < 1 << (8 * SPI_LENGTH):
            raise ConfigError("bad_spi", f"SPI {self.spi}")
        if not 1 <= self.sequence_number_length < self.iv_length:
            raise ConfigError("bad_sdls_sizes", "the ARSN is the counting tail of the IV")
        if self.iv_length != 12 or self.mac_length != 16:
            # GCM with a 96-bit IV (NIST SP 800-38D §8.2.1) and its full 128-bit tag.
            raise ConfigError("bad_sdls_sizes", f"IV {self.iv_length}, MAC {self.mac_length}: need 12, 16")
        if self.arsn_window < 1:
            raise ConfigError("bad_arsn_window", str(self.arsn_window))

    @classmethod
    def from_profile(cls, profile: LinkProfile = DEFAULT_PROFILE, **overrides: object) -> SecurityAssociation:
        sdls = profile.sdls
        args: dict[str, object] = {
            "spi": sdls.spi,
            "vcid": profile.tc.vc_commands,
            "scid": profile.scid,
            "service": ServiceType.AUTHENTICATED_ENCRYPTION if sdls.encrypt else ServiceType.AUTHENTICATION,
            "iv_length": sdls.iv_length,
            "sequence_number_length": sdls.sequence_number_length,
            "mac_length": sdls.mac_length,
            "segment_header": profile.tc.segment_header,
            "max_frame_length": profile.tc.max_frame_length,
        }
        args.update(overrides)
        return cls(**args)  # type: ignore[arg-type]

    @property
    def header_length(self) -> int:
        return SPI_LENGTH + self.iv_length + self.sequence_number_length

    @property
    def max_arsn(self) -> int:
        return (1 << (8 * self.sequence_number_length)) - 1

    def rekey(self, keys: KeyStore, key_id: int, iv_fixed: bytes | None = None) -> None:
        """Bind a fresh key (355.1 "Rekey SA"): Unkeyed/Keyed → Keyed, ARSN back to zero."""
        if self.state is SaState.OPERATIONAL:
            raise ConfigError("sa_operational", "stop the SA before rekeying it")
        fixed_length = self.iv_length - self.sequence_number_length
        if iv_fixed is None:
            iv_fixed = self.spi.to_bytes(SPI_LENGTH, "big").rjust(fixed_length, b"\0")
        if len(iv_fixed) != fixed_length:
            raise ConfigError("bad_iv_fixed", f"{len(iv_fixed)} octets, expected {fixed_length}")
        self._cipher = AESGCM(keys.bind(key_id, self.spi))
        self.key_id = key_id
        self.iv_fixed = bytes(iv_fixed)
        self.arsn = 0
        self.state = SaState.KEYED

    def start(self) -> None:
        if self.state is not SaState.KEYED:
            raise ConfigError("bad_sa_state", f"start needs a keyed SA, it is {self.state.value}")
        self.state = SaState.OPERATIONAL

    def stop(self) -> None:
        if self.state is SaState.OPERATIONAL:
            self.state = SaState.KEYED

    def expire(self) -> None:
        """Forget the key (355.1 "Expire SA"): back to Unkeyed."""
        self.state = SaState.UNKEYED
        self._cipher = None
        self.key_id = None

    def iv_for(self, arsn: int) -> bytes:
        return self.iv_fixed + arsn.to_bytes(self.sequence_number_length, "big")

    def cipher(self) -> AESGCM:
        if self._cipher is None:
            raise ConfigError("sa_not_keyed", f"SPI {self.spi}")
        return self._cipher


def _segment_length(sa: SecurityAssociation, frame: TcFrame) -> int:
    # Type-BC frames carry a control command and no segment header (232.0-B-4 §4.1).
    return SEGMENT_HEADER_LENGTH if sa.segment_header and not frame.control_command else 0


def _primary_header(frame: TcFrame, data_length: int, fecf: bool) -> bytes:
    shell = TcFrame(frame.scid, frame.vcid, frame.sequence_number, bytes(data_length), frame.bypass,
                    frame.control_command, frame.version)
    return shell.encode(fecf=fecf)[:PRIMARY_HEADER_LENGTH]


def apply_security(
    frame: TcFrame | bytes, sa: SecurityAssociation, *, fecf: bool = DEFAULT_PROFILE.tc.fecf_present
) -> TcFrame | bytes:
    """The secured version of ``frame`` (a TcFrame, or its encoding without FECF), with the next ARSN.

    ``fecf`` says whether the secured frame will carry an FECF: it counts in the frame length field, which
    the MAC covers. Raises :class:`EncodeError` when the SA is not operational, when the ARSN would wrap
    (the SA must be rekeyed) or when the secured frame would not fit.
    """
    plain = frame if isinstance(frame, TcFrame) else TcFrame.decode(frame, fecf=False)
    if sa.state is not SaState.OPERATIONAL:
        raise EncodeError("sa_not_operational", f"SPI {sa.spi} is {sa.state.value}")
    if (plain.scid, plain.vcid) != (sa.scid, sa.vcid):
        raise EncodeError("wrong_channel", f"SPI {sa.spi} protects SCID {sa.scid} VC {sa.vcid}")
    if sa.arsn >= sa.max_arsn:
        raise EncodeError("sequence_number_wrap", f"SPI {sa.spi}: ARSN exhausted, rekey the SA")
    seg = _segment_length(sa, plain)
    if len(plain.data) < seg:
        raise EncodeError("truncated", "no segment header in the frame data field")
    data_length = len(plain.data) + sa.header_length + sa.mac_length
    total = PRIMARY_HEADER_LENGTH + data_length + (FECF_LENGTH if fecf else 0)
    if total > sa.max_frame_length:
        raise EncodeError("too_long", f"the secured frame would be {total} > {sa.max_frame_length} octets")
    arsn = sa.arsn + 1
    iv = sa.iv_for(arsn)
    # The IV field carries the whole IV; the ARSN field repeats its counting tail (355.0-B-2 §4.1).
    security_header = (
        sa.spi.to_bytes(SPI_LENGTH, "big") + iv + arsn.to_bytes(sa.sequence_number_length, "big")
    )
    head = _primary_header(plain, data_length, fecf) + plain.data[:seg] + security_header
    payload = plain.data[seg:]
    cipher = sa.cipher()
    if sa.service is ServiceType.AUTHENTICATED_ENCRYPTION:
        sealed = cipher.encrypt(iv, payload, head)
        body, mac = sealed[: len(payload)], sealed[len(payload):]
    else:
        body, mac = payload, cipher.encrypt(iv, b"", head + payload)
    sa.arsn = arsn
    secured = TcFrame(plain.scid, plain.vcid, plain.sequence_number,
                      plain.data[:seg] + security_header + body + mac,
                      plain.bypass, plain.control_command, plain.version)
    return secured if isinstance(frame, TcFrame) else secured.encode(fecf=False)


class SdlsReceiver:
    """The receiving end: SAs by SPI, ARSN windows, and a count of every rejection by reason."""

    def __init__(
        self,
        associations: list[SecurityAssociation] | None = None,
        *,
        fecf: bool = DEFAULT_PROFILE.tc.fecf_present,
        segment_header: bool = DEFAULT_PROFILE.tc.segment_header,
    ) -> None:
        self.associations: dict[int, SecurityAssociation] = {}
        self.fecf = fecf
        self.segment_header = segment_header
        self.rejections: Counter[str] = Counter()
        self.accepted = 0
        for sa in associations or []:
            self.add(sa)

    def add(self, sa: SecurityAssociation) -> None:
        if sa.spi in self.associations:
            raise ConfigError("duplicate_spi", f"SPI {sa.spi}")
        if sa.segment_header != self.segment_header:
            raise ConfigError("segment_header_mismatch", f"SPI {sa.spi}")
        self.associations[sa.spi] = sa

    def process(self, frame: TcFrame | bytes) -> TcFrame | bytes:
        try:
            plain = self._process(frame)
        except DecodeError as exc:
            self.rejections[exc.reason] += 1
            raise
        self.accepted += 1
        return plain

    def _process(self, frame: TcFrame | bytes) -> TcFrame | bytes:
        secured = frame if isinstance(frame, TcFrame) else TcFrame.decode(frame, fecf=False)
        data = bytes(secured.data)
        seg = SEGMENT_HEADER_LENGTH if self.segment_header and not secured.control_command else 0
        if len(data) < seg + SPI_LENGTH:
            raise SdlsError("truncated", "no room for the security header")
        spi = int.from_bytes(data[seg:seg + SPI_LENGTH], "big")
        sa = self.associations.get(spi)
        if sa is None:
            raise SdlsError("unknown_spi", f"SPI {spi}", PRIMARY_HEADER_LENGTH + seg)
        if sa.state is not SaState.OPERATIONAL:
            raise SdlsError("sa_not_operational", f"SPI {spi} is {sa.state.value}")
        if (secured.scid, secured.vcid) != (sa.scid, sa.vcid):
            raise SdlsError("wrong_channel", f"SPI {spi} protects SCID {sa.scid} VC {sa.vcid}")
        header_end = seg + sa.header_length
        if len(data) < header_end + sa.mac_length:
            raise SdlsError("truncated", f"{len(data)} octets cannot hold the security header and MAC")
        iv = data[seg + SPI_LENGTH: seg + SPI_LENGTH + sa.iv_length]
        arsn = int.from_bytes(data[seg + SPI_LENGTH + sa.iv_length: header_end], "big")
        self._check_arsn(sa, arsn)
        if iv != sa.iv_for(arsn):
            raise SdlsError("bad_iv", "the IV does not carry the ARSN of the frame")
        head = _primary_header(secured, len(data), self.fecf) + data[:header_end]
        body, mac = data[header_end: len(data) - sa.mac_length], data[len(data) - sa.mac_length:]
        cipher = sa.cipher()
        try:
            if sa.service is ServiceType.AUTHENTICATED_ENCRYPTION:
                payload = cipher.decrypt(iv, body + mac, head)
            else:
                cipher.decrypt(iv, mac, head + body)
                payload = body
        except InvalidTag:
            raise SdlsError("bad_mac", f"SPI {spi}, ARSN {arsn}") from None
        sa.arsn = arsn  # only an authenticated frame moves the window
        plain = TcFrame(secured.scid, secured.vcid, secured.sequence_number, data[:seg] + payload,
                        secured.bypass, secured.control_command, secured.version)
        return plain if isinstance(frame, TcFrame) else plain.encode(fecf=False)

    @staticmethod
    def _check_arsn(sa: SecurityAssociation, arsn: int) -> None:
        if arsn > sa.arsn:
            if arsn - sa.arsn > sa.arsn_window:
                raise SdlsError("out_of_window", f"ARSN {arsn} more than {sa.arsn_window} above {sa.arsn}")
            return
        if sa.arsn > sa.max_arsn - sa.arsn_window and arsn < sa.arsn_window:
            # The sender wrapped its counter: values below were used under this key (355.0-B-2 §4.2).
            raise SdlsError("sequence_number_wrap", f"ARSN {arsn} after {sa.arsn}: the SA must be rekeyed")
        raise SdlsError("replay", f"ARSN {arsn} not above the last accepted {sa.arsn}")


def process_security(frame: TcFrame | bytes, receiver: SdlsReceiver) -> TcFrame | bytes:
    """The plain frame of a secured one; raises :class:`SdlsError` (counted by reason) when refused."""
    return receiver.process(frame)
