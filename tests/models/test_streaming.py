"""The streaming Whisper system: streaming == offline, resets, buffer trimming, language checks, real decoding."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from simulagent.audio import chunk_samples
from simulagent.errors import UserError
from simulagent.models.asr import (
    PRESETS,
    SpeechBackend,
    StreamingOptions,
    WhisperStreamingState,
    WhisperStreamingSystem,
    Word,
)
from simulagent.policies import AlignAtt, LocalAgreement
from simulagent.signals import CountPolicy
from simulagent.types import (
    AdaptiveStepSystem,
    FloatArray,
    ReadAction,
    SpeechSegment,
    StreamingSystem,
    TextSegment,
    WriteAction,
)

from .conftest import ScriptedBackend, script_word, scripted_audio
from .test_backends import word_error_rate


def run(
    system: WhisperStreamingSystem,
    audio: FloatArray,
    chunk_ms: float,
    state: WhisperStreamingState | None = None,
    on_update: Any = None,
) -> list[TextSegment]:
    """Drive `system` as eval's runner does; returns the non-empty outputs, the last one finished."""
    state = state if state is not None else system.new_state()
    chunks = list(chunk_samples(audio, 16_000, chunk_ms))
    outputs: list[TextSegment] = []
    for i, chunk in enumerate(chunks):
        system.push(chunk.to_segment(finished=i == len(chunks) - 1), state)
        while True:
            out = system.pop(state)
            assert isinstance(out, TextSegment)
            if on_update is not None:
                on_update(state)
            if not out.is_empty or out.finished:
                outputs.append(out)
            if out.is_empty or out.finished:
                break
    for _ in range(3):
        if outputs and outputs[-1].finished:
            break
        last = system.pop(state)
        assert isinstance(last, TextSegment)
        outputs.append(last)
    assert outputs[-1].finished
    return outputs


def text_of(outputs: list[TextSegment]) -> str:
    return " ".join(o.content for o in outputs if o.content)


def scripted_system(backend: SpeechBackend, **overrides: Any) -> WhisperStreamingSystem:
    options = StreamingOptions(task="transcribe", source_lang="en", target_lang="en", **overrides)
    return WhisperStreamingSystem(backend, options, LocalAgreement(2))


def test_is_a_streaming_system(scripted_backend: ScriptedBackend) -> None:
    system = scripted_system(scripted_backend)
    assert isinstance(system, StreamingSystem)
    assert system.spec.source_type == "speech" and system.spec.target_type == "text"


@pytest.mark.parametrize("chunk_ms", [250.0, 1000.0, 1700.0])
def test_streaming_equals_offline(scripted_backend: ScriptedBackend, chunk_ms: float) -> None:
    audio = scripted_audio(24)  # 12 s
    system = scripted_system(scripted_backend)
    expected = " ".join(script_word(i) for i in range(24))
    offline = run(system, audio, chunk_ms=len(audio) / 16)
    assert text_of(offline) == expected
    streaming = run(system, audio, chunk_ms=chunk_ms)
    assert text_of(streaming) == expected
    assert len(streaming) > 2  # it really emitted while reading


def test_reset_and_external_state_give_identical_runs(scripted_backend: ScriptedBackend) -> None:
    audio = scripted_audio(10)
    system = scripted_system(scripted_backend)
    state = system.new_state()
    first = [(o.content, o.finished) for o in run(system, audio, 500.0, state)]
    system.reset(state)
    again = [(o.content, o.finished) for o in run(system, audio, 500.0, state)]
    fresh = [(o.content, o.finished) for o in run(system, audio, 500.0)]
    assert first == again == fresh


def run_watching_buffer(system: WhisperStreamingSystem, audio: FloatArray) -> tuple[list[TextSegment], float]:
    """Outputs of `run` in 500 ms pieces, and the longest the audio buffer grew (ms)."""
    longest_ms = 0.0

    def watch(state: WhisperStreamingState) -> None:
        nonlocal longest_ms
        longest_ms = max(longest_ms, 1000.0 * state.buffer.shape[0] / 16_000)

    return run(system, audio, 500.0, on_update=watch), longest_ms


