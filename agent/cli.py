"""`simulagent chat`: text (typed, or `--say`) or a recording (`--listen`) in; text, JSON events and a wav out."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from simulagent.config import Config


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--say", default=None, help="answer one utterance and exit")
    parser.add_argument(
        "--listen",
        default=None,
        metavar="AUDIO|mic",
        help="speak to the agent from a recording (wav, flac, ogg, mp3) or the microphone (mic; Ctrl-C ends)",
    )
    parser.add_argument("--play", action="store_true", help="play the spoken answers on the speaker as they come")
    parser.add_argument("--lang", default="en", help="the language spoken in --listen audio (e.g. en, zh, fr)")
    parser.add_argument("--json", action="store_true", help="print the typed events as JSON lines")
    parser.add_argument("--wav", type=Path, default=None, help="write the spoken answers to this wav file")
    parser.add_argument("--thread", default="default", help="conversation id (continues across runs)")
    parser.add_argument("--no-llm", action="store_true", help="do not load an LLM (skills and retrieval only)")
    parser.set_defaults(func=_chat)


def _chat(args: argparse.Namespace, config: Config) -> int:
    from simulagent.agent.agent import Agent, AgentOptions
    from simulagent.agent.events import (
        AnswerDone,
        AnswerToken,
        AudioOut,
        ReminderDue,
        TranscriptFinal,
        TranslationCommitted,
        to_dict,
    )

    tts = None
    if args.wav is not None or args.play:
        from simulagent.models.tts.backends import make_tts_backend

        tts = make_tts_backend(config.tts.backend, "en", config.tts.voice)
    options = AgentOptions(
        thread_id=args.thread,
        time_zone=config.verticals.time_zone or "UTC",
        speak=tts is not None,
        listen_lang=args.lang,
        endpoint_silence_ms=config.agent.endpoint_silence_ms,
        barge_in_min_speech_ms=config.agent.barge_in_min_speech_ms,
    )
    overrides: dict[str, Any] = {"llm": None} if args.no_llm else {}
    if args.listen is not None:
        from simulagent.audio import load_audio, microphone
        from simulagent.models.asr import BackendOptions, load_backend

        # A missing file, an unreadable one or no sound device is a clear error before any model loads.
        live = microphone(100.0) if args.listen == "mic" else None
        heard = load_audio(args.listen) if live is None else None
        from simulagent.agent.agent import listen_model

        model = listen_model(config.agent.listen_model, args.lang)
        overrides["transcriber"] = load_backend(
            BackendOptions(model=model, num_threads=config.models.num_threads, compute_type=config.models.compute_type)
        )
    agent = Agent.from_config(config, options, tts=tts, **overrides)
    audio: list[AudioOut] = []

    def show(event: Any) -> None:
        if args.json:
            print(json.dumps(to_dict(event), ensure_ascii=False, default=str), flush=True)
        elif isinstance(event, TranscriptFinal):
            print(f"> {event.text}", flush=True)
        elif isinstance(event, TranslationCommitted):
            print(event.text, end=" ", flush=True)
        elif isinstance(event, AnswerToken):
            print(event.text, end="", flush=True)
        elif isinstance(event, AnswerDone | ReminderDue):
            print(event.text if isinstance(event, ReminderDue) else "", flush=True)
        if isinstance(event, AudioOut):
            audio.append(event)
            if args.play:
                from simulagent.audio import play

                play(event.samples, event.sample_rate_hz)

    async def listen() -> None:
        from simulagent.audio import chunk_samples

        if live is not None:
            chunks: Any = (chunk for chunk, _ in live)
            print("listening: Ctrl-C ends", file=sys.stderr)
        else:
            assert heard is not None
            chunks = chunk_samples(heard, 16_000, 100)
        async for event in agent.run(chunks):
            show(event)

    async def turn(text: str) -> None:
        async for event in agent.ask_events(text):
            show(event)

    try:
        if args.listen is not None:
            asyncio.run(listen())
        elif args.say is not None:
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
