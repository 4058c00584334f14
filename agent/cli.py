"""`simulagent chat` (text or a wav in; text, JSON events and a wav out) and `simulagent interpret`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from simulagent.config import Config


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--say", default=None, help="answer one utterance and exit")
    parser.add_argument("--json", action="store_true", help="print the typed events as JSON lines")
    parser.add_argument("--wav", type=Path, default=None, help="write the spoken answers to this wav file")
    parser.add_argument("--thread", default="default", help="conversation id (continues across runs)")
    parser.add_argument("--no-llm", action="store_true", help="do not load an LLM (skills and retrieval only)")
    parser.set_defaults(func=_chat)


def _chat(args: argparse.Namespace, config: Config) -> int:
    from simulagent.agent.agent import Agent, AgentOptions
    from simulagent.agent.events import AnswerDone, AnswerToken, AudioOut, to_dict

    tts = None
    if args.wav is not None:
        from simulagent.models.tts.backends import make_tts_backend

        tts = make_tts_backend(config.tts.backend, "en", config.tts.voice)
    options = AgentOptions(thread_id=args.thread, time_zone=config.verticals.time_zone or "UTC", speak=tts is not None)
    overrides = {"llm": None} if args.no_llm else {}
    agent = Agent.from_config(config, options, tts=tts, **overrides)
    audio: list[AudioOut] = []

    async def turn(text: str) -> None:
        async for event in agent.ask_events(text):
            if args.json:
                print(json.dumps(to_dict(event), ensure_ascii=False, default=str), flush=True)
            elif isinstance(event, AnswerToken):
                print(event.text, end="", flush=True)
            elif isinstance(event, AnswerDone):
                print(flush=True)
            if isinstance(event, AudioOut):
                audio.append(event)

    try:
        if args.say is not None:
            asyncio.run(turn(args.say))
        else:
            print("simulagent chat: type a message, an empty line or Ctrl-D ends.", file=sys.stderr)
            for line in sys.stdin:
                if not line.strip():
                    break
                asyncio.run(turn(line.strip()))
    finally:
        agent.close()
    if args.wav is not None and audio:
        import numpy as np

        from simulagent.audio import save_wav

        save_wav(args.wav, np.concatenate([a.samples for a in audio]), audio[0].sample_rate_hz)
        print(f"wrote {args.wav}", file=sys.stderr)
    return 0