def test_buffer_stays_short_on_a_long_stream(scripted_backend: ScriptedBackend) -> None:
    audio = scripted_audio(120)  # 60 s, longer than Whisper's 30 s window
    system = scripted_system(scripted_backend, trim_after_ms=4_000.0, max_buffer_ms=8_000.0)
    outputs, longest_ms = run_watching_buffer(system, audio)
    assert text_of(outputs) == " ".join(script_word(i) for i in range(120))
    assert longest_ms <= 8_000.0 + 1_500.0
    # Committed words before the buffer reach the model as a prompt, those inside it as a forced prefix.
    assert any(call.prompt for call in scripted_backend.calls)
    assert any(call.prefix for call in scripted_backend.calls)


def test_speech_only_and_no_audio_after_the_end(scripted_backend: ScriptedBackend) -> None:
    system = scripted_system(scripted_backend)
    state = system.new_state()
    with pytest.raises(TypeError, match="reads speech"):
        system.push(TextSegment("hello"), state)
    system.push(SpeechSegment.empty(finished=True), state)
    with pytest.raises(ValueError, match="after the end"):
        system.push(SpeechSegment(np.ones(10, dtype=np.float32), 16_000), state)
    final = system.pop(state)
    assert final.finished and final.is_empty


def test_other_sample_rates_are_resampled(scripted_backend: ScriptedBackend) -> None:
    system = scripted_system(scripted_backend)
    state = system.new_state()
    system.push(SpeechSegment(np.zeros(8_000, dtype=np.float32), 8_000, finished=True), state)
    assert state.unread.shape[0] == 16_000  # taken into the buffer, step by step, when popped


def test_a_long_push_is_decoded_in_steps(scripted_backend: ScriptedBackend) -> None:
    # 70 s in one push (a whole file; a server's coalesced backlog): more than one decode can take (30 s).
    audio = scripted_audio(140)
    system = scripted_system(scripted_backend, trim_after_ms=4_000.0, max_buffer_ms=8_000.0)
    state = system.new_state()
    system.push(SpeechSegment(audio, 16_000, finished=True), state)
    out = system.pop(state)
    assert out.finished and out.content == " ".join(script_word(i) for i in range(140))
    assert max(len(call.prefix.split()) for call in scripted_backend.calls) < 40  # short buffers all along


@pytest.mark.parametrize(
    ("task", "source", "target", "message"),
    [
        ("translate", "en", "de", "into English only"),
        ("transcribe", "fr", "en", "keeps the language"),
        ("transcribe", "xx", "xx", "unsupported source language 'xx'"),
    ],
)
def test_unsupported_language_pairs_are_user_errors(
    scripted_backend: ScriptedBackend, task: Any, source: str, target: str, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        WhisperStreamingSystem(
            scripted_backend, StreamingOptions(task=task, source_lang=source, target_lang=target), LocalAgreement(2)
        )


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="step_ms"):
        StreamingOptions(step_ms=0.0)
    with pytest.raises(ValueError, match="trim_after_ms"):
        StreamingOptions(trim_after_ms=20_000.0, max_buffer_ms=10_000.0)


@pytest.mark.slow
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_transcribe_english_with_tiny_en(
    preset: str, tiny_backend: SpeechBackend, english_example: tuple[FloatArray, str]
) -> None:
    audio, transcript = english_example
    # Fixed steps: the adaptive step follows the machine's speed, which would make the words depend on the load.
    options = dataclasses.replace(
        PRESETS[preset], task="transcribe", source_lang="en", target_lang="en", max_compute_ratio=0.0
    )
    system = WhisperStreamingSystem(tiny_backend, options, LocalAgreement(2))
    outputs = run(system, audio, 500.0)
    # tiny.en misses 6-7 of the 20 words of this synthetic clip (the reference itself misspells "speach").
    assert word_error_rate(transcript, text_of(outputs)) <= 0.35
    assert len([o for o in outputs if o.content]) >= 2


@dataclass
class _WaitKState:
    decisions: int = 0


@dataclass(frozen=True)
class _WaitK:
    """A tiny wait-k satisfying `simulagent.signals.CountPolicy` (the real one lives in policies/)."""

    k: int

    def new_state(self) -> _WaitKState:
        return _WaitKState()

    def decide(
        self, state: _WaitKState, num_source_read: int, source_finished: bool, num_target_written: int
    ) -> ReadAction | WriteAction:
        state.decisions += 1
        if source_finished or num_source_read - num_target_written >= self.k:
            return WriteAction()
        return ReadAction()


