"""``flightsw archive``: look into a recorded ground archive — a summary, CSV export, plots."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flightsw.errors import ConfigError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = (
        "Read a ground archive recorded with `flightsw ground --archive FILE`.\n"
        "\n"
        "examples:\n"
        "  flightsw archive info pass.sqlite\n"
        "  flightsw archive export pass.sqlite --param cdh_cpu_load --param cdh_mode -o load.csv\n"
        "  flightsw archive plot pass.sqlite cdh_cpu_load platform_battery_voltage -o power.png"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="counts, time span and recorded parameters")
    info.add_argument("file", type=Path)
    export = actions.add_parser("export", help="parameter samples as CSV")
    export.add_argument("file", type=Path)
    export.add_argument("--param", action="append", required=True, metavar="PARAM", dest="params",
                        help="a parameter to export (repeat for more)")
    export.add_argument("-o", "--output", type=Path, default=None, help="CSV file (default: stdout)")
    plot = actions.add_parser("plot", help="a PNG of parameters against receive time (needs matplotlib)")
    plot.add_argument("file", type=Path)
    plot.add_argument("params", nargs="+", metavar="PARAM")
    plot.add_argument("-o", "--output", type=Path, required=True, help="PNG file")


def run(args: argparse.Namespace) -> int:
    from flightsw.ground import archive

    if args.action == "info":
        for key, value in archive.summary(args.file).items():
            print(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
        return 0
    if args.action == "export":
        if args.output is None:
            count = archive.export_csv(args.file, args.params, sys.stdout)
        else:
            try:
                with open(args.output, "w", newline="", encoding="utf-8") as out:
                    count = archive.export_csv(args.file, args.params, out)
            except OSError as exc:
                raise ConfigError("cannot_write", f"{args.output}: {exc.strerror}") from None
            print(f"{count} samples of {', '.join(args.params)} written to {args.output}", file=sys.stderr)
        return 0
    count = archive.plot(args.file, args.params, args.output)
    print(f"{count} samples of {', '.join(args.params)} plotted to {args.output}", file=sys.stderr)
    return 0
