"""DiSeg word-boundary benchmark on synthetic speech: train the package's DiSeg recipe, then score its boundaries
against a fixed-length segmentation (the DiSeg paper's Table 4 baseline, fixed 280 ms) with precision, recall, F1,
over-segmentation and R-value at 20 ms and 50 ms tolerance.

Corpus (reproducible from `--seed`): each vocabulary word is synthesised once by espeak-ng (en-us, 22.05 kHz,
resampled to 16 kHz with soxr) and its leading and trailing silence trimmed. An utterance is 4-10 random words, each
occurrence varied by a random speed factor in [0.9, 1.1] (a resampling, which also shifts pitch, like a tape
speed change) and a random gain in [0.4, 1.0], joined by random silences of 0-60 ms, with 100-300 ms of silence
before and after and white noise 45 dB under full scale over everything. The reference boundary of a word is the end
of its audio, known exactly from the concatenation. Training sees only the words in order, never those times.

Usage:
    python bench/diseg_boundaries.py                       # 400 train + 100 test, 800 steps: ~12 min with one free core
    python bench/diseg_boundaries.py --steps 50 --train 40 --test 10   # smoke run
    python bench/diseg_boundaries.py --work build/diseg_bench --tsv build/diseg_boundaries.tsv

Writes the corpus and the checkpoint under `--work` (a rerun with the same folder resumes training), prints a
markdown table and writes it as TSV to `--tsv`.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from simulagent.eval.segmentation import BoundaryScores, boundary_scores
from simulagent.models.tts.backends import EspeakBackend
from simulagent.policies.training import diseg_task
from simulagent.policies.training.diseg_task import (
    SAMPLE_RATE_HZ,
    Utterance,
    load_dataset,
    load_segmenter,
    predict_boundaries_ms,
)

WORDS = [
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "is",
    "you",
    "that",
    "it",
    "he",
    "was",
    "for",
    "on",
    "are",
    "as",
    "with",
    "his",
    "they",
    "at",
    "be",
    "this",
    "have",
    "from",
    "or",
    "one",
    "had",
    "by",
    "word",
    "but",
    "not",
    "what",
    "all",
    "were",
    "we",
    "when",
    "your",
    "can",
    "said",
    "there",
    "use",
    "an",
    "each",
    "which",
    "she",
    "do",
    "how",
    "their",
    "if",
    "will",
    "up",
    "other",
    "about",
    "out",
    "many",
    "then",
    "them",
    "these",
    "so",
    "some",
    "her",
    "would",
    "make",
    "like",
    "him",
    "into",
    "time",
    "has",
    "look",
    "two",
    "more",
    "write",
    "go",
    "see",
    "number",
    "no",
    "way",
    "could",
    "people",
    "my",
    "than",
    "first",
    "water",
    "been",
    "call",
    "who",
    "oil",
    "its",
    "now",
    "find",
    "long",
    "down",
    "day",
    "did",
    "get",
    "come",
    "made",
    "may",
    "part",
    "over",
    "new",
    "sound",
    "take",
    "only",
    "little",
    "work",
    "know",
    "place",
    "year",
    "live",
    "me",
    "back",
    "give",
    "most",
    "very",
    "after",
    "thing",
    "our",
    "just",
    "name",
    "good",
    "sentence",
    "man",
    "think",
    "say",
    "great",
    "where",
    "help",
    "through",
    "much",
    "before",
    "line",
    "right",
    "too",
    "mean",
    "old",
    "any",
    "same",
    "tell",
    "boy",
    "follow",
    "came",
    "want",
    "show",
    "also",
    "around",
    "form",
    "three",
    "small",
    "set",
    "put",
    "end",
    "does",
    "another",
    "well",
    "large",
    "must",
    "big",
    "even",
    "such",
]


def _trim(samples: npt.NDArray[np.float32], rate: int) -> npt.NDArray[np.float32]:
    """Cut leading and trailing frames (5 ms) whose RMS is under 2 % of the loudest frame's."""
    hop = rate // 200
    frames = len(samples) // hop
    rms = np.sqrt(np.mean(samples[: frames * hop].reshape(frames, hop) ** 2, axis=1))
    loud = np.flatnonzero(rms >= 0.02 * rms.max())
    return samples[loud[0] * hop : (loud[-1] + 1) * hop]


def synthesise_words(words: list[str]) -> dict[str, npt.NDArray[np.float32]]:
    """Each word once, at 16 kHz, trimmed."""
    backend = EspeakBackend()
    rate = backend.capabilities.sample_rate_hz
    audio = {}
    for word in words:
        raw = np.concatenate(list(backend.synthesize(word, "en")))
        audio[word] = _trim(soxr.resample(raw, rate, SAMPLE_RATE_HZ).astype(np.float32), SAMPLE_RATE_HZ)
    return audio


