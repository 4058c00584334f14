"""The agent with fakes: routing to skills, RAG and the LLM, slot follow-ups, persistence across a restart,
barge-in (only played words kept, no tool run twice), turn-taking rules, events and the CLI."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulagent.agent.agent import Agent, AgentOptions
from simulagent.agent.events import AnswerDone, AnswerToken, AudioOut, ToolCall, ToolResult, TurnEnd, to_dict
from simulagent.agent.router import Router, deepqa_route, system_intent
from simulagent.agent.turns import TurnOptions, TurnTaker, VadEvent
from simulagent.rag.embedders import HashingEmbedder
from simulagent.signals import ChatMessage, GenerationOptions
from simulagent.verticals.registry import load_registry
from simulagent.verticals.web import HTTP

NOW = datetime(2025, 6, 10, 8, 30, tzinfo=UTC)


class ScriptedLLM:
    """Streams a fixed answer word by word, slowly enough to be interrupted; records the prompts."""

    def __init__(self, answer: str = "Paris is the capital of France.", delay_s: float = 0.0) -> None:
        self.answer = answer
        self.delay_s = delay_s
        self.prompts: list[list[ChatMessage]] = []
        self.closed = 0

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> Iterator[str]:
        self.prompts.append(list(messages))
        try:
            for word in self.answer.split(" "):
                time.sleep(self.delay_s)
                yield word + " "
        finally:
            self.closed += 1


class Weather(BaseHTTPRequestHandler):
    calls = 0

    def do_GET(self) -> None:
        Weather.calls += 1
        days = [f"2025-06-{d:02d}" for d in range(10, 17)]
        body = json.dumps(
            {
                "current": {"temperature_2m": 27.0, "weather_code": 2},
                "daily": {
                    "time": days,
                    "weather_code": [2, 61, 3, 0, 1, 2, 3],
                    "temperature_2m_max": [29, 26, 28, 31, 27, 25, 30],
                    "temperature_2m_min": [22, 21, 22, 23, 22, 21, 23],
                    "precipitation_probability_max": [10, 80, 20, 0, 60, 90, 5],
                },
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def weather_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Weather)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _agent(tmp_path: Path, weather_url: str, llm: Any = None, thread: str = "t1", **kwargs: Any) -> Agent:
    registry = load_registry(plugins=False)
    embedder = HashingEmbedder()
    router = Router(list(registry.skills.values()), embed=embedder.embed, default_threshold=0.7)
    return Agent(
        registry,
        router,
        llm=llm,
        options=AgentOptions(thread_id=thread, time_zone="Asia/Shanghai", **kwargs),
        folder=tmp_path / "agent",
        http=HTTP(base_urls={"open-meteo": weather_url}, retries=0),
        now=lambda: NOW,
    )


def test_weather_question_goes_to_the_skill(tmp_path: Path, weather_url: str) -> None:
    agent = _agent(tmp_path, weather_url, ScriptedLLM())
    events = asyncio.run(_collect(agent, "what's the weather in Shanghai tomorrow"))
    calls = [e for e in events if isinstance(e, ToolCall)]
    assert calls and calls[0].skill == "weather" and calls[0].slots["city"] == "Shanghai"
    done = next(e for e in events if isinstance(e, AnswerDone))
    assert (
        done.text == "Shanghai tomorrow: light rain, 21 to 26 degrees, 80% chance of rain."
        and done.route == "vertical:weather"
    )
    zh = agent.ask_sync("上海明天天气怎么样")
    assert zh.startswith("上海明天小雨")
    agent.close()


async def _collect(agent: Agent, text: str) -> list[Any]:
    return [event async for event in agent.ask_events(text)]


def test_commonsense_goes_to_the_llm_with_date_and_place(tmp_path: Path, weather_url: str) -> None:
    llm = ScriptedLLM()
    agent = _agent(tmp_path, weather_url, llm)
    agent.ask_sync("I live in Shanghai")
    answer = agent.ask_sync("what is the capital of France")
    assert answer == "Paris is the capital of France."
    system = llm.prompts[-1][0].content
    assert "Tuesday, 10 June 2025" in system and "summer" in system and "Shanghai" in system
    agent.close()


def test_missing_slot_is_asked_and_the_answer_completes_the_request(tmp_path: Path, weather_url: str) -> None:
    agent = _agent(tmp_path, weather_url, ScriptedLLM())
    assert agent.ask_sync("明天天气怎么样") == "哪个城市？"
    assert agent.ask_sync("北京").startswith("北京明天小雨")
    agent.close()


def test_conversation_survives_a_restart(tmp_path: Path, weather_url: str) -> None:
    llm = ScriptedLLM()
    first = _agent(tmp_path, weather_url, llm, thread="persist")
    first.ask_sync("My name is Alice")
    first.ask_sync("what is the capital of France")
    first.close()
    second = _agent(tmp_path, weather_url, llm, thread="persist")
    history = second.history()
    assert [m["content"] for m in history if m["role"] == "user"] == [
        "My name is Alice",
        "what is the capital of France",
    ]
    assert second.fact("name") == "Alice"
    second.ask_sync("and of Germany?")
    assert any(m.content == "what is the capital of France" for m in llm.prompts[-1])  # the history reached the LLM
    second.close()


def test_barge_in_keeps_only_played_words_and_cancels_generation(tmp_path: Path, weather_url: str) -> None:
    class Voice:
        from simulagent.models.tts.backends import TTSCapabilities

        capabilities = TTSCapabilities("fake", ("*",), 16_000)

        def synthesize(self, text: str, lang: str) -> Iterator[np.ndarray]:
            yield np.zeros(1600, dtype=np.float32)

    llm = ScriptedLLM("One, two, three, four, five, six, seven, eight, nine, ten, eleven, twelve.", delay_s=0.05)
    agent = _agent(tmp_path, weather_url, llm, speak=True)
    agent.tts = Voice()

    async def run() -> list[Any]:
        events = []
        async for event in agent.ask_events("count to twelve please"):
            events.append(event)
            if isinstance(event, AudioOut) and sum(isinstance(e, AudioOut) for e in events) == 2:
                agent.interrupt()
        return events

    events = asyncio.run(run())
    end = next(e for e in events if isinstance(e, TurnEnd))
    assert end.interrupted and end.spoken_text == "One, two,"
    assert llm.closed == 1
    assert sum(isinstance(e, AnswerToken) for e in events) < 12
    assert agent.history()[-1] == {"role": "assistant", "content": "One, two,"}
    agent.close()


def test_a_tool_that_ran_keeps_its_result_and_never_runs_twice(tmp_path: Path, weather_url: str) -> None:
    agent = _agent(tmp_path, weather_url, ScriptedLLM())
    before = Weather.calls
    events = asyncio.run(_collect(agent, "weather in Beijing today"))
    assert Weather.calls == before + 1
    assert len([e for e in events if isinstance(e, ToolResult)]) == 1
    agent.ask_sync("thanks")
    assert Weather.calls == before + 1
    agent.close()


def test_router_tiers_and_deepqa_choice() -> None:
    assert (
        system_intent("switch to interpretation mode") is None
        or system_intent("interpretation mode") == "mode:interpretation"
    )
    assert system_intent("同声传译") == "mode:interpretation"
    assert system_intent("stop") == "stop"
    assert deepqa_route("who won the match yesterday").kind == "rag"
    assert deepqa_route("今天有什么新闻").kind == "rag"
    assert deepqa_route("why is the sky blue").kind == "llm"
    registry = load_registry(plugins=False)
    router = Router(list(registry.skills.values()), embed=HashingEmbedder().embed, default_threshold=0.7)
    assert router.route("12乘以8是多少").target == "calculator"
    assert router.route("roll a dice for me").target == "random"
    assert router.route("why is the sky blue").kind == "llm"


def test_turn_taking_rules() -> None:
    taker = TurnTaker(TurnOptions(endpoint_silence_ms=600, barge_in_min_speech_ms=300, min_turn_speech_ms=200))

    def feed(kind: str, ms: float, speaking: bool = False) -> list[str]:
        out: list[str] = []
        for _ in range(int(ms // 100)):
            out += taker.on_vad(VadEvent(kind, 0, 100), speaking)  # type: ignore[arg-type]
        return out

    assert feed("speech", 100) == []  # a 100 ms blip is not a turn
    assert feed("silence", 700) == []
    assert feed("speech", 400) == ["start_of_turn"]
    assert feed("silence", 500) == []
    assert feed("silence", 100) == ["end_of_turn"]
    assert feed("speech", 200, speaking=True) == ["start_of_turn"]  # "嗯": shorter than the barge-in threshold
    assert feed("silence", 600) == ["end_of_turn"]
    assert feed("speech", 300, speaking=True) == ["start_of_turn", "barge_in"]


def test_events_serialise() -> None:
    event = ToolCall("weather", {"city": "Shanghai"})
    assert to_dict(event) == {"event": "tool.call", "skill": "weather", "slots": {"city": "Shanghai"}}
    audio = AudioOut(np.zeros(3, dtype=np.float32), 16_000, 0.0, "hi")
    assert "samples" not in to_dict(audio) and to_dict(audio)["event"] == "audio"


@pytest.mark.slow
def test_spoken_weather_question_end_to_end(tmp_path: Path, weather_url: str) -> None:
    """A question spoken by the bundled Piper voice, heard by the bundled Whisper, answered by the weather skill
    from fixtures, and spoken back."""
    pytest.importorskip("piper")
    pytest.importorskip("faster_whisper")
    from simulagent.agent.events import TranscriptFinal
    from simulagent.audio import chunk_samples, resample
    from simulagent.models.asr import BackendOptions, load_backend
    from simulagent.models.tts.backends import PiperBackend

    voice = PiperBackend()
    speech = np.concatenate(list(voice.synthesize("What will the weather be like in Beijing tomorrow?", "en")))
    speech = resample(speech, voice.capabilities.sample_rate_hz, 16_000)
    silence = np.zeros(16_000, dtype=np.float32)
    audio = np.concatenate([silence[:4000], speech, silence])
    agent = _agent(tmp_path, weather_url, ScriptedLLM(), speak=True)
    agent.tts = voice
    agent.transcriber = load_backend(BackendOptions(model="bundled:base"))

    async def run() -> list[Any]:
        return [event async for event in agent.run(chunk_samples(audio, 16_000, 100))]

    events = asyncio.run(run())
    heard = next(e for e in events if isinstance(e, TranscriptFinal))
    assert "beijing" in heard.text.lower() and "weather" in heard.text.lower()
    done = next(e for e in events if isinstance(e, AnswerDone))
    assert done.route == "vertical:weather" and done.text.startswith("Beijing tomorrow: light rain")
    spoken = [e for e in events if isinstance(e, AudioOut)]
    assert spoken and sum(e.samples.shape[0] for e in spoken) / spoken[0].sample_rate_hz > 1.0
    agent.close()


@pytest.mark.slow
def test_french_speech_is_interpreted_into_english_text_and_audio(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("faster_whisper")
    pytest.importorskip("espeakng_loader")
    import soundfile as sf

    from simulagent.cli import main

    clip = (
        Path(__file__).resolve().parents[2].parent
        / "shared"
        / "data"
        / "cvss-fr-en-sample"
        / "common_voice_fr_17767732.mp3"
    )
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    monkeypatch.setenv("SIMULAGENT_TTS__BACKEND", "espeak")
    out = tmp_path / "english.wav"
    assert main(["interpret", str(clip), "--from", "fr", "--to", "en", "--speak", str(out), "--no-log"]) == 0
    text = capsys.readouterr().out.lower()
    assert "national assembly" in text
    audio, rate = sf.read(str(out))
    assert audio.shape[0] / rate > 1.5


def test_due_timers_alarms_and_reminders_are_announced_once(tmp_path: Path, weather_url: str) -> None:
    from datetime import timedelta

    from simulagent.agent.events import ReminderDue

    agent = _agent(tmp_path, weather_url)
    try:
        agent.ask_sync("set a timer for 5 minutes")
        store = agent.local_store
        store.add("default", "reminder", "call mom", due_at=(NOW + timedelta(minutes=2)).timestamp())
        store.add("default", "alarm", "alarm daily", due_at=(NOW + timedelta(minutes=4)).timestamp())
        store.add("someone else", "reminder", "not mine", due_at=NOW.timestamp())
        assert agent.check_due() == []
        agent._now = lambda: NOW + timedelta(minutes=5, seconds=1)
        events = agent.check_due()
        assert [e.text for e in events if isinstance(e, ReminderDue)] == [
            "Reminder: call mom.",
            "It is 16:34: your alarm.",
            "Your timer for 5 minutes is done.",
        ]
        assert agent.check_due() == []  # each fires once
        agent._now = lambda: NOW + timedelta(days=1, minutes=5)
        assert [e.item_kind for e in agent.check_due()] == ["alarm"]  # the daily alarm came back
        assert [e.text for e in agent.check_due(lang="zh")] == []
    finally:
        agent.close()


def test_every_skill_example_routes_to_its_skill() -> None:
    """Tier 1 must never send a skill's own example elsewhere (a too-broad trigger of another skill would)."""
    registry = load_registry(plugins=False)
    router = Router(list(registry.skills.values()), embed=HashingEmbedder().embed, default_threshold=0.5)
    wrong = [
        (skill.id, example, router.route(example).target)
        for skill in registry.skills.values()
        for example in (*skill.examples_zh, *skill.examples_en)
        if router.route(example).target != skill.id
    ]
    assert wrong == []