def test_wait_k_on_fixed_chunks(scripted_backend: ScriptedBackend) -> None:
    audio = scripted_audio(12)  # one word per 500 ms
    options = StreamingOptions(task="transcribe", source_lang="en", target_lang="en", step_ms=500.0)
    system = WhisperStreamingSystem(scripted_backend, options, policy=_WaitK(3))
    assert isinstance(_WaitK(3), CountPolicy)
    state = system.new_state()
    outputs = run(system, audio, 500.0, state)
    assert text_of(outputs) == " ".join(script_word(i) for i in range(12))
    assert outputs[0].content == "w0"  # after 3 chunks, one word
    assert state.policy_state.decisions > 0
    offline = run(system, audio, chunk_ms=len(audio) / 16)
    assert text_of(offline) == text_of(outputs)


class _NeverAgree:
    """An agreement policy that commits nothing before the end (an unsure model, or steps too long to agree)."""

    def new_state(self) -> None:
        return None

    def agree(self, state: None, hypothesis: Any, source_finished: bool) -> int:
        return len(hypothesis) if source_finished else 0


def test_a_buffer_that_never_agrees_is_committed_not_dropped(scripted_backend: ScriptedBackend) -> None:
    audio = scripted_audio(60)  # 30 s
    options = StreamingOptions(
        task="transcribe", source_lang="en", target_lang="en", trim_after_ms=4_000.0, max_buffer_ms=8_000.0
    )
    system = WhisperStreamingSystem(scripted_backend, options, policy=_NeverAgree())  # type: ignore[arg-type]
    outputs, longest_ms = run_watching_buffer(system, audio)
    # Every word arrives, in order, once: past max_buffer_ms the settled words are committed and trimmed.
    assert text_of(outputs) == " ".join(script_word(i) for i in range(60))
    assert longest_ms <= 8_000.0 + 1_500.0
    assert len(outputs) > 3


def test_a_continuation_that_repeats_committed_words_is_dropped() -> None:
    from simulagent.models.asr._streaming import drop_repeated_head
    from simulagent.models.asr._types import Word

    def words(text: str, start_ms: float = 0.0) -> list[Word]:
        return [Word(w, start_ms + 100 * i, start_ms + 100 * i + 90) for i, w in enumerate(text.split())]

    committed = words("High on the agenda are plans for greater nuclear co-operation.")
    restart = words("high on the agenda, are plans", 1000.0)
    assert drop_repeated_head(committed, restart) == []
    assert [w.text for w in drop_repeated_head(committed, words("on the agenda are today"))] == ["today"]
    # A few repeated words may be speech ("no, no", "on the agenda"); new words are kept.
    assert len(drop_repeated_head(committed, words("the agenda"))) == 2
    assert len(drop_repeated_head(committed, words("on the agenda again"))) == 4
    assert len(drop_repeated_head(committed, words("Tokyo is big"))) == 3


def test_a_word_said_again_and_again_is_a_loop() -> None:
    from simulagent.models.asr._streaming import cut_word_loop

    # "My colleague in my my my my ...": the run began among the committed words, so none of it is kept.
    assert cut_word_loop(["colleague", "in", "my"], ["my", "my", "my"]) == 0
    assert cut_word_loop([], ["I", "said", "no", "no", "no", "no", "today"]) == 2
    assert cut_word_loop(["No,"], ["no,", "no!", "NO", "again"]) == 0  # case and punctuation do not matter
    # Three in a row may be speech; so may a word said again after another.
    assert cut_word_loop([], ["no,", "no,", "no."]) is None
    assert cut_word_loop(["very"], ["very", "good", "good"]) is None
    assert cut_word_loop(["my", "my", "my", "my"], ["opinion"]) is None  # only new words can make a loop
    assert cut_word_loop(["a"], ["b", ",", ",", ",", ","]) is None  # punctuation alone is no word
    assert cut_word_loop([], []) is None


class _LoopOnPrompt(ScriptedBackend):
    """Hears the scripted words, except when its prompt ends with "w4.": then it says "w4" three times, as Whisper
    base did on a German stream whose prompt ended with "my"."""

    def decode(self, samples: FloatArray, request: Any) -> Any:
        from simulagent.models.asr import Hypothesis

        if request.prompt.endswith("w4."):
            self.calls.append(request)
            loop = tuple(Word("w4", 100.0 * i, 100.0 * i + 80.0) for i in range(3))
            return Hypothesis("w4 w4 w4", loop)
        return super().decode(samples, request)


