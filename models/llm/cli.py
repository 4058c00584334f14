"""`simulagent llm ask "..." [--backend ...]`: stream an answer from the configured LLM."""

from __future__ import annotations

import argparse
import sys
import time

from simulagent.config import Config


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="llm_command", metavar="ACTION")
    ask = sub.add_parser("ask", help="ask the configured LLM and stream its answer")
    ask.add_argument("question")
    ask.add_argument("--backend", choices=["auto", "llama-cpp", "transformers", "openai"], default=None)
    ask.add_argument("--system", default="You are a helpful assistant. Answer briefly.")
    ask.add_argument("--max-tokens", type=int, default=None)
    ask.set_defaults(func=_ask)


def _ask(args: argparse.Namespace, config: Config) -> int:
    from simulagent.models.llm.factory import make_chat_model
    from simulagent.signals import ChatMessage, GenerationOptions

    start = time.perf_counter()
    model = make_chat_model(config.llm, args.backend)
    loaded = time.perf_counter()
    options = GenerationOptions(max_tokens=args.max_tokens or config.llm.max_tokens, temperature=config.llm.temperature)
    first = None
    pieces = 0
    for piece in model.stream([ChatMessage("system", args.system), ChatMessage("user", args.question)], options):
        first = first or time.perf_counter()
        pieces += 1
        sys.stdout.write(piece)
        sys.stdout.flush()
    end = time.perf_counter()
    print()
    if first is not None:
        print(
            f"[{model.capabilities.name}: load {loaded - start:.1f} s, first token {first - loaded:.2f} s, "
            f"{pieces / max(end - first, 1e-6):.1f} pieces/s]",
            file=sys.stderr,
        )
    return 0