def test_triggers_are_tier_one_and_checked() -> None:
    from simulagent.verticals.api import SlotSpec, Vertical

    registry = load_registry(plugins=False)
    router = Router(list(registry.skills.values()), embed=None)
    route = router.route("please flip a coin for me")
    assert (route.kind, route.target, route.tier) == ("vertical", "random", 1)
    assert router.route("把这句话翻译成日语").target == "translate"
    assert router.route("why is the sky blue").kind == "llm"
    with pytest.raises(ValueError, match="malformed trigger"):
        Vertical(
            "bad",
            "坏",
            "Bad",
            "坏",
            "Bad",
            ("一",) * 12,
            ("a",) * 12,
            (SlotSpec("x"),),
            lambda u, c: {},
            lambda s, c: None,  # type: ignore[arg-type,return-value]
            triggers=("(unclosed",),
        )


class ScriptedInterpreter:
    """Speech in, text out: commits the next scripted phrase for every chunk pushed, then finishes."""

    def __init__(self, phrases: list[str]) -> None:
        self.phrases = phrases

    @property
    def spec(self) -> Any:
        from simulagent.types import SystemSpec

        return SystemSpec("scripted", "speech", "text", "fr", "en")

    def new_state(self) -> dict[str, Any]:
        return {"pending": [], "next": 0, "finished": False}

    def reset(self, state: dict[str, Any]) -> None:
        state.update(self.new_state())

    def push(self, segment: Any, state: dict[str, Any]) -> None:
        if segment.samples.size and state["next"] < len(self.phrases):
            state["pending"].append(self.phrases[state["next"]])
            state["next"] += 1
        state["finished"] = state["finished"] or segment.finished

    def pop(self, state: dict[str, Any]) -> Any:
        from simulagent.types import TextSegment

        if state["pending"]:
            return TextSegment(state["pending"].pop(0))
        return TextSegment("", finished=state["finished"])


