"""`simulagent policies list`: the registered READ/WRITE policies."""

from __future__ import annotations

import argparse
import json

from simulagent.config import Config


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="policies_command", metavar="ACTION")
    listing = sub.add_parser("list", help="list the registered policies and their latency knobs")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=_list)


def _list(args: argparse.Namespace, config: Config) -> int:
    from simulagent.policies.registry import POLICIES

    for spec in POLICIES.values():
        if args.json:
            print(
                json.dumps(
                    {
                        "name": spec.name,
                        "signal": spec.signal,
                        "knob": spec.knob,
                        "default": spec.default,
                        "paper": spec.paper,
                    }
                )
            )
        else:
            print(f"{spec.name:<20} {spec.signal:<14} default {spec.default:g}  {spec.knob}  [{spec.paper}]")
    return 0
