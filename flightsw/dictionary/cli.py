"""``flightsw dictionary``: validate a mission dictionary and generate its C header and reference page.

``check [FILE]`` loads and validates (the shipped dictionary by default) and prints a summary;
``c-header`` and ``markdown`` print the generated file, ``--write`` replaces the committed copy in the source
tree, and ``--check`` exits with status 1 when the committed copy is stale.
"""

from __future__ import annotations

import argparse
import sys

from flightsw.dictionary.generate import GENERATED, REPOSITORY_ROOT
from flightsw.dictionary.loader import load_dictionary
from flightsw.errors import ConfigError


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="load and validate a dictionary file, print a summary")
    check.add_argument("file", nargs="?", metavar="FILE", help="dictionary TOML (default: the mission's)")
    for name, (path, _) in GENERATED.items():
        sub = actions.add_parser(name, help=f"generate {path} from the dictionary")
        sub.add_argument("--dictionary", metavar="FILE", help="dictionary TOML (default: the mission's)")
        mode = sub.add_mutually_exclusive_group()
        mode.add_argument("--write", action="store_true", help=f"replace {path} in the source tree")
        mode.add_argument("--check", action="store_true", help=f"exit 1 when {path} is not up to date")


def run(args: argparse.Namespace) -> int:
    if args.action == "check":
        d = load_dictionary(args.file)
        print(f"{d.source}: valid, version {d.version}: {len(d.telecommands)} telecommands, "
              f"{len(d.parameters)} telemetry parameters, {len(d.housekeeping)} housekeeping structures, "
              f"{len(d.events)} events, {len(d.flight_parameters)} flight parameters, "
              f"{len(d.enumerations)} enumerations")
        return 0
    relative, generate = GENERATED[args.action]
    text = generate(load_dictionary(args.dictionary))
    target = REPOSITORY_ROOT / relative
    if (args.write or args.check) and not (REPOSITORY_ROOT / "pyproject.toml").exists():
        raise ConfigError("no_source_tree", f"--write and --check need the source tree; {REPOSITORY_ROOT} "
                          "is an installed copy")
    if args.write:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {relative}", file=sys.stderr)
        return 0
    if args.check:
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            print(f"{relative} is stale; regenerate it with `flightsw dictionary {args.action} --write`",
                  file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0
