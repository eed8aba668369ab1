"""``flightsw profile``: print the mission link profile, or export it as a C header for the firmware."""

from __future__ import annotations

import argparse
import dataclasses
import json

from flightsw.profile import DEFAULT_PROFILE, c_header, load_profile


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="TOML file overriding the defaults")
    parser.add_argument("--c-header", action="store_true", help="print the profile as a C header")


def run(args: argparse.Namespace) -> int:
    profile = load_profile(args.config) if args.config else DEFAULT_PROFILE
    if args.c_header:
        print(c_header(profile), end="")
    else:
        print(json.dumps(dataclasses.asdict(profile), indent=2, default=lambda b: b.hex().upper()))
    return 0
