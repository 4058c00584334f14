"""Voice-to-voice latency of the agent on the embedded default models: from the end of the user's speech to the
first answer audio.

A question spoken by the bundled Piper voice is streamed into `Agent.run` in real time (chunks paced by the wall
clock, as a microphone delivers them), followed by silence. Silero VAD ends the turn after the endpointing
silence, the bundled Whisper transcribes it, the router picks a local skill (no network), and the answer is spoken
with Piper. The latency is measured from the moment the last speech sample is delivered to the moment the first
`AudioOut` event arrives, so it includes the endpointing delay; its parts (endpointing, recognition, routing and
skill, first audio) are reported too.

Usage:
    python bench/agent_voice_latency.py [--runs 3] [--model bundled:base] [--endpoint-ms 600] [--partial-ms 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from simulagent.agent.agent import Agent, AgentOptions
from simulagent.agent.events import AnswerDone, AudioOut, TranscriptFinal
from simulagent.agent.router import Router
from simulagent.audio import chunk_samples, resample
from simulagent.models.asr import BackendOptions, load_backend
from simulagent.models.tts.backends import PiperBackend
from simulagent.rag.embedders import HashingEmbedder
from simulagent.types import AudioChunk
from simulagent.verticals.registry import load_registry

QUESTIONS = ("What time is it in Tokyo?", "What is twelve times eight?", "Flip a coin for me.")


async def _paced(chunks: list[AudioChunk], marks: dict[str, float], speech_end_ms: float) -> AsyncIterator[AudioChunk]:
    start = time.perf_counter()
    for chunk in chunks:
        due = start + chunk.start_ms / 1000
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        if "speech_end" not in marks and chunk.start_ms + chunk.duration_ms >= speech_end_ms:
            marks["speech_end"] = time.perf_counter()
        yield chunk


async def _one(agent: Agent, audio: np.ndarray, speech_end_ms: float) -> dict[str, float]:
    marks: dict[str, float] = {}
    chunks = list(chunk_samples(audio, 16_000, 32))
    async for event in agent.run(_paced(chunks, marks, speech_end_ms)):
        now = time.perf_counter()
        if isinstance(event, TranscriptFinal):
            marks.setdefault("transcript", now)
        elif isinstance(event, AudioOut):
            marks.setdefault("first_audio", now)
        elif isinstance(event, AnswerDone):
            marks.setdefault("answer", now)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="passes over the questions")
    parser.add_argument("--model", default="bundled:base")
    parser.add_argument("--endpoint-ms", type=float, default=600.0)
    parser.add_argument("--partial-ms", type=float, default=1000.0, help="partial transcripts every (0: none)")
    args = parser.parse_args()

    voice = PiperBackend()
    registry = load_registry(plugins=False)
    router = Router(list(registry.skills.values()), embed=HashingEmbedder().embed)
    transcriber = load_backend(BackendOptions(model=args.model))
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        agent = Agent(
            registry,
            router,
            tts=voice,
            transcriber=transcriber,
            options=AgentOptions(
                speak=True,
                time_zone="Asia/Shanghai",
                endpoint_silence_ms=args.endpoint_ms,
                partial_every_ms=args.partial_ms,
            ),
            folder=Path(folder) / "agent",
        )
        transcriber.transcribe(np.zeros(16_000, dtype=np.float32), 16_000, "en")  # load and warm up
        for run in range(args.runs):
            for question in QUESTIONS:
                speech = np.concatenate(list(voice.synthesize(question, "en")))
                speech = resample(speech, voice.capabilities.sample_rate_hz, 16_000)
                lead = np.zeros(8_000, dtype=np.float32)
                audio = np.concatenate([lead, speech, np.zeros(32_000, dtype=np.float32)])
                speech_end_ms = 1000 * (lead.size + speech.size) / 16_000
                marks = asyncio.run(_one(agent, audio, speech_end_ms))
                if "first_audio" not in marks:
                    print(f"run {run}: no spoken answer to {question!r}")
                    continue
                row = {
                    "voice_to_voice_s": marks["first_audio"] - marks["speech_end"],
                    "to_transcript_s": marks["transcript"] - marks["speech_end"],
                    "transcript_to_audio_s": marks["first_audio"] - marks["transcript"],
                }
                rows.append(row)
                print(f"run {run} {question!r}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()))
        agent.close()
    for key in ("voice_to_voice_s", "to_transcript_s", "transcript_to_audio_s"):
        values = [r[key] for r in rows]
        print(f"{key}: median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})")


if __name__ == "__main__":
    main()
