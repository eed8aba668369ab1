"""The mission link profile: defaults, TOML overrides, validation, and the C export."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from flightsw.cli import main
from flightsw.errors import ConfigError
from flightsw.profile import DEFAULT_PROFILE, c_header, load_profile, profile_from_dict


def test_defaults_are_the_mission_profile() -> None:
    p = DEFAULT_PROFILE
    assert p.scid == 42
    assert p.tm.frame_length == 256 and p.tm.ocf_present and p.tm.fecf_present
    assert p.tm.asm.hex() == "1acffc1d"
    assert (p.tm.vc_realtime, p.tm.vc_playback, p.tm.vc_idle) == (0, 1, 7)
    assert p.tc.max_frame_length == 1024 and p.tc.farm_window == 10
    assert p.tc.cltu_tail.hex().upper() == "C5C5C5C5C5C5C579"
    assert (p.apids.cdh, p.apids.adcs, p.apids.simulation, p.apids.idle) == (0x010, 0x020, 0x030, 0x7FF)
    assert (p.sdls.spi, p.sdls.iv_length, p.sdls.sequence_number_length, p.sdls.mac_length) == (1, 12, 4, 16)


def test_toml_overrides_only_named_fields(tmp_path) -> None:
    path = tmp_path / "mission.toml"
    path.write_text('scid = 99\n[tm]\nframe_length = 512\nasm = "1ACFFC1D"\n[tc]\nrandomise = true\n')
    p = load_profile(path)
    assert p.scid == 99 and p.tm.frame_length == 512 and p.tc.randomise
    assert p.tc.farm_window == DEFAULT_PROFILE.tc.farm_window


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"scid": 1024}, "scid"),
        ({"tm": {"vc_idle": 8}}, "tm.vc_idle"),
        ({"tc": {"farm_window": 11}}, "tc.farm_window"),
        ({"tm": {"bogus": 1}}, "tm.bogus"),
        ({"nonsense": 1}, "nonsense"),
        ({"tm": {"asm": "zz"}}, "tm.asm"),
        ({"tc": {"randomise": 1}}, "tc.randomise"),
        ({"apids": {"cdh": 0x800}}, "apids.cdh"),
    ],
)
def test_bad_profiles_name_the_field(data, needle) -> None:
    with pytest.raises(ConfigError) as info:
        profile_from_dict(data)
    assert info.value.reason == "bad_profile"
    assert needle in str(info.value)


def test_unreadable_profile_is_one_clear_line(tmp_path, capsys) -> None:
    assert main(["profile", "--config", str(tmp_path / "missing.toml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.toml" in err[0]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler")
def test_c_header_compiles_and_carries_the_values(tmp_path) -> None:
    (tmp_path / "profile.h").write_text(c_header())
    (tmp_path / "check.c").write_text(
        '#include <stdio.h>\n#include "profile.h"\n'
        "static const unsigned char tail[] = FSW_TC_CLTU_TAIL_BYTES;\n"
        'int main(void) { printf("%u %u %u %u\\n", FSW_SCID, FSW_TM_FRAME_LENGTH, FSW_APIDS_IDLE,'
        " (unsigned)tail[FSW_TC_CLTU_TAIL_LENGTH - 1]); return 0; }\n"
    )
    exe = tmp_path / "check"
    strict = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
    subprocess.run(["gcc", *strict, "-o", str(exe), str(tmp_path / "check.c")], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()
    p = DEFAULT_PROFILE
    assert out == [str(p.scid), str(p.tm.frame_length), str(p.apids.idle), str(p.tc.cltu_tail[-1])]


def test_committed_c_header_is_current() -> None:
    from pathlib import Path

    committed = Path(__file__).resolve().parents[1] / "csrc" / "generated" / "link_profile.h"
    assert committed.read_text() == c_header(), "stale: regenerate with `make generated`"
