"""The ``flightsw`` command line. Each subcommand lives in its own module, which provides
``configure(parser)`` and ``run(args) -> int``; this file only dispatches and turns the project's
errors into one clear line on stderr and a non-zero exit status."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from flightsw import __version__
from flightsw.errors import FlightswError

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("flightsw.demo", "the mission demo: flight software and ground over a simulated serial link"),
    "adcs-demo": ("flightsw.adcs.demo", "the attitude estimator alone on a simulated IMU, accuracy vs truth"),
    "decode": ("flightsw.ccsds.decode", "decode packets, frames, CLTUs or a byte stream to JSON lines"),
    "profile": ("flightsw.profile_cli", "show the mission link profile, or export it as a C header"),
    "dictionary": ("flightsw.dictionary.cli", "check the mission dictionary, generate its C header and page"),
    "ground": ("flightsw.ground.cli", "the operator console: send commands, watch telemetry, run procedures"),
    "archive": ("flightsw.ground.archive_cli", "export, plot or summarise a recorded ground archive"),
    "fly": ("flightsw.cdh.fly", "run the on-board flight software on a serial link (C&DH executive, ADCS)"),
    "install-service": ("flightsw.service", "install `flightsw fly` as a systemd service (Raspberry Pi)"),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the ``chosen`` subcommand's module is imported (start-up stays fast and one
    subcommand's dependencies never break another)."""
    parser = argparse.ArgumentParser(
        prog="flightsw",
        description="Onboard flight software prototype: CCSDS/PUS command and data handling, "
        "attitude estimation in C, hardware-in-the-loop tests.",
    )
    parser.add_argument("--version", action="version", version=f"flightsw {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.configure(sub_parser)
            sub_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if a in SUBCOMMANDS), None)
    args = build_parser(chosen).parse_args(argv)
    try:
        return int(args._run(args))
    except FlightswError as exc:
        print(f"flightsw {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
