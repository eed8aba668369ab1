"""The generated C header compiles as strict C99 and its constants equal the dictionary's; the committed
generated files are up to date; the Markdown page lists everything; the CLI works."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from flightsw.cli import main
from flightsw.dictionary import Dictionary, load_dictionary
from flightsw.dictionary.generate import C_HEADER_PATH, MARKDOWN_PATH, REPOSITORY_ROOT, c_header, markdown
from flightsw.dictionary.model import DataType
from tests.toolchain import require_tools

C_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]

# Extremes of every integer width, negative reals: the literals that are easy to get wrong in C.
EDGES = """
[dictionary]
version = 7

[[enumeration]]
name = "wide"
type = "enum32"
value = [{ name = "low", value = 0 }, { name = "top", value = 4294967295 }]

[[flight_parameter]]
id = 1
name = "s64"
type = "int64"
default = -5
min = -9223372036854775808
max = 9223372036854775807

[[flight_parameter]]
id = 2
name = "u64"
type = "uint64"
default = 18446744073709551615
min = 0
max = 18446744073709551615

[[flight_parameter]]
id = 3
name = "s32"
type = "int32"
default = 0
min = -2147483648
max = 2147483647

[[flight_parameter]]
id = 4
name = "neg32"
type = "float32"
default = -0.1
min = -3.4e38
max = 1e-30

[[flight_parameter]]
id = 5
name = "neg64"
type = "float64"
default = -2.5e-300
min = -1.7976931348623157e308
max = 0.0

[[flight_parameter]]
id = 6
name = "wide_choice"
type = "enum32"
enum = "wide"
default = "top"

