"""Synthetic speech evaluation sets, made reproducibly with the project's own TTS, in SimulEval's layout.

- `de-en`: the German sentences of WMT15 newstest (`../shared/data/wmt15-deen/dev.de`) spoken by espeak-ng, with
  the English references (`dev.en`): speech translation De -> En.
- `en-asr`: the English side (`dev.en`) spoken by the bundled Piper voice, with itself as reference: English ASR.

Each set is a folder with `wav/NNNN.wav` (16 kHz mono), `source.txt` (one wav path per line, as `simulagent eval run
--source-type speech` reads it) and `target.txt` (the references), written outside the repository (the default is
`out/speech_sets/`). Espeak-ng voices are robotic: scores on `de-en` measure the systems on clean, synthetic speech,
not on real recordings (for those, see the Common Voice clips in bench/models_streaming.py).

Usage:
    python bench/speech_sets.py de-en --num 50
    python bench/speech_sets.py en-asr --num 50
    simulagent eval sweep --system whisper-fast --system-args task=translate source_lang=de \\
        --source out/speech_sets/de-en/source.txt --target out/speech_sets/de-en/target.txt --source-type speech \\
        --vary step_ms=500,1000,2000 --output out/sweeps/de-en-fast --computation-aware
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from tqdm import tqdm

from simulagent.audio import resample, save_wav
from simulagent.models.tts.backends import EspeakBackend, PiperBackend, TTSBackend

REPO_ROOT = Path(__file__).resolve().parent.parent
WMT = REPO_ROOT.parent / "shared" / "data" / "wmt15-deen"
LEAD_SAMPLES = 3_200  # 200 ms of silence before and after each sentence, as a recording would have


def make_set(
    name: str, backend: TTSBackend, lang: str, sources: list[str], targets: list[str], out: Path
) -> tuple[int, float]:
    """Speak `sources` into `out/wav/`, write source.txt and target.txt; returns (sentences, seconds of audio)."""
    wav_dir = out / "wav"
    wav_dir.mkdir(parents=True, exist_ok=True)
    rate = backend.capabilities.sample_rate_hz
    paths, seconds = [], 0.0
    silence = np.zeros(LEAD_SAMPLES, dtype=np.float32)
    for i, sentence in enumerate(tqdm(sources, desc=f"speaking {name}", unit="sentence")):
        speech = np.concatenate(list(backend.synthesize(sentence, lang)))
        audio = np.concatenate([silence, resample(speech, rate, 16_000), silence])
        path = save_wav(wav_dir / f"{i:04d}.wav", audio, 16_000)
        paths.append(str(path.resolve()))
        seconds += audio.shape[0] / 16_000
    (out / "source.txt").write_text("\n".join(paths) + "\n", encoding="utf-8")
    (out / "target.txt").write_text("\n".join(targets) + "\n", encoding="utf-8")
    return len(paths), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", choices=["de-en", "en-asr"])
    parser.add_argument("--num", type=int, default=50, help="the first N sentences of the test set")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "out" / "speech_sets")
    args = parser.parse_args()
    german = (WMT / "dev.de").read_text(encoding="utf-8").splitlines()[: args.num]
    english = (WMT / "dev.en").read_text(encoding="utf-8").splitlines()[: args.num]
    if args.set == "de-en":
        count, seconds = make_set("de-en", EspeakBackend(), "de", german, english, args.out / "de-en")
    else:
        count, seconds = make_set("en-asr", PiperBackend(), "en", english, english, args.out / "en-asr")
    print(f"{args.out / args.set}: {count} sentences, {seconds / 60:.1f} minutes of speech")


if __name__ == "__main__":
    main()
