"""`simulagent audio info FILE...`: how simulagent hears a file (duration, level), or why it cannot."""

from __future__ import annotations

import argparse

import numpy as np

from simulagent.audio import SAMPLE_RATE_HZ, load_audio
from simulagent.config import Config


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audio_command", metavar="ACTION")
    info = sub.add_parser("info", help="load files as 16 kHz mono and print duration and level")
    info.add_argument("files", nargs="+", metavar="FILE")
    info.set_defaults(func=_info)


def _info(args: argparse.Namespace, config: Config) -> int:
    for name in args.files:
        samples = load_audio(name)
        duration_s = samples.shape[0] / SAMPLE_RATE_HZ
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
        peak = float(np.max(np.abs(samples)))
        level_db = 20 * np.log10(max(rms, 1e-10))
        print(f"{name}\t{duration_s:.2f} s\t{level_db:.1f} dBFS rms\tpeak {peak:.3f}")
    return 0
