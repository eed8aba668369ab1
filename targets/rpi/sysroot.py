"""Build an arm64 Debian bookworm sysroot with Python 3.11 for running flightsw under qemu-aarch64.

The host's dpkg is never touched (no ``dpkg --add-architecture``): a private apt configuration with its own
state, cache and source lists, ``APT::Architecture=arm64`` and an empty dpkg status resolves the dependency
closure of the packages below (``apt-get install --download-only``), and every downloaded .deb is unpacked
with ``dpkg-deb -x`` into ``build/arm64/sysroot``. The sources are the host's Debian bookworm sources, so the
versions match what Raspberry Pi OS (bookworm) installs.

A manifest records the requested packages and the unpacked .deb files; a second run with the same request
does nothing, and a rebuild reuses the downloaded .debs. Standard library only: it runs before any venv.

    python3 targets/rpi/sysroot.py [--build-dir build/arm64] [--force]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BUILD_DIR = REPO / "build" / "arm64"
ARCHITECTURE = "arm64"
MANIFEST_NAME = "flightsw-sysroot.json"
MANIFEST_VERSION = 2

# What the flight software and its unit tests need on a Pi, as Debian packages; apt adds the runtime
# libraries (libc6, libffi8, libssl3, libexpat1, zlib1g, libbz2-1.0, liblzma5, libmpdec3, ...).
# libpython3.11-dev provides Python.h and the aarch64 pyconfig.h the cross-built extensions compile against.
PACKAGES: tuple[str, ...] = (
    "python3.11",
    "libpython3.11-dev",
    "python3-numpy",
    "python3-cffi-backend",
    "python3-serial",
    "python3-cryptography",
    "python3-crccheck",
    "python3-pytest",
    "python3-pytest-timeout",
    "python3-hypothesis",
    # Part of every Raspberry Pi OS image; the manylinux wheels of the test-only peers (scipy) link it.
    "libstdc++6",
)

HOST_SOURCE_FILES = (Path("/etc/apt/sources.list"),)
HOST_SOURCE_DIR = Path("/etc/apt/sources.list.d")


class SysrootError(RuntimeError):
    """The sysroot could not be built; the message says which step failed."""


def _log(message: str) -> None:
    print(f"sysroot-arm64: {message}", flush=True)


# ---------------------------------------------------------------------------------------------------------
# Sources: the host's Debian bookworm entries, in either format.


def _is_debian_bookworm(uris: Iterable[str], suites: Iterable[str]) -> bool:
    return any("debian" in u for u in uris) and any(s.startswith("bookworm") for s in suites)


def debian_sources(texts: Iterable[str]) -> list[str]:
    """The Debian bookworm ``deb`` entries of apt source files, as one-line entries.

    Accepts one-line ``.list`` files and deb822 ``.sources`` stanzas; third-party repositories (which may
    not carry arm64) and ``deb-src`` entries are left out.
    """
    entries: list[str] = []
    for text in texts:
        if re.search(r"^\s*Types\s*:", text, flags=re.M | re.I):
            entries.extend(_deb822_entries(text))
        else:
            entries.extend(_one_line_entries(text))
    return list(dict.fromkeys(entries))


def _one_line_entries(text: str) -> list[str]:
    entries = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        fields = line.split()[1:]
        options = ""
        if fields and fields[0].startswith("["):
            end = next(i for i, f in enumerate(fields) if f.endswith("]"))
            options = " ".join(fields[: end + 1])
            fields = fields[end + 1 :]
        if len(fields) < 3 or not _is_debian_bookworm([fields[0]], [fields[1]]):
            continue
        keyring = re.search(r"signed-by=(\S+?)\]?(\s|$)", options)
        prefix = f"[signed-by={keyring.group(1)}] " if keyring else ""
        entries.append(f"deb {prefix}{' '.join(fields)}")
    return entries


def _deb822_entries(text: str) -> list[str]:
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for raw in stanza.splitlines():
            if raw.lstrip().startswith("#") or ":" not in raw:
                continue
            key, value = raw.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        uris = fields.get("uris", "").split()
        suites = fields.get("suites", "").split()
        components = fields.get("components", "main")
        keyring = fields.get("signed-by", "")
        prefix = f"[signed-by={keyring}] " if keyring and "\n" not in keyring and " " not in keyring else ""
        for uri in uris:
            for suite in suites:
                if _is_debian_bookworm([uri], [suite]):
                    entries.append(f"deb {prefix}{uri} {suite} {components}")
    return entries


def host_source_texts() -> list[str]:
    paths = [p for p in HOST_SOURCE_FILES if p.is_file()]
    if HOST_SOURCE_DIR.is_dir():
        paths += sorted(
            p for p in HOST_SOURCE_DIR.iterdir() if p.suffix in (".list", ".sources") and p.is_file()
        )
    return [p.read_text(errors="replace") for p in paths]


# ---------------------------------------------------------------------------------------------------------
# The private apt configuration.


def apt_config(apt_dir: Path) -> str:
    """An apt.conf that keeps every piece of state under ``apt_dir`` and resolves for arm64 only.

    The empty dpkg status makes apt consider nothing installed, so the whole runtime closure is downloaded.
    """
    q = apt_dir.as_posix()
    sandbox = 'APT::Sandbox::User "root";\n' if os.geteuid() == 0 else ""
    return (
        f'Dir::State "{q}/state";\n'
        f'Dir::State::status "{q}/state/status";\n'
        f'Dir::Cache "{q}/cache";\n'
        f'Dir::Etc::SourceList "{q}/sources.list";\n'
        f'Dir::Etc::SourceParts "{q}/sources.list.d";\n'
        f'Dir::Etc::Preferences "{q}/preferences";\n'
        f'Dir::Etc::PreferencesParts "{q}/preferences.d";\n'
        f'Dir::Log "{q}/log";\n'
        f'APT::Architecture "{ARCHITECTURE}";\n'
        f'APT::Architectures {{ "{ARCHITECTURE}"; }};\n'
        'APT::Install-Recommends "false";\n'
        'APT::Install-Suggests "false";\n'
        'Debug::NoLocking "true";\n'
        'Acquire::Languages "none";\n'
        f"{sandbox}"
    )


def prepare_apt_dir(apt_dir: Path, sources: Sequence[str]) -> Path:
    for sub in ("state/lists/partial", "cache/archives/partial", "sources.list.d", "preferences.d", "log"):
        (apt_dir / sub).mkdir(parents=True, exist_ok=True)
    (apt_dir / "state" / "status").touch()
    (apt_dir / "sources.list").write_text("".join(f"{line}\n" for line in sources))
    config = apt_dir / "apt.conf"
    config.write_text(apt_config(apt_dir))
    return config


def _apt(config: Path, *args: str) -> str:
    env = {**os.environ, "APT_CONFIG": str(config), "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
    proc = subprocess.run(["apt-get", "-q", *args], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        step = " ".join(args[:2])
        raise SysrootError(f"apt-get {step} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return proc.stdout


# ---------------------------------------------------------------------------------------------------------
# Manifest and unpacking.


def manifest_path(sysroot: Path) -> Path:
    return sysroot / MANIFEST_NAME


def read_manifest(sysroot: Path) -> dict[str, object] | None:
    try:
        data = json.loads(manifest_path(sysroot).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_current(sysroot: Path, packages: Sequence[str]) -> bool:
    """True when ``sysroot`` was completely built for exactly ``packages``."""
    manifest = read_manifest(sysroot)
    return (
        manifest is not None
        and manifest.get("version") == MANIFEST_VERSION
        and manifest.get("architecture") == ARCHITECTURE
        and manifest.get("requested") == sorted(packages)
        and (sysroot / "usr" / "bin" / "python3.11").is_file()
    )


def deb_identity(deb: Path) -> tuple[str, str, str]:
    """(package, version, architecture) from a .deb's file name ``name_version_arch.deb``
    (apt escapes ``:`` in the version as ``%3a``)."""
    parts = deb.name.removesuffix(".deb").split("_")
    if len(parts) != 3:
        raise SysrootError(f"unexpected .deb file name: {deb.name}")
    name, version, arch = parts
    return name, version.replace("%3a", ":"), arch


def unpack(debs: Sequence[Path], sysroot: Path, packages: Sequence[str]) -> None:
    """Unpack into a fresh directory next to ``sysroot`` and move it into place, so an interrupted run
    never leaves a half-built sysroot that looks complete."""
    identities = [deb_identity(d) for d in debs]
    foreign = [f"{n}:{a}" for n, _, a in identities if a not in (ARCHITECTURE, "all")]
    if foreign:
        raise SysrootError(f"packages of another architecture were resolved: {', '.join(foreign)}")
    staging = sysroot.with_name(sysroot.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for deb in debs:
        proc = subprocess.run(["dpkg-deb", "-x", str(deb), str(staging)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SysrootError(f"dpkg-deb -x {deb.name} failed: {proc.stderr.strip()}")
    install_alternatives(staging, [_postinst(deb) for deb in debs])
    manifest = {
        "version": MANIFEST_VERSION,
        "architecture": ARCHITECTURE,
        "requested": sorted(packages),
        "packages": {name: {"version": version, "architecture": arch} for name, version, arch in identities},
    }
    manifest_path(staging).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    shutil.rmtree(sysroot, ignore_errors=True)
    staging.rename(sysroot)


def _postinst(deb: Path) -> str:
    proc = subprocess.run(["dpkg-deb", "-I", str(deb), "postinst"], capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else ""


def alternatives(scripts: Iterable[str]) -> dict[str, str]:
    """link -> target of the ``update-alternatives --install`` calls in maintainer scripts, the highest
    priority winning (what dpkg's automatic mode selects)."""
    best: dict[str, tuple[int, str]] = {}
    pattern = r"update-alternatives\s+--install\s+(/\S+)\s+\S+\s+(/\S+)\s+(\d+)"
    for script in scripts:
        for link, target, priority in re.findall(pattern, script.replace("\\\n", " ")):
            if link not in best or int(priority) > best[link][0]:
                best[link] = (int(priority), target)
    return {link: target for link, (_, target) in best.items()}


def install_alternatives(root: Path, scripts: Iterable[str]) -> None:
    """Maintainer scripts do not run under ``dpkg-deb -x``; create the alternatives symlinks they would
    (numpy finds ``libblas.so.3`` only through one), as relative links inside ``root``."""
    for link, target in alternatives(scripts).items():
        link_path = root / link.lstrip("/")
        target_path = root / target.lstrip("/")
        if link_path.exists() or link_path.is_symlink() or not target_path.exists():
            continue
        link_path.parent.mkdir(parents=True, exist_ok=True)
        link_path.symlink_to(os.path.relpath(target_path, link_path.parent))


def build(build_dir: Path, packages: Sequence[str] = PACKAGES, force: bool = False) -> Path:
    sysroot = build_dir / "sysroot"
    if not force and is_current(sysroot, packages):
        _log(f"up to date ({sysroot})")
        return sysroot
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            raise SysrootError(f"{tool} not found (a Debian host is needed)")
    sources = debian_sources(host_source_texts())
    if not sources:
        raise SysrootError("no Debian bookworm entry in the host's apt sources")
    started = time.monotonic()
    apt_dir = build_dir / "apt"
    config = prepare_apt_dir(apt_dir, sources)
    _log(f"apt-get update ({ARCHITECTURE}, {len(sources)} source(s))")
    _apt(config, "update")
    _log(f"resolving {len(packages)} packages and their dependencies")
    plan = parse_simulation(_apt(config, "install", "--simulate", "--no-install-recommends", *packages))
    if not plan:
        raise SysrootError("apt resolved nothing to install")
    _log(f"downloading what is not cached of {len(plan)} packages")
    _apt(config, "install", "--download-only", "--yes", "--no-install-recommends", *packages)
    archives = apt_dir / "cache" / "archives"
    debs = [archives / deb_file_name(*item) for item in plan]
    missing = [d.name for d in debs if not d.is_file()]
    if missing:
        raise SysrootError(f"apt did not download: {', '.join(missing)}")
    _log(f"unpacking {len(debs)} .deb files")
    unpack(debs, sysroot, packages)
    _log(f"built {sysroot} in {time.monotonic() - started:.0f} s")
    return sysroot


def parse_simulation(output: str) -> list[tuple[str, str, str]]:
    """(package, version, architecture) of every ``Inst`` line of ``apt-get --simulate install``:
    ``Inst libc6 (2.36-9+deb12u10 Debian:12.11/stable [arm64])``."""
    plan = []
    for match in re.finditer(r"^Inst (\S+) (?:\[[^]]*\] )?\((\S+) .*\[(\S+)\]\)", output, flags=re.M):
        name, version, arch = match.groups()
        plan.append((name.split(":")[0], version, arch))
    return plan


def deb_file_name(name: str, version: str, arch: str) -> str:
    """The file name apt gives a downloaded .deb (an epoch's ``:`` is escaped as ``%3a``)."""
    return f"{name}_{version.replace(':', '%3a')}_{arch}.deb"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    parser.add_argument("--force", action="store_true", help="rebuild even when the manifest is current")
    args = parser.parse_args(argv)
    try:
        build(args.build_dir.resolve(), force=args.force)
    except SysrootError as exc:
        print(f"sysroot-arm64: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
