"""The arm64 sysroot builder (targets/rpi/sysroot.py): source selection, the private apt configuration,
parsing apt's plan, alternatives, the manifest, and unpacking real .deb files built here with dpkg-deb."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.rpi.rpi_targets import load

sysroot = load("sysroot")

HOST_DEB822 = """\
Types: deb
# a snapshot mirror
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
"""

THIRD_PARTY = """\
Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
Architectures: amd64
"""


def test_debian_stanzas_become_one_line_entries_with_their_keyring() -> None:
    key = "/usr/share/keyrings/debian-archive-keyring.gpg"
    assert sysroot.debian_sources([HOST_DEB822, THIRD_PARTY]) == [
        f"deb [signed-by={key}] http://deb.debian.org/debian bookworm main",
        f"deb [signed-by={key}] http://deb.debian.org/debian bookworm-updates main",
        f"deb [signed-by={key}] http://deb.debian.org/debian-security bookworm-security main contrib",
    ]


def test_one_line_sources_keep_debian_bookworm_only() -> None:
    text = (
        "deb [arch=amd64 signed-by=/k.gpg] http://ftp.de.debian.org/debian bookworm main non-free-firmware\n"
        "# deb http://deb.debian.org/debian bookworm-backports main\n"
        "deb-src http://deb.debian.org/debian bookworm main\n"
        "deb http://deb.debian.org/debian bullseye main\n"
        "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"
    )
    assert sysroot.debian_sources([text]) == [
        "deb [signed-by=/k.gpg] http://ftp.de.debian.org/debian bookworm main non-free-firmware"
    ]


def test_disabled_stanza_is_left_out() -> None:
    disabled = HOST_DEB822.replace("Types: deb\n#", "Types: deb\nEnabled: no\n#", 1)
    assert sysroot.debian_sources([disabled]) == [
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://deb.debian.org/debian-security bookworm-security main contrib"
    ]


def test_apt_configuration_is_private_and_arm64(tmp_path: Path) -> None:
    config = sysroot.prepare_apt_dir(tmp_path / "apt", ["deb http://deb.debian.org/debian bookworm main"])
    text = config.read_text()
    assert 'APT::Architecture "arm64";' in text
    assert 'APT::Architectures { "arm64"; };' in text
    assert f'Dir::State::status "{tmp_path}/apt/state/status";' in text
    assert "/var/lib/dpkg" not in text and "/var/cache/apt" not in text
    assert (tmp_path / "apt" / "state" / "status").read_text() == ""  # nothing counts as installed
    sources = (tmp_path / "apt" / "sources.list").read_text()
    assert sources == "deb http://deb.debian.org/debian bookworm main\n"


def test_apt_configuration_is_what_apt_reads(tmp_path: Path) -> None:
    if shutil.which("apt-config") is None:
        pytest.skip("apt-config is not installed (not a Debian host)")
    config = sysroot.prepare_apt_dir(tmp_path / "apt", [])
    proc = subprocess.run(["apt-config", "dump"], env={**os.environ, "APT_CONFIG": str(config)},
                          capture_output=True, text=True, check=True)
    assert 'APT::Architecture "arm64";' in proc.stdout
    assert f'Dir::Cache "{tmp_path}/apt/cache";' in proc.stdout


def test_simulation_output_gives_the_plan() -> None:
    output = (
        "Reading package lists...\n"
        "The following NEW packages will be installed:\n"
        "  libc6 python3.11\n"
        "Inst gcc-12-base (12.2.0-14 Debian:12.11/stable [arm64])\n"
        "Inst libpython3.11-minimal (3.11.2-6+deb12u6 Debian-Security:12/stable-security [arm64])\n"
        "Inst tzdata (2025b-0+deb12u1 Debian:12.11/stable-updates [all])\n"
        "Inst python3-numpy [1:1.24.1-1] (1:1.24.2-1+deb12u1 Debian:12.11/stable [arm64])\n"
        "Conf gcc-12-base (12.2.0-14 Debian:12.11/stable [arm64])\n"
    )
    assert sysroot.parse_simulation(output) == [
        ("gcc-12-base", "12.2.0-14", "arm64"),
        ("libpython3.11-minimal", "3.11.2-6+deb12u6", "arm64"),
        ("tzdata", "2025b-0+deb12u1", "all"),
        ("python3-numpy", "1:1.24.2-1+deb12u1", "arm64"),
    ]


def test_deb_file_names_escape_the_epoch() -> None:
    name = sysroot.deb_file_name("python3-numpy", "1:1.24.2-1+deb12u1", "arm64")
    assert name == "python3-numpy_1%3a1.24.2-1+deb12u1_arm64.deb"
    assert sysroot.deb_identity(Path(name)) == ("python3-numpy", "1:1.24.2-1+deb12u1", "arm64")


BLAS_POSTINST = """\
#!/bin/sh
set -e
if [ "$1" = "configure" ]; then
update-alternatives --install /usr/lib/aarch64-linux-gnu/libblas.so.3 \\
                    libblas.so.3-aarch64-linux-gnu \\
                    /usr/lib/aarch64-linux-gnu/blas/libblas.so.3 10
