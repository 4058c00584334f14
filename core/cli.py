"""The `simulagent` command.

Subcommands are an explicit registry (`COMMANDS`): each names the module that defines it, and that module is
imported only when its subcommand runs, so `simulagent --help` answers at once and imports no torch. A command
module provides `register(parser)`, which adds its arguments and sets `func` (called as `func(args, config)`,
returning the exit status) with `parser.set_defaults(func=...)`.

A `UserError` prints one line and exits 2; anything else is a bug: one line and exit 1, the traceback with
`--debug`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn, Protocol

from simulagent.errors import UserError

if TYPE_CHECKING:
    from simulagent.config import Config

__all__ = ["COMMANDS", "CommandSpec", "main"]

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER_ERROR = 2


class CommandModule(Protocol):
    def register(self, parser: argparse.ArgumentParser) -> None: ...


Handler = Callable[[argparse.Namespace, "Config"], int]


@dataclass(frozen=True)
class CommandSpec:
    """One subcommand: its name, one line of help, and the module (imported on use) that defines it."""

    name: str
    help: str
    module: str


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("translate", "translate or transcribe speech as it arrives (Whisper)", "simulagent._translate_cli"),
    CommandSpec(
        "interpret", "simultaneous interpretation of a recording, with speech out", "simulagent._interpret_cli"
    ),
    CommandSpec("chat", "talk to the voice agent (text, or --say for one utterance)", "simulagent.agent.cli"),
    CommandSpec(
        "serve",
        "serve the agent and the translator over WebSockets, with a browser demo",
        "simulagent.agent.server.cli",
    ),
    CommandSpec(
        "eval", "evaluate simultaneous systems the SimulEval way: score, run, sweep, plot", "simulagent.eval.cli"
    ),
    CommandSpec("policies", "list the READ/WRITE policies", "simulagent.policies.cli"),
    CommandSpec("train", "train a policy (HMT, DiSeg) with resumable checkpoints", "simulagent.policies.train_cli"),
    CommandSpec("rag", "DeepQA retrieval: ingest documents, query, stats, delete", "simulagent.rag.cli"),
    CommandSpec("verticals", "list, run or create vertical skills", "simulagent.verticals.cli"),
    CommandSpec("llm", "ask the configured LLM (streams the answer)", "simulagent.models.llm.cli"),
    CommandSpec("audio", "inspect audio files as simulagent hears them", "simulagent._audio_cli"),
    CommandSpec("config", "show the effective configuration and where it comes from", "simulagent._config_cli"),
)


class _UsageError(UserError):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every user mistake takes the same one-line path."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("simulagent")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The top-level parser; only the subcommand named in `argv` (if any) has its module imported."""
    parser = _Parser(
        prog="simulagent",
        description="Simultaneous speech translation and real-time spoken dialogue agents.",
    )
    parser.add_argument("--config", metavar="PATH", help="TOML config file (default: see `simulagent config path`)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    parser.add_argument("--version", action="version", version=f"simulagent {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = _first_command(argv)
    for spec in COMMANDS:
        command_parser = sub.add_parser(spec.name, help=spec.help, description=spec.help)
        if spec.name == wanted:
            module: CommandModule = importlib.import_module(spec.module)
            module.register(command_parser)
    return parser


def _first_command(argv: Sequence[str]) -> str | None:
    names = {spec.name for spec in COMMANDS}
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
            continue
        if arg == "--config":
            skip_next = True
            continue
        if arg.startswith("-"):
            continue
        return arg if arg in names else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `simulagent` console script; returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    try:
        parser = build_parser(args_list)
        args = parser.parse_args(args_list)
        func: Handler | None = getattr(args, "func", None)
        if func is None:
            if args.command is None:
                parser.print_help()
                return EXIT_OK
            # A command group given without its action: show what it offers.
            sub_help = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
            sub_help[0].choices[args.command].print_help()
            return EXIT_USER_ERROR
        from simulagent.config import load_config

        config = load_config(args.config)
        return int(func(args, config))
    except UserError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `simulagent ... | head` closed our stdout: not an error
        return EXIT_OK
    except Exception as exc:
        if debug:
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} (this is a bug; rerun with --debug for the traceback)",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
