"""The mission link profile: the one definition of the facts that flight, ground, firmware and rig share.

Defaults are those of DESIGN.md ("Mission link profile"). A TOML file may override any field, section by
section (``[tm] frame_length = 512``); :func:`c_header` exports the profile for the C firmware so the numbers
are never copied by hand.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flightsw.errors import ConfigError


@dataclass(frozen=True)
class TmProfile:
    frame_length: int = 256  # octets, fixed for the mission (CCSDS 132.0-B-3 §4.1.1)
    ocf_present: bool = True  # carries the CLCW
    fecf_present: bool = True
    secondary_header: bool = False
    asm: bytes = bytes.fromhex("1ACFFC1D")  # CCSDS 131.0-B-4 §9.3
    randomise: bool = False  # switchable pseudo-randomiser (CCSDS 131.0-B-4 §10)
    vc_realtime: int = 0
    vc_playback: int = 1
    vc_idle: int = 7  # only-idle-data frames carrying the CLCW
    idle_frame_interval_s: float = 1.0  # at least one idle frame per this interval


@dataclass(frozen=True)
class TcProfile:
    max_frame_length: int = 1024  # octets (CCSDS 232.0-B-4 §4.1.2.7: at most 1024)
    segment_header: bool = True
    map_id: int = 0
    fecf_present: bool = True
    vc_commands: int = 0  # COP-1 Type-AD; Type-BD bypass accepted
    vc_simulation: int = 1  # sensor injection, refused unless started in simulation mode
    farm_window: int = 10  # FARM-1 sliding window width W (CCSDS 232.1-B-2 §6.1.8.2)
    cltu_start: bytes = bytes.fromhex("EB90")  # CCSDS 231.0-B-4 §5.2.2
    cltu_tail: bytes = bytes.fromhex("C5C5C5C5C5C5C579")  # CCSDS 231.0-B-4 §5.2.4
    cltu_fill: int = 0x55
    randomise: bool = False


@dataclass(frozen=True)
class SdlsProfile:
    enabled: bool = False  # on only when keys are configured
    spi: int = 1
    iv_length: int = 12
    sequence_number_length: int = 4
    mac_length: int = 16
    key_bits: int = 256  # AES-GCM-256
    encrypt: bool = False  # authentication only by default


@dataclass(frozen=True)
class Apids:
    cdh: int = 0x010
    adcs: int = 0x020
    simulation: int = 0x030
    idle: int = 0x7FF  # CCSDS 133.0-B-2 §4.1.3.3.4.4


@dataclass(frozen=True)
class PusProfile:
    packet_error_control: bool = True  # CRC-16/CCITT-FALSE on every PUS packet
    ground_id: int = 1  # source id of TCs, destination id of TMs
    # Acknowledgement flags of a TC: bit 0 (LSB) acceptance, 1 start, 2 progress, 3 (MSB) completion.
    ack_acceptance: int = 0b0001
    ack_start: int = 0b0010
    ack_progress: int = 0b0100
    ack_completion: int = 0b1000


@dataclass(frozen=True)
class TimeProfile:
    cuc_coarse_octets: int = 4
    cuc_fine_octets: int = 2
    cuc_pfield: int = 0x1E  # implicit in TM: level 1 (TAI epoch 1958-01-01), 4 coarse + 2 fine octets


@dataclass(frozen=True)
class LinkProfile:
    scid: int = 42
    baud: int = 115200
    tm: TmProfile = field(default_factory=TmProfile)
    tc: TcProfile = field(default_factory=TcProfile)
    sdls: SdlsProfile = field(default_factory=SdlsProfile)
    apids: Apids = field(default_factory=Apids)
    pus: PusProfile = field(default_factory=PusProfile)
    time: TimeProfile = field(default_factory=TimeProfile)

    def __post_init__(self) -> None:
        _check(0 <= self.scid < 1024, "scid", "must fit 10 bits (TM: 10, TC: 10)")
        _check(self.baud > 0, "baud", "must be positive")
        _check(self.tm.frame_length >= 16 and self.tm.frame_length <= 2048, "tm.frame_length", "16..2048")
        _check(16 <= self.tc.max_frame_length <= 1024, "tc.max_frame_length", "16..1024")
        for name in ("vc_realtime", "vc_playback", "vc_idle"):
            _check(0 <= getattr(self.tm, name) < 8, f"tm.{name}", "TM VCID is 3 bits")
        for name in ("vc_commands", "vc_simulation"):
            _check(0 <= getattr(self.tc, name) < 64, f"tc.{name}", "TC VCID is 6 bits")
        _check(0 < self.tc.farm_window < 255 and self.tc.farm_window % 2 == 0, "tc.farm_window",
               "even, 2..254 (CCSDS 232.1-B-2 §6.1.8.2)")
        for name in ("cdh", "adcs", "simulation", "idle"):
            _check(0 <= getattr(self.apids, name) <= 0x7FF, f"apids.{name}", "APID is 11 bits")


def _check(ok: bool, name: str, why: str) -> None:
    if not ok:
        raise ConfigError("bad_profile", f"{name}: {why}")


DEFAULT_PROFILE = LinkProfile()


def _coerce(value: Any, default: Any, name: str) -> Any:
    if isinstance(default, bytes):
        if not isinstance(value, str):
            raise ConfigError("bad_profile", f"{name}: expected a hex string")
        try:
            return bytes.fromhex(value)
        except ValueError as exc:
            raise ConfigError("bad_profile", f"{name}: {exc}") from None
    if isinstance(default, bool) and not isinstance(value, bool):
        raise ConfigError("bad_profile", f"{name}: expected true or false")
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not type(default):
        raise ConfigError("bad_profile", f"{name}: expected {type(default).__name__}")
    return value


def profile_from_dict(data: dict[str, Any], base: LinkProfile = DEFAULT_PROFILE) -> LinkProfile:
    """A profile with ``data`` (as parsed from TOML) overriding ``base``; unknown keys are errors."""
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in {f.name for f in dataclasses.fields(base)}:
            raise ConfigError("bad_profile", f"unknown key {key!r}")
        current = getattr(base, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError("bad_profile", f"[{key}] must be a table")
            sub: dict[str, Any] = {}
            names = {f.name for f in dataclasses.fields(current)}
            for k, v in value.items():
                if k not in names:
                    raise ConfigError("bad_profile", f"unknown key {key}.{k}")
                sub[k] = _coerce(v, getattr(current, k), f"{key}.{k}")
            changes[key] = dataclasses.replace(current, **sub)  # type: ignore[type-var]
        else:
            changes[key] = _coerce(value, current, key)
    return dataclasses.replace(base, **changes)


def load_profile(path: str | Path) -> LinkProfile:
    """Read a TOML profile file (only the overridden fields need be present)."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError("bad_profile", f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("bad_profile", f"{path}: {exc}") from None
    return profile_from_dict(data.get("link", data))


def c_header(profile: LinkProfile = DEFAULT_PROFILE) -> str:
    """The profile as C preprocessor constants (``FSW_TM_FRAME_LENGTH`` ...) for the firmware."""
    lines = [
        "/* Generated from flightsw/profile.py by `make generated` (flightsw profile --c-header).",
        "   Do not edit. */",
        "#ifndef FSW_LINK_PROFILE_H",
        "#define FSW_LINK_PROFILE_H",
        "",
    ]

    def emit(prefix: str, obj: Any) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            name = f"FSW_{prefix}{f.name.upper()}"
            if dataclasses.is_dataclass(value):
                emit(f"{f.name.upper()}_", value)
            elif isinstance(value, bool):
                lines.append(f"#define {name} {int(value)}")
            elif isinstance(value, bytes):
                lines.append(f"#define {name}_LENGTH {len(value)}u")
                lines.append(f"#define {name}_BYTES {{{', '.join(f'0x{b:02X}u' for b in value)}}}")
            elif isinstance(value, float):
                lines.append(f"#define {name} {value!r}")
            else:
                lines.append(f"#define {name} {value}u")

    emit("", profile)
    lines += ["", "#endif", ""]
    return "\n".join(lines)
