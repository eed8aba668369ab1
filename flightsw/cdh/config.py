"""The flight configuration: a TOML file that ``flightsw fly --config`` reads. Every key is optional::

    [link]                      # overrides of the mission link profile (flightsw.profile), section by section
    baud = 115200
    [link.tm]
    randomise = false

    [flight]
    state_dir = "state"         # flight parameters and on-board storage; relative to this file
    adcs_rate_hz = 100          # rate groups of the scheduler (integers, Hz)
    control_rate_hz = 10
    housekeeping_rate_hz = 1
    sim_seed = 0                # seed of the simulated spacecraft (--sim)

    [sdls]
    key_file = "tc_key.hex"     # AES-256 key of TC VC0, 64 hex digits; SDLS is on when this is set

Relative paths are taken from the directory of the configuration file. Unknown keys are errors, so a typo
never silently leaves a default in force.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile, profile_from_dict

DEFAULT_STATE_DIR = Path("flightsw-state")


@dataclass(frozen=True)
class FlightConfig:
    profile: LinkProfile = DEFAULT_PROFILE
    state_dir: Path = DEFAULT_STATE_DIR
    adcs_rate_hz: int = 100
    control_rate_hz: int = 10
    housekeeping_rate_hz: int = 1
    sim_seed: int = 0
    sdls_key_file: Path | None = None
    source: str = "<defaults>"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("adcs_rate_hz", "control_rate_hz", "housekeeping_rate_hz"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
                raise ConfigError("bad_config", f"{self.source}: flight.{name} must be an integer 1..1000")
        if self.adcs_rate_hz % self.control_rate_hz or self.control_rate_hz % self.housekeeping_rate_hz:
            raise ConfigError("bad_config", f"{self.source}: each rate must divide the faster one "
                                            "(adcs_rate_hz, control_rate_hz, housekeeping_rate_hz)")

    def sdls_key(self) -> bytes | None:
        """The TC VC0 key from :attr:`sdls_key_file`, or None when SDLS is off."""
        if self.sdls_key_file is None:
            return None
        try:
            text = self.sdls_key_file.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("bad_config", f"sdls key file {self.sdls_key_file}: {exc}") from None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise ConfigError("bad_config", f"sdls key file {self.sdls_key_file}: not hex digits") from None
        expected = self.profile.sdls.key_bits // 8
        if len(key) != expected:
            raise ConfigError("bad_config", f"sdls key file {self.sdls_key_file}: {len(key)} octets, "
                                            f"expected {expected}")
        return key


_FLIGHT_KEYS = {"state_dir", "adcs_rate_hz", "control_rate_hz", "housekeeping_rate_hz", "sim_seed"}


def config_from_dict(data: dict[str, Any], base_dir: Path, source: str = "<config>") -> FlightConfig:
    unknown = set(data) - {"link", "flight", "sdls"}
    if unknown:
        raise ConfigError("bad_config", f"{source}: unknown section {sorted(unknown)[0]!r}")
    profile = profile_from_dict(data.get("link", {}))
    flight = data.get("flight", {})
    sdls = data.get("sdls", {})
    if not isinstance(flight, dict) or not isinstance(sdls, dict):
        raise ConfigError("bad_config", f"{source}: [flight] and [sdls] must be tables")
    unknown = (set(flight) - _FLIGHT_KEYS) | {f"sdls.{k}" for k in set(sdls) - {"key_file"}}
    if unknown:
        raise ConfigError("bad_config", f"{source}: unknown key {sorted(unknown)[0]!r}")
    config = FlightConfig(profile=profile, source=source)
    changes: dict[str, Any] = {k: v for k, v in flight.items() if k != "state_dir"}
    if "state_dir" in flight:
        if not isinstance(flight["state_dir"], str):
            raise ConfigError("bad_config", f"{source}: flight.state_dir must be a string")
        changes["state_dir"] = base_dir / flight["state_dir"]
    if "key_file" in sdls:
        if not isinstance(sdls["key_file"], str):
            raise ConfigError("bad_config", f"{source}: sdls.key_file must be a string")
        changes["sdls_key_file"] = base_dir / sdls["key_file"]
        changes["profile"] = replace(profile, sdls=replace(profile.sdls, enabled=True))
    return replace(config, **changes)


def load_config(path: str | Path) -> FlightConfig:
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError("bad_config", f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("bad_config", f"{path}: {exc}") from None
    return config_from_dict(data, path.parent, str(path))
