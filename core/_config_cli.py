"""`simulagent config show|path`."""

from __future__ import annotations

import argparse

from simulagent.config import Config, config_path, data_dir, to_toml


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION")
    show = sub.add_parser("show", help="print the effective configuration as TOML")
    show.set_defaults(func=_show)
    path = sub.add_parser("path", help="print where the config file and the data folder are")
    path.set_defaults(func=_path)


def _show(args: argparse.Namespace, config: Config) -> int:
    print(f"# config file: {args.config or config_path()}")
    print("# environment overrides: SIMULAGENT_<SECTION>__<KEY>=value")
    print(to_toml(config), end="")
    return 0


def _path(args: argparse.Namespace, config: Config) -> int:
    print(f"config file: {args.config or config_path()}")
    print(f"data folder: {data_dir()}")
    return 0
