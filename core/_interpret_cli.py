"""`simulagent interpret FILE --from fr --to en`: simultaneous interpretation with speech out, i.e. `translate`
with the speech sink on (default output `<input>.interpreted.wav`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulagent import _translate_cli
from simulagent.config import Config


def register(parser: argparse.ArgumentParser) -> None:
    _translate_cli.register(parser)
    parser.set_defaults(func=_interpret)


def _interpret(args: argparse.Namespace, config: Config) -> int:
    if not args.speak:
        stem = "stdin" if args.input == "-" else Path(args.input).stem
        args.speak = f"{stem}.interpreted.wav"
    return _translate_cli._translate(args, config)