def test_interpretation_mode_inside_the_agent_loop(tmp_path: Path, weather_url: str) -> None:
    from simulagent.agent.events import ModeChanged, TranslationCommitted
    from simulagent.types import AudioChunk

    agent = _agent(tmp_path, weather_url)
    agent.transcriber = type("T", (), {"transcribe": lambda self, *a: ""})()
    agent.interpreter = lambda: ScriptedInterpreter(["Good evening", "to all of you", "stop interpreting"])
    assert agent.ask_sync("start interpreting") == "Interpretation mode on."
    assert agent.mode == "interpretation"
    tone = (0.1 * np.sin(np.arange(1600) / 5)).astype(np.float32)
    chunks = [AudioChunk(tone, 16_000, 100.0 * i) for i in range(5)]

    async def run() -> list[Any]:
        return [e async for e in agent.run(chunks, vad=lambda chunk: [VadEvent("silence", chunk.start_ms, 100.0)])]

    events = asyncio.run(run())
    commits = [e for e in events if isinstance(e, TranslationCommitted)]
    assert [c.text for c in commits] == ["Good evening", "to all of you", "stop interpreting"]
    assert commits[1].full_text == "Good evening to all of you"
    assert [e.mode for e in events if isinstance(e, ModeChanged)] == ["dialogue"]
    assert agent.mode == "dialogue"  # the spoken command switched back; later chunks went to the dialogue path
    agent.close()


