"""`simulagent train diseg`: train a DiSeg speech segmenter (Zhang & Feng, Findings of ACL 2023) on the CPU.

DiSeg is unsupervised with respect to boundaries: training sees each utterance's audio and the *identities* of its
words in order, never their times. The losses are the ones of `simulagent.policies.diseg`:

- a word-level contrastive loss (InfoNCE) pulling the expected representation of segment n towards the embedding of
  word n and away from the other words of the batch;
- the segment-count loss |Σ_j α_j − number of words|.

Data format (a folder):

- `*.wav`: 16 kHz mono speech;
- `boundaries.jsonl`, one JSON object a line, `{"audio": "utt1.wav", "words": ["the", "cat"], "ends_ms": [310.0,
  720.5]}`, or instead one `utt1.json` next to each `utt1.wav` with `{"words": [...], "ends_ms": [...]}`.
  `ends_ms` (word end times, increasing, one per word) is optional for training and only read for evaluation.

Features are 10 ms log-mel frames (a torch STFT and a triangular mel filterbank, so no torchaudio is needed). The
model is two 1-D convolutions and a GRU over the frames, the DiSeg boundary predictor for α, a projection for the
segment representations, and an embedding table over the training vocabulary for the contrastive targets.

Usage:
    simulagent train diseg --data corpus/train --out runs/diseg --steps 1500
    # killed? run the same command again: it resumes from runs/diseg/checkpoint.pt
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from simulagent.errors import UserError

if TYPE_CHECKING:
    import torch

__all__ = [
    "SAMPLE_RATE_HZ",
    "DisegOptions",
    "TrainResult",
    "Utterance",
    "batched_membership",
    "build_model",
    "load_dataset",
    "load_segmenter",
    "predict_alpha",
    "predict_boundaries_ms",
    "register",
    "run",
    "train",
]

SAMPLE_RATE_HZ = 16_000
HOP_MS = 10.0
_HOP = SAMPLE_RATE_HZ // 100  # 10 ms
_WINDOW = SAMPLE_RATE_HZ * 25 // 1000  # 25 ms
CHECKPOINT_NAME = "checkpoint.pt"
# Fields that change the shape of the model or the meaning of its outputs: a resume with other values is refused.
_COMPARED = ("n_mels", "hidden_dim", "embed_dim", "predictor_dim", "bidirectional")


@dataclass(frozen=True)
class Utterance:
    """One training or test utterance.

    Attributes:
        name: the wav file's name.
        samples: (S,) float32 mono samples at 16 kHz.
        words: the words in order (lower-cased).
        ends_ms: word end times in ms (one per word), or None when the data has none.
    """

    name: str
    samples: npt.NDArray[np.float32] = field(repr=False)
    words: tuple[str, ...]
    ends_ms: tuple[float, ...] | None = None

    @property
    def duration_ms(self) -> float:
        return 1000.0 * len(self.samples) / SAMPLE_RATE_HZ


@dataclass(frozen=True)
class DisegOptions:
    """Model and training options.

    Attributes:
        n_mels: log-mel channels of the 10 ms features.
        hidden_dim: width of the convolutions and the GRU.
        embed_dim: dimension of segment representations and word embeddings (the contrastive space).
        predictor_dim: hidden width of the boundary predictor's MLP.
        bidirectional: a bidirectional GRU (better boundaries, but not streamable); off keeps the encoder causal
            apart from the convolutions' 40 ms look-ahead.
        steps: optimiser steps in total (a resumed run continues up to this number).
        batch_size: utterances per step.
        lr: AdamW learning rate.
        temperature: InfoNCE temperature.
        count_weight: weight of the segment-count loss against the contrastive loss.
        sigmoid_noise: standard deviation of Gaussian noise added to the boundary logits while training (as in
            monotonic attention, Raffel et al. 2017): the expected losses can be met by a flat α spread over all
            frames, and the noise makes such undecided values costly, pushing α towards 0 or 1. Off by default:
            in our short CPU runs it only lowered α overall (the noisy sigmoid's mean is higher than the clean one),
            so that Σ α at inference fell well short of the word count.
        checkpoint_every: save a checkpoint every this many steps (and at the end).
        seed: seeds model initialisation and batch sampling.
    """

    n_mels: int = 40
    hidden_dim: int = 128
    embed_dim: int = 64
    predictor_dim: int = 64
    bidirectional: bool = False
    steps: int = 1000
    batch_size: int = 8
    lr: float = 2e-3
    temperature: float = 0.1
    count_weight: float = 1.0
    sigmoid_noise: float = 0.0
    checkpoint_every: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("n_mels", "hidden_dim", "embed_dim", "predictor_dim", "steps", "batch_size", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise UserError(f"diseg option {name} must be >= 1; got {getattr(self, name)}")
        if not self.lr > 0:
            raise UserError(f"diseg option lr must be > 0; got {self.lr}")
        if not self.temperature > 0:
            raise UserError(f"diseg option temperature must be > 0; got {self.temperature}")
        if self.sigmoid_noise < 0:
            raise UserError(f"diseg option sigmoid_noise must be >= 0; got {self.sigmoid_noise}")
        if self.count_weight < 0:
            raise UserError(f"diseg option count_weight must be >= 0; got {self.count_weight}")


@dataclass(frozen=True)
class TrainResult:
    """What a call to `train` did.

    Attributes:
        start_step: the step training started from (0, or the checkpoint's step when resuming).
        final_step: the step reached.
        losses: the total loss of each step run in this call.
        seconds: wall time of this call.
    """

    start_step: int
    final_step: int
    losses: tuple[float, ...]
    seconds: float


# ---------------------------------------------------------------------------------------------------------- data


def _read_wav(path: Path) -> npt.NDArray[np.float32]:
    import soundfile as sf  # deferred: libsndfile is loaded only when audio is actually read

    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile's own message says what is wrong with the file
        raise UserError(f"{path} is not a readable audio file ({exc})") from None
    if info.samplerate != SAMPLE_RATE_HZ:
        raise UserError(f"{path} has a sample rate of {info.samplerate} Hz; DiSeg training needs {SAMPLE_RATE_HZ} Hz")
    if info.channels != 1:
        raise UserError(f"{path} has {info.channels} channels; DiSeg training needs mono audio")
    samples, _ = sf.read(str(path), dtype="float32", always_2d=False)
    return np.asarray(samples, dtype=np.float32)


def _parse_entry(entry: Any, where: str) -> tuple[tuple[str, ...], tuple[float, ...] | None]:
    if not isinstance(entry, dict):
        raise UserError(f"{where}: expected a JSON object with 'words' (and optionally 'ends_ms')")
    words = entry.get("words")
    if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
        raise UserError(f"{where}: 'words' must be a non-empty list of non-empty strings")
    ends = entry.get("ends_ms")
    if ends is None:
        return tuple(w.strip().lower() for w in words), None
    if not isinstance(ends, list) or not all(isinstance(e, int | float) and not isinstance(e, bool) for e in ends):
        raise UserError(f"{where}: 'ends_ms' must be a list of numbers (word end times in ms)")
    if len(ends) != len(words):
        raise UserError(f"{where}: {len(words)} words but {len(ends)} end times in 'ends_ms'")
    if any(b < a for a, b in itertools.pairwise(ends)) or (ends and ends[0] < 0):
        raise UserError(f"{where}: 'ends_ms' must be non-negative and increasing")
    return tuple(w.strip().lower() for w in words), tuple(float(e) for e in ends)


def load_dataset(data_dir: str | Path, require_ends: bool = False) -> list[Utterance]:
    """Read a data folder (see the module docstring for its format), sorted by file name.

    Raises:
        UserError: the folder is missing or empty, a wav is not 16 kHz mono, a boundary entry is malformed or
            names a missing wav, a wav has no entry, or (with `require_ends`) an entry has no `ends_ms`.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise UserError(f"DiSeg data folder {root} does not exist")
    wavs = sorted(root.glob("*.wav"))
    if not wavs:
        raise UserError(f"DiSeg data folder {root} has no .wav files")
    entries: dict[str, tuple[tuple[str, ...], tuple[float, ...] | None]] = {}
    jsonl = root / "boundaries.jsonl"
    if jsonl.is_file():
        for number, line in enumerate(jsonl.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{jsonl}:{number}"
            try:
                entry = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UserError(f"{where}: not valid JSON ({exc.msg})") from None
            audio = entry.get("audio") if isinstance(entry, dict) else None
            if not isinstance(audio, str):
                raise UserError(f"{where}: each line needs an 'audio' field naming a wav file in {root}")
            if not (root / audio).is_file():
                raise UserError(f"{where}: audio file {audio!r} is not in {root}")
            entries[audio] = _parse_entry(entry, where)
    for wav in wavs:
        side = wav.with_suffix(".json")
        if wav.name not in entries and side.is_file():
            try:
                entry = json.loads(side.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise UserError(f"{side}: not valid JSON ({exc.msg})") from None
            entries[wav.name] = _parse_entry(entry, str(side))
    missing = [wav.name for wav in wavs if wav.name not in entries]
    if missing:
        raise UserError(
            f"{len(missing)} wav file(s) in {root} have no words, e.g. {missing[0]}: add them to boundaries.jsonl "
            "or write a .json file next to each wav"
        )
    utterances = []
    for wav in wavs:
        words, ends = entries[wav.name]
        if require_ends and ends is None:
            raise UserError(f"{wav.name} has no 'ends_ms' in {root}; evaluation needs word end times")
        utterances.append(Utterance(wav.name, _read_wav(wav), words, ends))
    return utterances


# --------------------------------------------------------------------------------------------------------- model


def _mel_filterbank(n_mels: int, n_fft: int, sample_rate_hz: int) -> npt.NDArray[np.float32]:
    """(n_fft // 2 + 1, n_mels) triangular filters evenly spaced on the HTK mel scale from 20 Hz to Nyquist."""

    def to_mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def to_hz(mel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    freqs = np.linspace(0.0, sample_rate_hz / 2, n_fft // 2 + 1)
    edges = to_hz(np.linspace(to_mel(np.array(20.0)), to_mel(np.array(sample_rate_hz / 2)), n_mels + 2))
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (freqs[:, None] - lower[None, :]) / (centre - lower)[None, :]
    falling = (upper[None, :] - freqs[:, None]) / (upper - centre)[None, :]
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def build_model(options: DisegOptions, vocab_size: int) -> torch.nn.ModuleDict:
    """The DiSeg segmenter as a ModuleDict (so that its parts stay addressable and torch is imported lazily).

    Parts: "features" (S,) samples -> (T, n_mels) normalised log-mel; "encoder" (B, T, n_mels) + lengths ->
    (B, T, H) frame states; "boundary" (T, H) -> α (T,); "project" (.., H) -> (.., embed_dim); "words" the word
    embedding table (vocab_size, embed_dim).
    """
    import torch

    from simulagent.policies.diseg import diseg_boundary_predictor

    class _LogMel(torch.nn.Module):
        window: torch.Tensor
        fbank: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("window", torch.hann_window(_WINDOW), persistent=False)
            fbank = torch.from_numpy(_mel_filterbank(options.n_mels, _WINDOW, SAMPLE_RATE_HZ))
            self.register_buffer("fbank", fbank, persistent=False)

        def forward(self, samples: torch.Tensor) -> torch.Tensor:
            if samples.shape[0] < _WINDOW:  # stft's reflect padding needs some samples: pad very short clips
                samples = torch.nn.functional.pad(samples, (0, _WINDOW - samples.shape[0]))
            spec = torch.stft(samples, _WINDOW, _HOP, window=self.window, center=True, return_complex=True)
            mel = torch.log(spec.abs().pow(2).transpose(0, 1) @ self.fbank + 1e-6)  # (T, n_mels)
            # Per-utterance normalisation: loudness and channel differ between files.
            return (mel - mel.mean(dim=0)) / (mel.std(dim=0) + 1e-5)

    class _Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            h = options.hidden_dim
            self.conv = torch.nn.Sequential(
                torch.nn.Conv1d(options.n_mels, h, 5, padding=2),
                torch.nn.GELU(),
                torch.nn.Conv1d(h, h, 5, padding=2),
                torch.nn.GELU(),
            )
            rnn_hidden = h // 2 if options.bidirectional else h
            self.rnn = torch.nn.GRU(h, rnn_hidden, batch_first=True, bidirectional=options.bidirectional)

        def forward(self, feats: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
            x = self.conv(feats.transpose(1, 2)).transpose(1, 2)
            packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.rnn(packed)
            padded, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=feats.shape[1])
            return padded

    return torch.nn.ModuleDict(
        {
            "features": _LogMel(),
            "encoder": _Encoder(),
            "boundary": diseg_boundary_predictor(options.hidden_dim, options.predictor_dim),
            "project": torch.nn.Linear(options.hidden_dim, options.embed_dim),
            "words": torch.nn.Embedding(max(vocab_size, 1), options.embed_dim),
        }
    )


def batched_membership(alpha: torch.Tensor, max_segments: int) -> torch.Tensor:
    """`expected_membership` for a padded batch in one recursion over time: alpha (B, T) -> p (B, T, N).

    Padding frames must carry α = 0 (they then open no segment). One loop over T for the whole batch instead of
    one per utterance is what makes CPU training affordable.
    """
    import torch

    B, T = alpha.shape
    first = alpha.new_zeros(B, max_segments)
    first[:, 0] = 1
    rows = [first]
    for j in range(1, T):
        previous = rows[-1]
        shifted = torch.cat([previous.new_zeros(B, 1), previous[:, :-1]], dim=1)
        a = alpha[:, j - 1 : j]
        rows.append(previous * (1 - a) + shifted * a)
    return torch.stack(rows, dim=1)


def _batch_alpha(
    model: torch.nn.ModuleDict, feats: Sequence[torch.Tensor], noise: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Frame states (B, T, H), α (B, T) with zeros on padding, and lengths (B,) of a list of (T_i, n_mels).

    `noise` > 0 adds N(0, noise²) to the boundary logits (training only).
    """
    import torch

    lengths = torch.tensor([f.shape[0] for f in feats])
    padded = torch.nn.utils.rnn.pad_sequence(list(feats), batch_first=True)
    states = model["encoder"](padded, lengths)
    mask = torch.arange(padded.shape[1])[None, :] < lengths[:, None]
    alpha = model["boundary"](states)
    if noise > 0:
        # The predictor ends in a sigmoid: go back to its logit to perturb it.
        logit = torch.logit(alpha.clamp(1e-6, 1 - 1e-6))
        alpha = torch.sigmoid(logit + noise * torch.randn_like(logit))
    return states, alpha * mask, lengths


def _losses(
    model: torch.nn.ModuleDict,
    feats: Sequence[torch.Tensor],
    word_ids: Sequence[torch.Tensor],
    options: DisegOptions,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(contrastive, count) losses of a batch; word_ids[i] are utterance i's word indices (W_i,)."""
    import torch

    from simulagent.policies.diseg import contrastive_loss, segment_count_loss, segment_representations

    states, alpha, lengths = _batch_alpha(model, feats, options.sigmoid_noise)
    # One spare segment beyond the words absorbs the trailing silence after the last word's boundary.
    max_segments = max(int(w.shape[0]) for w in word_ids) + 1
    member = batched_membership(alpha, max_segments)
    segments, targets, count = [], [], alpha.new_zeros(())
    for i, ids in enumerate(word_ids):
        T, W = int(lengths[i]), int(ids.shape[0])
        reps = segment_representations(states[i, :T], member[i, :T])  # (N, H)
        segments.append(model["project"](reps[:W]))
        targets.append(model["words"](ids))
        count = count + segment_count_loss(alpha[i, :T], W)
    # Negatives are all other words of the batch, not only those of the same utterance.
    ctr = contrastive_loss(torch.cat(segments), torch.cat(targets), options.temperature)
    return ctr, count / len(word_ids)


# ----------------------------------------------------------------------------------------------------- inference


def predict_alpha(model: torch.nn.ModuleDict, samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Boundary probabilities α, (T,), one per 10 ms frame, for 16 kHz mono `samples` (S,)."""
    import torch

    with torch.no_grad():
        feats = model["features"](torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)))
        _, alpha, _ = _batch_alpha(model, [feats])
    return np.asarray(alpha[0].numpy(), dtype=np.float32)


def predict_boundaries_ms(
    model: torch.nn.ModuleDict, wav: npt.NDArray[np.float32], threshold: float = 0.5, mode: str = "threshold"
) -> list[float]:
    """Hard boundaries of 16 kHz mono `wav`, as sorted times in ms within its duration.

    α_j is a boundary *after* frame j (frames are 10 ms apart, centred on j·10 ms), so the time is (j + 0.5)·10 ms.

    Args:
        model: from `build_model` or `load_segmenter`.
        wav: (S,) float32 samples at 16 kHz.
        threshold: for mode "threshold".
        mode: "threshold" (the paper's rule: one boundary per run of frames with α >= threshold, at the run's
            peak) or "peaks" (the round(Σ_j α_j) highest local maxima of α: the segment-count loss trains Σ α to be
            the number of words, so this needs no threshold and still works when α stays soft).
    """
    if mode not in ("threshold", "peaks"):
        raise UserError(f"unknown boundary mode {mode!r}; use 'threshold' or 'peaks'")
    was_training = model.training
    model.eval()
    try:
        alpha = predict_alpha(model, wav)
    finally:
        model.train(was_training)
    duration_ms = 1000.0 * len(wav) / SAMPLE_RATE_HZ
    if mode == "peaks":
        padded = np.concatenate([[-np.inf], alpha, [-np.inf]])
        # A local maximum: above its left neighbour and not below its right one (the first frame of a plateau).
        maxima = np.flatnonzero((padded[1:-1] > padded[:-2]) & (padded[1:-1] >= padded[2:]))
        count = round(float(alpha.sum()))
        chosen = maxima[np.argsort(-alpha[maxima], kind="stable")[:count]]
        return sorted(min((int(j) + 0.5) * HOP_MS, duration_ms) for j in chosen)
    times: list[float] = []
    j = 0
    while j < len(alpha):
        if alpha[j] < threshold:
            j += 1
            continue
        end = j
        while end + 1 < len(alpha) and alpha[end + 1] >= threshold:
            end += 1
        peak = j + int(np.argmax(alpha[j : end + 1]))
        times.append(min((peak + 0.5) * HOP_MS, duration_ms))
        j = end + 1
    return times


def load_segmenter(path: str | Path) -> tuple[torch.nn.ModuleDict, DisegOptions]:
    """A trained segmenter (in eval mode) and its options from a checkpoint file or an `--out` folder."""
    from simulagent.policies.training.checkpoint import read_checkpoint

    file = Path(path)
    if file.is_dir():
        file = file / CHECKPOINT_NAME
    if not file.is_file():
        raise UserError(f"no DiSeg checkpoint at {file}")
    payload = read_checkpoint(file)
    options = DisegOptions(**payload["options"])
    vocab = payload["extra"]["vocab"]
    model = build_model(options, len(vocab))
    model.load_state_dict(payload["model"])
    model.eval()
    return model, options


# ------------------------------------------------------------------------------------------------------ training


def train(data_dir: str | Path, out_dir: str | Path, options: DisegOptions, progress: bool = True) -> TrainResult:
    """Train on the data folder, checkpointing to `out_dir/checkpoint.pt`; resumes if that file exists.

    Raises:
        UserError: bad data (see `load_dataset`), or a checkpoint written with other model options or vocabulary.
    """
    import torch
    from tqdm import tqdm

    from simulagent.policies.training.checkpoint import load_checkpoint, save_checkpoint

    started = time.monotonic()
    data = load_dataset(data_dir)
    vocab = sorted({w for utt in data for w in utt.words})
    index = {w: i for i, w in enumerate(vocab)}
    out = Path(out_dir)
    ckpt = out / CHECKPOINT_NAME

    random.seed(options.seed)
    np.random.seed(options.seed)
    torch.manual_seed(options.seed)
    model = build_model(options, len(vocab))
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.lr)
    step = 0
    if ckpt.is_file():
        payload = load_checkpoint(ckpt, model, optimizer, options, compare=_COMPARED)
        if payload.get("extra", {}).get("vocab") != vocab:
            raise UserError(f"{ckpt} was trained on another vocabulary; use another --out folder or the same --data")
        step = int(payload["step"])

    # Features once, up front: they do not change during training.
    with torch.no_grad():
        feats = [model["features"](torch.from_numpy(utt.samples)) for utt in data]
    word_ids = [torch.tensor([index[w] for w in utt.words]) for utt in data]

    start = step
    losses: list[float] = []
    model.train()
    bar = tqdm(total=options.steps, initial=step, desc="diseg", unit="step", disable=not progress)
    try:
        while step < options.steps:
            # Python's random drives the sampling: its state is in the checkpoint, so a resume continues the order.
            batch = random.sample(range(len(data)), min(options.batch_size, len(data)))
            ctr, count = _losses(model, [feats[i] for i in batch], [word_ids[i] for i in batch], options)
            loss = ctr + options.count_weight * count
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            step += 1
            value = float(loss.detach())
            if not math.isfinite(value):
                raise UserError(f"DiSeg training diverged at step {step} (loss {value}); try a smaller --lr")
            losses.append(value)
            bar.update(1)
            bar.set_postfix(ctr=f"{float(ctr.detach()):.3f}", count=f"{float(count.detach()):.2f}")
            if step % options.checkpoint_every == 0 or step == options.steps:
                save_checkpoint(ckpt, model, optimizer, step, options, vocab=vocab)
    finally:
        bar.close()
    if step == start and not ckpt.is_file():  # zero steps asked: still leave a loadable model behind
        save_checkpoint(ckpt, model, optimizer, step, options, vocab=vocab)
    return TrainResult(start, step, tuple(losses), time.monotonic() - started)


# ----------------------------------------------------------------------------------------------------------- CLI


def register(parser: argparse.ArgumentParser) -> None:
    """Add `simulagent train diseg` options (no torch is imported here, so `--help` stays fast)."""
    defaults = DisegOptions()
    parser.add_argument("--data", required=True, type=Path, help="folder of 16 kHz mono *.wav and their words")
    parser.add_argument("--out", required=True, type=Path, help="output folder (checkpoint.pt; resumed if present)")
    parser.add_argument("--steps", type=int, default=defaults.steps, help="total optimiser steps")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, help="utterances per step")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="AdamW learning rate")
    parser.add_argument("--hidden-dim", type=int, default=defaults.hidden_dim, help="encoder width")
    parser.add_argument("--embed-dim", type=int, default=defaults.embed_dim, help="contrastive space dimension")
    parser.add_argument("--n-mels", type=int, default=defaults.n_mels, help="log-mel channels")
    parser.add_argument("--bidirectional", action="store_true", help="bidirectional GRU (not streamable)")
    parser.add_argument("--temperature", type=float, default=defaults.temperature, help="InfoNCE temperature")
    parser.add_argument("--count-weight", type=float, default=defaults.count_weight, help="segment-count loss weight")
    parser.add_argument(
        "--sigmoid-noise", type=float, default=defaults.sigmoid_noise, help="noise on boundary logits in training"
    )
    parser.add_argument(
        "--checkpoint-every", type=int, default=defaults.checkpoint_every, help="save a checkpoint every N steps"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, config: Any) -> int:
    """Entry point of `simulagent train diseg` (`config` is unused: the recipe takes all it needs as options)."""
    del config
    options = DisegOptions(
        n_mels=args.n_mels,
        hidden_dim=args.hidden_dim,
        embed_dim=args.embed_dim,
        bidirectional=args.bidirectional,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        temperature=args.temperature,
        count_weight=args.count_weight,
        sigmoid_noise=args.sigmoid_noise,
        checkpoint_every=args.checkpoint_every,
        seed=args.seed,
    )
    result = train(args.data, args.out, options, progress=not args.no_progress)
    if result.start_step:
        print(f"resumed at step {result.start_step}")
    tail = f", last loss {result.losses[-1]:.3f}" if result.losses else ""
    print(
        f"trained to step {result.final_step} in {result.seconds:.0f} s{tail}; checkpoint {args.out / CHECKPOINT_NAME}"
    )
    return 0
