"""`simulagent verticals list|run|new`."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from simulagent.config import Config
from simulagent.errors import UserError


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="verticals_command", metavar="ACTION")
    listing = sub.add_parser("list", help="list the skills (and broken plugins)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)
    run = sub.add_parser("run", help="call a skill directly")
    run.add_argument("skill_id")
    run.add_argument("--slot", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--say", default="", help="an utterance to extract slots from")
    run.add_argument("--lang", choices=["zh", "en"], default=None)
    run.set_defaults(func=_run)
    new = sub.add_parser("new", help="create a template skill package (installable with pip) with a test")
    new.add_argument("name")
    new.add_argument("--dir", type=Path, default=Path.cwd())
    new.set_defaults(func=_new)


def _list(args: argparse.Namespace, config: Config) -> int:
    from simulagent.verticals.registry import load_registry

    registry = load_registry(config.verticals.disabled)
    for skill in registry.skills.values():
        if args.json:
            print(
                json.dumps(
                    {
                        "id": skill.id,
                        "name_zh": skill.name_zh,
                        "name_en": skill.name_en,
                        "source": skill.source,
                        "slots": [s.name for s in skill.slots],
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(f"{skill.id:<16} {skill.name_en:<22} {skill.name_zh:<10} {skill.source}")
    for name, reason in registry.broken.items():
        print(json.dumps({"broken": name, "reason": reason}) if args.json else f"broken plugin {name}: {reason}")
    return 0


def _run(args: argparse.Namespace, config: Config) -> int:
    from simulagent.verticals.api import detect_lang, run_vertical
    from simulagent.verticals.context import make_context
    from simulagent.verticals.registry import load_registry

    slots: dict[str, str] = {}
    for pair in args.slot:
        key, sep, value = pair.partition("=")
        if not sep:
            raise UserError(f"--slot takes KEY=VALUE; got {pair!r}")
        slots[key] = value
    skill = load_registry(config.verticals.disabled).get(args.skill_id)
    ctx = make_context(config, lang=args.lang or (detect_lang(args.say) if args.say else "en"))
    result = asyncio.run(run_vertical(skill, ctx, args.say, slots))
    print(result.text)
    if result.data:
        print(json.dumps(dict(result.data), ensure_ascii=False, default=str))
    return 0


def _new(args: argparse.Namespace, config: Config) -> int:
    from simulagent.verticals.template import write_template

    folder = write_template(args.name, args.dir)
    print(f"created {folder}; install it with: pip install -e {folder}")
    return 0