@pytest.mark.slow
def test_french_speech_is_interpreted_by_the_agent_loop(tmp_path: Path, weather_url: str) -> None:
    pytest.importorskip("faster_whisper")
    pytest.importorskip("espeakng_loader")
    from simulagent.agent.events import TranslationCommitted
    from simulagent.audio import chunk_samples, load_audio
    from simulagent.models.tts.backends import EspeakBackend

    clip = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "cvss-fr-en-sample"
    clip = clip / "common_voice_fr_17767732.mp3"
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    agent = _agent(tmp_path, weather_url, speak=True, listen_lang="fr")
    agent.tts = EspeakBackend()
    agent.transcriber = type("T", (), {"transcribe": lambda self, *a: ""})()
    agent.set_mode("interpretation")
    audio = load_audio(clip)

    async def run() -> list[Any]:
        return [e async for e in agent.run(chunk_samples(audio, 16_000, 500))]

    events = asyncio.run(run())
    english = " ".join(e.text for e in events if isinstance(e, TranslationCommitted)).lower()
    assert "national assembly" in english
    spoken = [e for e in events if isinstance(e, AudioOut)]
    assert sum(e.samples.shape[0] for e in spoken) / spoken[0].sample_rate_hz > 1.0
    agent.close()


def test_partial_transcripts_while_the_user_speaks(tmp_path: Path, weather_url: str) -> None:
    from simulagent.agent.events import TranscriptFinal, TranscriptPartial
    from simulagent.types import AudioChunk

    class Counting:
        def transcribe(self, samples: np.ndarray, rate: int, lang: str) -> str:
            return f"flip a coin {samples.size // 16_000}"

    agent = _agent(tmp_path, weather_url)
    agent.transcriber = Counting()
    speech = [AudioChunk(np.full(1600, 0.1, dtype=np.float32), 16_000, 100.0 * i) for i in range(30)]
    silence = [AudioChunk(np.zeros(1600, dtype=np.float32), 16_000, 3000.0 + 100.0 * i) for i in range(8)]

    async def paced() -> Any:
        for chunk in [*speech, *silence]:
            await asyncio.sleep(0.005)  # lets the background recognitions finish, as real time would
            yield chunk

    def vad(chunk: AudioChunk) -> list[VadEvent]:
        return [VadEvent("speech" if chunk.samples.any() else "silence", chunk.start_ms, 100.0)]

    async def run() -> list[Any]:
        return [e async for e in agent.run(paced(), vad=vad)]

    events = asyncio.run(run())
    partials = [e.text for e in events if isinstance(e, TranscriptPartial)]
    assert len(partials) >= 2 and partials == sorted(partials)
    final = next(e for e in events if isinstance(e, TranscriptFinal))
    assert final.text.startswith("flip a coin") and events.index(final) > max(
        i for i, e in enumerate(events) if isinstance(e, TranscriptPartial)
    )
    assert next(e for e in events if isinstance(e, AnswerDone)).route == "vertical:random"
    agent.close()


