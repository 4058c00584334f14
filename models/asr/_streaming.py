"""Streaming Whisper: speech in, committed text out, gated by a policy, with a short audio buffer.

Every update decodes the audio buffer with the committed words that lie inside it as a forced prefix (so the model
only proposes a continuation) and the committed words before it as a prompt. The policy commits the head of the
continuation: an `AgreementPolicy` (LocalAgreement-n) commits what consecutive hypotheses agree on; a
`simulagent.signals.CountPolicy` (wait-k) is asked word by word, counting source in steps of `step_ms`; an
`AlignmentPolicy` (AlignAtt) commits the words aligned far enough from the newest audio.

Once the buffer grows past `trim_after_ms` it is cut at the end of the last committed sentence (or, past
`max_buffer_ms`, at the last committed word), so the encoder and decoder see a short, bounded window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from simulagent.audio import resample
from simulagent.errors import UserError
from simulagent.memory import trim_now_and_then
from simulagent.models.asr._agreement import AgreementPolicy, AlignmentPolicy, normalize_word
from simulagent.models.asr._types import (
    SAMPLE_RATE_HZ,
    DecodeRequest,
    Hypothesis,
    SpeechBackend,
    Task,
    Word,
    decode_all,
)
from simulagent.signals import CountPolicy
from simulagent.types import FloatArray, Segment, SpeechSegment, SystemSpec, TextSegment, WriteAction, drain

__all__ = [
    "StreamingOptions",
    "WhisperStreamingState",
    "WhisperStreamingSystem",
    "check_language_pair",
    "cut_word_loop",
    "drop_repeated_head",
]

_SENTENCE_END = (".", "?", "!", "。", "？", "！")
# A forced commit (see `_trim`) takes only hypothesis words that end at least this long before the newest audio.
_SETTLE_MS = 1_000.0
# A continuation whose first words repeat this many of the last committed words is a restart, not speech.
_MIN_REPEAT_WORDS = 4
_REPEAT_LOOKBACK_WORDS = 40
# A word said more times than this in a row (committed words included) is a decoding loop, not speech.
_MAX_WORD_RUN = 3
# Whisper decodes at most 30 s; the buffer is kept below that whatever arrives in one step.
_MAX_DECODE_SAMPLES = 29 * SAMPLE_RATE_HZ
# The most audio one update takes into the buffer, unless its step is longer.
_MAX_TAKE_MS = 5_000.0
# The least audio a grown step's shorter buffer keeps (see `_buffer_bounds_ms`).
_MIN_KEPT_MS = 1_000.0


def check_language_pair(task: Task, source_lang: str, target_lang: str, languages: frozenset[str]) -> None:
    """Raise `UserError` unless Whisper can do `task` from `source_lang` to `target_lang`."""
    if source_lang not in languages:
        raise UserError(
            f"unsupported source language {source_lang!r}; this model knows: {', '.join(sorted(languages))}"
        )
    if task == "translate" and target_lang != "en":
        raise UserError(f"Whisper translates speech into English only; {source_lang}->{target_lang} is not supported")
    if task == "transcribe" and target_lang != source_lang:
        raise UserError(f"transcription keeps the language: use --to {source_lang} (or --task translate --to en)")


def drop_repeated_head(committed: list[Word], words: list[Word], min_words: int = _MIN_REPEAT_WORDS) -> list[Word]:
    """Drop a continuation that starts by saying committed words again.

    With the committed words as a forced prefix or a prompt, Whisper sometimes starts over once the audio after
    them holds no more speech ("... nuclear cooperation. Hide on the agenda or plans for greater"). When the first
    `min_words` or more words of `words` (normalised) occur, in order, among `committed`, they are a repeat, not
    new speech: that head is dropped. Shorter matches ("no, no") are left alone.
    """
    said = [normalize_word(w.text) for w in committed]
    new = [normalize_word(w.text) for w in words]
    longest = 0
    for start in range(len(said)):
        length = 0
        while length < len(new) and start + length < len(said) and said[start + length] == new[length]:
            length += 1
        longest = max(longest, length)
    if longest >= min_words:
        return words[longest:]
    return words


def cut_word_loop(said: Sequence[str], heard: Sequence[str], max_run: int = _MAX_WORD_RUN) -> int | None:
    """Where a decoding loop starts in `heard`, or None when there is none.

    Whisper conditioned on its own text can fall into saying one word over and over ("My colleague in my my my my
    ..." on a German stream, from a prompt ending in "my"); with that text back in the next prompt it does not get
    out. A run of more than `max_run` identical words (normalised), counting the last words of `said` (the text
    committed before), is such a loop: the index returned is where its run begins in `heard` (0 when it began in
    `said`), so the words before it can be kept. Three in a row ("no, no, no") may be speech.

    Args:
        said: words committed before, oldest first (only the last `max_run` count).
        heard: the words of the new hypothesis.
        max_run: the most times one word may come in a row.
    """
    tail = [normalize_word(w) for w in said[max(0, len(said) - max_run) :]]
    words = [*tail, *(normalize_word(w) for w in heard)]
    run_start = 0
    for i in range(1, len(words)):
        if not words[i] or words[i] != words[i - 1]:
            run_start = i
        elif i - run_start >= max_run and i >= len(tail):
            return max(0, run_start - len(tail))
    return None


@dataclass(frozen=True)
class StreamingOptions:
    """How a streaming Whisper system runs.

    Attributes:
        task: "transcribe" or "translate" (into English).
        source_lang: language spoken.
        target_lang: language written ("en" for translate, `source_lang` for transcribe).
        step_ms: new audio needed before the next update (whisper_streaming's min-chunk-size).
        first_step_ms: audio needed before a stream's first update (0: `step_ms`).
        max_compute_ratio: adaptive step: the step grows so one update takes at most this fraction of it (0 off).
        max_step_ms: the longest the adaptive step grows (a longer `step_ms` is never shortened).
        encoder_context: "full" (zero-padded 30 s window, as trained) or "audio" (the buffered audio only).
        min_encoder_context_ms: lower bound of the encoder window with "audio" context.
        trim_after_ms: once the buffer is longer, cut it at the end of the last committed sentence.
        max_buffer_ms: once the buffer is longer, cut it at the last committed word (at most 30 s).
        prompt_chars: characters of committed text before the buffer given as prompt.
        beam_size: the decoder's beam (1: greedy).
    """

    task: Task = "translate"
    source_lang: str = "fr"
    target_lang: str = "en"
    step_ms: float = 1000.0
    first_step_ms: float = 0.0
    max_compute_ratio: float = 0.0
    max_step_ms: float = 5_000.0
    encoder_context: Literal["full", "audio"] = "full"
    min_encoder_context_ms: float = 0.0
    trim_after_ms: float = 15_000.0
    max_buffer_ms: float = 25_000.0
    prompt_chars: int = 200
    beam_size: int = 1

    @property
    def longest_step_ms(self) -> float:
        """The longest step the adaptive step may take."""
        return max(self.step_ms, self.max_step_ms)

    def __post_init__(self) -> None:
        if not 50.0 <= self.step_ms <= 10_000.0:
            raise ValueError(f"step_ms must be in [50, 10000]; got {self.step_ms}")
        if self.first_step_ms and not 50.0 <= self.first_step_ms <= 10_000.0:
            raise ValueError(f"first_step_ms must be 0 or in [50, 10000]; got {self.first_step_ms}")
        if not 50.0 <= self.max_step_ms <= 20_000.0:
            raise ValueError(f"max_step_ms must be in [50, 20000]; got {self.max_step_ms}")
        if not 0.0 <= self.max_compute_ratio <= 1.0:
            raise ValueError(f"max_compute_ratio must be in [0, 1]; got {self.max_compute_ratio}")
        if not 1_000.0 <= self.trim_after_ms <= self.max_buffer_ms <= 29_000.0:
            raise ValueError("need 1000 <= trim_after_ms <= max_buffer_ms <= 29000")
        if self.prompt_chars < 0:
            raise ValueError(f"prompt_chars must be >= 0; got {self.prompt_chars}")
        # Validated here too so a bad pair fails when built, not at the first update.
        DecodeRequest(self.task, self.source_lang, encoder_context=self.encoder_context, beam_size=self.beam_size)


@dataclass
class WhisperStreamingState:
    """Everything that depends on one stream. Mutable: the system updates it in place.

    Attributes:
        buffer: audio not yet trimmed, 16 kHz, shape (num_samples,).
        unread: audio pushed but not yet taken into the buffer (less than a step between updates).
        buffer_start_ms: stream time of `buffer[0]`.
        received_ms: stream time of the end of the buffer (the audio taken so far).
        decoded_until_ms: `received_ms` at the last update.
        committed: committed words, in stream time.
        prompt_from: index of the first committed word that may condition the decoder (a loop resets it).
        pending: committed text not yet popped.
        unstable: the uncommitted words of the latest hypothesis (for display only).
        policy_state: the agreement policy's own state.
        step_ms: the current update step (grows with the adaptive step).
        source_finished / target_finished: end-of-stream flags.
        num_updates: decodes run so far (for benchmarks).
        compute_s: wall-clock seconds spent decoding.
    """

    buffer: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    unread: FloatArray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    buffer_start_ms: float = 0.0
    received_ms: float = 0.0
    decoded_until_ms: float = 0.0
    committed: list[Word] = field(default_factory=list)
    prompt_from: int = 0
    pending: list[str] = field(default_factory=list)
    unstable: list[str] = field(default_factory=list)
    policy_state: Any = None
    step_ms: float = 0.0
    source_finished: bool = False
    target_finished: bool = False
    final_popped: bool = False
    num_outputs: int = 0
    num_written: int = 0
    num_updates: int = 0
    compute_s: float = 0.0


class WhisperStreamingSystem:
    """A `simulagent.types.StreamingSystem` (speech -> text) over a Whisper backend and an agreement policy.

    Args:
        backend: a `SpeechBackend` whose capabilities include forced prefixes and word timestamps.
        options: the streaming options.
        policy: an `AgreementPolicy` (LocalAgreement), a `simulagent.signals.CountPolicy` (wait-k) or an
            `AlignmentPolicy` (AlignAtt), from `simulagent.policies`; `simulagent.presets` picks the default.
        name: the system's name in logs and plots.
    """

    def __init__(
        self,
        backend: SpeechBackend,
        options: StreamingOptions,
        policy: AgreementPolicy[Any] | CountPolicy[Any] | AlignmentPolicy,
        name: str = "whisper-la2",
    ):
        caps = backend.capabilities
        if not (caps.forced_prefix and caps.word_timestamps):
            raise ValueError(f"backend {caps.name} lacks forced prefixes or word timestamps, needed for streaming")
        if options.encoder_context == "audio" and not caps.variable_encoder_context:
            raise ValueError(f"backend {caps.name} cannot run its encoder over a short window")
        if options.beam_size > 1 and not caps.beam_search:
            raise ValueError(f"backend {caps.name} decodes greedily only; use beam_size=1")
        if options.task == "translate" and not caps.translate_to_english:
            raise UserError("this model cannot translate (it is English-only); use the multilingual bundled:base")
        check_language_pair(options.task, options.source_lang, options.target_lang, caps.languages)
        self._backend = backend
        self._options = options
        chosen = policy
        # The strategy is chosen once here, so an update reads the same for both kinds of policy.
        self._new_policy_state: Callable[[], Any] = lambda: None
        self._adaptive_step = True
        if isinstance(chosen, AgreementPolicy):
            self._decide = self._agreement_count
            self._new_policy_state = chosen.new_state
        elif isinstance(chosen, CountPolicy):
            self._decide = self._count_policy_count
            self._new_policy_state = chosen.new_state
            # wait-k counts the source in fixed steps: an adaptive step would change what k means mid-stream.
            self._adaptive_step = False
        elif isinstance(chosen, AlignmentPolicy):
            self._decide = self._alignment_count  # stateless: it reads the alignment of each hypothesis
        else:
            raise TypeError(
                f"policy {type(chosen).__name__} is neither an AgreementPolicy, a CountPolicy nor an AlignmentPolicy"
            )
        self._policy: Any = chosen
        self._spec = SystemSpec(name, "speech", "text", options.source_lang, options.target_lang)

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    @property
    def options(self) -> StreamingOptions:
        return self._options

    @property
    def adapts_step(self) -> bool:
        """Whether the step grows with the update time (`max_compute_ratio`; `simulagent.types.AdaptiveStepSystem`)."""
        opts = self._options
        return opts.max_compute_ratio > 0 and self._adaptive_step and opts.step_ms < opts.longest_step_ms

    def step_headroom(self, state: WhisperStreamingState) -> float | None:
        """Share of the range from `step_ms` to the longest step (`max_step_ms`) this stream's step has not grown
        into; None before its first update."""
        if state.num_updates == 0:
            return None
        shortest_ms = self._options.step_ms
        if not self.adapts_step:
            return 0.0
        longest_ms = self._options.longest_step_ms
        return max(0.0, min(1.0, (longest_ms - state.step_ms) / (longest_ms - shortest_ms)))

    def new_state(self) -> WhisperStreamingState:
        state = WhisperStreamingState()
        self.reset(state)
        return state

    def reset(self, state: WhisperStreamingState) -> None:
        fresh = WhisperStreamingState(policy_state=self._new_policy_state(), step_ms=self._options.step_ms)
        state.__dict__.update(fresh.__dict__)

    def push(self, segment: Segment, state: WhisperStreamingState) -> None:
        if not isinstance(segment, SpeechSegment):
            raise TypeError(f"{self._spec.name} reads speech; got {type(segment).__name__}")
        if state.source_finished and not segment.is_empty:
            raise ValueError("audio pushed after the end of the stream")
        if not segment.is_empty:
            samples = resample(segment.samples, segment.sample_rate_hz, SAMPLE_RATE_HZ)
            state.unread = np.concatenate([state.unread, samples])
        state.source_finished = state.source_finished or segment.finished

    def pop(self, state: WhisperStreamingState) -> Segment:
        if state.final_popped:
            return TextSegment("", finished=True, lang=self._options.target_lang)
        while (due := self._due(state)) is not None:
            self._take(state, due[0])
            self._update(state, final=due[1])
        return self._output(state)

    def step_batch(self, steps: Sequence[tuple[Segment, WhisperStreamingState]]) -> list[list[Segment] | Exception]:
        """`simulagent.types.step` for several streams at once, each round of their updates decoded in one batch
        (`decode_all`): what a server of many streams runs, so that their decoder steps share the weights' reads.

        Each stream reads as it would alone, except that within a batch of more than one the previous-text prompts
        are cut to the shortest of the batch (`CTranslate2Backend.decode_batch`), and an update's compute time is
        the whole round's (the adaptive step grows under load). A stream whose step fails gets the exception in
        place of its outputs; the others go on (a failed batched decode is retried window by window).
        """
        states = [state for _, state in steps]
        if len({id(state) for state in states}) != len(states):
            raise ValueError("a batch steps each stream once")
        failed: dict[int, Exception] = {}
        for index, (segment, state) in enumerate(steps):
            try:
                self.push(segment, state)
            except Exception as error:
                failed[index] = error
        while True:
            round_: list[tuple[int, bool, DecodeRequest]] = []
            for index, state in enumerate(states):
                if index in failed or state.final_popped:
                    continue
                try:
                    due = self._due(state)
                    if due is not None:
                        self._take(state, due[0])
                        round_.append((index, due[1], self._request(state)))
                except Exception as error:
                    failed[index] = error
            if not round_:
                break
            began = time.perf_counter()
            heard = self._decode_round([(states[index].buffer, request) for index, _, request in round_])
            elapsed_s = time.perf_counter() - began
            for (index, final, _), hypothesis in zip(round_, heard, strict=True):
                try:
                    if isinstance(hypothesis, Exception):
                        raise hypothesis
                    self._apply(states[index], hypothesis, final, elapsed_s)
                except Exception as error:
                    failed[index] = error
        outputs: list[list[Segment] | Exception] = []
        for index, state in enumerate(states):
            if index not in failed:
                try:
                    outputs.append(drain(self, state))
                    continue
                except Exception as error:
                    failed[index] = error
            outputs.append(failed[index])
        return outputs

    def _decode_round(self, items: list[tuple[FloatArray, DecodeRequest]]) -> list[Hypothesis | Exception | None]:
        """One batched decode of the windows that hold audio (None for an empty one); if the batch fails, each
        window is decoded alone and only the failing ones get their exception (decoding changes no state)."""
        heard: list[Hypothesis | Exception | None] = [None] * len(items)
        audible = [i for i, (samples, _) in enumerate(items) if samples.shape[0]]
        try:
            for i, hypothesis in zip(audible, decode_all(self._backend, [items[i] for i in audible]), strict=True):
                heard[i] = hypothesis
        except Exception:
            for i in audible:
                try:
                    heard[i] = self._backend.decode(*items[i])
                except Exception as error:
                    heard[i] = error
        return heard

    def _due(self, state: WhisperStreamingState) -> tuple[int, bool] | None:
        """The next update `pop` runs: the unread samples it takes and whether it is the last; None to READ."""
        if state.target_finished:
            return None
        # An update takes all the audio pushed since the last one once there is a step of it, but at most
        # _MAX_TAKE_MS: however much arrives at once (a whole file, a server's coalesced backlog) is decoded in
        # pieces, so the buffer never outgrows what one decode can take.
        max_take = round(max(state.step_ms, _MAX_TAKE_MS) * SAMPLE_RATE_HZ / 1000)
        unread = state.unread.shape[0]
        if state.source_finished and unread <= max_take:
            return unread, True
        step_ms = state.step_ms
        if state.num_updates == 0 and self._options.first_step_ms:
            step_ms = self._options.first_step_ms
        if unread >= max_take or 1000.0 * unread / SAMPLE_RATE_HZ >= step_ms:
            return min(unread, max_take), False
        return None

    def _output(self, state: WhisperStreamingState) -> Segment:
        """The text committed since the last pop (empty when none), finished once the last update ran."""
        if not state.pending and not state.target_finished:
            return TextSegment("", lang=self._options.target_lang)
        text = " ".join(state.pending)
        state.pending.clear()
        state.final_popped = state.target_finished
        index = state.num_outputs
        state.num_outputs += 1
        return TextSegment(text, finished=state.target_finished, index=index, lang=self._options.target_lang)

    @staticmethod
    def _take(state: WhisperStreamingState, num_samples: int) -> None:
        """Move the first `num_samples` of the unread audio into the buffer."""
        taken = state.unread[:num_samples]
        state.unread = state.unread[num_samples:]
        state.buffer = np.concatenate([state.buffer, taken])
        state.received_ms += 1000.0 * taken.shape[0] / SAMPLE_RATE_HZ

    # --- one update -------------------------------------------------------------------------------------------

    def _update(self, state: WhisperStreamingState, final: bool) -> None:
        began = time.perf_counter()
        request = self._request(state)
        hypothesis = self._backend.decode(state.buffer, request) if state.buffer.shape[0] else None
        self._apply(state, hypothesis, final, time.perf_counter() - began)

    def _request(self, state: WhisperStreamingState) -> DecodeRequest:
        """The decode of the buffer: committed words inside it as the forced prefix, those before as the prompt."""
        opts = self._options
        trim_now_and_then()  # buffers of a new size on every update fragment the heap (see simulagent.memory)
        if state.buffer.shape[0] > _MAX_DECODE_SAMPLES:
            # Never reached when trimming works; a guard so that a stream cannot end in a decode error.
            num_cut = state.buffer.shape[0] - _MAX_DECODE_SAMPLES
            state.buffer = state.buffer[num_cut:]
            state.buffer_start_ms += 1000.0 * num_cut / SAMPLE_RATE_HZ
        inside = [w for w in state.committed if w.start_ms >= state.buffer_start_ms]
        before = state.committed[state.prompt_from : len(state.committed) - len(inside)]
        prompt = " ".join(w.text for w in before)[-opts.prompt_chars :] if opts.prompt_chars else ""
        return DecodeRequest(
            task=opts.task,
            language=opts.source_lang,
            prompt=prompt,
            prefix=" ".join(w.text for w in inside),
            encoder_context=opts.encoder_context,
            min_encoder_context_ms=opts.min_encoder_context_ms,
            beam_size=opts.beam_size,
        )

    def _apply(
        self, state: WhisperStreamingState, hypothesis: Hypothesis | None, final: bool, elapsed_s: float
    ) -> None:
        """Commit what the policy lets through of one decode, and trim the buffer."""
        opts = self._options
        words = [w.shifted(state.buffer_start_ms) for w in hypothesis.words] if hypothesis else []
        # Compared with the prompt's words too: on the silence left after a trim, Whisper tends to say its prompt.
        words = drop_repeated_head(state.committed[-_REPEAT_LOOKBACK_WORDS:], words)
        loop_at = cut_word_loop([w.text for w in state.committed[-_MAX_WORD_RUN:]], [w.text for w in words])
        if loop_at is not None:
            # Keep what came before the loop, and let none of the text so far condition the next decodes: as
            # whisper does when its output turns repetitive, the decoder starts again from the audio alone.
            words = words[:loop_at]
            state.prompt_from = len(state.committed)
        count = max(0, min(self._decide(state, words, final), len(words)))
        if count:
            self._commit(state, words[:count])
        state.unstable = [w.text for w in words[count:]]
        state.decoded_until_ms = state.received_ms
        state.num_updates += 1
        state.compute_s += elapsed_s
        if opts.max_compute_ratio > 0 and self._adaptive_step:
            # Adaptive step: never spend more than max_compute_ratio of real time decoding.
            state.step_ms = max(opts.step_ms, min(opts.longest_step_ms, 1000.0 * elapsed_s / opts.max_compute_ratio))
        if final:
            state.target_finished = True
        else:
            self._trim(state, words[count:])  # after the step: the buffer kept depends on the next one

    def _agreement_count(self, state: WhisperStreamingState, words: list[Word], final: bool) -> int:
        return int(self._policy.agree(state.policy_state, [w.text for w in words], final))

    def _alignment_count(self, state: WhisperStreamingState, words: list[Word], final: bool) -> int:
        ends = [w.end_ms for w in words]
        return int(self._policy.stable(ends, state.received_ms, final, [w.probability for w in words]))

    def _count_policy_count(self, state: WhisperStreamingState, words: list[Word], final: bool) -> int:
        if final:
            return len(words)
        num_read = int(state.received_ms // self._options.step_ms)
        count = 0
        while count < len(words):
            action = self._policy.decide(state.policy_state, num_read, False, state.num_written + count)
            if not isinstance(action, WriteAction):
                break
            count += 1
        return count

    @staticmethod
    def _commit(state: WhisperStreamingState, words: list[Word]) -> None:
        pieces: list[str] = []
        state.num_written += len(words)
        for word in words:
            punctuation = not normalize_word(word.text)
            if punctuation and state.committed:
                # Punctuation after the forced prefix ("," after "speech"): glue it to the word it ends, so the
                # next prefix reads "speech," as Whisper would write it (" ," derails the decoder).
                # The two come from different alignments: the punctuation's can end before the word it closes.
                last = state.committed[-1]
                end_ms = max(last.end_ms, word.end_ms)
                state.committed[-1] = Word(last.text + word.text, last.start_ms, end_ms, last.probability)
            else:
                state.committed.append(word)
            if punctuation and pieces:
                pieces[-1] += word.text
            elif punctuation and state.pending:
                state.pending[-1] += word.text  # not popped yet: "teacher" "," reads "teacher,"
            else:
                pieces.append(word.text)
        if pieces:
            state.pending.append(" ".join(pieces))

    def _buffer_bounds_ms(self, state: WhisperStreamingState) -> tuple[float, float]:
        """(trim_after_ms, max_buffer_ms) for this stream now. A step grown past `step_ms` (the adaptive step,
        shedding load) shrinks the kept audio by as much, so the next window is no longer than at the base step:
        otherwise a longer step lengthens every window, its encoder and its forced prefix, just when time is short.
        On one 4-minute stream at fixed 5 s steps, a buffer of at most 5 s instead of 8 took RTF from 0.16 to 0.10
        (German) and 0.13 to 0.11 (English, the same WER) on one thread (docs/benchmarks.md)."""
        opts = self._options
        grown_ms = max(0.0, state.step_ms - opts.step_ms)
        max_buffer_ms = max(_MIN_KEPT_MS, opts.max_buffer_ms - grown_ms)
        return min(opts.trim_after_ms, max_buffer_ms), max_buffer_ms

    def _trim(self, state: WhisperStreamingState, uncommitted: list[Word]) -> None:
        trim_after_ms, max_buffer_ms = self._buffer_bounds_ms(state)
        buffer_ms = state.received_ms - state.buffer_start_ms
        if buffer_ms <= trim_after_ms:
            return
        inside = [w for w in state.committed if w.start_ms >= state.buffer_start_ms]
        cut_ms: float | None = None
        for word in reversed(inside):
            if word.text.endswith(_SENTENCE_END):
                cut_ms = word.end_ms
                break

        def left_ms() -> float:
            return state.received_ms - (state.buffer_start_ms if cut_ms is None else cut_ms)

        if left_ms() > max_buffer_ms and inside:
            cut_ms = max(cut_ms or 0.0, inside[-1].end_ms)
        if left_ms() > max_buffer_ms:
            # Still too long: the policy has agreed on little for a whole buffer (long steps, an unsure model).
            # Commit the hypothesis words that lie well before the newest audio instead of dropping the speech
            # they cover, and start the policy afresh after them.
            settled = [w for w in uncommitted if w.end_ms <= state.received_ms - _SETTLE_MS]
            if settled:
                self._commit(state, settled)
                state.unstable = state.unstable[len(settled) :]
                state.policy_state = self._new_policy_state()
                cut_ms = settled[-1].end_ms
            else:
                # Nothing heard there (noise, music, silence): keep only the last few seconds, and any word begun.
                keep_from = state.received_ms - trim_after_ms / 2
                if uncommitted:
                    keep_from = min(keep_from, uncommitted[0].start_ms)
                cut_ms = max(cut_ms or 0.0, keep_from)
        if cut_ms is None or cut_ms <= state.buffer_start_ms:
            return
        num_cut = min(state.buffer.shape[0], math.floor((cut_ms - state.buffer_start_ms) * SAMPLE_RATE_HZ / 1000))
        state.buffer = state.buffer[num_cut:]
        state.buffer_start_ms += 1000.0 * num_cut / SAMPLE_RATE_HZ