[[flight_parameter]]
id = 7
name = "flag"
type = "bool"
default = false
"""


def expected_constants(d: Dictionary) -> list[tuple[str, DataType | str, object]]:
    """(macro, type, value) for every constant the header must define, built from the model alone."""
    u16 = DataType("uint16", "uint", 16)
    f64 = DataType("float64", "float", 64)
    out: list[tuple[str, DataType | str, object]] = [("FSW_DICTIONARY_VERSION", u16, d.version)]
    for e in d.enumerations:
        for v in e.values:
            out.append((f"FSW_ENUM_{e.name}_{v.name}", e.type, v.value))
    for c in d.telecommands:
        out += [(f"FSW_CMD_{c.name}_SERVICE", u16, c.service), (f"FSW_CMD_{c.name}_SUBTYPE", u16, c.subtype),
                (f"FSW_CMD_{c.name}_APID", u16, c.apid)]
        if c.function_id is not None:
            out.append((f"FSW_CMD_{c.name}_FUNCTION_ID", u16, c.function_id))
    for p in d.parameters:
        out.append((f"FSW_PARAM_{p.name}_ID", u16, p.id))
    for s in d.housekeeping:
        out += [(f"FSW_HK_{s.name}_ID", u16, s.id), (f"FSW_HK_{s.name}_PERIOD_S", f64, s.period_s),
                (f"FSW_HK_{s.name}_ENABLED", u16, int(s.enabled)),
                (f"FSW_HK_{s.name}_PARAMETER_COUNT", u16, len(s.parameters)),
                (f"FSW_HK_{s.name}_PARAMETER_IDS", "array", [p.id for p in s.parameters])]
    for ev in d.events:
        out += [(f"FSW_EVENT_{ev.name}_ID", u16, ev.id),
                (f"FSW_EVENT_{ev.name}_SEVERITY", u16, int(ev.severity))]
    for f in d.flight_parameters:
        out += [(f"FSW_FP_{f.name}_ID", u16, f.id), (f"FSW_FP_{f.name}_DEFAULT", f.type, f.default)]
        if f.minimum is not None:
            out.append((f"FSW_FP_{f.name}_MIN", f.type, f.minimum))
        if f.maximum is not None:
            out.append((f"FSW_FP_{f.name}_MAX", f.type, f.maximum))
    return [(macro.upper(), kind, value) for macro, kind, value in out]


def printer_program(constants: list[tuple[str, DataType | str, object]]) -> str:
    lines = ["#include <stdio.h>", '#include "mission_dictionary.h"', "", "int main(void)", "{"]
    for index, (macro, kind, _) in enumerate(constants):
        if kind == "array":
            lines += [f"    {{ static const unsigned long ids_{index}[] = {macro}; size_t i;",
                      f'      printf("{macro}");',
                      f"      for (i = 0; i < sizeof ids_{index} / sizeof ids_{index}[0]; ++i)",
                      f'          printf(" %lu", ids_{index}[i]);',
                      '      printf("\\n"); }']
        elif isinstance(kind, DataType) and kind.kind == "float":
            lines.append(f'    printf("{macro} %.17g\\n", (double)({macro}));')
        elif isinstance(kind, DataType) and kind.kind == "int":
            lines.append(f'    printf("{macro} %lld\\n", (long long)({macro}));')
        else:
            lines.append(f'    printf("{macro} %llu\\n", (unsigned long long)({macro}));')
    lines += ["    return 0;", "}", ""]
    return "\n".join(lines)


def check_printed(constants: list[tuple[str, DataType | str, object]], output: str) -> None:
    printed = {}
    for line in output.splitlines():
        macro, _, rest = line.partition(" ")
        printed[macro] = rest
    assert set(printed) == {macro for macro, _, _ in constants}
    for macro, kind, value in constants:
        text = printed[macro]
        if kind == "array":
            assert [int(x) for x in text.split()] == value, macro
        elif isinstance(kind, DataType) and kind.kind == "float":
            want = float(np.float32(value)) if kind.bits == 32 else float(value)  # type: ignore[arg-type]
            assert float(text) == want, macro
        else:
            assert int(text) == int(value), macro  # type: ignore[call-overload]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
@pytest.mark.parametrize("which", ["mission", "edges"])
def test_header_compiles_and_constants_match(tmp_path: Path, which: str) -> None:
    if which == "mission":
        d = load_dictionary()
    else:
        source = tmp_path / "edges.toml"
        source.write_text(EDGES, encoding="utf-8")
        d = load_dictionary(source)
    (tmp_path / "mission_dictionary.h").write_text(c_header(d), encoding="utf-8")
    constants = expected_constants(d)
    (tmp_path / "main.c").write_text(printer_program(constants), encoding="utf-8")
    build = subprocess.run(["gcc", *C_FLAGS, "-I", str(tmp_path), "-o", str(tmp_path / "print"),
                            str(tmp_path / "main.c")], capture_output=True, text=True, timeout=60)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(tmp_path / "print")], capture_output=True, text=True, timeout=30, check=True)
    check_printed(constants, run.stdout)


@pytest.mark.cross
def test_header_compiles_for_the_cortex_m4f(tmp_path: Path) -> None:
    require_tools("arm-none-eabi-gcc")
    (tmp_path / "mission_dictionary.h").write_text(c_header(load_dictionary()), encoding="utf-8")
    (tmp_path / "use.c").write_text(
        '#include "mission_dictionary.h"\n'
        "float gyro_sigma(void) { return FSW_FP_ADCS_GYRO_NOISE_SIGMA_DEFAULT; }\n"
        "unsigned mode_service(void) { return FSW_CMD_SET_MODE_SERVICE; }\n"
        "static const unsigned short hk_ids[] = FSW_HK_CDH_ESSENTIAL_PARAMETER_IDS;\n"
        "unsigned short first_hk_id(void) { return hk_ids[0]; }\n", encoding="utf-8")
    build = subprocess.run(["arm-none-eabi-gcc", *C_FLAGS, "-Wdouble-promotion", "-mcpu=cortex-m4", "-mthumb",
                            "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-c", "-o", str(tmp_path / "use.o"),
                            str(tmp_path / "use.c")], capture_output=True, text=True, timeout=60)
    assert build.returncode == 0, build.stderr


def test_header_shape() -> None:
    text = c_header(load_dictionary())
    assert "do not edit" in text
    assert re.search(r"^#ifndef FSW_MISSION_DICTIONARY_H\n#define FSW_MISSION_DICTIONARY_H$", text, re.M)
    assert text.rstrip().endswith("#endif /* FSW_MISSION_DICTIONARY_H */")
    assert str(REPOSITORY_ROOT) not in text and str(Path.home()) not in text


@pytest.mark.parametrize(("relative", "generate", "command"), [
    (C_HEADER_PATH, c_header, "c-header"),
    (MARKDOWN_PATH, markdown, "markdown"),
])
def test_committed_generated_files_are_up_to_date(relative: Path, generate, command: str) -> None:
    committed = REPOSITORY_ROOT / relative
    fresh = generate(load_dictionary())
    hint = f"{relative} is stale; regenerate it with `flightsw dictionary {command} --write`"
    assert committed.exists(), hint
    assert committed.read_text(encoding="utf-8") == fresh, hint


def test_markdown_lists_everything_in_well_formed_tables() -> None:
    d = load_dictionary()
    page = markdown(d)
    for name in [*d.command_by_name, *d.parameter_by_name, *d.event_by_name, *d.flight_parameter_by_name,
                 *d.housekeeping_by_name, *d.enumeration_by_name]:
        assert f"`{name}`" in page, name
    for heading in ("## Telecommands", "## Telemetry parameters", "## Housekeeping report structures",
                    "## Events", "## Flight parameters", "## Enumerations"):
        assert heading in page
    columns = None
    for line in page.splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line)) - 2
        columns = cells if columns is None else columns
        assert cells == columns, line


def test_cli_check_and_staleness(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dictionary", "check"]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["dictionary", "c-header", "--check"]) == 0
    assert main(["dictionary", "markdown", "--check"]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[dictionary]\nversion = 1\n[[parameter]]\nid = 1\nname = \"x\"\ntype = \"uint7\"\n")
    assert main(["dictionary", "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown_type" in err and "bad.toml" in err and "parameter 'x'" in err
    edited = tmp_path / "edited.toml"
    edited.write_text(EDGES, encoding="utf-8")
    assert main(["dictionary", "c-header", "--dictionary", str(edited), "--check"]) == 1
    assert "--write" in capsys.readouterr().err
    assert main(["dictionary", "c-header", "--dictionary", str(edited)]) == 0
    assert capsys.readouterr().out == c_header(load_dictionary(edited))