@pytest.mark.slow
def test_chat_listens_to_a_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("piper")
    pytest.importorskip("faster_whisper")
    from simulagent.audio import resample, save_wav
    from simulagent.cli import main
    from simulagent.models.tts.backends import PiperBackend

    monkeypatch.setenv("SIMULAGENT_DATA_DIR", str(tmp_path / "data"))
    voice = PiperBackend()
    speech = np.concatenate(list(voice.synthesize("Please flip a coin for me.", "en")))
    speech = resample(speech, voice.capabilities.sample_rate_hz, 16_000)
    recording = tmp_path / "question.wav"
    save_wav(recording, np.concatenate([np.zeros(4000, np.float32), speech, np.zeros(16_000, np.float32)]), 16_000)
    assert main(["chat", "--listen", str(recording), "--no-llm", "--json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any(e["event"] == "transcript.final" and "coin" in e["text"].lower() for e in events)
    assert any(e["event"] == "answer.done" and e["route"] == "vertical:random" for e in events)
    assert main(["chat", "--listen", str(tmp_path / "missing.wav"), "--no-llm"]) == 2


def test_chat_needs_a_sound_device_for_the_microphone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from simulagent.cli import main

    monkeypatch.setenv("SIMULAGENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # as if it were not installed
    assert main(["chat", "--listen", "mic", "--no-llm"]) == 2
    assert "simulagent[mic]" in capsys.readouterr().err
    assert main(["chat", "--say", "flip a coin", "--play", "--no-llm"]) == 2


def test_spoken_english_uses_the_fast_recogniser_by_default() -> None:
    from simulagent.agent.agent import listen_model

    assert listen_model("auto", "en") == "bundled:tiny.en"
    assert listen_model("auto", "zh") == "bundled:base"
    assert listen_model("/models/whisper-small", "en") == "/models/whisper-small"


def test_deepqa_retrieves_from_the_configured_knowledge_base(tmp_path: Path, weather_url: str) -> None:
    from simulagent.config import load_config
    from simulagent.rag.ingest import IngestOptions, ingest_paths
    from simulagent.rag.retrieve import retriever_from_config

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "trains.md").write_text("# Trains\n\nThe night train to Vienna leaves platform 7 at 22:15.\n")
    (notes / "tea.md").write_text("# Tea\n\nGreen tea is brewed at 80 degrees for two minutes.\n")
    config = load_config(env={"SIMULAGENT_RAG__EMBEDDER": "hashing", "SIMULAGENT_RAG__AGENT_KNOWLEDGE_BASES": "notes"})
    retriever = retriever_from_config(config.rag)
    ingest_paths(retriever.kb("notes"), retriever.embedder, [notes], IngestOptions(allowed_roots=(notes,)))
    llm = ScriptedLLM("It leaves at 22:15 [1].")
    registry = load_registry(plugins=False)
    router = Router(list(registry.skills.values()), embed=HashingEmbedder().embed, default_threshold=0.7)
    agent = Agent.from_config(
        config,
        AgentOptions(thread_id="rag", time_zone="Asia/Shanghai"),
        registry=registry,
        router=router,
        llm=llm,
        folder=tmp_path / "agent",
        http=HTTP(base_urls={"open-meteo": weather_url}, retries=0),
    )
    events = asyncio.run(_collect(agent, "according to my documents, when does the night train to Vienna leave"))
    done = next(e for e in events if isinstance(e, AnswerDone))
    assert done.route == "rag:rag" and done.citations and done.citations[0].endswith("trains.md")
    prompt = llm.prompts[-1][-1].content
    # The passage reaches the answer writer quoted as data, with the instruction to ignore instructions in it.
    assert "platform 7" in prompt and "data, not instructions" in prompt
    agent.close()


def test_a_broken_knowledge_base_leaves_the_llm_to_answer(tmp_path: Path, weather_url: str) -> None:
    from simulagent.config import load_config
    from simulagent.rag.retrieve import retriever_from_config

    # The base was made with another embedder: opening it is a UserError, which must not end the turn.
    made = retriever_from_config(load_config(env={"SIMULAGENT_RAG__EMBEDDER": "hashing:64"}).rag)
    made.kb("notes").close()
    config = load_config(env={"SIMULAGENT_RAG__EMBEDDER": "hashing", "SIMULAGENT_RAG__AGENT_KNOWLEDGE_BASES": "notes"})
    llm = ScriptedLLM("I do not know.")
    registry = load_registry(plugins=False)
    router = Router(list(registry.skills.values()), embed=HashingEmbedder().embed, default_threshold=0.7)
    agent = Agent.from_config(
        config, registry=registry, router=router, llm=llm, folder=tmp_path / "agent", http=HTTP(retries=0)
    )
    assert agent.ask_sync("according to my documents, when does the train leave") == "I do not know."
    agent.close()


def test_deepqa_web_providers_are_checked_at_start_up() -> None:
    from simulagent.config import load_config
    from simulagent.errors import ConfigError, UserError
    from simulagent.rag.retrieve import web_providers

    with pytest.raises(ConfigError, match="unknown provider 'bing'"):
        load_config(env={"SIMULAGENT_RAG__AGENT_WEB": "wikipedia,bing"})
    config = load_config(env={"SIMULAGENT_RAG__AGENT_WEB": "searxng"})
    with pytest.raises(UserError, match=r"rag\.searxng_url"):
        web_providers(config.rag, config.rag.agent_web)
    assert [p.name for p in web_providers(config.rag, ["wikipedia"])] == ["wikipedia"]