def test_a_loop_fed_by_the_prompt_is_cut_and_the_prompt_reset() -> None:
    backend = _LoopOnPrompt()
    options = StreamingOptions(
        task="transcribe", source_lang="en", target_lang="en", step_ms=500.0, trim_after_ms=1_000.0
    )
    system = WhisperStreamingSystem(backend, options, policy=AlignAtt(frame_threshold=5))
    text = text_of(run(system, scripted_audio(12), 250.0))
    # The buffer is cut after "w4.", which then ends the prompt: the loop comes once, and is neither committed nor
    # fed back, since the next prompts start after it.
    assert text == " ".join(script_word(i) for i in range(12))
    looped = [i for i, call in enumerate(backend.calls) if call.prompt.endswith("w4.")]
    assert len(looped) == 1
    assert all("w4." not in call.prompt for call in backend.calls[looped[0] + 1 :])


def test_a_policy_of_no_known_kind_is_refused(scripted_backend: ScriptedBackend) -> None:
    options = StreamingOptions(task="transcribe", source_lang="en", target_lang="en")
    bad: Any = object()
    with pytest.raises(TypeError, match="neither an AgreementPolicy, a CountPolicy nor an AlignmentPolicy"):
        WhisperStreamingSystem(scripted_backend, options, policy=bad)


def test_alignatt_commits_words_aligned_clear_of_the_newest_audio(scripted_backend: ScriptedBackend) -> None:
    audio = scripted_audio(12)
    options = StreamingOptions(task="transcribe", source_lang="en", target_lang="en", step_ms=500.0)
    system = WhisperStreamingSystem(scripted_backend, options, policy=AlignAtt(frame_threshold=5))
    streaming = run(system, audio, 250.0)
    assert text_of(streaming) == " ".join(script_word(i) for i in range(12))
    assert "?" not in text_of(streaming)  # a word cut by the buffer's end is never committed
    assert len(streaming) >= 6
    assert text_of(run(system, audio, chunk_ms=len(audio) / 16)) == text_of(streaming)
    assert AlignAtt(frame_threshold=2).stable([100.0, 900.0, 990.0], audio_end_ms=1000.0, source_finished=False) == 2
    with pytest.raises(ValueError, match="frame_threshold"):
        AlignAtt(frame_threshold=-1)


@pytest.mark.slow
def test_the_transformers_backend_streams_with_alignatt(english_example: tuple[FloatArray, str]) -> None:
    """AlignAtt on the converted weights' cross-attention (attention-peak word times), full 30 s window."""
    pytest.importorskip("faster_whisper")
    from simulagent.errors import UserError
    from simulagent.models.asr import BackendOptions, load_backend

    try:
        backend = load_backend(BackendOptions(backend="transformers", model="bundled:tiny.en"))
    except UserError as exc:
        pytest.skip(f"bundled tiny.en unavailable: {exc}")
    audio, transcript = english_example
    options = StreamingOptions(task="transcribe", source_lang="en", target_lang="en", step_ms=2000.0)
    system = WhisperStreamingSystem(backend, options, policy=AlignAtt(frame_threshold=4))
    outputs = run(system, audio, 1000.0)
    assert word_error_rate(transcript, text_of(outputs)) < 0.35
    assert len([o for o in outputs if o.content]) >= 2
    with pytest.raises(ValueError, match="short window"):
        WhisperStreamingSystem(backend, dataclasses.replace(options, encoder_context="audio"), LocalAgreement(2))
    with pytest.raises(ValueError, match="greedily only"):
        WhisperStreamingSystem(backend, dataclasses.replace(options, beam_size=4), LocalAgreement(2))


def test_punctuation_glued_to_a_word_keeps_the_word_s_times() -> None:
    # The two come from different updates' alignments: the comma's can end before the word it closes began.
    state = WhisperStreamingState()
    WhisperStreamingSystem._commit(state, [Word("teacher", 281_480.0, 281_700.0)])
    WhisperStreamingSystem._commit(state, [Word(",", 281_300.0, 281_380.0)])
    assert state.committed == [Word("teacher,", 281_480.0, 281_700.0, 1.0)]
    assert state.pending == ["teacher,"]


@pytest.mark.slow
def test_alignatt_transcribes_with_a_beam_and_takes_another(tiny_backend: Any) -> None:
    from simulagent.models.asr import make_system

    def beam(**overrides: Any) -> int:
        system = make_system(
            "alignatt", task="transcribe", source_lang="en", model="bundled:tiny.en", policy=AlignAtt(75), **overrides
        )
        assert isinstance(system, WhisperStreamingSystem)
        return system.options.beam_size

    assert beam() == 8
    assert beam(beam_size="1") == 1  # as eval's --system-args gives it


