"""SDLS key files for the ground (CCSDS 355.0-B-2 security association on the TC command VC).

A key file is TOML, readable by its owner only (``chmod 600``)::

    # flightsw SDLS keys
    [[key]]
    spi = 1          # security parameter index of the association (the profile's by default)
    key_id = 1       # key identifier in the key store
    key = "000102...1f"   # hex; 32 octets for AES-GCM-256

The first ``[[key]]`` whose SPI is the profile's is used. A file that group or other users may read or
write (``mode & 0o077``) is refused before it is parsed: a leaked key lets anyone command the spacecraft.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from flightsw.ccsds.endpoints import ground_security
from flightsw.ccsds.sdls import SecurityAssociation
from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE, LinkProfile


@dataclass(frozen=True)
class SdlsKey:
    spi: int
    key_id: int
    key: bytes

    def __repr__(self) -> str:  # never print key material
        return f"SdlsKey(spi={self.spi}, key_id={self.key_id}, key=<{len(self.key)} octets>)"


def check_private(path: Path) -> None:
    """Refuse a key file that anyone but its owner may read or write."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ConfigError("key_file_unreadable", f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise ConfigError("key_file_not_regular", f"{path} is not a regular file")
    if mode & 0o077:
        raise ConfigError("key_file_too_open", f"{path} has mode {stat.S_IMODE(mode):04o}; other users may "
                          f"read it (run chmod 600 {path})")


def load_keys(path: str | Path, profile: LinkProfile = DEFAULT_PROFILE) -> list[SdlsKey]:
    """Every key of the file, checked for permissions, format and key length."""
    path = Path(path)
    check_private(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("key_file_unreadable", f"{path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("bad_key_file", f"{path}: {exc}") from None
    entries = data.get("key")
    if not isinstance(entries, list) or not entries:
        raise ConfigError("bad_key_file", f"{path}: no [[key]] table")
    keys: list[SdlsKey] = []
    expected = profile.sdls.key_bits // 8
    for index, entry in enumerate(entries):
        where = f"{path}: key {index + 1}"
        if not isinstance(entry, dict):
            raise ConfigError("bad_key_file", f"{where} is not a table")
        unknown = set(entry) - {"spi", "key_id", "key"}
        if unknown:
            raise ConfigError("bad_key_file", f"{where}: unknown field {sorted(unknown)[0]}")
        spi = entry.get("spi", profile.sdls.spi)
        key_id = entry.get("key_id", 1)
        text = entry.get("key")
        if not isinstance(spi, int) or not 1 <= spi <= 0xFFFE:  # 355.0-B-2 §4.1.1.2: 0 and 0xFFFF reserved
            raise ConfigError("bad_key_file", f"{where}: spi must be an integer 1..65534")
        if not isinstance(key_id, int) or key_id < 0:
            raise ConfigError("bad_key_file", f"{where}: key_id must be a non-negative integer")
        if not isinstance(text, str):
            raise ConfigError("bad_key_file", f"{where}: key must be a hex string")
        try:
            material = bytes.fromhex(text)
        except ValueError:
            raise ConfigError("bad_key_file", f"{where}: key is not hex") from None
        if len(material) != expected:
            raise ConfigError("bad_key_file", f"{where}: key of {len(material)} octets, AES-GCM-"
                              f"{profile.sdls.key_bits} needs {expected}")
        keys.append(SdlsKey(spi, key_id, material))
    return keys


def security_from_file(path: str | Path, profile: LinkProfile = DEFAULT_PROFILE) -> SecurityAssociation:
    """The ground's operational security association from the key file's entry for the profile's SPI (or
    its only entry, whose SPI then replaces the profile's)."""
    keys = load_keys(path, profile)
    chosen = next((k for k in keys if k.spi == profile.sdls.spi), keys[0] if len(keys) == 1 else None)
    if chosen is None:
        raise ConfigError("bad_key_file", f"{path}: no key for SPI {profile.sdls.spi}")
    if chosen.spi != profile.sdls.spi:
        profile = replace(profile, sdls=replace(profile.sdls, spi=chosen.spi))
    return ground_security(chosen.key, profile, key_id=chosen.key_id)
