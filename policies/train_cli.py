"""`simulagent train hmt|diseg ...`: train a policy on the CPU, with a progress bar and checkpoints that resume
after an interruption (run the same command again)."""

from __future__ import annotations

import argparse
import importlib

# Each recipe module provides register(parser), which adds its options and sets func.
RECIPES = {
    "hmt": (
        "simulagent.policies.training.hmt_task",
        "HMT or wait-k on a synthetic reordering task or on parallel text",
    ),
    "diseg": ("simulagent.policies.training.diseg_task", "a DiSeg speech segmenter from audio with word boundaries"),
}


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="train_command", metavar="RECIPE")
    for name, (module, help_text) in RECIPES.items():
        recipe = sub.add_parser(name, help=help_text, description=help_text)
        # The recipe module imports torch lazily inside its functions, so `--help` stays light.
        importlib.import_module(module).register(recipe)