class _BatchingScriptedBackend(ScriptedBackend):
    """The scripted backend with a `decode_batch` that records its batches; `fail_above` makes every batch fail
    and a lone decode fail on audio louder than it."""

    def __init__(self, fail_above: float | None = None) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.fail_above = fail_above

    @property
    def capabilities(self) -> Any:
        return dataclasses.replace(super().capabilities, batched_decode=True)

    def decode(self, samples: FloatArray, request: Any) -> Any:
        if self.fail_above is not None and float(np.max(samples, initial=0.0)) > self.fail_above:
            raise RuntimeError("this window breaks the model")
        return super().decode(samples, request)

    def decode_batch(self, items: list[Any]) -> list[Any]:
        self.batches.append(len(items))
        if self.fail_above is not None:
            raise RuntimeError("the batched call failed")
        return [self.decode(samples, request) for samples, request in items]


def _step_together(system: WhisperStreamingSystem, audios: list[FloatArray], chunk_ms: float) -> list[Any]:
    """Stream several recordings side by side, each chunk round through one `step_batch`."""
    states = [system.new_state() for _ in audios]
    chunks = [list(chunk_samples(audio, 16_000, chunk_ms)) for audio in audios]
    outputs: list[Any] = [[] for _ in audios]
    for k in range(max(len(c) for c in chunks)):
        live = [i for i, c in enumerate(chunks) if k < len(c) and not isinstance(outputs[i], Exception)]
        steps = [(chunks[i][k].to_segment(finished=k == len(chunks[i]) - 1), states[i]) for i in live]
        for i, result in zip(live, system.step_batch(steps), strict=True):
            if isinstance(result, Exception):
                outputs[i] = result
            else:
                outputs[i].extend(result)
    return outputs


def test_streams_stepped_in_a_batch_read_what_they_read_alone(scripted_backend: ScriptedBackend) -> None:
    audios = [scripted_audio(12), scripted_audio(7), scripted_audio(16)]
    alone = [text_of(run(scripted_system(scripted_backend), audio, 500.0)) for audio in audios]
    backend = _BatchingScriptedBackend()
    together = _step_together(scripted_system(backend), audios, 500.0)
    assert [text_of(outputs) for outputs in together] == alone
    assert all(outputs[-1].finished for outputs in together)
    assert max(backend.batches) == 3  # the three streams' updates shared decodes


def test_a_stream_that_fails_in_a_batch_fails_alone(scripted_backend: ScriptedBackend) -> None:
    system = scripted_system(scripted_backend)
    good, ended = system.new_state(), system.new_state()
    system.push(SpeechSegment.empty(16_000, finished=True), ended)
    audio = SpeechSegment(scripted_audio(4), 16_000)
    results = system.step_batch([(audio, good), (audio, ended)])
    assert isinstance(results[1], ValueError) and "after the end" in str(results[1])
    assert isinstance(results[0], list)
    with pytest.raises(ValueError, match="once"):
        system.step_batch([(audio, good), (audio, good)])
    # A batched decode that fails is retried window by window: only the window that breaks the model fails.
    backend = _BatchingScriptedBackend(fail_above=0.005)
    quiet, loud = scripted_audio(4), scripted_audio(4) * 10
    together = _step_together(scripted_system(backend), [quiet, loud], 500.0)
    assert isinstance(together[1], RuntimeError) and "breaks the model" in str(together[1])
    assert text_of(together[0]) == text_of(run(scripted_system(scripted_backend), quiet, 500.0))


class _SlowScriptedBackend(ScriptedBackend):
    """The scripted backend on a fake clock: every decode takes `decode_s` of it."""

    def __init__(self, clock: list[float], decode_s: float) -> None:
        super().__init__()
        self.clock = clock
        self.decode_s = decode_s

    def decode(self, samples: FloatArray, request: Any) -> Any:
        self.clock[0] += self.decode_s
        return super().decode(samples, request)