fi
"""
OPENBLAS_POSTINST = (
    "update-alternatives --install /usr/lib/aarch64-linux-gnu/libblas.so.3 libblas.so.3-aarch64-linux-gnu "
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3 100\n"
)


def test_alternatives_follow_the_highest_priority() -> None:
    assert sysroot.alternatives([BLAS_POSTINST]) == {
        "/usr/lib/aarch64-linux-gnu/libblas.so.3": "/usr/lib/aarch64-linux-gnu/blas/libblas.so.3"
    }
    assert sysroot.alternatives([BLAS_POSTINST, OPENBLAS_POSTINST]) == {
        "/usr/lib/aarch64-linux-gnu/libblas.so.3": "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3"
    }


def test_alternatives_become_relative_links_inside_the_root(tmp_path: Path) -> None:
    target = tmp_path / "usr/lib/aarch64-linux-gnu/blas/libblas.so.3"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\x7fELF")
    missing_target = "update-alternatives --install /usr/bin/x x /no 5"
    sysroot.install_alternatives(tmp_path, [BLAS_POSTINST, missing_target])
    link = tmp_path / "usr/lib/aarch64-linux-gnu/libblas.so.3"
    assert os.readlink(link) == "blas/libblas.so.3"
    assert link.read_bytes() == b"\x7fELF"
    assert not (tmp_path / "usr/bin/x").exists()  # a target that is not there gets no dangling link


def _deb(tmp_path: Path, name: str, arch: str, files: dict[str, bytes]) -> Path:
    """A real .deb built with dpkg-deb."""
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed (not a Debian host)")
    tree = tmp_path / f"{name}-tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: 1.0-1\nArchitecture: {arch}\nMaintainer: test <t@example.org>\n"
        f"Description: test package\n"
    )
    for relative, content in files.items():
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).write_bytes(content)
    deb = tmp_path / sysroot.deb_file_name(name, "1.0-1", arch)
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(tree), str(deb)],
                   check=True, capture_output=True)
    return deb


def test_unpack_extracts_every_package_and_writes_the_manifest(tmp_path: Path) -> None:
    debs = [
        _deb(tmp_path, "python3.11", "arm64", {"usr/bin/python3.11": b"interpreter"}),
        _deb(tmp_path, "tzdata", "all", {"usr/share/zoneinfo/UTC": b"TZif"}),
    ]
    root = tmp_path / "sysroot"
    sysroot.unpack(debs, root, ["python3.11"])
    assert (root / "usr/bin/python3.11").read_bytes() == b"interpreter"
    assert (root / "usr/share/zoneinfo/UTC").read_bytes() == b"TZif"
    manifest = json.loads((root / sysroot.MANIFEST_NAME).read_text())
    assert manifest["packages"] == {
        "python3.11": {"version": "1.0-1", "architecture": "arm64"},
        "tzdata": {"version": "1.0-1", "architecture": "all"},
    }
    assert sysroot.is_current(root, ["python3.11"])
    assert not sysroot.is_current(root, ["python3.11", "python3-numpy"])  # a new request rebuilds
    assert not (tmp_path / "sysroot.partial").exists()


def test_a_package_of_another_architecture_is_refused(tmp_path: Path) -> None:
    debs = [_deb(tmp_path, "libc6", "amd64", {"lib/x86_64-linux-gnu/libc.so.6": b"x86"})]
    root = tmp_path / "sysroot"
    with pytest.raises(sysroot.SysrootError, match="libc6:amd64"):
        sysroot.unpack(debs, root, ["libc6"])
    assert not root.exists()
    assert not (tmp_path / "sysroot.partial").exists()


def test_incomplete_sysroot_is_not_current(tmp_path: Path) -> None:
    root = tmp_path / "sysroot"
    root.mkdir()
    manifest = {"version": sysroot.MANIFEST_VERSION, "architecture": "arm64", "requested": ["python3.11"]}
    (root / sysroot.MANIFEST_NAME).write_text(json.dumps(manifest))
    assert not sysroot.is_current(root, ["python3.11"])  # no interpreter
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/python3.11").write_bytes(b"")
    assert sysroot.is_current(root, ["python3.11"])
    (root / sysroot.MANIFEST_NAME).write_text("{not json")
    assert not sysroot.is_current(root, ["python3.11"])
