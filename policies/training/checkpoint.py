"""Resumable training checkpoints: model, optimizer, step, random-number states and the options, written
atomically (a temporary file renamed over the old one), so a run killed mid-write keeps its previous checkpoint."""

from __future__ import annotations

import os
import random
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulagent.errors import UserError

if TYPE_CHECKING:
    import torch

__all__ = ["load_checkpoint", "read_checkpoint", "save_checkpoint"]


def save_checkpoint(
    path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, step: int, options: Any, **extra: Any
) -> None:
    """Write `path` atomically; `options` (a dataclass) is stored so that a resume with other options is refused."""
    import numpy as np
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "step": step,
        "options": asdict(options) if is_dataclass(options) and not isinstance(options, type) else options,
        "rng": {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()},
        "extra": extra,
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    tmp.replace(path)


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The payload of `path` (model and optimizer states, "step", "options", ...); a missing, truncated or foreign
    file is a `UserError` naming it."""
    import torch

    if not path.is_file():
        raise UserError(f"no checkpoint at {path}")
    try:
        return dict(torch.load(path, map_location="cpu", weights_only=False))
    except Exception as exc:  # a truncated or foreign file: say which
        raise UserError(f"{path} is not a readable checkpoint ({type(exc).__name__}: {exc})") from None


def load_checkpoint(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    options: Any = None,
    compare: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Restore `model` (and `optimizer` and the random states) from `path`; returns the payload (with "step").

    `compare` names option fields that must match the stored ones (a resume with another model size would not
    load); a mismatch is a `UserError` naming the field.
    """
    import numpy as np
    import torch

    payload = read_checkpoint(path)
    stored = payload.get("options") or {}
    if options is not None and is_dataclass(options) and not isinstance(options, type):
        current = asdict(options)
        for name in compare:
            if name in stored and stored[name] != current.get(name):
                raise UserError(
                    f"{path} was trained with {name}={stored[name]!r}, not {current.get(name)!r}; "
                    "use another --out folder or the same options"
                )
    model.load_state_dict(payload["model"])
    if optimizer is not None:
        optimizer.load_state_dict(payload["optimizer"])
        rng = payload.get("rng") or {}
        if "torch" in rng:
            torch.set_rng_state(rng["torch"])
        if "python" in rng:
            random.setstate(rng["python"])
        if "numpy" in rng:
            np.random.set_state(rng["numpy"])
    return payload