@pytest.mark.parametrize(("decode_s", "step_ms"), [(0.1, 1500.0), (0.9, 3000.0), (3.0, 5000.0)])
def test_alignatt_step_grows_when_updates_take_more_than_its_compute_ratio(
    monkeypatch: pytest.MonkeyPatch, decode_s: float, step_ms: float
) -> None:
    from simulagent.models.asr import _streaming

    clock = [0.0]
    monkeypatch.setattr(_streaming.time, "perf_counter", lambda: clock[0])
    options = dataclasses.replace(PRESETS["alignatt"], task="transcribe", source_lang="en", target_lang="en")
    assert options.max_compute_ratio == 0.3
    system = WhisperStreamingSystem(_SlowScriptedBackend(clock, decode_s), options, AlignAtt(75))
    state = system.new_state()
    assert isinstance(system, AdaptiveStepSystem) and system.adapts_step
    assert system.step_headroom(state) is None  # no update yet: nothing known of the load
    system.push(SpeechSegment(scripted_audio(6)[: 3000 * 16], 16_000), state)  # the preset's first update at 3 s
    system.pop(state)
    # A fast update keeps the preset's 1.5 s; a slow one stretches the step to 0.3 of real time, up to 5 s.
    assert state.num_updates == 1
    assert state.step_ms == pytest.approx(step_ms)
    # What a server reads of it: the share of the range from 1.5 s to 5 s the step has not grown into.
    assert system.step_headroom(state) == pytest.approx((5000.0 - step_ms) / 3500.0)
    baseline = dataclasses.replace(PRESETS["baseline"], task="transcribe", source_lang="en", target_lang="en")
    fixed = WhisperStreamingSystem(_SlowScriptedBackend(clock, decode_s), baseline, LocalAgreement(2))
    assert not fixed.adapts_step


@pytest.mark.parametrize(
    ("decode_s", "max_step_ms", "longest_kept_ms"),
    [(0.1, 5000.0, 8000.0), (3.0, 5000.0, 4500.0), (3.0, 8000.0, 1500.0)],
)
def test_a_grown_step_keeps_a_shorter_buffer(
    monkeypatch: pytest.MonkeyPatch, decode_s: float, max_step_ms: float, longest_kept_ms: float
) -> None:
    from simulagent.models.asr import _streaming

    clock = [0.0]
    monkeypatch.setattr(_streaming.time, "perf_counter", lambda: clock[0])
    # Cut at max_buffer_ms only (the script ends a sentence every 2.5 s, which trim_after_ms would cut at first).
    options = dataclasses.replace(
        PRESETS["alignatt"],
        task="transcribe",
        source_lang="en",
        target_lang="en",
        trim_after_ms=8000.0,
        max_step_ms=max_step_ms,
    )
    system = WhisperStreamingSystem(_SlowScriptedBackend(clock, decode_s), options, AlignAtt(75))
    audio = scripted_audio(120)  # 60 s
    kept_ms: list[float] = []
    state_steps: list[float] = []

    def watch(state: WhisperStreamingState) -> None:
        state_steps.append(state.step_ms)
        if not state.target_finished:  # the last update keeps its whole buffer
            kept_ms.append(1000.0 * state.buffer.shape[0] / 16_000)

    outputs = run(system, audio, 500.0, on_update=watch)
    # At 1.5 s steps the buffer keeps up to the preset's 8 s; grown to 5 s steps it keeps 3.5 s less (to 8 s, 6.5 s
    # less), so a window (kept audio and one step) is no longer than before.
    assert state_steps[-1] == pytest.approx(1500.0 if decode_s < 0.45 else max_step_ms)
    assert max(kept_ms) <= longest_kept_ms + 500.0
    assert max(kept_ms) > longest_kept_ms - 2000.0
    assert text_of(outputs) == " ".join(script_word(i) for i in range(120))  # shorter, and nothing lost


def test_the_first_update_waits_for_first_step_ms(scripted_backend: ScriptedBackend) -> None:
    system = scripted_system(scripted_backend, step_ms=500.0, first_step_ms=2_000.0)
    state = system.new_state()
    audio = scripted_audio(12)  # 6 s
    read_ms = 0
    while state.num_updates == 0:
        system.push(SpeechSegment(audio[read_ms * 16 : (read_ms + 250) * 16], 16_000), state)
        system.pop(state)
        read_ms += 250
    assert read_ms == 2_000
    system.push(SpeechSegment(audio[read_ms * 16 : (read_ms + 500) * 16], 16_000), state)
    system.pop(state)
    assert state.num_updates == 2  # then every step_ms, as before
    expected = " ".join(script_word(i) for i in range(12))
    assert text_of(run(system, audio, 250.0)) == expected
    with pytest.raises(ValueError, match="first_step_ms"):
        StreamingOptions(first_step_ms=10.0)