def make_utterance(
    rng: random.Random, word_audio: dict[str, npt.NDArray[np.float32]]
) -> tuple[npt.NDArray[np.float32], list[str], list[float]]:
    """(samples, words, word end times in ms) of one random utterance."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(4, 10))]
    pieces = [np.zeros(int(SAMPLE_RATE_HZ * rng.uniform(0.1, 0.3)), np.float32)]
    ends, length = [], len(pieces[0])
    for n, word in enumerate(words):
        if n:
            gap = np.zeros(int(SAMPLE_RATE_HZ * rng.uniform(0.0, 0.06)), np.float32)
            pieces.append(gap)
            length += len(gap)
        speed = rng.uniform(0.9, 1.1)  # resampling to rate/speed then playing at rate changes speed and pitch
        varied = soxr.resample(word_audio[word], SAMPLE_RATE_HZ, SAMPLE_RATE_HZ / speed).astype(np.float32)
        varied *= rng.uniform(0.4, 1.0) / max(float(np.abs(varied).max()), 1e-6)
        pieces.append(varied)
        length += len(varied)
        ends.append(1000.0 * length / SAMPLE_RATE_HZ)
    pieces.append(np.zeros(int(SAMPLE_RATE_HZ * rng.uniform(0.1, 0.3)), np.float32))
    samples = np.concatenate(pieces)
    noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(len(samples)).astype(np.float32)
    samples = samples + noise * 10 ** (-45 / 20)
    return samples.astype(np.float32), words, ends


def write_corpus(folder: Path, count: int, rng: random.Random, word_audio: dict[str, npt.NDArray[np.float32]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "boundaries.jsonl").open("w", encoding="utf-8") as lines:
        for i in range(count):
            samples, words, ends = make_utterance(rng, word_audio)
            name = f"utt{i:04d}.wav"
            sf.write(str(folder / name), samples, SAMPLE_RATE_HZ, subtype="PCM_16")
            lines.write(json.dumps({"audio": name, "words": words, "ends_ms": [round(e, 2) for e in ends]}) + "\n")


def fixed_boundaries(utt: Utterance, period_ms: float) -> list[float]:
    """The fixed-length baseline: a boundary every `period_ms` inside the utterance."""
    return [float(t) for t in np.arange(period_ms, utt.duration_ms, period_ms)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("build/diseg_bench"), help="corpus and checkpoint folder")
    parser.add_argument("--tsv", type=Path, default=Path("build/diseg_boundaries.tsv"))
    parser.add_argument("--train", type=int, default=400, help="training utterances")
    parser.add_argument("--test", type=int, default=100, help="test utterances")
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--bidirectional", action="store_true", help="train a bidirectional (offline) encoder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fresh", action="store_true", help="delete --work first (otherwise training resumes)")
    args = parser.parse_args()

    started = time.monotonic()
    if args.fresh and args.work.exists():
        shutil.rmtree(args.work)
    train_dir, test_dir, out_dir = args.work / "train", args.work / "test", args.work / "model"
    stamp = args.work / "corpus.json"
    spec = {"train": args.train, "test": args.test, "seed": args.seed}
    if not stamp.is_file() or json.loads(stamp.read_text()) != spec:
        for folder in (train_dir, test_dir, out_dir):
            shutil.rmtree(folder, ignore_errors=True)
        rng = random.Random(args.seed)
        word_audio = synthesise_words(sorted(set(WORDS)))
        write_corpus(train_dir, args.train, rng, word_audio)
        write_corpus(test_dir, args.test, rng, word_audio)
        stamp.write_text(json.dumps(spec))
    corpus_s = time.monotonic() - started

    # The recipe's own argument parser: the same options as `simulagent train diseg ...`.
    argv = ["--data", str(train_dir), "--out", str(out_dir), "--steps", str(args.steps)]
    argv += ["--batch-size", str(args.batch_size), "--seed", str(args.seed)]
    if args.bidirectional:
        argv.append("--bidirectional")
    train_started = time.monotonic()
    recipe = argparse.ArgumentParser(prog="simulagent train diseg")
    diseg_task.register(recipe)
    recipe_args = recipe.parse_args(argv)
    if recipe_args.func(recipe_args, None) != 0:
        raise SystemExit("training failed")
    train_s = time.monotonic() - train_started

    model, _ = load_segmenter(out_dir)
    test = load_dataset(test_dir, require_ends=True)
    references = [list(utt.ends_ms or ()) for utt in test]
    systems = {
        "fixed 280 ms": [fixed_boundaries(utt, 280.0) for utt in test],
        "DiSeg, α ≥ 0.5": [predict_boundaries_ms(model, utt.samples) for utt in test],
        "DiSeg, top-Σα peaks": [predict_boundaries_ms(model, utt.samples, mode="peaks") for utt in test],
    }
    rows: list[tuple[str, float, BoundaryScores]] = []
    for tolerance in (20.0, 50.0):
        for name, predicted in systems.items():
            rows.append((name, tolerance, boundary_scores(predicted, references, tolerance)))

    header = ["system", "tolerance ms", "P", "R", "F1", "OS", "R-value", "predicted", "reference"]
    table = []
    for name, tol, s in rows:
        rates = (s.precision, s.recall, s.f1, s.over_segmentation, s.r_value)
        table.append(
            [name, f"{tol:.0f}", *(f"{100 * v:.1f}" for v in rates), str(s.num_predicted), str(s.num_reference)]
        )
    print(f"\n{args.train} train / {args.test} test utterances, {args.steps} steps")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in table:
        print("| " + " | ".join(row) + " |")
    total_s = time.monotonic() - started
    print(f"\ncorpus {corpus_s:.0f} s, training {train_s:.0f} s, total {total_s:.0f} s")
    args.tsv.parent.mkdir(parents=True, exist_ok=True)
    args.tsv.write_text("\n".join("\t".join(r) for r in [header, *table]) + "\n", encoding="utf-8")
    print(f"wrote {args.tsv}")


if __name__ == "__main__":
    main()
